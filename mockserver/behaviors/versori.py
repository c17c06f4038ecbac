"""Versori Connect v1alpha1: organisation credentials whose secrets never leave in clear.

What no schema can say, from the document, api-notes.md and the mock's own choices:

- errors are ``{code, message, fields?, cause?}``, and the words of an invalid request,
  declared in the spec; a body that is not JSON carries the decoder's complaint in
  ``cause`` and names no field;
- by default any cookie or any bearer token is accepted (an administrator); neither is a
  401. A scenario ``auth`` block accepts only its tokens (as a bearer token or as any
  cookie's value), anything else is the same 401 unauthenticated. Role ``admin`` sees every
  organisation; role ``user`` only the organisation ULIDs of its ``scope`` (none without
  one), and any other organisation is exactly the 404 of an unknown one;
- a path id that is not a ULID, an unknown or out-of-scope organisation and a credential
  of another organisation are all 404 not_found;
- secrets (value, valueBase64, password, clientSecret, accessToken, refreshToken) are
  answered as ``"<redacted>"``; on PUT that placeholder keeps the stored secret of the same
  name (a 400 when none is stored), on create it is refused; ``valueBase64`` must be
  standard base64; an oauth2-token's data shows only its scopes (the spec's view);
- the list's order (``updatedAt`` then id, descending) and cursor paging are declared in
  the spec; an unknown cursor, or both cursors at once, is a 400 listing the fields;
- PUT takes the full Credential: a body id other than the path's is a 400 (field ``id``),
  the stored ``createdAt`` wins, ``updatedAt`` moves strictly forward (1 ms past the old
  value when the clock has not moved on), ``type`` may change; ``usages`` and ``errors`` in
  the body are ignored, and the stored ``errors`` are dropped (the new data is unvalidated);
- how a credential is shown is declared (``x-mock-views``): ``usages`` in GET one and in
  the list, not in create / PUT answers; ``errors`` when stored (in the list only when
  non-empty: "defined if the credential is invalid"); ``authSchemeType`` derived from
  ``type`` unless a fixture sets it; secrets through this module's ``redacted`` filter.

Order of checks for writes: schema (400) → stateless rules: id mismatch, placeholder on
create, base64 (400) → organisation / credential (404) → placeholders that need the stored
secret (400).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..fake import Fake
from ..formats import is_base64
from ..timestamps import iso, parse_timestamp, shifted
from ..messages import ApiError, Reply
from ..store import ApiData
from ..validation import Violation
from .base import ApiBehavior, OperationContext, Principal, handles

REDACTED = "<redacted>"
SECRET_KEYS = ("value", "valueBase64", "password", "clientSecret", "accessToken", "refreshToken")
ONE_MS = timedelta(milliseconds=1)


def redact(data: dict) -> dict:
    """A copy of `data` with every secret replaced by the placeholder (the views' ``redacted``)."""
    return {key: (REDACTED if key in SECRET_KEYS else value) for key, value in data.items()}


# --- time ---------------------------------------------------------------------------------
def parse_time(text: str) -> datetime:
    """An RFC 3339 timestamp as an aware UTC datetime (ValueError when it is not one, or
    is outside years 1 to 9999 in UTC)."""
    return parse_timestamp(text)


def to_millis(moment: datetime) -> datetime:
    """`moment` truncated to whole milliseconds (what the API shows)."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def later_than(previous: str, now: datetime) -> str:
    """The new updatedAt: now, but strictly after `previous` even within one millisecond."""
    moment, before = to_millis(now), parse_time(previous)
    if moment <= before:
        moment = shifted(to_millis(before), ONE_MS)
    return iso(moment, millis=True)


# --- secrets --------------------------------------------------------------------------------
def stateless_problems(data: dict, *, placeholder_allowed: bool) -> list[tuple[str, str]]:
    """(field, message) for data rules that need no stored credential.

    Base64 is checked here, not declared as ``format: base64`` in the spec: the
    placeholder is no base64 yet allowed on PUT, and a bad value is listed with an id
    mismatch, after the schema's violations, as the documented order says.
    """
    problems = []
    for key in SECRET_KEYS:
        if data.get(key) == REDACTED and not placeholder_allowed:
            problems.append((f"data.{key}", f'"{REDACTED}" is the redaction placeholder; send the secret itself'))
    value = data.get("valueBase64")
    if isinstance(value, str) and value != REDACTED and not is_base64(value):
        problems.append(("data.valueBase64", "is not valid standard base64"))
    return problems


def keep_stored_secrets(data: dict, stored: dict) -> tuple[dict, list[tuple[str, str]]]:
    """`data` with each placeholder replaced by the stored secret of the same name."""
    resolved, problems = dict(data), []
    for key in SECRET_KEYS:
        if resolved.get(key) != REDACTED:
            continue
        if key in stored and stored[key] != REDACTED:
            resolved[key] = stored[key]
        else:
            problems.append((f"data.{key}", f'"{REDACTED}" keeps a stored secret, but this credential '
                                            f"has no stored {key}"))
    return resolved, problems


class Behavior(ApiBehavior):
    """Versori Connect credential endpoints."""

    api_id = "versori"
    view_filters = {"redacted": lambda data: redact(data)}  # (looked up when called: a test replaces redact)

    def principal_for(self, grant, data: ApiData) -> Principal:
        """A declared token: ``admin`` sees every organisation, ``user`` its scope's ULIDs."""
        scope = frozenset(str(value).upper() for value in grant.scope)  # ULIDs are upper case here
        return Principal(name=grant.label, admin=grant.role == "admin", id=grant.user,
                         attributes={"role": grant.role, "scope": scope})

    def _invalid(self, problems: list[tuple[str, str]]) -> ApiError:
        """A 400 for rules the handler checks, in the same shape as schema violations."""
        return self.error(400, "; ".join(f"{f}: {m}" for f, m in problems), violations=[
            Violation("body", "/" + field.replace(".", "/"), message, "mock") for field, message in problems])

    # --- list -----------------------------------------------------------------------------------
    @handles("ListCredentials")
    def list_credentials(self, ctx: OperationContext) -> Reply:
        organisation = ctx.named("organisation_id")
        return self.listing(ctx, "credentials", ("organisationId", organisation["id"]))

    # --- create ---------------------------------------------------------------------------------
    @handles("CreateCredential")
    def create_credential(self, ctx: OperationContext) -> Reply:
        body = ctx.body
        problems = stateless_problems(body["data"], placeholder_allowed=False)
        if problems:
            raise self._invalid(problems)
        organisation = ctx.named("organisation_id")
        now = to_millis(ctx.now())
        stamp = iso(now, millis=True)
        credentials = ctx.data["credentials"]
        stored = credentials.add({
            "id": credentials.new_key(at=now), "organisationId": organisation["id"],
            "type": body["type"], "name": body["name"], "data": dict(body["data"]),
            "createdAt": stamp, "updatedAt": stamp, "usages": [],
        })
        return Reply(201, self.shown(ctx, stored))

    # --- get ------------------------------------------------------------------------------------
    @handles("GetCredential")
    def get_credential(self, ctx: OperationContext) -> Reply:
        return Reply(200, self.shown(ctx, ctx.named("credential_id")))

    # --- update -----------------------------------------------------------------------------------
    @handles("UpdateCredential")
    def update_credential(self, ctx: OperationContext) -> Reply:
        body = ctx.body
        path_id = ctx.path["credential_id"]
        problems = []
        if body["id"] != path_id:
            problems.append(("id", f"must equal the credential_id in the path ({path_id})"))
        problems += stateless_problems(body["data"], placeholder_allowed=True)
        if problems:
            raise self._invalid(problems)
        current = ctx.named("credential_id")
        data, problems = keep_stored_secrets(body["data"], current["data"])
        if problems:
            raise self._invalid(problems)
        updated = {**current, "type": body["type"], "name": body["name"], "data": data,
                   "updatedAt": later_than(current["updatedAt"], ctx.now())}
        updated.pop("errors", None)  # the new data has not been validated
        if body["type"] != current["type"]:
            updated.pop("authSchemeType", None)  # a fixture's override was for the old type
        stored = ctx.data["credentials"].put(updated)
        return Reply(200, self.shown(ctx, stored))

    # --- delete -----------------------------------------------------------------------------------
    @handles("DeleteCredential")
    def delete_credential(self, ctx: OperationContext) -> Reply:
        credential = ctx.named("credential_id")
        ctx.data["credentials"].remove(credential["id"])
        return Reply(204)

    # --- data ---------------------------------------------------------------------------------------
    def complete_entity(self, collection: str, entity: dict, fake: Fake, data: ApiData) -> dict:
        if collection != "credentials":
            return entity
        entity = dict(entity)
        try:
            created = parse_time(entity["createdAt"]) if "createdAt" in entity else fake.past(days=365)
            updated = parse_time(entity["updatedAt"]) if "updatedAt" in entity else created
        except ValueError as exc:
            raise ValueError(f"field createdAt/updatedAt: {exc}") from exc
        if updated < created:
            raise ValueError("field updatedAt: earlier than createdAt")
        entity["createdAt"], entity["updatedAt"] = iso(created, millis=True), iso(updated, millis=True)
        entity.setdefault("usages", [])
        for key in SECRET_KEYS:
            if entity["data"].get(key) == REDACTED:
                raise ValueError(f"field data.{key}: a stored secret cannot be the redaction placeholder")
        value = entity["data"].get("valueBase64")
        if value is not None and not is_base64(value):
            raise ValueError("field data.valueBase64: not valid standard base64")
        return entity
