"""A deliberately broken PDNS Manager: the mock, drifting from its contract in one named way.

`DriftingProvider(app, drift)` wraps a mock app and changes its PDNS answers so that a
contract check has something real to catch:

- ``wrong status code``: a create answers 200 instead of 201;
- ``missing required field``: credentials lose their ``description``;
- ``wrong type``: ids come back as strings;
- ``write not persisted``: a create answers 201 but stores nothing;
- ``secret returned in clear``: a fetched password credential shows its password;
- ``missing auth check``: requests without credentials are served anyway.
"""

from __future__ import annotations

import json
import re

DRIFTS = ("wrong status code", "missing required field", "wrong type", "write not persisted",
          "secret returned in clear", "missing auth check")
CREATE = re.compile(r"^/pdnsmanager/records/\d+/credentials$")


class DriftingProvider:
    """WSGI middleware around a mock app that breaks one promise of PDNS Manager's spec."""

    def __init__(self, app, drift: str | None):
        assert drift in DRIFTS or drift is None, drift
        self.app = app
        self.drift = drift
        self.passwords: dict[str, str] = {}  # what creates sent, for the leaking drift

    def __call__(self, environ, start_response):
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if not path.startswith("/pdnsmanager/"):
            return self.app(environ, start_response)
        if self.drift == "missing auth check" and "HTTP_X_AUTHENTICATION" not in environ:
            environ["HTTP_X_AUTHENTICATION"] = "served-without-credentials"
        sent = self._body(environ)
        if self.drift == "write not persisted" and method == "POST" and CREATE.match(path) and sent:
            body = json.dumps({"id": 987654, "description": sent.get("description", ""),
                               "type": sent.get("type", "password")}).encode()
            start_response("201 Created", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers

        payload = b"".join(self.app(environ, capture))
        status, headers, payload = self._drift(method, path, sent, captured["status"], captured["headers"], payload)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"] + [("Content-Length", str(len(payload)))]
        start_response(status, headers)
        return [payload]

    def _body(self, environ):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        import io

        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return None

    def _drift(self, method, path, sent, status, headers, payload):
        try:
            body = json.loads(payload) if payload else None
        except ValueError:
            return status, headers, payload
        if self.drift == "wrong status code" and method == "POST" and status.startswith("201"):
            status = "200 OK"
        if self.drift == "missing required field":
            body = _walk(body, lambda o: {k: v for k, v in o.items() if k != "description"} if "id" in o else o)
        if self.drift == "wrong type":
            body = _walk(body, lambda o: {**o, "id": str(o["id"])} if isinstance(o.get("id"), int) else o)
        if self.drift == "secret returned in clear":
            if method == "POST" and isinstance(sent, dict) and isinstance(body, dict) and "password" in sent:
                self.passwords[str(body.get("id"))] = sent["password"]
            if method == "GET" and isinstance(body, dict) and str(body.get("id")) in self.passwords:
                body = {**body, "password": self.passwords[str(body["id"])]}
        return status, headers, json.dumps(body).encode() if body is not None else payload


def _walk(value, change):
    if isinstance(value, dict):
        return change({k: _walk(v, change) for k, v in value.items()})
    if isinstance(value, list):
        return [_walk(v, change) for v in value]
    return value
