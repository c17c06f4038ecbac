"""Versori: the derived flow fits (ULID ids, a ``credentials`` envelope, a PUT that takes
the full credential); the extra check is a promise no schema can state: every PUT moves
``updatedAt`` forward."""

from __future__ import annotations

from .. import drifts
from ..flow import Flow


def extras(flow: Flow) -> None:
    """A PUT right after the create still moves ``updatedAt`` strictly forward, and one that
    sends the secret back as ``"<redacted>"`` (keep it) is accepted."""
    path = {"organisation_id": flow.option("organisation")}
    with flow.check("a PUT right after the create moves updatedAt forward"):
        exchange = flow.call("CreateCredential", path=path, body={"name": flow.name(), "type": "string",
                                                                 "data": {"value": flow.secret()}})
        created = exchange.member("id") if 200 <= exchange.status < 300 else None
        item = {**path, "credential_id": created}
        cancel = flow.cleanup(f"credential {created}", lambda: flow.call("DeleteCredential", path=item)) \
            if created is not None else None
        flow.expect_status(exchange, 201)
        stored = flow.require(exchange.body if created is not None else None, "the created credential")
        body = {key: stored[key] for key in ("id", "type", "name", "createdAt", "updatedAt") if key in stored}
        exchange = flow.call("UpdateCredential", path=item, body={**body, "data": {"value": "<redacted>"}})
        flow.expect_status(exchange, 200)
        flow.expect(str(exchange.member("updatedAt")) > str(stored.get("updatedAt")), drifts.WRONG_CONTENT,
                    f"updatedAt went from {stored.get('updatedAt')!r} to {exchange.member('updatedAt')!r}")
        flow.expect_status(flow.call("DeleteCredential", path=item), 204)
        cancel()
