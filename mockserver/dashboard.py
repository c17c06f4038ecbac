"""The dashboard at ``/__mock/ui``: static files over the control API, and ``GET /`` for browsers.

The page itself is static (mockserver/ui/); everything it shows comes from the control
API, through the same rules as any other caller: on a server without an admin token,
only pages of this machine addressed to a loopback host name (control.local_only_refusal,
which these files follow too); with one, every data call carries the token, which the
page asks for once and keeps in ``sessionStorage``. The files may load without the token:
they hold no data. The Docs tab renders each spec with Swagger UI, whose files come from
the ``openapi-ui-bundles`` package (Swagger UI 5, which reads OpenAPI 3.1), served from
here: no CDN, no network.
"""

from __future__ import annotations

import html
from pathlib import Path

from flask import Blueprint, current_app, jsonify, send_from_directory

from .ui import ui_dir

blueprint = Blueprint("mock_ui", __name__, url_prefix="/__mock/ui")

# The pages load only their own files (no inline script, no other origin) and may be framed
# only by themselves (the Docs tab frames the Swagger page). Swagger UI sets inline styles and
# draws some icons as data: images.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "frame-ancestors 'self'; base-uri 'none'; form-action 'self'",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def swagger_dir() -> Path:
    """Swagger UI's distribution files, from the openapi-ui-bundles package."""
    from openapi_ui_bundles.swagger_ui import static_path

    return Path(static_path)


@blueprint.before_request
def local_pages_only():
    """Without an admin token, the same rule as the control API: this machine's pages only."""
    from .control import local_only_refusal

    if current_app.extensions["mockserver"].config.admin_token:
        return None
    return local_only_refusal()


@blueprint.after_request
def secured(response):
    """Every file of the dashboard gets the security headers."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@blueprint.get("")
@blueprint.get("/")
def page():
    """The dashboard."""
    return send_from_directory(ui_dir(), "index.html")


@blueprint.get("/config.json")
def config():
    """What the page needs before any data call: whether to ask for the admin token first
    (so a server with one shows the login screen without a refused call). No secret in it."""
    return jsonify(admin_token_required=bool(current_app.extensions["mockserver"].config.admin_token))


@blueprint.get("/swagger/<path:name>")
def swagger_file(name: str):
    """A file of Swagger UI (send_from_directory refuses any path out of its folder)."""
    return send_from_directory(swagger_dir(), name)


@blueprint.get("/<path:name>")
def ui_file(name: str):
    """A file of the dashboard (its script, style sheet, the docs page)."""
    return send_from_directory(ui_dir(), name)


def index_page(runtime) -> str:
    """``GET /`` for a browser: the APIs served and a link to the dashboard."""
    rows = "\n".join(
        f'<li><a href="{html.escape(runtime.mount_of(api_id) or "/")}">{html.escape(api.spec.title)}</a> '
        f'at <code>{html.escape(runtime.mount_of(api_id) or "/")}</code> '
        f'(<a href="/__mock/specs/{html.escape(api_id)}">spec</a>)</li>'
        for api_id, api in runtime.apis.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mockserver</title><link rel="icon" href="data:,"></head>
<body style="font-family: system-ui, sans-serif; max-width: 48rem; margin: 2rem auto">
<h1>mockserver</h1>
<p><a href="/__mock/ui"><strong>Open the dashboard</strong></a>: requests live, scenarios, faults, state, docs.</p>
<h2>APIs served here</h2>
<ul>
{rows}
</ul>
<p>Tools asking for JSON (<code>curl -s http://HOST/</code>) get this list as JSON.</p>
</body></html>
"""


def install(app) -> None:
    """Register the dashboard on the control app."""
    app.register_blueprint(blueprint)
