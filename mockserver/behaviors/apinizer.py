"""Apinizer API Manager: project credentials and their API proxy access.

What no schema can say, from the document, api-notes.md and the lead's decisions:

- every error is ``{"error": "<code>", "error_description": "<text>"}``, routing and
  transport errors included; a missing token is a 401 ``unauthorized_client``;
- the token is the bare ``Authorization`` value or ``Bearer <token>`` (any non-empty one,
  unless the scenario declares its tokens: then any other is a 401 "Invalid access token");
- a declared ``admin`` token may use every project; a ``user`` token only the projects of
  its ``scope``: any other (``admin`` included unless listed) answers exactly as a
  missing project does, the 404 "Project(X) was not found or user does not have
  privilege to access it!" (an invalid body is a 400 first, as for a missing project);
- project ``admin`` is global: its list shows every credential of every project, a
  credential created there is global, and from it every credential and proxy is visible;
  an ordinary project sees only its own (a global credential included: it is not seen);
- usernames are unique across all projects; a taken one answers "There is already a
  credential has this name!", also when PUT meets a credential it cannot see;
- PUT is an upsert: it replaces only the members sent, and needs a password only when it
  creates; ``null`` clears an optional member (and is ignored on create);
- ``enabled`` arrives as a boolean or as "true"/"false" and is stored as a boolean;
- an unknown credential is a 400 "Credential (username: X) was not found!" (a space after
  the colon), while proxy messages have none: "API Proxy (name:X) ...";
- grant and revoke take a bare array or ``{"credentialAccessList": [...]}``; both are
  all-or-nothing; revoking what was never granted succeeds silently;
- an invalid request is worded as Spring's validation does ("Validation failed: ...",
  "JSON parse error: ...", 415 "Content type 'X' not supported"), declared in the spec;
- the password is never returned;
- clients log in with ``POST /apiops/auth/token`` (client credentials, a form body): any
  client, or only a scenario's ``auth.users``; the token acts as that client's grant and
  expires ``--session-timeout`` seconds after it was issued.
"""

from __future__ import annotations

import secrets
import time

from ..auth import Credential
from ..fake import Fake
from ..messages import Reply
from ..store import ApiData
from ..validation import Violation
from .base import ApiBehavior, OperationContext, Principal, handles

ADMIN_PROJECT = "admin"
SUCCESS = {"status": "SUCCESS"}

UNAUTHORIZED = "Full authentication is required to access this resource"
DUPLICATE_USERNAME = "There is already a credential has this name!"

# The optional members of a credential a client may send, in the order the list shows them.
OPTIONAL_FIELDS = ("fullName", "enabled", "ipList", "email", "description", "roleNameList", "expireDate")

TYPE_LABELS = {"API_PROXY": "API Proxy", "API_PROXY_GROUP": "API Proxy Group"}


# --- messages ------------------------------------------------------------------------------
def project_not_found(name: str) -> str:
    """The 404 text for a project that does not exist."""
    return f"Project({name}) was not found or user does not have privilege to access it!"


def credential_not_found(username: str) -> str:
    """The 400 text for a credential the project cannot see (note the space after the colon)."""
    return f"Credential (username: {username}) was not found!"


def proxy_not_found(item: dict) -> str:
    """The 400 text for a proxy (group) the project cannot see."""
    return (f"{TYPE_LABELS[item['type']]} (name:{item['name']}) is not found or user does not have "
            f"privilege to access it!")


def already_granted(username: str, item: dict) -> str:
    """The 400 text for an access the credential already has (no space after the colons)."""
    return f"Credential (username:{username}) has already access to {TYPE_LABELS[item['type']]} (name:{item['name']})!"


# --- values ---------------------------------------------------------------------------------
def as_boolean(value) -> bool:
    """``enabled`` as stored: the document sends the string "true"."""
    return value if isinstance(value, bool) else value == "true"


def access_key(item: dict) -> tuple[str, str]:
    """What identifies a grant: the proxy's name and type."""
    return item["name"], item["type"]


def access_items(body) -> list[dict]:
    """The ``{name, type}`` items of a grant or revoke body, in either of its two forms."""
    items = body["credentialAccessList"] if isinstance(body, dict) else body
    return [{"name": item["name"], "type": item["type"]} for item in items]


def apply_fields(credential: dict, body: dict) -> dict:
    """A copy of `credential` with the body's optional members applied (null clears one).

    ``enabled`` cannot be cleared: a credential is always enabled or not, so a null there
    brings back its default, true (found by Schemathesis: the list requires it).
    """
    updated = dict(credential)
    for name in OPTIONAL_FIELDS:
        if name not in body:
            continue
        value = body[name]
        if value is None:
            if name == "enabled":
                updated[name] = True
            else:
                updated.pop(name, None)
        elif name == "enabled":
            updated[name] = as_boolean(value)
        elif isinstance(value, list):
            updated[name] = list(value)  # never share a list with the request
        else:
            updated[name] = value
    if body.get("password") is not None:
        updated["password"] = body["password"]
    return updated


class Behavior(ApiBehavior):
    """Apinizer's project credential endpoints."""

    api_id = "apinizer"

    # --- the API's error format ---------------------------------------------------------
    def authenticate(self, credential: Credential, data: ApiData) -> Principal:
        """A token, bare or after ``Bearer``; a ``Bearer`` with nothing after it is none."""
        scheme, _, token = credential.token.partition(" ")
        if scheme.lower() == "bearer" and not token.strip():
            raise self.error(401, UNAUTHORIZED, violations=[
                Violation("header", "/authorization", "Bearer without a token", "security")])
        issued = data["tokens"].get(self.token_of(credential))
        if issued is None:
            return super().authenticate(credential, data)
        if time.time() - issued.get("created", time.time()) > data.settings.get("session_timeout", 3600.0):
            raise self.credential_refused(credential)  # expired: as an unknown token
        if data.access is None:
            return self.default_principal(credential, data)
        grant = data.access.user(issued["client_id"])
        if grant is None:  # the scenario changed under a live token
            raise self.credential_refused(credential)
        return self.principal_for(grant, data)

    def token_of(self, credential: Credential) -> str:
        """The token without an optional ``Bearer`` prefix."""
        scheme, _, token = credential.token.partition(" ")
        return token.strip() if scheme.lower() == "bearer" else credential.token

    def default_principal(self, credential: Credential, data: ApiData) -> Principal:
        return Principal(name=self.token_of(credential))

    # --- token login ---------------------------------------------------------------------
    @handles("issueToken")
    def issue_token(self, ctx: OperationContext) -> Reply:
        """Client credentials for a bearer token: any client, or those the scenario declares."""
        body = ctx.body
        if ctx.data.access is not None and ctx.data.access.login(body["client_id"], body["client_secret"]) is None:
            raise self.error(401, "Bad client credentials", code="invalid_client")
        token = secrets.token_urlsafe(32)
        ctx.data["tokens"].add({"access_token": token, "client_id": body["client_id"], "created": time.time()})
        timeout = int(ctx.data.settings.get("session_timeout", 3600))
        return Reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": timeout})

    # --- lookups shared by the handlers -------------------------------------------------
    def _project(self, ctx: OperationContext) -> str:
        """The path's project name; 404 when there is no such project (``admin`` always is)
        or when the caller's token may not use it (a ``user`` token outside its scope)."""
        name = ctx.path["projectName"]
        if not self.in_scope(ctx.principal, name):
            raise ctx.fail(404, project_not_found(name))
        if name != ADMIN_PROJECT and name not in ctx.data["projects"]:
            raise ctx.fail(404, project_not_found(name))
        return name

    @staticmethod
    def _visible(project: str, owner: str) -> bool:
        """Whether something owned by `owner` can be seen from `project`."""
        return project == ADMIN_PROJECT or project == owner

    def _credential(self, ctx: OperationContext, project: str) -> dict:
        """The path's credential as seen from `project`; 400 when it cannot be seen."""
        username = ctx.path["username"]
        credential = ctx.data["credentials"].get(username)
        if credential is None or not self._visible(project, credential["project"]):
            raise ctx.fail(400, credential_not_found(username))
        return credential

    def _require_proxies(self, ctx: OperationContext, project: str, items: list[dict]) -> None:
        """400 for the first item naming no proxy (group) that `project` can see."""
        proxies = ctx.data["proxies"]
        candidates = proxies if project == ADMIN_PROJECT else proxies.where("project", project)
        known = {access_key(p) for p in candidates}
        for item in items:
            if access_key(item) not in known:
                raise ctx.fail(400, proxy_not_found(item))

    # --- credentials --------------------------------------------------------------------
    @handles("listCredentials")
    def list_credentials(self, ctx: OperationContext) -> Reply:
        project = self._project(ctx)
        return self.listing(ctx, "credentials", None if project == ADMIN_PROJECT else ("project", project))

    @handles("createCredential")
    def create_credential(self, ctx: OperationContext) -> Reply:
        project = self._project(ctx)
        body = ctx.body
        if body["username"] in ctx.data["credentials"]:
            raise ctx.fail(400, DUPLICATE_USERNAME)
        ctx.data["credentials"].add(self._new_credential(project, body))
        return Reply(200, dict(SUCCESS))

    @handles("upsertCredential")
    def upsert_credential(self, ctx: OperationContext) -> Reply:
        project = self._project(ctx)
        body = ctx.body
        credentials = ctx.data["credentials"]
        existing = credentials.get(body["username"])
        if existing is None:
            if body.get("password") is None:
                raise ctx.fail(400, self.describe(
                    [Violation("body", "/password", "'password' is a required property", "required")]))
            credentials.add(self._new_credential(project, body))
        elif self._visible(project, existing["project"]):
            credentials.put(apply_fields(existing, body))  # the owning project never changes
        else:
            raise ctx.fail(400, DUPLICATE_USERNAME)
        return Reply(200, dict(SUCCESS))

    @staticmethod
    def _new_credential(project: str, body: dict) -> dict:
        """A credential to store from a create body; ``enabled`` defaults to true."""
        base = {"username": body["username"], "password": body["password"], "project": project,
                "enabled": True}
        return apply_fields(base, body)

    @handles("changeCredentialPassword")
    def change_password(self, ctx: OperationContext) -> Reply:
        project = self._project(ctx)
        credential = self._credential(ctx, project)
        ctx.data["credentials"].update(credential["username"], password=ctx.body["password"])
        return Reply(200, dict(SUCCESS))

    @handles("deleteCredential")
    def delete_credential(self, ctx: OperationContext) -> Reply:
        project = self._project(ctx)
        credential = self._credential(ctx, project)
        ctx.data["credentials"].remove(credential["username"])
        return Reply(200, dict(SUCCESS))

    # --- access -------------------------------------------------------------------------
    @handles("listCredentialAccess")
    def list_access(self, ctx: OperationContext) -> Reply:
        project = self._project(ctx)
        return Reply(200, self.shown(ctx, self._credential(ctx, project)))  # x-mock-view: access

    @handles("grantCredentialAccess")
    def grant_access(self, ctx: OperationContext) -> Reply:
        project = self._project(ctx)
        credential = self._credential(ctx, project)
        items = access_items(ctx.body)
        self._require_proxies(ctx, project, items)
        granted = list(credential.get("access") or ())
        held = {access_key(item) for item in granted}
        for item in items:  # check everything before storing anything: all or nothing
            if access_key(item) in held:
                raise ctx.fail(400, already_granted(credential["username"], item))
            held.add(access_key(item))  # a repeat within the request is "already" granted too
            granted.append(item)
        ctx.data["credentials"].update(credential["username"], access=granted)
        return Reply(200, dict(SUCCESS))

    @handles("revokeCredentialAccess")
    def revoke_access(self, ctx: OperationContext) -> Reply:
        project = self._project(ctx)
        credential = self._credential(ctx, project)
        items = access_items(ctx.body)
        self._require_proxies(ctx, project, items)
        revoked = {access_key(item) for item in items}
        current = credential.get("access") or []
        kept = [item for item in current if access_key(item) not in revoked]
        if len(kept) != len(current):  # revoking what was never granted is a silent no-op
            ctx.data["credentials"].update(credential["username"], access=kept)
        return Reply(200, dict(SUCCESS))

    # --- data ---------------------------------------------------------------------------
    def complete_entity(self, collection: str, entity: dict, fake: Fake, data: ApiData) -> dict:
        """Check that granted proxies exist, are visible from the project, and are granted once."""
        if collection != "credentials":
            return entity
        entity = dict(entity)
        if "access" in entity:  # never share a list with the fixture (generate: overrides)
            entity["access"] = [dict(item) for item in entity["access"]]
        project = entity["project"]
        seen = set()
        for item in entity.get("access") or ():
            if not any(access_key(p) == access_key(item) and self._visible(project, p["project"])
                       for p in data["proxies"]):
                raise ValueError(f"field access: {proxy_not_found(item)}")
            if access_key(item) in seen:
                raise ValueError(f"field access: {item['name']} is granted twice")
            seen.add(access_key(item))
        return entity
