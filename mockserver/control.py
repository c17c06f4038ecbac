"""The control API under ``/__mock/``: health, reset, and the specs being served.

It is a small Flask blueprint; the runtime it controls is ``app.extensions["mockserver"]``.
Paths under ``/__mock/`` never clash with an API path, since every API is mounted under
its own id.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from .runtime import MockRuntime

blueprint = Blueprint("mock_control", __name__, url_prefix="/__mock")


def runtime() -> MockRuntime:
    """The runtime of the app serving this request."""
    return current_app.extensions["mockserver"]


@blueprint.get("/health")
def health():
    """200 when every API is loaded and serving."""
    rt = runtime()
    return jsonify(status="ok", apis=list(rt.apis), seed=rt.seed)


@blueprint.post("/reset")
def reset():
    """Return the data to the start-up data set."""
    rt = runtime()
    rt.reset()
    return jsonify(status="reset", counts=rt.store.counts())


@blueprint.get("/specs/<api_id>")
def spec_source(api_id: str):
    """The OpenAPI document an API is served from (for Swagger UI, code generators...)."""
    api = runtime().apis.get(api_id)
    if api is None:
        return jsonify(error="not_found", message=f"No API {api_id!r} is served here"), 404
    return Response(api.spec.source.read_text(encoding="utf-8"), mimetype="application/yaml")


def index():
    """``GET /``: what is served here and where (only when every API is mounted)."""
    rt = runtime()
    return jsonify(
        apis=[{"id": api_id, "title": api.spec.title, "mount": rt.mount_of(api_id),
               "spec": f"/__mock/specs/{api_id}", "operations": len(api.spec.operations)}
              for api_id, api in rt.apis.items()],
        control={"health": "/__mock/health", "reset": "/__mock/reset"},
    )


def json_http_error(error: HTTPException):
    """Control API errors are JSON too, never Flask's HTML pages."""
    message = error.description
    if error.code == 404 and not request.path.startswith("/__mock"):
        rt = runtime()
        mounts = ", ".join(rt.mount_of(api_id) for api_id in rt.apis)
        message = f"No API is mounted at {request.path}; APIs are served under {mounts}"
    response = jsonify(error=error.name.lower().replace(" ", "_"), message=message)
    response.status_code = error.code or 500
    return response


def install(app: Flask) -> None:
    """Register the control API on an app."""
    app.register_blueprint(blueprint)
    app.register_error_handler(HTTPException, json_http_error)
    app.add_url_rule("/", "index", index, methods=["GET"])
