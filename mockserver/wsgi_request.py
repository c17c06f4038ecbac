"""Turn a WSGI environ into a MockRequest, cheaply.

This runs on every API request, so it reads the environ directly instead of building a
full framework request: headers from the ``HTTP_*`` keys, the query string with the
standard library, cookies only when a Cookie header is there, and the body up to the
size limit (a bigger body is never read into memory).
"""

from __future__ import annotations

import re

from urllib.parse import parse_qs

from .messages import MockRequest


def _text(raw: str) -> str:
    """WSGI strings carry the raw bytes as Latin-1; clients send UTF-8."""
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw.encode("latin-1", "replace").decode("utf-8", "replace")


def request_path(environ: dict) -> str:
    """The request's path as text (undecodable bytes become U+FFFD), repeated slashes
    merged as nginx does by default (CloudPlans' document writes ``//v1/...``)."""
    path = _text(environ.get("PATH_INFO") or "/")
    return _SLASHES.sub("/", path) if "//" in path else path


_SLASHES = re.compile(r"/{2,}")


def parse_cookies(header: str) -> dict[str, str]:
    """The name=value pairs of a Cookie header (the first of a repeated name wins)."""
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        name, value = name.strip(), value.strip()
        if sep and name:
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            cookies.setdefault(name, value)
    return cookies


def read_headers(environ: dict) -> dict[str, str]:
    """Request headers, lower-cased names (``x-authentication``)."""
    headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
               if key.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        headers["content-length"] = environ["CONTENT_LENGTH"]
    return headers


def read_body(environ: dict, limit: int) -> tuple[bytes, bool]:
    """(body, oversized): at most `limit` bytes are ever kept."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b"", False
    length = (environ.get("CONTENT_LENGTH") or "").strip()
    if length.isdigit():
        size = int(length)
        if size > limit:
            return b"", True
        return (stream.read(size) if size else b""), False
    if environ.get("wsgi.input_terminated"):  # chunked: read until the end, or past the limit
        data = stream.read(limit + 1)
        return (b"", True) if len(data) > limit else (data, False)
    return b"", False


def read_request(environ: dict, mount: str, inner: str, limit: int) -> tuple[MockRequest, bool]:
    """The request as the pipeline sees it, and whether its body was over the limit."""
    headers = read_headers(environ)
    query_string = environ.get("QUERY_STRING", "")
    query = parse_qs(_text(query_string), keep_blank_values=True) if query_string else {}
    cookies = parse_cookies(headers["cookie"]) if "cookie" in headers else {}
    body, oversized = read_body(environ, limit)
    request = MockRequest(method=environ.get("REQUEST_METHOD", "GET").upper(), path=inner, query=query,
                          headers=headers, cookies=cookies, body=body, mount=mount)
    return request, oversized
