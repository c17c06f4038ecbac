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
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from .timestamps import iso, parse_timestamp

MASK = "***"
BODY_KEEP = 64 * 1024  # a request or response body over this is kept as its size only
ENTRY_OVERHEAD = 1024  # bytes an entry takes besides its bodies (headers, violations...), roughly
JOURNAL_BYTES = 64 * 1024 * 1024  # the journal's default byte budget (--journal-bytes)
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-authentication",
                                "x-mock-admin-token"})

# Names that carry credentials whatever the spec says: a body member, query parameter or
# header whose name (lower-cased, without - and _) is one of these, or contains one of the
# words, is masked too. So a secret sent where no spec expects it (an unknown member, a
# misspelt "Password", an unmounted path, a query string) never shows in clear.
_SECRET_NAMES = frozenset({"key", "pass", "pwd", "pin", "auth", "otp"})
_SECRET_WORDS = ("password", "passwd", "passphrase", "secret", "token", "apikey", "accesskey", "privatekey",
                 "keydata", "authorization", "cookie", "sessionid", "signature")


def normal_name(name: str) -> str:
    """A name as the masking compares it: lower-case letters and digits only."""
    return "".join(c for c in name.lower() if c.isalnum())


def is_secret_name(name: Any, declared: frozenset[str] = frozenset()) -> bool:
    """Does a member, parameter or header of this name carry a secret? (`declared`: the
    spec's secret members, as `normal_name` writes them.)"""
    if not isinstance(name, str):
        return False
    normal = normal_name(name)
    return normal in declared or normal in _SECRET_NAMES or any(word in normal for word in _SECRET_WORDS)


@dataclass(frozen=True)
class Masking:
    """What an API's spec says is secret in its request bodies (names as `normal_name` writes them).

    `secret`: members marked secret (``writeOnly``, ``x-mock-secret``). `containers`: members
    that may hold secrets (``x-mock-sensitive``, Versori ``data``); inside one only the
    members of `safe_inside` (the containers' documented non-secret members) stay readable,
    and a container that is no object at all is masked whole.
    """

    secret: frozenset[str] = frozenset()
    containers: frozenset[str] = frozenset()
    safe_inside: frozenset[str] = frozenset()

    @classmethod
    def of(cls, secret=(), containers=(), safe_inside=()) -> "Masking":
        """A Masking from names as the spec writes them."""
        return cls(*(frozenset(normal_name(n) for n in names) for names in (secret, containers, safe_inside)))

    def union(self, other: "Masking") -> "Masking":
        """What either masks. (Inside containers, a member stays readable only where both
        APIs with containers document it so; an API without containers has none to add.)"""
        return Masking(self.secret | other.secret, self.containers | other.containers,
                       self.safe_inside & other.safe_inside if self.containers and other.containers
                       else self.safe_inside | other.safe_inside)


NO_MASKING = Masking()


def mask_fields(value: Any, masking: Masking = NO_MASKING) -> Any:
    """A copy of a JSON value with every secret member masked, at any depth."""
    if isinstance(value, dict):
        out = {}
        for key, member in value.items():
            if is_secret_name(key, masking.secret):
                out[key] = MASK
            elif isinstance(key, str) and normal_name(key) in masking.containers:
                # The spec's documented non-secret members win over the name words (tokenUrl).
                out[key] = ({k: (v if normal_name(k) in masking.safe_inside else MASK) for k, v in member.items()}
                            if isinstance(member, dict) else MASK)
            else:
                out[key] = mask_fields(member, masking)
        return out
    if isinstance(value, list):
        return [mask_fields(v, masking) for v in value]
    return value


def mask_headers(headers: dict[str, str], extra: frozenset[str] = frozenset()) -> dict[str, str]:
    """Headers with every credential-carrying one masked (`extra`: lower-cased names)."""
    return {k: (MASK if k.lower() in CREDENTIAL_HEADERS or k.lower() in extra or is_secret_name(k) else v)
            for k, v in headers.items()}


def mask_query(query: dict[str, list[str]]) -> dict[str, list[str]]:
    """Query parameters with the values of credential-looking ones masked."""
    return {k: ([MASK] * len(v) if is_secret_name(k) else v) for k, v in query.items()}


def describe_body(raw: bytes, content_type: str, masking: Masking = NO_MASKING) -> Any:
    """What the journal keeps of a request body: masked JSON, or a note of its size."""
    if not raw:
        return None
    if content_type == "application/x-www-form-urlencoded":  # a login form: client_secret=...
        fields = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        return mask_fields({name: values[-1] for name, values in fields.items()}, masking)
    try:
        return mask_fields(json.loads(raw.decode("utf-8")), masking)
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
    response_bytes: int = 0  # the size of the response body as sent
    response_headers: dict[str, str] = field(default_factory=dict)
    violations: list = field(default_factory=list)
    fault: dict | None = None
    unmatched: dict | None = None
    masking: Masking = NO_MASKING
    response_masking: Masking = NO_MASKING
    request_body_size: int | None = None  # set when the body was too big to keep: its size
    response_body_size: int | None = None
    credential_headers: frozenset[str] = frozenset()
    _masked_body: Any = field(default=None, repr=False)
    _masked: bool = field(default=False, repr=False)

    @property
    def request_body(self) -> Any:
        """The request body with secrets masked (JSON), or a note of its size."""
        if self.request_body_size is not None:
            return _not_kept(self.request_body_size, self.content_type)
        if not self._masked:
            self._masked_body = describe_body(self.raw_request_body, self.content_type, self.masking)
            self._masked = True
        return self._masked_body

    @property
    def request_headers(self) -> dict[str, str]:
        """The request headers with credentials masked."""
        return mask_headers(self.raw_request_headers, self.credential_headers)

    @property
    def response_body(self) -> Any:
        """The response body as sent, with any secret the API returns (a token) masked."""
        if self.response_body_size is not None:
            return _not_kept(self.response_body_size, "application/json")
        return mask_fields(self.raw_response_body, self.response_masking)

    @property
    def size(self) -> int:
        """About how many bytes the entry holds (what the journal's byte budget counts)."""
        kept_response = 0 if self.response_body_size is not None else self.response_bytes
        return len(self.raw_request_body) + kept_response + ENTRY_OVERHEAD

    def summary(self) -> dict:
        """The entry without its headers and bodies: what a live list (the dashboard) shows.

        It leaves out the costly part (masking, the bodies) so that a feed polled every
        second stays cheap; ``GET /__mock/requests/<id>`` gives the whole entry.
        """
        out = {
            "id": self.id, "time": iso(self.time, millis=True), "api": self.api, "operation": self.operation,
            "method": self.method, "path": self.path, "status": self.status,
            "durationMs": round(self.duration_ms, 3),
            "violations": [v.as_dict() if hasattr(v, "as_dict") else v for v in self.violations],
        }
        if self.fault is not None:
            out["fault"] = self.fault
        if self.unmatched is not None:
            out["unmatched"] = self.unmatched
        return out

    def as_dict(self) -> dict:
        """The entry as the control API shows it: the summary, with the query, headers and
        bodies (masked)."""
        return {**self.summary(), "query": mask_query(self.query),
                "request": {"headers": self.request_headers, "body": self.request_body},
                "response": {"headers": mask_headers(self.response_headers), "body": self.response_body}}

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
        return parse_timestamp(str(value), naive_is_utc=True)
    except ValueError as exc:
        raise ValueError(f"since must be an entry id or an ISO 8601 time, got {value!r}") from exc


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


def _not_kept(size: int, content_type: str) -> dict:
    return {"notKept": True, "bytes": size, "contentType": content_type or None,
            "why": f"bodies over {BODY_KEEP // 1024} KiB are kept as their size only"}


class Journal:
    """A thread-safe ring buffer of the last `size` requests, holding at most `max_bytes`.

    The oldest entries go first, when there are `size` of them or their bodies pass the
    byte budget; a body over BODY_KEEP is never kept (its entry says its size), so no
    client can fill the memory with big bodies.
    """

    def __init__(self, size: int = 1000, max_bytes: int = JOURNAL_BYTES):
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: deque[Entry] = deque()
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
        """Keep one entry; the oldest fall out past `size` entries or `max_bytes`."""
        if not self.enabled:
            return
        if len(entry.raw_request_body) > BODY_KEEP:
            entry.request_body_size, entry.raw_request_body = len(entry.raw_request_body), b""
        if entry.response_bytes > BODY_KEEP:
            entry.response_body_size, entry.raw_response_body = entry.response_bytes, None
        with self._lock:
            # Ids rise along the buffer (`since` scans back from the end and stops at an older
            # id): an entry of a thread that took its id earlier but finished later moves up.
            if self._entries and entry.id <= self._entries[-1].id:
                entry.id = self._entries[-1].id + 1
            self._entries.append(entry)
            self.bytes += entry.size
            while self._entries and (len(self._entries) > self.size or self.bytes > self.max_bytes):
                self.bytes -= self._entries.popleft().size

    def select(self, matcher: "Matcher", limit: int | None = None) -> list[Entry]:
        """Matching entries, oldest first (the last `limit` of them when given).

        With ``since=<id>`` (a live feed's poll) only the entries after that id are looked
        at, walking back from the newest: a poll costs what is new, not the whole journal.
        """
        with self._lock:
            if isinstance(matcher.since, int):
                newer = list(itertools.takewhile(lambda e: e.id > matcher.since, reversed(self._entries)))
                found = [e for e in reversed(newer) if matcher(e)]
            else:
                found = [e for e in self._entries if matcher(e)]
        return found[-limit:] if limit else found

    def get(self, entry_id: int) -> Entry | None:
        """The entry with this id, if the journal still holds it."""
        with self._lock:
            for entry in reversed(self._entries):
                if entry.id == entry_id:
                    return entry
                if entry.id < entry_id:
                    return None
        return None

    def page(self, matcher: "Matcher", first: int) -> tuple[list[Entry], bool]:
        """The first `first` matching entries, oldest first, and whether more match."""
        found: list[Entry] = []
        with self._lock:
            for entry in self._entries:
                if matcher(entry):
                    if len(found) == first:
                        return found, True
                    found.append(entry)
        return found, False

    def count(self, matcher: Matcher) -> int:
        """How many entries match."""
        with self._lock:
            return sum(1 for e in self._entries if matcher(e))

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)
