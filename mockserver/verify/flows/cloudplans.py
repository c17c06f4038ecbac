"""CloudPlans: everything is a POST with org_id in the body; create answers no id.

A flow of its own, because the derived one finds nothing to follow: every operation is a
POST to its own action path (``.../create``, ``.../update``, ``.../remove``, plus a GET
``.../list``), so no path is a collection or an item, and the create answers no id (the
flow finds its credential by name in the list). The organization to work under is the
spec's parent (``--parent organization=ID``, else the ``example`` of ``org_id``); the
spec's ``x-mock-names`` also puts it into every ``org_id`` the negative checks send.
"""

from __future__ import annotations

from .. import drifts
from ..flow import Flow
from ..negative import placeholder

def listed(flow: Flow) -> dict[str, dict]:
    """The organization's credentials by id."""
    exchange = flow.call("listCredentials", query={"org_id": flow.option("organization"),
                                                   "action": "list_credentials"})
    flow.expect_status(exchange, 200)
    return {row.get("id"): row for row in exchange.member("credentials", default=[]) if isinstance(row, dict)}


def run(flow: Flow) -> None:
    """Create an AWS credential, find it by listing, rename it, remove it."""
    org = flow.option("organization")
    name, role = flow.name(), "arn:aws:iam::123456789012:role/" + flow.secret("verify-role")
    created, cancel_cleanup = None, None

    with flow.check("create an AWS credential: 200 \"Credential created\""):
        exchange = flow.call("addCredential", query={"action": "add_credential"},
                             body={"org_id": org, "type": "aws", "name": name, "specific": {"role": role},
                                   "comments": "made by mockserver verify"})
        flow.expect_status(exchange, 200)
        flow.expect(exchange.member("status") == 200, drifts.WRONG_CONTENT,
                    f"the body's status is {exchange.member('status')!r}, not 200")

    with flow.check("the list shows the new credential (create answers no id: found by name)"):
        matches = [cid for cid, row in listed(flow).items() if row.get("name") == name]
        flow.expect(len(matches) == 1, drifts.NOT_PERSISTED, f"{len(matches)} credentials named {name!r} listed")
        created = matches[0]
        cancel_cleanup = flow.cleanup(f"credential {created} of {org}", lambda: flow.call(
            "removeCredential", query={"action": "remove_credential"},
            body={"org_id": org, "credential_id": created}))
        flow.expect(listed(flow)[created].get("resources") == 0, drifts.WRONG_CONTENT,
                    "a new credential has not discovered any resources yet (resources: 0)")

    renamed = name + " (renamed)"
    with flow.check("update answers 200 \"Credential updated\""):
        flow.require(created, "the created credential")
        exchange = flow.call("updateCredential", query={"action": "update_credential"},
                             body={"org_id": org, "credential_id": created,
                                   "data": {"name": renamed, "comments": "renamed by mockserver verify"},
                                   "reason": "verification"})
        flow.expect_status(exchange, 200)

    with flow.check("the update is visible in the list"):
        flow.require(created, "the created credential")
        row = listed(flow).get(created, {})
        flow.expect(row.get("name") == renamed, drifts.NOT_PERSISTED, f"name is {row.get('name')!r} after the update")

    with flow.check("remove answers 200, then the credential is gone from the list"):
        flow.require(created, "the created credential")
        exchange = flow.call("removeCredential", query={"action": "remove_credential"},
                             body={"org_id": org, "credential_id": created, "comments": "verification done"})
        flow.expect_status(exchange, 200)
        cancel_cleanup()
        flow.expect(created not in listed(flow), drifts.NOT_PERSISTED, f"{created} is still listed after remove")


def unknown_ids(flow: Flow) -> list:
    """A credential id nobody created, for update and remove."""
    missing = placeholder({"format": "uuid"})
    org = flow.option("organization")
    return [("removeCredential", {"body": {"org_id": org, "credential_id": missing}}),
            ("updateCredential", {"body": {"org_id": org, "credential_id": missing, "data": {"name": "x"}}})]
