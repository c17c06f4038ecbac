"""CORS, so a browser app on another origin can call the mock directly.

Preflights are answered here, before any API sees them: an ``OPTIONS`` with
``Access-Control-Request-Method`` never reaches routing, auth or a 405. Every API
response carries ``Access-Control-Allow-Origin``; when the request names its origin,
that origin is echoed with ``Allow-Credentials`` so cookie-authenticated calls (Versori)
work too. The control API (``/__mock/``) gets CORS only for pages of this machine.
"""

from __future__ import annotations

from .origins import is_loopback_origin

EXPOSED = "X-Mock-Violations, Location, WWW-Authenticate, Allow"
ALL_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"


def from_loopback(environ: dict) -> bool:
    """True when no Origin is given or it is a page of this machine (control API CORS)."""
    origin = environ.get("HTTP_ORIGIN")
    return origin is None or is_loopback_origin(origin)


def is_preflight(environ: dict) -> bool:
    """True for a CORS preflight request."""
    return environ.get("REQUEST_METHOD") == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ


def response_headers(environ: dict) -> list[tuple[str, str]]:
    """The CORS headers every response gets."""
    origin = environ.get("HTTP_ORIGIN")
    if origin:
        return [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Expose-Headers", EXPOSED), ("Vary", "Origin")]
    return [("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", EXPOSED)]


def preflight_headers(environ: dict) -> list[tuple[str, str]]:
    """The headers of a preflight answer: allow what was asked for."""
    requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "")
    headers = response_headers(environ) + [
        ("Access-Control-Allow-Methods", ALL_METHODS),
        ("Access-Control-Max-Age", "600"),
        ("Content-Length", "0"),
    ]
    if requested:
        headers.append(("Access-Control-Allow-Headers", requested))
    return headers
