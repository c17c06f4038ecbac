"""CORS, so a browser app on another origin can call the mock directly.

Preflights are answered here, before any API sees them: an ``OPTIONS`` with
``Access-Control-Request-Method`` never reaches routing, auth or a 405. Every response
carries ``Access-Control-Allow-Origin``; when the request names its origin, that origin
is echoed with ``Allow-Credentials`` so cookie-authenticated calls (Versori) work too.
"""

from __future__ import annotations

EXPOSED = "X-Mock-Violations, Location, WWW-Authenticate, Allow"
ALL_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"


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
