"""The request journal: what the app sent, for QA to inspect and tests to verify.

Every request to an API (not to the control API) is recorded in a bounded ring buffer:
method, path, API, operation, status, violations, timing, the bodies, and the fault
injected if any. Secrets are masked before anything is recorded: credential headers,
request body fields the spec marks ``writeOnly`` (or ``x-mock-secret``), and bodies that
are not JSON (they cannot be masked field by field, so only their size is kept).
Response bodies are recorded as sent: each API already masks its own secrets.

A `Matcher` selects entries; ``GET /__mock/requests`` filters with one, and
``POST /__mock/requests/count`` counts with one, so a test can check "the app sent
exactly one create".
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .fake import iso

MASK = "***"
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-authentication",
                                "x-mock-admin-token"})


def mask_fields(value: Any, secret_names: frozenset[str]) -> Any:
    """A copy of a JSON value with every member named in `secret_names` masked."""
    if not secret_names:
        return value
    if isinstance(value, dict):
        return {k: (MASK if k in secret_names else mask_fields(v, secret_names)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_fields(v, secret_names) for v in value]
    return value


def mask_headers(headers: dict[str, str], extra: frozenset[str] = frozenset()) -> dict[str, str]:
    """Headers with every credential-carrying one masked (names lower-cased)."""
    return {k: (MASK if k.lower() in CREDENTIAL_HEADERS or k.lower() in extra else v) for k, v in headers.items()}


def describe_body(raw: bytes, content_type: str, secret_names: frozenset[str]) -> Any:
    """What the journal keeps of a request body: masked JSON, or a note of its size."""
    if not raw:
        return None
    try:
        return mask_fields(json.loads(raw.decode("utf-8")), secret_names)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return {"notJson": True, "bytes": len(raw), "contentType": content_type or None}


@dataclass
class Entry:
    """One recorded request and what it got.

    Recording happens on every request, so an entry keeps references (the raw body,
    the headers, the reply's body) and masks them only when someone reads it: masking
    costs nothing for the many entries nobody looks at.
    """

    id: int
    time: datetime
    method: str
    path: str
    query: dict[str, list[str]]
    api: str | None
    operation: str | None
    status: int | None  # None: the connection was dropped on purpose
    duration_ms: float
    raw_request_headers: dict[str, str]
    raw_request_body: bytes
    content_type: str = ""
    raw_response_body: Any = None
    response_headers: dict[str, str] = field(default_factory=dict)
    violations: list = field(default_factory=list)
    fault: dict | None = None
    unmatched: dict | None = None
    secret_fields: frozenset[str] = frozenset()
    response_secret_fields: frozenset[str] = frozenset()
    credential_headers: frozenset[str] = frozenset()
    _masked_body: Any = field(default=None, repr=False)
    _masked: bool = field(default=False, repr=False)

    @property
    def request_body(self) -> Any:
        """The request body with secrets masked (JSON), or a note of its size."""
        if not self._masked:
            self._masked_body = describe_body(self.raw_request_body, self.content_type, self.secret_fields)
            self._masked = True
        return self._masked_body

    @property
    def request_headers(self) -> dict[str, str]:
        """The request headers with credentials masked."""
        return mask_headers(self.raw_request_headers, self.credential_headers)

    @property
    def response_body(self) -> Any:
        """The response body as sent, with any secret the API returns (a token) masked."""
        return mask_fields(self.raw_response_body, self.response_secret_fields)

    def as_dict(self) -> dict:
        """The entry as the control API shows it."""
        out = {
            "id": self.id, "time": iso(self.time, millis=True), "api": self.api, "operation": self.operation,
            "method": self.method, "path": self.path, "query": self.query, "status": self.status,
            "durationMs": round(self.duration_ms, 3),
            "request": {"headers": self.request_headers, "body": self.request_body},
            "response": {"headers": self.response_headers, "body": self.response_body},
            "violations": [v.as_dict() if hasattr(v, "as_dict") else v for v in self.violations],
        }
        if self.fault is not None:
            out["fault"] = self.fault
        if self.unmatched is not None:
            out["unmatched"] = self.unmatched
        return out


def _contains(whole: Any, part: Any) -> bool:
    """JSON subset match: every member of `part` is in `whole` with a matching value."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k in whole and _contains(whole[k], v) for k, v in part.items())
    if isinstance(part, list):
        return isinstance(whole, list) and all(any(_contains(w, p) for w in whole) for p in part)
    return whole == part


def parse_since(value: Any) -> datetime | int | None:
    """``since``: an entry id (after it) or an ISO 8601 time (at or after it)."""
    if value is None or value == "":
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return int(value)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"since must be an entry id or an ISO 8601 time, got {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Matcher:
    """Which entries to select; every given criterion must hold.

    ``path`` is a glob (``/awx/api/v2/users/*/credentials/``); ``status`` is a code
    (``201``) or a class (``4xx``); ``body`` is a JSON value the request body must
    contain; ``matched: false`` selects requests no operation answered.
    """

    api: str | None = None
    operation: str | None = None
    method: str | None = None
    path: str | None = None
    status: str | None = None
    since: datetime | int | None = None
    body: Any = None
    matched: bool | None = None

    FIELDS = ("api", "operation", "method", "path", "status", "since", "body", "matched")

    @classmethod
    def from_mapping(cls, values: dict) -> "Matcher":
        """Build from query parameters or a JSON object; ValueError on unknown or bad values."""
        unknown = sorted(set(values) - set(cls.FIELDS))
        if unknown:
            raise ValueError(f"unknown matcher field(s) {unknown}; use {', '.join(cls.FIELDS)}")
        # A filter silently ignored would let "exactly one create" pass when it should fail.
        for name in ("api", "operation", "method", "path"):
            if values.get(name) is not None and not isinstance(values[name], str):
                raise ValueError(f"{name} must be a string")
        for name in ("status", "since"):
            value = values.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int))):
                raise ValueError(f"{name} must be a string or a number")
        status = values.get("status")
        if status is not None:
            status = str(status).lower()
            if not (status.isdigit() or (len(status) == 3 and status[0].isdigit() and status[1:] == "xx")):
                raise ValueError(f"status must be a code like 201 or a class like 4xx, got {status!r}")
        matched = values.get("matched")
        if isinstance(matched, str):
            matched = {"true": True, "false": False}.get(matched.lower(), matched)
        if matched is not None and not isinstance(matched, bool):
            raise ValueError("matched must be true or false")
        method = values.get("method")
        return cls(api=values.get("api"), operation=values.get("operation"),
                   method=method.upper() if isinstance(method, str) else None, path=values.get("path"),
                   status=status, since=parse_since(values.get("since")), body=values.get("body"),
                   matched=matched)

    def __call__(self, entry: Entry) -> bool:
        if self.api is not None and entry.api != self.api:
            return False
        if self.operation is not None and entry.operation != self.operation:
            return False
        if self.method is not None and entry.method != self.method:
            return False
        if self.path is not None and not fnmatch.fnmatchcase(entry.path, self.path):
            return False
        if self.status is not None:
            code = "" if entry.status is None else str(entry.status)
            if not (code == self.status or (self.status.endswith("xx") and code[:1] == self.status[0])):
                return False
        if isinstance(self.since, int) and entry.id <= self.since:
            return False
        if isinstance(self.since, datetime) and entry.time < self.since:
            return False
        if self.matched is not None and (entry.operation is not None) != self.matched:
            return False
        return self.body is None or _contains(entry.request_body, self.body)


class Journal:
    """A thread-safe ring buffer of the last `size` requests."""

    def __init__(self, size: int = 1000):
        self.size = size
        self._entries: deque[Entry] = deque(maxlen=max(size, 0) or None)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """False when the journal is switched off (size 0)."""
        return self.size > 0

    def next_id(self) -> int:
        """A fresh, increasing entry id."""
        return next(self._ids)

    def record(self, entry: Entry) -> None:
        """Keep one entry (the oldest falls out when the buffer is full)."""
        if self.enabled:
            with self._lock:
                self._entries.append(entry)

    def select(self, matcher: "Matcher", limit: int | None = None) -> list[Entry]:
        """Matching entries, oldest first (the last `limit` of them when given)."""
        with self._lock:
            found = [e for e in self._entries if matcher(e)]
        return found[-limit:] if limit else found

    def count(self, matcher: Matcher) -> int:
        """How many entries match."""
        with self._lock:
            return sum(1 for e in self._entries if matcher(e))

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
