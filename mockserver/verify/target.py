"""The server under test: where it is, how to authenticate, and one HTTP exchange."""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import requests

from ..spec import ApiSpec, Operation

FORM = "application/x-www-form-urlencoded"  # an operation taking only this posts its body as a form


class Unreachable(Exception):
    """The target did not answer at all (refused, timed out, not HTTP)."""


@dataclass
class Credentials:
    """What to authenticate with: a token (bearer, API key, cookie) and/or a user+password."""

    token: str | None = None
    username: str | None = None
    password: str | None = None


@dataclass
class Exchange:
    """One request and its response."""

    operation: Operation
    method: str
    url: str
    status: int
    headers: dict[str, str]
    text: str
    body: Any = None
    json_ok: bool = False
    duration_ms: float = 0.0
    sent: Any = None

    def member(self, *path, default=None):
        """A nested member of the JSON body, or `default`."""
        node = self.body
        for key in path:
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and -len(node) <= key < len(node):
                node = node[key]
            else:
                return default
        return node


def auth_headers(spec: ApiSpec, operation: Operation, credentials: Credentials) -> tuple[dict, dict]:
    """(headers, cookies) satisfying the operation's security with what we hold."""
    for requirement in operation.security or ():
        headers: dict[str, str] = {}
        cookies: dict[str, str] = {}
        for name in requirement:
            scheme = spec.security_schemes.get(name, {})
            kind, where = scheme.get("type"), scheme.get("in")
            scheme_name = str(scheme.get("scheme", "")).lower()
            if kind == "http" and scheme_name == "basic" and (credentials.username or credentials.token):
                # (no user given: the token as the password of a verify user, which a mock accepts)
                user = credentials.username or "mockserver-verify"
                password = credentials.password if credentials.username else credentials.token
                pair = f"{user}:{password or ''}".encode()
                headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
            elif (kind == "http" and scheme_name == "bearer" or kind in ("oauth2", "openIdConnect")) \
                    and credentials.token:
                headers["Authorization"] = f"Bearer {credentials.token}"
            elif kind == "apiKey" and where == "header" and credentials.token:
                headers[scheme["name"]] = credentials.token
            elif kind == "apiKey" and where == "cookie" and credentials.token:
                cookies[scheme["name"]] = credentials.token
            else:
                break
        else:
            if requirement:
                return headers, cookies
    return {}, {}


class Target:
    """A base URL for one API, and a session to talk to it."""

    def __init__(self, base_url: str, spec: ApiSpec, credentials: Credentials, timeout: float = 15.0):
        self.base_url = base_url.rstrip("/")
        self.spec = spec
        self.credentials = credentials
        self.timeout = timeout
        self.session = requests.Session()

    def url(self, operation: Operation, path: dict[str, Any]) -> str:
        """The full URL of an operation with its path parameters filled in."""
        route = operation.path
        for name, value in path.items():
            route = route.replace("{" + name + "}", quote(str(value), safe=""))
        return self.base_url + route

    def send(self, operation: Operation, *, path: dict | None = None, query: dict | None = None,
             body: Any = None, auth: bool = True, headers: dict | None = None,
             raw_body: bytes | None = None) -> Exchange:
        """Send one request; Unreachable when the server does not answer at all."""
        url = self.url(operation, path or {})
        send_headers, cookies = auth_headers(self.spec, operation, self.credentials) if auth else ({}, {})
        send_headers = {"Accept": "application/json", **send_headers, **(headers or {})}
        data = raw_body
        form = operation.body is not None and FORM in operation.body.schemas and "application/json" not in \
            operation.body.schemas
        if raw_body is None and body is not None and form and isinstance(body, dict):
            data = urlencode({name: value if isinstance(value, str) else json.dumps(value)
                              for name, value in body.items()}).encode()  # as an HTML form posts it
            send_headers.setdefault("Content-Type", FORM)
        elif raw_body is None and body is not None:
            data = json.dumps(body).encode()
            send_headers.setdefault("Content-Type", "application/json")
        started = time.perf_counter()
        try:
            response = self.session.request(operation.method, url, params=query, data=data, headers=send_headers,
                                            cookies=cookies, timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise Unreachable(f"{operation.method} {url}: {_reason(exc)}") from exc
        elapsed = (time.perf_counter() - started) * 1000
        exchange = Exchange(operation=operation, method=operation.method, url=url, status=response.status_code,
                            headers=dict(response.headers), text=response.text, duration_ms=elapsed, sent=body)
        if response.content:
            try:
                exchange.body, exchange.json_ok = response.json(), True
            except ValueError:
                exchange.body = None
        return exchange


def _reason(exc: requests.RequestException) -> str:
    """The cause of a failed request in a few words ("[Errno 111] Connection refused")."""
    errno_text = re.search(r"\[Errno -?\d+\] [^'\")]+", str(exc))
    if errno_text:
        return errno_text.group(0).strip()
    if isinstance(exc, requests.Timeout):
        return "no answer in time (timed out)"
    return f"{exc.__class__.__name__}: {exc}"
