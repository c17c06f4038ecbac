"""AWX: credentials created under a user, found by name in the global list, changed and
deleted at the url they carry; OPTIONS describes what a create takes (awxkit's needs).

A flow of its own, because the derived one cannot follow AWX's paths: a credential is
created and listed under ``/users/{id}/credentials/`` but read, changed and deleted at
``/credentials/{id}/``, so the generic engine sees two resources, neither of which it can
both create and read. The user to work under is the spec's parent (``--parent user=ID``,
else the ``example`` of the ``userId`` parameter).
"""

from __future__ import annotations

from .. import drifts
from ..flow import Flow
from ..negative import MISSING_INTEGER


def machine_type(flow: Flow) -> int | None:
    """The id of the "Machine" credential type (ids differ between installations)."""
    exchange = flow.call("listCredentialTypes", query={"page_size": 200})
    flow.expect_status(exchange, 200)
    for row in exchange.member("results", default=[]):
        if row.get("name") == "Machine" or row.get("namespace") == "ssh":
            return row.get("id")
    return None


def find_in_list(flow: Flow, user, credential_id) -> bool:
    """Is the credential on the user's list? Follows ``next`` page by page."""
    query: dict | None = {"page_size": 200}
    for page in range(1, 100):
        exchange = flow.call("listUserCredentials", path={"id": user}, query={**(query or {}), "page": page})
        flow.expect_status(exchange, 200)
        if any(row.get("id") == credential_id for row in exchange.member("results", default=[])):
            return True
        if not exchange.member("next"):
            return False
    return False


def run(flow: Flow) -> None:
    """Create a Machine credential for the user, find it, PATCH it, DELETE it."""
    user = flow.option("user")
    secret, name = flow.secret(), flow.name()
    created, cancel_cleanup = None, None
    kind = None

    with flow.check("the Machine credential type is listed"):
        kind = machine_type(flow)
        flow.expect(kind is not None, drifts.WRONG_CONTENT, "no credential type named Machine (namespace ssh)")

    with flow.check("create a Machine credential: 201, a Location header, the password $encrypted$"):
        flow.require(kind, "the Machine credential type")
        exchange = flow.call("createUserCredential", path={"id": user},
                             body={"name": name, "credential_type": kind,
                                   "inputs": {"username": "verify", "password": secret}})
        created = exchange.member("id") if 200 <= exchange.status < 300 else None
        if created is not None:  # whatever else is wrong, what was made is unmade at the end
            cancel_cleanup = flow.cleanup(f"credential {created}", lambda: flow.call(
                "deleteCredential", path={"id": created}))
        flow.expect_status(exchange, 201)
        flow.expect(isinstance(created, int), drifts.WRONG_TYPE, f"the new id is {created!r}, not an integer")
        flow.expect(exchange.member("inputs", "password") == "$encrypted$", drifts.SECRET_IN_CLEAR,
                    "the password input did not come back as $encrypted$")

    with flow.check("the user's list shows the new credential"):
        flow.require(created, "the created credential")
        flow.expect(find_in_list(flow, user, created), drifts.NOT_PERSISTED, f"{created} is not on user {user}'s list")

    with flow.check("the global list finds it by name (?name=), as awxkit looks names up"):
        flow.require(created, "the created credential")
        exchange = flow.call("listCredentials", query={"name": name})
        flow.expect_status(exchange, 200)
        ids = [row.get("id") for row in exchange.member("results", default=[])]
        flow.expect(ids == [created], drifts.WRONG_CONTENT, f"?name= listed {ids}, expected [{created}]")

    with flow.check("OPTIONS on the credential list describes what a create takes"):
        exchange = flow.call("describeCredentials")
        flow.expect_status(exchange, 200)
        fields = exchange.member("actions", "POST", default={}) or {}
        flow.expect((fields.get("name") or {}).get("required") is True
                    and (fields.get("credential_type") or {}).get("type") == "id", drifts.WRONG_CONTENT,
                    "actions.POST does not say name is required and credential_type an id")

    with flow.check("get returns the credential as created"):
        flow.require(created, "the created credential")
        exchange = flow.call("getCredential", path={"id": created})
        flow.expect_status(exchange, 200)
        flow.expect(exchange.member("name") == name, drifts.NOT_PERSISTED, f"name is {exchange.member('name')!r}")

    renamed = name + " (renamed)"
    with flow.check("PATCH answers 200 with the new name"):
        flow.require(created, "the created credential")
        exchange = flow.call("partialUpdateCredential", path={"id": created}, body={"name": renamed})
        flow.expect_status(exchange, 200)

    with flow.check("the update is visible"):
        flow.require(created, "the created credential")
        exchange = flow.call("getCredential", path={"id": created})
        flow.expect(exchange.member("name") == renamed, drifts.NOT_PERSISTED,
                    f"name is {exchange.member('name')!r} after the update")

    with flow.check("DELETE answers 204, then the credential is gone"):
        flow.require(created, "the created credential")
        flow.expect_status(flow.call("deleteCredential", path={"id": created}), 204)
        cancel_cleanup()
        flow.expect_gone("getCredential", path={"id": created})


def unknown_ids(flow: Flow) -> list:
    """A credential and a user nobody created."""
    return [("getCredential", {"path": {"id": MISSING_INTEGER}}),
            ("deleteCredential", {"path": {"id": MISSING_INTEGER}}),
            ("listUserCredentials", {"path": {"id": MISSING_INTEGER}})]
