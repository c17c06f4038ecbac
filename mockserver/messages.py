"""The plain values one request flows through: what came in, what goes out, what went wrong.

Nothing here touches Flask or WSGI, so every stage of the pipeline can be unit-tested
with hand-built values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class MockRequest:
    """An HTTP request as the pipeline sees it, relative to the API's mount point.

    `path` is the path inside the API (e.g. ``/records/1/credentials``); `mount` is the
    prefix the API was reached under (``/pdnsmanager``, or ``""`` with ``--api`` and on the
    API's own ``--api-port``), which behaviours need to build the links the real API would
    return, right for the way this request came in.
    """

    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # keys lower-cased
    cookies: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    mount: str = ""
    # The body read as JSON (validation.read_json_body), kept so it is read only once.
    json_body: Any = field(default=None, repr=False, compare=False)

    def header(self, name: str, default: str | None = None) -> str | None:
        """Return a header value by case-insensitive name."""
        return self.headers.get(name.lower(), default)

    @property
    def content_type(self) -> str:
        """The media type of the body without parameters, lower-cased ("" if none)."""
        raw = self.headers.get("content-type", "")
        return raw.split(";", 1)[0].strip().lower()


@dataclass
class Reply:
    """What a behaviour answers: a status, an optional JSON body, extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    cookies: tuple[str, ...] = ()  # Set-Cookie values, one header each (the journal masks them)


class ApiError(Exception):
    """A request rejected in the API's own error format.

    Raised anywhere in the pipeline; `violations` (if any) travel to the
    ``X-Mock-Violations`` header so a developer sees why without reading logs.
    """

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None,
                 violations: list | None = None, reason: str | None = None):
        super().__init__(f"{status}: {body!r}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.violations = list(violations or [])
        # Why the behaviour refused, in words; shown first in X-Mock-Violations unless the
        # violations already say it all (a pure schema rejection sets it to None).
        self.reason = reason

    def as_reply(self) -> Reply:
        """The rejection as a Reply."""
        return Reply(self.status, self.body, dict(self.headers))
