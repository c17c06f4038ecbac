"""PDNS Manager: a record's credentials, integer ids, a 204 for updates and deletes."""

from __future__ import annotations

from .. import drifts
from ..flow import Flow
from ..negative import MISSING_INTEGER

DEFAULTS = {"record": 2}
PATH_PARENTS = {"recordId": "record"}


def login(flow: Flow) -> None:
    """With --user/--password, log in (POST /sessions) and use the session token."""
    user, password = flow.target.credentials.username, flow.target.credentials.password
    if not user:
        return
    with flow.check("log in with POST /sessions"):
        exchange = flow.call("createSession", body={"username": user, "password": password}, auth=False)
        flow.expect_status(exchange, 201)
        flow.target.credentials.token = flow.require(exchange.member("token"), "a session token")


def run(flow: Flow) -> None:
    """Create a password credential, see it listed and fetched, change it, delete it."""
    record = flow.option("record")
    path = {"recordId": record}
    secret, name = flow.secret(), flow.name()
    created, cancel_cleanup = None, None

    with flow.check("create a password credential: 201 with an integer id, no password"):
        exchange = flow.call("createCredential", path=path,
                             body={"description": name, "type": "password", "password": secret})
        created = exchange.member("id") if 200 <= exchange.status < 300 else None
        if created is not None:  # whatever else is wrong, what was made is unmade at the end
            cancel_cleanup = flow.cleanup(f"credential {created} of record {record}", lambda: flow.call(
                "deleteCredential", path={**path, "credentialId": created}))
        flow.expect_status(exchange, 201)
        flow.expect(isinstance(created, int), drifts.WRONG_TYPE, f"the new id is {created!r}, not an integer")
    item = {**path, "credentialId": created}

    with flow.check("the list shows the new credential"):
        flow.require(created, "the created credential")
        exchange = flow.call("listCredentials", path=path)
        flow.expect_status(exchange, 200)
        ids = [row.get("id") for row in exchange.member("results", default=[])]
        flow.expect(created in ids, drifts.NOT_PERSISTED, f"credential {created} is not in the list of record {record}")

    with flow.check("get returns the credential as created"):
        flow.require(created, "the created credential")
        exchange = flow.call("getCredential", path=item)
        flow.expect_status(exchange, 200)
        flow.expect(exchange.member("description") == name, drifts.NOT_PERSISTED,
                    f"description is {exchange.member('description')!r}, not {name!r}")

    renamed = name + " (renamed)"
    with flow.check("update answers 204"):
        flow.require(created, "the created credential")
        flow.expect_status(flow.call("updateCredential", path=item, body={"description": renamed}), 204)

    with flow.check("the update is visible"):
        flow.require(created, "the created credential")
        exchange = flow.call("getCredential", path=item)
        flow.expect(exchange.member("description") == renamed, drifts.NOT_PERSISTED,
                    f"description is still {exchange.member('description')!r} after the update")

    with flow.check("delete answers 204, then the credential is gone"):
        flow.require(created, "the created credential")
        flow.expect_status(flow.call("deleteCredential", path=item), 204)
        cancel_cleanup()
        flow.expect_gone("getCredential", path=item)


def unknown_ids(flow: Flow) -> list:
    """Credential ids nobody created."""
    item = {"recordId": flow.option("record"), "credentialId": MISSING_INTEGER}
    return [("getCredential", {"path": item}),
            ("updateCredential", {"path": item, "body": {"description": "x"}}),
            ("deleteCredential", {"path": item})]
