"""PDNS Manager: record credentials with the backend's own order of checks.

What no schema can say, from the document and api-notes.md:

- errors are ``{"error": "..."}``; a missing or unknown session is a 403, not a 401;
- a session's token is 86 characters of base64url; after ``DELETE /sessions/{token}`` or
  ``--session-timeout`` seconds after its login it is refused (403 invalid_session), even
  where any other token is accepted;
- create and update check, in this order: empty body 400, missing field 422, permission
  403, bad type 400, invalid PEM key 400 (the spec's ``format: pem-public-key``, read
  from the violations), unknown record / credential 404;
- non-admins may only touch records of domains they hold a permission for, and for them
  a missing record is a 403;
- passwords are never returned (the response schemas do not list them); paging
  (``paging.total`` counts pages) is declared in the spec.
"""

from __future__ import annotations

import secrets
import time

from ..messages import Reply
from ..store import ApiData
from .base import ApiBehavior, OperationContext, Principal, handles

EMPTY_BODY = "The supplied body was empty"
MISSING_FIELD = "One of the required fields is missing"
NO_PERMISSION = "You have no permissions for the given record."
INVALID_TYPE = "The type is invalid."
INVALID_KEY = "The provided key is invalid."
NO_MATCHING_CREDENTIAL = "No matching credential found."


def key_refused(ctx: OperationContext) -> bool:
    """Is the body's ``key`` not a PEM public key or certificate? (The spec declares
    ``format: pem-public-key``; the validators checked it, here it is only read.)"""
    return any(v.keyword == "format" and v.pointer == "/key" for v in ctx.violations)


class Behavior(ApiBehavior):
    """PDNS Manager's record-credential endpoints."""

    api_id = "pdnsmanager"

    def authenticate(self, credential, data: ApiData) -> Principal:
        """A live session acts as its user; other tokens follow the scenario (see base)."""
        session = data["sessions"].get(credential.token)
        if session is None:
            return super().authenticate(credential, data)
        timeout = data.settings.get("session_timeout", 3600.0)
        if session.get("ended") or time.time() - session.get("created", time.time()) > timeout:
            raise self.credential_refused(credential)  # logged out or expired: never "any token"
        user = data["users"].find(name=session["username"])
        if user is None:  # the data set changed under a live session
            raise self.credential_refused(credential)
        return self._principal_of(user)

    def default_principal(self, credential, data: ApiData) -> Principal:
        return Principal(name="admin", admin=True)

    def principal_for(self, grant, data: ApiData) -> Principal:
        """A declared token acts as its ``user`` (a user name), whose type and permissions count."""
        if grant.user is not None:
            user = data["users"].find(name=grant.user)
            if user is not None:
                return self._principal_of(user)
        return Principal(name=grant.label, admin=grant.role == "admin", attributes={"domains": frozenset()})

    @staticmethod
    def _principal_of(user: dict) -> Principal:
        return Principal(name=user["name"], admin=user["type"] == "admin", id=user["id"],
                         attributes={"domains": frozenset(user.get("permissions") or ())})

    # --- shared checks, in the backend's order --------------------------------------------
    def _require_body(self, ctx: OperationContext) -> dict:
        if any(v.keyword in ("parse", "content-type") for v in ctx.violations) \
                or not isinstance(ctx.body, dict) or not ctx.body:
            raise ctx.fail(400, EMPTY_BODY)
        return ctx.body

    def _require_fields(self, ctx: OperationContext) -> None:
        if any(v.keyword == "required" and v.location == "body" for v in ctx.violations):
            raise ctx.fail(422, MISSING_FIELD)

    def _require_permission(self, ctx: OperationContext, record_id: int,
                            message: str = NO_PERMISSION) -> dict | None:
        """The record when the caller may touch it; 403 otherwise (and for non-admins, if missing)."""
        record = ctx.data["records"].get(record_id)
        principal = ctx.principal
        if principal.admin:
            return record
        if record is None or record["domain"] not in principal.attributes.get("domains", ()):
            raise ctx.fail(403, message)
        return record

    def _require_valid_values(self, ctx: OperationContext, body: dict) -> None:
        for v in ctx.violations:
            if v.pointer == "/type":
                raise ctx.fail(400, INVALID_TYPE)
        others = [v for v in ctx.violations if not (v.keyword == "format" and v.pointer == "/key")]
        if others:  # the backend stops at its first complaint
            raise ctx.fail(400, self.describe(others[:1]))
        if body.get("type") == "key" and key_refused(ctx):
            raise ctx.fail(400, INVALID_KEY)

    # --- sessions -------------------------------------------------------------------------
    @handles("createSession")
    def create_session(self, ctx: OperationContext) -> Reply:
        """Log a user of the data set in; wrong types fail like wrong passwords [mock]."""
        body = self._require_body(ctx)
        self._require_fields(ctx)
        username = self._login(ctx, body)
        token = secrets.token_urlsafe(64)  # base64url of 64 random bytes, unpadded: 86 characters
        ctx.data["sessions"].add({"token": token, "username": username, "created": time.time()})
        return Reply(201, {"username": body["username"], "token": token})

    @handles("deleteSession")
    def delete_session(self, ctx: OperationContext) -> Reply:
        """Log out: the session ends, and its token is an invalid session from then on."""
        session = ctx.data["sessions"].get(ctx.path["token"])
        if session is None or session.get("ended"):
            raise ctx.fail(404, "Session not found")
        ctx.data["sessions"].update(session["token"], ended=True)
        return Reply(204)

    def _login(self, ctx: OperationContext, body: dict) -> str:
        """The user name a username and password log in as, or 403.

        A user of the data set logs in with its own password; a scenario may also declare
        ``auth.users``, which log in as the PDNS user their ``user`` names.
        """
        if not ctx.violations:
            user = ctx.data["users"].find(name=body["username"])
            if user is not None and user.get("password") == body["password"]:
                return user["name"]
            grant = ctx.data.access.login(body["username"], body["password"]) if ctx.data.access else None
            if grant is not None and ctx.data["users"].find(name=grant.user or body["username"]):
                return grant.user or body["username"]
        raise ctx.fail(403, "Username or password is invalid")

    # --- credentials ----------------------------------------------------------------------
    @handles("listCredentials")
    def list_credentials(self, ctx: OperationContext) -> Reply:
        self._require_permission(ctx, ctx.path["recordId"])
        return self.listing(ctx, "credentials", ("record", ctx.path["recordId"]))

    @handles("createCredential")
    def create_credential(self, ctx: OperationContext) -> Reply:
        body = self._require_body(ctx)
        self._require_fields(ctx)
        record_id = ctx.path["recordId"]
        record = self._require_permission(ctx, record_id)
        self._require_valid_values(ctx, body)
        if record is None:
            ctx.named("recordId")  # the declared 404
        entity = {"record": record_id, "description": body["description"], "type": body["type"]}
        entity[body["type"]] = body[body["type"]]
        stored = ctx.data["credentials"].add(entity)
        return Reply(201, self.shown(ctx, stored))

    @handles("getCredential")
    def get_credential(self, ctx: OperationContext) -> Reply:
        self._require_permission(ctx, ctx.path["recordId"])
        credential = self._credential_of_record(ctx)
        return Reply(200, self.shown(ctx, credential))

    @handles("updateCredential")
    def update_credential(self, ctx: OperationContext) -> Reply:
        body = self._require_body(ctx)
        self._require_fields(ctx)
        self._require_permission(ctx, ctx.path["recordId"])
        self._require_valid_values(ctx, body)
        credential = self._credential_of_record(ctx)
        changed = {k: body[k] for k in ("description", "type", "key", "password") if k in body}
        final_type = changed.get("type", credential["type"])
        if final_type == "key" and key_refused(ctx):  # a key sent for a stored key credential
            raise ctx.fail(400, INVALID_KEY)
        updated = {**credential, **changed}
        updated.pop("password" if final_type == "key" else "key", None)  # one kind of secret only
        ctx.data["credentials"].put(updated)
        return Reply(204)

    @handles("deleteCredential")
    def delete_credential(self, ctx: OperationContext) -> Reply:
        record_id, credential_id = ctx.path["recordId"], ctx.path["credentialId"]
        self._require_permission(ctx, record_id, "You have no permission for this record")
        credential = ctx.data["credentials"].get(credential_id)
        if credential is None or credential["record"] != record_id:
            raise ctx.fail(404, f"No credential found for id {credential_id}")
        ctx.data["credentials"].remove(credential_id)
        return Reply(204)

    def _credential_of_record(self, ctx: OperationContext) -> dict:
        credential = ctx.data["credentials"].get(ctx.path["credentialId"])
        if credential is None or credential["record"] != ctx.path["recordId"]:
            raise ctx.fail(404, NO_MATCHING_CREDENTIAL)
        return credential
