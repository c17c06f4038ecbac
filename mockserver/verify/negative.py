"""Negative checks derived from the spec, the same for every API.

- **No credentials**: every operation that requires some gets a documented 401/403.
- **A required member missing**: every request body with required members, sent with
  the first of them left out, gets a documented 4xx (not a 401/403, unless the operation
  takes no credentials, as a login).
- **An unknown id**: each request the derived flow or the API's flow module names (an id
  nobody created) gets a documented 404 or 400.

Path parameters, query parameters and bodies come from the API's checks (`runner.ApiFlow`:
the parents in use, the spec's own request examples); an id that names nothing is used
for item operations, so a server that forgets its checks cannot touch real data.
"""

from __future__ import annotations

from . import drifts
from .flow import Flow

MISSING_ULID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
MISSING_INTEGER = 2147480000
MISSING_TEXT = "mockserver-verify-missing"


def placeholder(schema: dict):
    """A value of the parameter's type that names nothing (for item operations)."""
    if schema.get("type") == "integer":
        return MISSING_INTEGER
    pattern = schema.get("pattern", "")
    if "0-9A-HJKMNP-TV-Z" in pattern:  # a ULID
        return MISSING_ULID
    if schema.get("format") == "uuid":
        return "00000000-0000-4000-8000-000000000000"
    return MISSING_TEXT


def needs_credentials(operation) -> bool:
    """True when no requirement of the operation is empty (anonymous access)."""
    return bool(operation.security) and all(requirement for requirement in operation.security)


def check_auth(flow: Flow, checks) -> None:
    """Every operation that needs credentials refuses a request without them."""
    for operation in flow.spec.operations:
        if not needs_credentials(operation):
            continue
        with flow.check(f"{operation.operation_id}: no credentials is refused with 401/403"):
            exchange = flow.call(operation.operation_id, path=checks.sample_path(flow, operation),
                                 query=checks.sample_query(flow, operation),
                                 body=checks.sample_body(flow, operation), auth=False)
            flow.expect(exchange.status in (401, 403), drifts.MISSING_AUTH,
                        f"{operation.method} {exchange.url} answered {exchange.status} without credentials, "
                        f"expected 401 or 403")


def check_required_members(flow: Flow, checks) -> None:
    """Every body with required members refuses one without the first of them."""
    for operation in flow.spec.operations:
        body = checks.sample_body(flow, operation)
        required = operation.body.schema().get("required") if operation.body else None
        if not isinstance(body, dict) or not required:
            continue
        member = next((m for m in required if m in body), required[0])
        body.pop(member, None)
        with flow.check(f"{operation.operation_id}: a body without {member!r} is refused"):
            exchange = flow.call(operation.operation_id, path=checks.sample_path(flow, operation),
                                 query=checks.sample_query(flow, operation), body=body)
            # A 401/403 would be about credentials, unless the operation takes none (a login
            # may well answer a missing member with its own 401 or 403).
            documented = {s for s in operation.documented_statuses() if 400 <= s < 500} - (
                {401, 403} if needs_credentials(operation) else set())
            flow.expect_documented_error(exchange, documented or {400, 422}, drifts.INPUT_ACCEPTED,
                                         f"without {member!r}")


def check_unknown_ids(flow: Flow, checks) -> None:
    """Requests for things nobody created get the documented 404/400."""
    for operation_id, request in checks.unknown_ids(flow):
        operation = flow.spec.operation(operation_id)
        with flow.check(f"{operation_id}: an unknown id is {'/'.join(map(str, _not_found(operation)))}"):
            exchange = flow.call(operation_id, **request)
            flow.expect_documented_error(exchange, set(_not_found(operation)), drifts.WRONG_STATUS,
                                         "an unknown id")


def _not_found(operation) -> list[int]:
    documented = set(operation.documented_statuses())
    return sorted(documented & {404, 400}) or [404]


def run(flow: Flow, checks) -> None:
    """All negative checks of one API (`checks`: its `runner.ApiFlow`)."""
    check_auth(flow, checks)
    check_required_members(flow, checks)
    check_unknown_ids(flow, checks)
