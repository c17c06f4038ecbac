"""Apinizer: credentials named by username, an upsert, a password change, proxy access.

A flow of its own, because the derived one cannot follow Apinizer's paths: there is no GET
of one credential (it is read in the project's list), and the update is a PUT upsert on
the collection path. The project to work under is the spec's parent (``--parent
project=NAME``, else the ``example`` of ``projectName``); the proxy it grants access to
is the first item of the spec's ``grantCredentialAccess`` example.
"""

from __future__ import annotations

import secrets as random_tokens

from .. import drifts
from ..flow import Flow


def adapt_example(flow: Flow, operation_id: str, body):
    """Examples name a fixed username; a fresh one keeps the checks from touching data."""
    if isinstance(body, dict) and "username" in body:
        body["username"] = f"mockserver-verify-{random_tokens.token_hex(4)}"
    return body


def a_proxy(flow: Flow) -> dict:
    """The proxy to grant access to: the first the spec's grant example names."""
    example = flow.spec.operation("grantCredentialAccess").body.examples[0]
    return dict(example[0])


def listed(flow: Flow) -> dict[str, dict]:
    """The project's credentials by username."""
    exchange = flow.call("listCredentials", path={"projectName": flow.option("project")})
    flow.expect_status(exchange, 200)
    return {row.get("username"): row for row in exchange.member("resultList", default=[]) if isinstance(row, dict)}


def run(flow: Flow) -> None:
    """Create, list, upsert, change the password, grant and revoke access, delete."""
    project = flow.option("project")
    username = f"mockserver-verify-{random_tokens.token_hex(4)}"
    path, item = {"projectName": project}, {"projectName": project, "username": username}
    created, cancel_cleanup = False, None
    access = [a_proxy(flow)]

    with flow.check("create a credential: 200 SUCCESS"):
        exchange = flow.call("createCredential", path=path, body={
            "username": username, "password": flow.secret(), "fullName": "Mockserver Verify",
            "email": "verify@example.com", "enabled": True, "ipList": ["192.0.2.1"]})
        if 200 <= exchange.status < 300:  # whatever else is wrong, what was made is unmade at the end
            cancel_cleanup = flow.cleanup(f"credential {username} of {project}",
                                          lambda: flow.call("deleteCredential", path=item))
        flow.expect_status(exchange, 200)
        created = True

    with flow.check("the list shows the new credential, without its password"):
        flow.require(created or None, "the created credential")
        row = listed(flow).get(username)
        flow.expect(row is not None, drifts.NOT_PERSISTED, f"{username} is not listed in {project}")
        flow.expect("password" not in row, drifts.SECRET_IN_CLEAR, "the list shows a password")

    with flow.check("PUT updates the credential with that username: 200"):
        flow.require(created or None, "the created credential")
        exchange = flow.call("upsertCredential", path=path, body={"username": username, "fullName": "Renamed"})
        flow.expect_status(exchange, 200)

    with flow.check("the update is visible in the list"):
        flow.require(created or None, "the created credential")
        row = listed(flow).get(username, {})
        flow.expect(row.get("fullName") == "Renamed", drifts.NOT_PERSISTED, f"fullName is {row.get('fullName')!r}")

    with flow.check("PATCH changes the password: 200"):
        flow.require(created or None, "the created credential")
        flow.expect_status(flow.call("changeCredentialPassword", path=item, body={"password": flow.secret()}), 200)

    with flow.check("grant access to a proxy, then it is listed"):
        flow.require(created or None, "the created credential")
        flow.expect_status(flow.call("grantCredentialAccess", path=item, body=access), 200)
        exchange = flow.call("listCredentialAccess", path=item)
        flow.expect_status(exchange, 200)
        flow.expect(access[0] in exchange.member("resultList", default=[]), drifts.NOT_PERSISTED,
                    f"{access[0]} is not in the access list after the grant")

    with flow.check("revoke the access, then it is gone"):
        flow.require(created or None, "the created credential")
        flow.expect_status(flow.call("revokeCredentialAccess", path=item, body=access), 200)
        exchange = flow.call("listCredentialAccess", path=item)
        flow.expect(access[0] not in exchange.member("resultList", default=[]), drifts.NOT_PERSISTED,
                    "the access is still listed after the revoke")

    with flow.check("delete answers 200, then the credential is gone from the list"):
        flow.require(created or None, "the created credential")
        flow.expect_status(flow.call("deleteCredential", path=item), 200)
        cancel_cleanup()
        flow.expect(username not in listed(flow), drifts.NOT_PERSISTED, f"{username} is still listed after delete")


def unknown_ids(flow: Flow) -> list:
    """A username nobody created, and a project that does not exist."""
    project = flow.option("project")
    nobody = {"projectName": project, "username": f"mockserver-verify-nobody-{random_tokens.token_hex(3)}"}
    return [("deleteCredential", {"path": nobody}),
            ("changeCredentialPassword", {"path": nobody, "body": {"password": "x"}}),
            ("listCredentials", {"path": {"projectName": f"mockserver-verify-{random_tokens.token_hex(3)}"}})]
