"""Versori: ULID ids, cursor-paged lists, a PUT that takes the full credential."""

from __future__ import annotations

from .. import drifts
from ..flow import Flow
from ..negative import MISSING_ULID

DEFAULTS = {"org": "01J9ZK3B7Q8X2M4N6P0R5S1T3V"}
PATH_PARENTS = {"organisation_id": "org"}


def all_listed(flow: Flow) -> dict[str, dict]:
    """Every credential of the organisation, following the cursors page by page."""
    path, found, cursor = {"organisation_id": flow.option("org")}, {}, None
    for _ in range(200):  # a bound: 200 pages of 100
        query = {"first": 100, **({"after": cursor} if cursor else {})}
        exchange = flow.call("ListCredentials", path=path, query=query)
        flow.expect_status(exchange, 200)
        for row in exchange.member("credentials", default=[]):
            found[row.get("id")] = row
        cursor = exchange.member("next")
        if not cursor:
            break
    return found


def run(flow: Flow) -> None:
    """Create a string credential, page to it, fetch it, rename it (PUT), delete it."""
    org = flow.option("org")
    path = {"organisation_id": org}
    secret, name = flow.secret(), flow.name()
    created, cancel_cleanup, stored = None, None, None

    with flow.check("create a string credential: 201 with a ULID, secret redacted"):
        exchange = flow.call("CreateCredential", path=path, body={"name": name, "type": "string",
                                                                 "data": {"value": secret}})
        created = exchange.member("id") if 200 <= exchange.status < 300 else None
        if created is not None:  # whatever else is wrong, what was made is unmade at the end
            cancel_cleanup = flow.cleanup(f"credential {created} of {org}", lambda: flow.call(
                "DeleteCredential", path={**path, "credential_id": created}))
        flow.expect_status(exchange, 201)
        flow.expect(isinstance(created, str) and len(created) == 26, drifts.WRONG_TYPE,
                    f"the new id {created!r} is not a ULID")
    item = {**path, "credential_id": created}

    with flow.check("the list shows the new credential"):
        flow.require(created, "the created credential")
        flow.expect(created in all_listed(flow), drifts.NOT_PERSISTED, f"{created} is not listed in {org}")

    with flow.check("get returns the credential as created"):
        flow.require(created, "the created credential")
        exchange = flow.call("GetCredential", path=item)
        flow.expect_status(exchange, 200)
        stored = exchange.body
        flow.expect(exchange.member("name") == name, drifts.NOT_PERSISTED, f"name is {exchange.member('name')!r}")

    renamed = name + " (renamed)"
    with flow.check("PUT with the full credential answers 200 with updatedAt moved on"):
        flow.require(stored, "the fetched credential")
        body = {key: stored[key] for key in ("id", "type", "name", "createdAt", "updatedAt") if key in stored}
        body.update(name=renamed, data={"value": secret})
        exchange = flow.call("UpdateCredential", path=item, body=body)
        flow.expect_status(exchange, 200)
        flow.expect(str(exchange.member("updatedAt")) > str(stored.get("updatedAt")), drifts.WRONG_CONTENT,
                    "updatedAt did not move forward")

    with flow.check("the update is visible"):
        flow.require(stored, "the fetched credential")
        exchange = flow.call("GetCredential", path=item)
        flow.expect(exchange.member("name") == renamed, drifts.NOT_PERSISTED,
                    f"name is {exchange.member('name')!r} after the update")

    with flow.check("delete answers 204, then the credential is gone"):
        flow.require(created, "the created credential")
        flow.expect_status(flow.call("DeleteCredential", path=item), 204)
        cancel_cleanup()
        flow.expect_gone("GetCredential", path=item)


def unknown_ids(flow: Flow) -> list:
    """A credential id nobody created."""
    item = {"organisation_id": flow.option("org"), "credential_id": MISSING_ULID}
    return [("GetCredential", {"path": item}), ("DeleteCredential", {"path": item})]
