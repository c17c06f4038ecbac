"""PDNS Manager: the derived flow fits (a record's credentials; integer ids; a PUT and a
DELETE that answer 204; a password that is writeOnly, so the flow checks that it never
comes back). What the spec cannot say is how to log in."""

from __future__ import annotations

from ..flow import Flow


def login(flow: Flow) -> None:
    """With --username/--password, log in (POST /sessions) and use the session token."""
    user, password = flow.target.credentials.username, flow.target.credentials.password
    if not user:
        return
    with flow.check("log in with POST /sessions"):
        exchange = flow.call("createSession", body={"username": user, "password": password}, auth=False)
        flow.expect_status(exchange, 201)
        flow.target.credentials.token = flow.require(exchange.member("token"), "a session token")
