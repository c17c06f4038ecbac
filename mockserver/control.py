"""The control API under ``/__mock/``: health, data, journal and faults.

| call | what it does |
|---|---|
| ``GET /__mock/health`` | 200 once every API is loaded |
| ``POST /__mock/reset`` | back to the start-up data |
| ``GET /__mock/scenarios`` | the shipped scenarios |
| ``POST /__mock/scenarios/<name>`` | load one (replacing the data) |
| ``GET /__mock/state`` / ``PUT /__mock/state`` | export / load the data as a scenario document |
| ``GET`` / ``DELETE /__mock/requests`` | the journal (filtered) / forget it |
| ``POST /__mock/requests/count`` | how many journal entries match |
| ``GET`` / ``PUT`` / ``DELETE /__mock/faults`` | the fault rules |
| ``GET /__mock/specs/<id>`` | an API's spec |
| ``GET /__mock/watch`` | what ``--watch`` watches, its last reload, the files that failed |

It is a small Flask blueprint over the runtime (``app.extensions["mockserver"]``). Paths
under ``/__mock/`` never clash with an API path, since every API is mounted under its
own id. When the server was started with ``--admin-token``, every call but health
needs it in ``X-Mock-Admin-Token`` (or ``Authorization: Bearer``). No call reads a file
named by the request: scenarios are looked up by name in the shipped list.
"""

from __future__ import annotations

import hmac
import json

import yaml
from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from . import dashboard
from .dashboard import index_page
from .browse import BrowseError, api_catalogue, state_page
from .faults import FaultError
from .documents import parse_document
from .fixtures import FixtureError, check_shape
from .journal import Matcher
from .origins import host_of, is_loopback, is_loopback_origin
from .persistence import PersistError
from .runtime import MAX_CONTROL_BODY, MockRuntime
from .scenarios import catalogue
from .spec import _parse_spec as parse_spec_text
from .yamlcache import load_cached

blueprint = Blueprint("mock_control", __name__, url_prefix="/__mock")


def runtime() -> MockRuntime:
    """The runtime of the app serving this request."""
    return current_app.extensions["mockserver"]


def problem(status: int, error: str, message: str):
    """A control API error: ``{"error": code, "message": text}``."""
    response = jsonify(error=error, message=message)
    response.status_code = status
    return response


@blueprint.before_request
def require_admin_token():
    """Only this machine's tools, or holders of ``--admin-token``, may use the control API.

    Without a token the API is open to loopback callers only: a request from a web page
    of another origin (``Origin``), or one that reached us under another host name (DNS
    rebinding: a same-origin page carries no ``Origin``), is refused. The control API
    can read every stored secret and replace all data, so a page in the developer's
    browser must not reach it. With a token, every call but health must present it.
    """
    expected = runtime().config.admin_token
    if not expected:
        return local_only_refusal()
    if request.endpoint == "mock_control.health":
        return None
    given = request.headers.get("X-Mock-Admin-Token", "")
    if not given and request.headers.get("Authorization", "").lower().startswith("bearer "):
        given = request.headers["Authorization"][7:].strip()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return problem(401, "unauthorized", "This control API needs the admin token in X-Mock-Admin-Token")
    return None


def local_only_refusal():
    """A 403 for a request from a page of another origin or to a non-loopback host name
    (the rule of a server without an admin token), else None. The dashboard's own files
    follow it too (mockserver/dashboard.py)."""
    origin = request.headers.get("Origin")
    if origin is not None and not is_loopback_origin(origin):
        return problem(403, "forbidden", "The control API does not answer web pages of other origins")
    if not is_loopback(host_of(request.host)):
        return problem(403, "forbidden", f"The control API answers requests to a loopback address only, "
                                         f"not to {request.host}")
    return None


def json_body():
    """The request's JSON body, or None when it is not JSON."""
    try:
        return json.loads(request.get_data(cache=True) or b"null")
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


# --- health and data ----------------------------------------------------------------------
@blueprint.get("/health")
def health():
    """200 when every API is loaded and serving."""
    rt = runtime()
    return jsonify(status="ok", apis=list(rt.apis), seed=rt.seed)


@blueprint.post("/reset")
def reset():
    """Return the data to the start-up data set."""
    rt = runtime()
    try:
        rt.reset()
    except PersistError as exc:
        return problem(500, "state_not_saved", f"{exc}; the data is as it was before")
    return jsonify(status="reset", counts=rt.store.counts())


@blueprint.get("/scenarios")
def list_scenarios():
    """The shipped scenarios, by name."""
    return jsonify(scenarios=[{"name": s.name, "description": s.description} for s in catalogue().values()],
                   started_from=[name for name, _ in runtime().fixtures])


@blueprint.post("/scenarios/<name>")
def load_scenario(name: str):
    """Replace the data by a shipped scenario."""
    if name not in catalogue():
        known = ", ".join(catalogue())
        return problem(404, "not_found", f"No scenario named {name!r}; shipped scenarios: {known}")
    rt = runtime()
    try:
        rt.load_scenario(name)
    except FixtureError as exc:
        return problem(400, "invalid_scenario", str(exc))
    except PersistError as exc:
        return problem(500, "state_not_saved", f"{exc}; the data is as it was before")
    return jsonify(status="loaded", scenario=name, counts=rt.store.counts())


@blueprint.get("/state")
def get_state():
    """The current data as a scenario document (YAML when asked for, else JSON)."""
    document = runtime().export()
    if request.accept_mimetypes.best_match(["application/json", "application/yaml"]) == "application/yaml":
        return Response(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), mimetype="application/yaml")
    return jsonify(document)


@blueprint.get("/state/<api_id>/<collection>")
def get_state_page(api_id: str, collection: str):
    """One page of one collection, secrets masked as the journal masks them (the dashboard)."""
    try:
        return jsonify(state_page(runtime(), api_id, collection, request.args.get("page"), request.args.get("size")))
    except BrowseError as exc:
        return problem(exc.status, "not_found" if exc.status == 404 else "invalid_page", str(exc))


@blueprint.get("/apis")
def list_apis():
    """The APIs served: mount, spec, operations, collection counts (the dashboard's menus),
    and where the spec watcher reports its errors, when this server watches (``--watch``)."""
    rt = runtime()
    return jsonify(apis=api_catalogue(rt), watch="/__mock/watch" if rt.watcher is not None else None)


@blueprint.put("/state")
def put_state():
    """Replace the data by a scenario document (JSON or YAML); a bad one changes nothing."""
    raw = request.get_data(cache=False)
    try:
        document = parse_document(raw.decode("utf-8"), aliases=False) if raw else None
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        return problem(400, "invalid_state", f"The body is not a JSON or YAML document: {exc}")
    rt = runtime()
    try:
        rt.load([("PUT /__mock/state", check_shape(document, "PUT /__mock/state"))])
    except FixtureError as exc:
        return problem(400, "invalid_state", str(exc))
    except PersistError as exc:
        return problem(500, "state_not_saved", f"{exc}; the data is as it was before")
    return jsonify(status="loaded", counts=rt.store.counts())


# --- journal ------------------------------------------------------------------------------
@blueprint.get("/requests")
def list_requests():
    """Journal entries, oldest first, filtered by api, operation, method, path, status, since.

    ``limit=N`` gives the last N of them; ``first=N`` the first N, with ``next`` (pass it
    as ``since``) when more match: a page at a time, however big the journal.
    """
    filters = {k: v for k, v in request.args.items() if k not in ("limit", "first", "summary")}
    summary = request.args.get("summary", "false").lower()
    if summary not in ("true", "false"):
        return problem(400, "invalid_filter", f"summary must be true or false, got {summary!r}")
    if "body" in filters:  # in a query string the body to look for is JSON text
        try:
            filters["body"] = json.loads(filters["body"])
        except ValueError:
            return problem(400, "invalid_filter", "body must be JSON, e.g. body={\"name\":\"x\"}")
    limit = request.args.get("limit")
    if limit is not None and not (limit.isdigit() and int(limit) > 0):
        return problem(400, "invalid_filter", f"limit must be a positive whole number, got {limit!r}")
    try:
        matcher = Matcher.from_mapping(filters)
    except ValueError as exc:
        return problem(400, "invalid_filter", str(exc))
    first = request.args.get("first")
    if first is not None:
        if not (first.isdigit() and int(first) > 0) or limit is not None:
            return problem(400, "invalid_filter", f"first must be a positive whole number, and not given "
                                                  f"with limit; got {first!r}")
        entries, more = runtime().journal.page(matcher, int(first))
        return _streamed_entries(entries, {"next": entries[-1].id} if more else {}, summary == "true")
    limit = int(limit) if limit else None
    return _streamed_entries(runtime().journal.select(matcher, limit), {}, summary == "true")


@blueprint.get("/requests/<entry_id>")
def get_request(entry_id: str):
    """One journal entry, whole (headers and bodies masked), by its id."""
    entry = runtime().journal.get(int(entry_id)) if entry_id.isdigit() else None
    if entry is None:
        return problem(404, "not_found", f"The journal holds no entry {entry_id!r} (ids are whole numbers; "
                                         f"old entries fall out)")
    return jsonify(entry.as_dict())


def _streamed_entries(entries: list, extra: dict, summary: bool = False) -> Response:
    """``{"requests": [...], "count": N, ...extra}``, written entry by entry as it is sent.

    A full journal is tens of MB of JSON: built whole it would hold every API request back
    for a second; streamed, the server answers others between entries. `summary`: entries
    without headers and bodies (the dashboard's live list).
    """
    def pieces():
        yield b'{"requests": ['
        for index, entry in enumerate(entries):
            shown = entry.summary() if summary else entry.as_dict()
            yield (b", " if index else b"") + json.dumps(shown, ensure_ascii=False).encode()
        tail = {"count": len(entries), **extra}
        yield b"], " + json.dumps(tail)[1:].encode() + b"\n"

    return Response(pieces(), mimetype="application/json")


def no_content() -> Response:
    """A 204: no body, so no content type either (Flask would say text/html)."""
    response = Response(status=204)
    response.headers.pop("Content-Type", None)
    return response


@blueprint.delete("/requests")
def clear_requests():
    """Forget every journal entry."""
    runtime().journal.clear()
    return no_content()


@blueprint.post("/requests/count")
def count_requests():
    """How many journal entries match the JSON matcher in the body."""
    body = json_body()
    if not isinstance(body, dict):
        return problem(400, "invalid_matcher", "Send a JSON object such as "
                                               '{"api": "awx", "method": "POST", "status": 201}')
    try:
        matcher = Matcher.from_mapping(body)
    except ValueError as exc:
        return problem(400, "invalid_matcher", str(exc))
    return jsonify(count=runtime().journal.count(matcher))


# --- faults -------------------------------------------------------------------------------
def faults_view():
    """The installed rules and the global latency."""
    faults = runtime().faults
    latency = {"min": faults.latency[0], "max": faults.latency[1]} if faults.latency else None
    return {"rules": [r.as_dict() for r in faults.rules()], "latency": latency}


@blueprint.get("/faults")
def get_faults():
    """The fault rules now installed."""
    return jsonify(faults_view())


@blueprint.put("/faults")
def put_faults():
    """Replace every fault rule (a rule, a list of rules, or {"rules": [...]})."""
    body = json_body()
    if body is None:
        return problem(400, "invalid_faults", "Send a JSON rule, a list of rules, or {\"rules\": [...]}")
    try:
        runtime().faults.install(body, served_operations())
    except FaultError as exc:
        return problem(400, "invalid_faults", str(exc))
    return jsonify(faults_view())


def served_operations() -> dict[str, set[str]]:
    """API id -> its operationIds: what a fault rule may name."""
    return {api_id: {op.operation_id for op in api.spec.operations} for api_id, api in runtime().apis.items()}


@blueprint.post("/faults")
def add_fault():
    """Add one rule after the installed ones (which keep their counts): the dashboard's form."""
    body = json_body()
    if not isinstance(body, dict):
        return problem(400, "invalid_faults", "Send one JSON rule, e.g. {\"api\": \"awx\", \"status\": 503}")
    try:
        rule = runtime().faults.add(body, served_operations())
    except FaultError as exc:
        return problem(400, "invalid_faults", str(exc))
    response = jsonify(rule.as_dict())
    response.status_code = 201
    return response


@blueprint.delete("/faults/<rule_id>")
def remove_fault(rule_id: str):
    """Remove one rule by its id."""
    if not runtime().faults.remove(rule_id):
        known = ", ".join(rule.id for rule in runtime().faults.rules()) or "none"
        return problem(404, "not_found", f"No fault rule {rule_id!r}; installed: {known}")
    return no_content()


@blueprint.delete("/faults")
def clear_faults():
    """Remove every fault rule (``--latency`` stays)."""
    runtime().faults.clear()
    return no_content()


# --- specs, the watcher and the index -----------------------------------------------------
@blueprint.get("/watch")
def watch_status():
    """``mockserver run --watch``: the files watched, the last reload, and each file whose
    latest version failed to load (the last good version still serving)."""
    from .watch import not_watching

    watcher = runtime().watcher
    return jsonify(watcher.status() if watcher is not None else not_watching())


@blueprint.get("/specs/<api_id>")
def spec_source(api_id: str):
    """The OpenAPI document an API is served from (for Swagger UI, code generators...)."""
    api = runtime().apis.get(api_id)
    if api is None:
        return problem(404, "not_found", f"No API {api_id!r} is served here")
    wanted = spec_format()
    if wanted is None:
        return problem(400, "invalid_format", f"format must be json or yaml, got {request.args['format']!r}")
    raw = api.spec.source_text  # the version served, not the file as it is now on disk
    if wanted == "json":
        document = load_cached(raw, parse_spec_text, "spec-json")
        return Response(json.dumps(document, ensure_ascii=False, default=str), mimetype="application/json")
    text = raw.decode("utf-8")
    if wanted == "text":  # a browser shows text/plain inline (it would download application/yaml)
        return Response(text, content_type="text/plain; charset=utf-8")
    return Response(text, mimetype="application/yaml")


def spec_format() -> str | None:
    """How to send a spec: ``?format=json|yaml`` wins; else JSON when asked for JSON, YAML
    as plain text to a browser (which asks for HTML), application/yaml otherwise. None: a bad format."""
    given = request.args.get("format")
    if given is not None:
        return given.lower() if given.lower() in ("json", "yaml") else None
    # Only types named outright count: "*/*" (curl, most tools) keeps today's application/yaml.
    def listed(mime: str) -> float:
        return max((quality for value, quality in request.accept_mimetypes if value == mime), default=0)

    as_json, as_yaml, as_html = listed("application/json"), listed("application/yaml"), listed("text/html")
    if as_json > as_yaml and as_json >= as_html:
        return "json"
    return "text" if as_html > as_yaml else "yaml"


def index():
    """``GET /``: what is served here and where (only when every API is mounted).

    A browser (asking for HTML) gets a small page linking to the dashboard; tools get JSON.
    """
    rt = runtime()
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
        return Response(index_page(rt), content_type="text/html; charset=utf-8")
    return jsonify(
        apis=[{"id": api_id, "title": api.spec.title, "mount": rt.mount_of(api_id),
               "spec": f"/__mock/specs/{api_id}", "operations": len(api.spec.operations)}
              for api_id, api in rt.apis.items()],
        control={name: f"/__mock/{name}" for name in ("health", "reset", "scenarios", "state", "requests",
                                                       "faults", "watch")},
    )


def json_http_error(error: HTTPException):
    """Control API errors are JSON too, never Flask's HTML pages."""
    message = error.description
    if error.code == 404 and not request.path.startswith("/__mock"):
        rt = runtime()
        mounts = ", ".join(rt.mount_of(api_id) for api_id in rt.apis)
        message = f"No API is mounted at {request.path}; APIs are served under {mounts}"
        suggestion = rt.suggest_path(request.path, request.method)
        if suggestion:
            message += f" (did you mean {suggestion}?)"
    return problem(error.code or 500, error.name.lower().replace(" ", "_"), message)


def install(app: Flask) -> None:
    """Register the control API on an app."""
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTROL_BODY
    app.register_blueprint(blueprint)
    dashboard.install(app)
    app.register_error_handler(HTTPException, json_http_error)
    app.add_url_rule("/", "index", index, methods=["GET"])
    # A browser showing any page here (a spec as text) asks for an icon: none, without a 404 in its console.
    app.add_url_rule("/favicon.ico", "favicon", no_content, methods=["GET"])
