"""The WSGI application: API traffic goes to the pipeline, ``/__mock/`` to Flask.

``create_app(config)`` returns a Flask app (so ``app.test_client()`` works in tests) whose
WSGI entry is wrapped by `MockApp`: requests under an API's mount prefix are turned into
`MockRequest` values and answered by the pipeline directly, without Flask's routing;
everything else (the control API, ``GET /``) is Flask's. CORS applies to both. A request
that came in on an API's own port (``--api-port``: the server names the API in the
environ, `PINNED_API`) belongs to that API with no mount prefix, as with ``--api``.
"""

from __future__ import annotations

import json
import logging
import threading
import time

import orjson

from . import cors
from .timestamps import utcnow
from .faults import FaultRule
from .journal import MASK, NO_MASKING, Entry
from .messages import MockRequest, Reply
from .pipeline import Outcome
from .registry import MountedApi
from .runtime import MAX_CONTROL_BODY, MockConfig, MockRuntime
from .server import ARRIVED, PINNED_API, DroppedConnection
from .wsgi_request import read_request, request_path

log = logging.getLogger("mockserver.access")

# X-Mock-Violations stays readable by every client (curl, http.client and wrk refuse
# header lines of tens of KB): at most this many bytes, each message and pointer cut to
# ITEM_CHARS; what does not fit is counted in a last entry. The journal keeps them all.
VIOLATIONS_HEADER_BYTES = 8192
ITEM_CHARS = 300
LOG_VIOLATION_CHARS = 200  # the first violation on a rejection's access log line, at most this long

# environ key under which plan_fault() leaves the picked (rule, operation) for the app.
PLANNED_FAULT = "mockserver.planned_fault"

_REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
            403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
            413: "Content Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Content",
            500: "Internal Server Error", 503: "Service Unavailable"}


def status_line(status: int) -> str:
    """``"404 Not Found"`` for a status code."""
    return f"{status} {_REASONS.get(status, 'Unknown')}"


def encode_json(body) -> bytes:
    """Compact UTF-8 JSON, as the real APIs send.

    orjson does the work; what it refuses (a lone surrogate, valid in a JSON string
    escape but not in UTF-8; an integer beyond 64 bits) goes through the standard
    library, which writes the surrogate back as the same ``\\udXXX`` escape.
    """
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace")


class MockApp:
    """WSGI application: API traffic to the pipeline, the control API to Flask.

    Given no Flask app, it builds the control app on the first control call: Flask and
    its templates are a good part of the start-up time, and a server that is only
    polled for health never needs them (health is answered here directly).
    """

    def __init__(self, runtime: MockRuntime, flask_wsgi=None):
        self.runtime = runtime
        self._flask_wsgi = flask_wsgi
        self._flask_lock = threading.Lock()

    @property
    def flask_wsgi(self):
        """The control app's WSGI callable, built on first use."""
        if self._flask_wsgi is None:
            with self._flask_lock:
                if self._flask_wsgi is None:
                    self._flask_wsgi = control_app(self.runtime).wsgi_app
        return self._flask_wsgi

    def __call__(self, environ, start_response):
        path = request_path(environ)
        control = path == "/__mock" or path.startswith("/__mock/")
        if cors.is_preflight(environ):
            if control and not cors.from_loopback(environ):  # no web page may drive the control API
                start_response("403 Forbidden", [("Content-Length", "0")])
                return [b""]
            start_response("204 No Content", cors.preflight_headers(environ))
            return [b""]
        if path == "/__mock/health" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return self._health(environ, start_response)
        api, mount, inner = self._resolve(environ, path)
        if api is None:
            if path not in ("/", "/favicon.ico") and not path.startswith("/__mock"):  # (a browser's icon: no API call)
                self._record_unrouted(environ, path)
            return self._flask(environ, start_response)
        started = environ.get(ARRIVED) or time.perf_counter()  # a server's wait counts too
        request, oversized = self._read(environ, mount, inner)
        outcome, rule = self._answer(api, request, oversized, environ.get(PLANNED_FAULT), started)
        try:
            status, headers, payload = self._render(outcome)
        except (TypeError, ValueError):  # a body JSON cannot encode: a bug, answered as the API's 500
            log.exception("cannot encode the response to %s %s%s", request.method, mount, inner)
            outcome = Outcome(api.behavior.internal_error().as_reply(), outcome.operation)
            status, headers, payload = self._render(outcome)
        elapsed = (time.perf_counter() - started) * 1000
        self._record(api, request, outcome, status, elapsed, rule, len(payload), headers)
        if self.runtime.config.access_log:
            # The path as the journal keeps it: a secret in it (a PDNS session token) is masked.
            log.info("%s %s%s -> %d (%.1f ms)%s", request.method, mount, masked_path(outcome.operation, inner),
                     status, elapsed, first_violation(outcome.violations) if 400 <= status < 500 else "")
        start_response(status_line(status), headers + cors.response_headers(environ))
        return self._for_method(request.method, payload)

    def warm_up(self) -> None:
        """Load now what the first control call, rejection or key check would load later.

        Flask (the control API), jsonschema (a rejection's detailed errors) and cryptography
        (PDNS key checks) are left out of start-up; a server calls this, off its request
        thread, once it is listening, so no request ever waits for those imports.
        """
        import jsonschema  # noqa: F401  (the import is the point)
        from cryptography.hazmat.primitives import serialization  # noqa: F401

        self.flask_wsgi  # noqa: B018  (builds the control app)

    def body_limit(self, environ) -> int:
        """The most body bytes worth reading for this request: past it the answer is a 413."""
        api = self._resolve(environ)[0]
        return MAX_CONTROL_BODY if api is None else self.runtime.config.max_body

    def plan_fault(self, environ) -> float:
        """Pick the fault for this request now and return its wait in seconds (0: none).

        A server that can wait without holding a thread (server.py: an event loop) calls
        this first, waits, then calls the app, which applies the same picked rule and does
        not wait again. Called directly as WSGI, the app picks and sleeps by itself.
        """
        faults = self.runtime.faults
        if not (faults.active or faults.latency is not None):
            return 0.0
        api, mount, inner = self._resolve(environ)
        if api is None or cors.is_preflight(environ):
            return 0.0
        method = (environ.get("REQUEST_METHOD") or "GET").upper()
        rule, operation = self._pick(api, MockRequest(method=method, path=inner, mount=mount))
        delay = faults.delay_ms(rule) / 1000
        environ[PLANNED_FAULT] = (rule, operation)
        return delay

    def _pick(self, api: MountedApi, request: MockRequest):
        """(the fault rule that fires for this request or None, its operation or None)."""
        faults, pipeline = self.runtime.faults, self.runtime.pipeline
        if not faults.active:
            return None, None
        operation = pipeline.operation_of(api, request)
        return faults.pick(api.api_id, operation.operation_id if operation else None, request.method,
                           request.mount + request.path), operation

    def _answer(self, api: MountedApi, request: MockRequest, oversized: bool,
                planned: tuple | None = None, started: float | None = None) -> tuple[Outcome, FaultRule | None]:
        """Apply faults (latency, a forced status, a dropped connection), else serve normally."""
        faults, pipeline = self.runtime.faults, self.runtime.pipeline
        if planned is not None:  # picked, and waited for, by the server
            rule, operation = planned
        else:
            rule, operation = self._pick(api, request)
            if rule is not None or faults.latency is not None:
                delay = faults.delay_ms(rule)
                if delay:
                    time.sleep(delay / 1000)
        if rule is not None and rule.drop:
            waited = (time.perf_counter() - started) * 1000 if started is not None else 0.0
            self._record(api, request, Outcome(Reply(0), operation), None, waited, rule)
            raise DroppedConnection(f"fault {rule.id} dropped {request.method} {request.mount}{request.path}")
        if rule is not None and rule.status is not None:
            return pipeline.inject(api, request, rule.status), rule
        return pipeline.handle(api, request, oversized=oversized), rule

    def _record(self, api: MountedApi | None, request: MockRequest, outcome: Outcome, status: int | None,
                elapsed_ms: float, rule: FaultRule | None, response_bytes: int = 0,
                sent_headers: list[tuple[str, str]] | None = None) -> None:
        """Keep the exchange in the journal, secrets masked (`sent_headers`: the response's
        headers as sent, Content-Type and X-Mock-Violations included; else the reply's own)."""
        journal = self.runtime.journal
        if not journal.enabled:
            return
        masking = api.masking if api is not None else self.runtime.masking
        credential_headers = api.credential_headers if api is not None else frozenset()
        reply = outcome.reply
        journal.record(Entry(
            # When the exchange ended, so entries (and `since=<time>` polls) stay in time order;
            # its arrival is `durationMs` earlier, a fault's wait included.
            id=journal.next_id(), time=utcnow(), method=request.method,
            path=request.mount + masked_path(outcome.operation, request.path),
            query=request.query, api=api.api_id if api is not None else None,
            operation=outcome.operation.operation_id if outcome.operation is not None else None,
            status=status, duration_ms=elapsed_ms, raw_request_headers=request.headers,
            raw_request_body=request.body, content_type=request.content_type,
            raw_response_body=reply.body, response_bytes=response_bytes,
            # (cookies set become one Set-Cookie header, which the journal masks)
            response_headers=dict(sent_headers) if sent_headers is not None else reply.headers,
            # As JSON objects: a Violation also holds the schema and the value it failed on (the
            # body), which the journal must not keep alive (the collector would walk them all).
            violations=[violation.as_dict() for violation in outcome.violations],
            fault=rule.as_dict() if rule is not None else None, unmatched=outcome.unmatched,
            masking=masking, credential_headers=credential_headers,
            response_masking=api.response_masking if api is not None else NO_MASKING,
        ))

    def _record_unrouted(self, environ, path: str) -> None:
        """Journal a request to a path no API is mounted at (Flask answers it with a 404)."""
        request, _ = self._read(environ, "", path)
        suggestion = self.runtime.suggest_path(path, request.method)
        why = f"no API is mounted at {path}" + (f"; did you mean {suggestion}?" if suggestion else "")
        self._record(None, request, Outcome(Reply(404), None, unmatched={"closest": suggestion, "why": why}),
                     404, 0.0, None)

    def _resolve(self, environ, path: str | None = None) -> tuple[MountedApi | None, str, str]:
        """Which API a request belongs to: (api, mount prefix, path inside the API).

        `path` is the request's (`request_path`), when the caller has it already. The
        control API keeps ``/__mock/`` on every port; an API's own port (``--api-port``)
        or ``--api`` serves that API at the root, so its links carry no mount prefix.
        """
        path = request_path(environ) if path is None else path
        if path.startswith("/__mock/") or path == "/__mock":
            return None, "", path
        pinned = environ.get(PINNED_API)
        at_root = self.runtime.apis[pinned] if pinned is not None else self.runtime.single
        if at_root is not None:
            return at_root, "", path
        head, _, rest = path[1:].partition("/")
        api = self.runtime.apis.get(head)
        if api is None:
            return None, "", path
        return api, f"/{head}", "/" + rest

    def _read(self, environ, mount: str, inner: str) -> tuple[MockRequest, bool]:
        return read_request(environ, mount, inner, self.runtime.config.max_body)

    def _render(self, outcome: Outcome) -> tuple[int, list[tuple[str, str]], bytes]:
        reply = outcome.reply
        headers = list(reply.headers.items())
        if reply.cookies:
            headers += [("Set-Cookie", cookie) for cookie in reply.cookies]
        payload = b""
        if reply.body is not None:
            payload = encode_json(reply.body)
            headers.append(("Content-Type", "application/json"))
        if outcome.violations and (reply.status >= 400 or outcome.tolerated):
            headers.append(("X-Mock-Violations", violations_header(outcome.violations)))
        headers.append(("Content-Length", str(len(payload))))
        return reply.status, headers, payload

    @staticmethod
    def _for_method(method: str, payload: bytes) -> list[bytes]:
        """HEAD gets the headers of a GET (Content-Length included) and no body."""
        return [b""] if method == "HEAD" else [payload]

    def _health(self, environ, start_response):
        """``GET /__mock/health``: 200 with the APIs served (open even with an admin token)."""
        payload = encode_json({"status": "ok", "apis": list(self.runtime.apis), "seed": self.runtime.seed})
        extra = cors.response_headers(environ) if "HTTP_ORIGIN" in environ and cors.from_loopback(environ) else []
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload))),
                                  *extra])
        return self._for_method(environ.get("REQUEST_METHOD", "GET"), payload)

    def _flask(self, environ, start_response):
        """Control API and index: Flask, plus CORS headers for pages of this machine only."""
        extra = cors.response_headers(environ) if "HTTP_ORIGIN" in environ and cors.from_loopback(environ) else []

        def with_cors(status, headers, exc_info=None):
            return start_response(status, list(headers) + extra, exc_info)

        return self.flask_wsgi(environ, with_cors)


def control_app(runtime: MockRuntime):
    """The Flask app of the control API (``/__mock/``, ``GET /``) for a runtime."""
    from flask import Flask

    from . import control

    app = Flask("mockserver")
    app.json.sort_keys = False
    app.extensions["mockserver"] = runtime
    control.install(app)
    return app


def create_wsgi(config: MockConfig | None = None) -> MockApp:
    """The app ``mockserver run`` serves: everything loaded but Flask, which comes on demand."""
    return MockApp(MockRuntime(config or MockConfig()))


def create_app(config: MockConfig | None = None, apis: dict[str, MountedApi] | None = None):
    """Build a mock server as a Flask app (so ``app.test_client()`` works in tests).

    All APIs loaded, fixtures applied, control API mounted. `apis` lets tests reuse
    specs loaded once instead of compiling them for every app.
    """
    runtime = MockRuntime(config or MockConfig(), apis)
    app = control_app(runtime)
    app.wsgi_app = MockApp(runtime, app.wsgi_app)  # type: ignore[method-assign]
    return app


def masked_path(operation, path: str) -> str:
    """The request path with the values of secret path parameters (``x-mock-secret`` or
    ``writeOnly``: PDNS's session token in ``DELETE /sessions/{token}``) written as ***."""
    if operation is None or not operation.secret_path_params:
        return path
    secret = operation.secret_path_params
    template, segments = operation.path.split("/"), path.split("/")
    return "/".join(MASK if index < len(template) and template[index][1:-1] in secret
                    and template[index].startswith("{") else segment for index, segment in enumerate(segments))


def first_violation(violations, limit: int = LOG_VIOLATION_CHARS) -> str:
    """The first violation for the access log line of a rejection: `` body /name: 5 is not of
    type 'string'`` (with its leading space; "" when there is none).

    The same text as in X-Mock-Violations (whose messages never quote a secret), on one
    line: control characters are escaped, and the whole is cut to `limit` characters.
    """
    if not violations:
        return ""
    first = violations[0]
    where = " ".join(part for part in (first.location, first.pointer) if part)
    text = f"{where}: {first.message}" if where else first.message
    text = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    return " " + (text if len(text) <= limit else text[:limit - 1] + "…")


def violations_header(violations) -> str:
    """The X-Mock-Violations value: a JSON list within VIOLATIONS_HEADER_BYTES (ASCII)."""
    whole = [violation.as_dict() for violation in violations]
    text = json.dumps(whole, ensure_ascii=True)
    if len(text) <= VIOLATIONS_HEADER_BYTES and all(len(v) <= ITEM_CHARS for item in whole for v in item.values()):
        return text  # the usual case: a few short violations, written once
    shown, size = [], 2  # the brackets
    reserve = 160  # room for the entry that counts what was left out
    for violation in violations:
        item = {key: value if len(value) <= ITEM_CHARS else value[:ITEM_CHARS] + "…"
                for key, value in violation.as_dict().items()}
        text = json.dumps(item, ensure_ascii=True)
        if size + len(text) + 2 > VIOLATIONS_HEADER_BYTES - reserve:
            break
        shown.append(item)
        size += len(text) + 2
    left_out = len(violations) - len(shown)
    if left_out:
        shown.append({"location": "", "pointer": "",
                      "message": f"{left_out} more not shown here (GET /__mock/requests lists them all)"})
    return json.dumps(shown, ensure_ascii=True)
