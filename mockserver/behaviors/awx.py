"""Ansible AWX API v2: a user's credentials, checked the way AWX and Django REST Framework do.

Quirks this module implements (the spec says for each whether it comes from the document,
the notes or AWX/DRF itself):

- every error is DRF's: ``{"detail": "..."}`` for request-level problems, ``{field:
  [messages]}`` for field errors, non-field errors under ``__all__`` (AWX's
  ``NON_FIELD_ERRORS_KEY``), e.g. for a null body (``No data provided``
  for ``null``), ``inputs`` errors nested per input field;
- no error repeats a secret, in the body or in ``X-Mock-Violations``: problems with a
  secret input name the field, not the value; parse errors give positions, not text;
- a missing or unusable credential is a 401 with ``WWW-Authenticate: Bearer realm=api
  authorization_url=/api/o/authorize/``; without a scenario ``auth`` block any credential
  acts as user 1 (admin); with one, a refused HTTP Basic pair is 401 "Invalid
  username/password." and a refused token 401 "Authentication credentials were not
  provided." (an unknown OAuth2 token is no credential at all to AWX);
- a declared credential acts as the AWX user its grant names (``user``: an id, or a
  username; an HTTP Basic grant without one is the user of that username; an ``admin``
  grant without one is user 1); role ``admin`` or a user with ``is_superuser`` is a
  superuser; a grant whose user is missing is refused like an unknown credential;
- a non-superuser may list and create only under its own ``/users/{id}/credentials/`` and
  read, change and delete only the credentials it owns; anything else is 403 "You do not
  have permission to perform this action." (``ModelAccessPermission``): after the 404 of
  an unknown user or credential, before the body is read on create, and after the body is
  parsed (415 / malformed JSON) but before it is validated on PUT / PATCH, as AWX's
  ``check_put_permissions`` reads ``request.data``;
- ``created_by`` is the acting user, ``modified_by`` the last one to change the credential;
- create checks, in this order: unknown user (404), permission (403), content type
  (415), JSON (400), the serializer fields all at once (400), a secret input sent as
  ``$encrypted$``, the inputs against the credential type's schema (a problem tied to
  no field, such as an unknown key, hides the per-field ones), and the SSH key
  passphrase rules (a type's required inputs are not enforced on save; an input sent
  empty takes its field's default); a rejected create stores nothing;
- ``POST /api/v2/credentials/`` also names exactly one owner (user, team or
  organization; a team's credential belongs to its organization); ``GET`` lists every
  credential a superuser may read, another user's own;
- a PUT resets a left-out ``description`` and ``inputs``; a vault's ``vault_id`` is fixed;
- username/password login opens a session (``awx_session``: the cookie, Django's CSRF
  rules on writes); OPTIONS answers the view's metadata (``awx_metadata``), from which
  awxkit builds its commands;
- ``name`` and ``description`` are DRF CharFields: numbers become strings, surrounding
  whitespace is trimmed, null characters are refused; ``credential_type`` is a primary
  key field that also takes a numeric string;
- ``inputs`` may be an object or a JSON/YAML string; secrets come back as
  ``$encrypted$``, an empty secret is dropped, an ``ASK`` in a prompt-on-launch field is
  shown as is; the user in the path wins over ``user`` in the body, which is never shown;
- the credential detail (``/api/v2/credentials/{id}/``, where ``url`` and ``Location``
  point) reads, updates (PATCH partial, PUT with ``name`` and ``credential_type``
  required) and deletes; ``inputs`` sent on update replace the stored ones, a secret sent
  as ``$encrypted$`` keeps its stored value, a new ``credential_type`` re-checks the
  inputs; a rejected update changes nothing and ``modified`` only moves forward;
Lists (DRF's page links, order by name), lookups (404 "Not found.") and how a credential
or a credential type is shown (the serializers: links, summaries, ``kind``, ``cloud``, who
may edit a custom type) are declared in the spec (``x-mock-paging``, ``x-mock-order``,
``x-mock-names``, ``x-mock-views``); generated data too. Showing secret inputs as
``$encrypted$`` is this module's view filter, ``display_inputs``.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from ..fake import Fake
from ..timestamps import iso, parse_timestamp, shifted
from ..messages import ApiError, Reply
from ..spec import Operation
from ..store import ApiData
from ..validation import Violation, read_json_body
from . import awx_metadata, awx_session
from .awx_inputs import (
    InputsError,
    check_inputs,
    display_inputs,
    merge_encrypted,
    parse_text,
    stored_inputs,
    with_field_defaults,
)
from .base import ApiBehavior, OperationContext, Principal, handles

INVALID_BASIC = "Invalid username/password."
PERMISSION_DENIED = "You do not have permission to perform this action."
NOT_FOUND = "Not found."

REQUIRED = "This field is required."
NULL = "This field may not be null."
BLANK = "This field may not be blank."
CANNOT_BE_BLANK = "This field cannot be blank."  # the model's full_clean, for a null name
NOT_A_STRING = "Not a valid string."
NULL_CHARACTERS = "Null characters are not allowed."

NON_FIELD = "__all__"  # AWX's REST_FRAMEWORK["NON_FIELD_ERRORS_KEY"]

ADMIN_ID = 1
# What GET /api/v2/ lists: the resources this mock serves ([awx] ApiVersionRootView has more).
RESOURCES = ("ping", "config", "me", "users", "organizations", "teams", "credentials", "credential_types")
OWNERS = ("user", "team", "organization")  # [awx] a new credential names exactly one
MISSING_OWNER = "Missing 'user', 'team', or 'organization'."
VAULT_ID_FIXED = "Vault IDs cannot be changed once they have been created."
DUPLICATE = "Credential with this Organization, Name and Credential type already exists."
TOKEN_LIFETIME = timedelta(seconds=31536000000)  # [awx] OAUTH2_PROVIDER ACCESS_TOKEN_EXPIRE_SECONDS: 1,000 years
PING = {"ha": False, "version": "24.6.1", "active_node": "awx-mock", "install_uuid": "00000000-0000-4000-8000-000000000001",
        "instances": [{"node": "awx-mock", "node_type": "hybrid", "uuid": "00000000-0000-4000-8000-000000000002",
                       "heartbeat": "2026-01-01T00:00:00.000000Z", "capacity": 100, "version": "24.6.1"}],
        "instance_groups": [{"name": "default", "capacity": 100, "instances": ["awx-mock"]}]}
CONFIG = {"version": "24.6.1", "time_zone": "UTC", "license_info": {"license_type": "open"},
          "analytics_status": "off", "project_base_dir": "/var/lib/awx/projects/"}
_MISSING = object()


def safe_text(text: str) -> str:
    """A message that can be sent as UTF-8 even if it echoes a lone surrogate."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# --- DRF field rules --------------------------------------------------------------------------
def char_field(value: Any, *, required: bool, max_length: int | None, allow_blank: bool,
               default: str = "") -> tuple[str | None, list[str]]:
    """A DRF CharField: (clean value, messages). Numbers become strings; whitespace is trimmed."""
    if value is _MISSING:
        return (None, [REQUIRED]) if required else (default, [])
    if value is None:  # [awx] CharNullField: null is "", which the model then checks
        return ("", []) if allow_blank else (None, [CANNOT_BE_BLANK])
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        # (DRF checks for blank first, with str(value): never blank for these, and a
        # str() of a 1 MiB list would cost what reading it cost)
        return None, [NOT_A_STRING]
    if str(value).strip() == "":
        return ("", []) if allow_blank else (None, [BLANK])
    text = str(value).strip()
    messages = []
    if max_length is not None and len(text) > max_length:
        messages.append(f"Ensure this field has no more than {max_length} characters.")
    if "\x00" in text:
        messages.append(NULL_CHARACTERS)
    surrogate = next((c for c in text if "\ud800" <= c <= "\udfff"), None)
    if surrogate is not None:
        messages.append(f"Surrogate characters are not allowed: U+{ord(surrogate):X}.")
    return (None, messages) if messages else (text, [])


def primary_key(value: Any) -> int:
    """The key a PrimaryKeyRelatedField looks up; TypeError/ValueError when it cannot be one."""
    if isinstance(value, bool):
        raise TypeError("bool")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value)  # Django's IntegerField takes " 7" and "+7" too
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise TypeError(type(value).__name__)


def related_field(value: Any, collection) -> tuple[dict | None, list[str]]:
    """A DRF PrimaryKeyRelatedField: (entity, messages)."""
    if value is _MISSING:
        return None, [REQUIRED]
    if value is None:
        return None, [NULL]
    try:
        key = primary_key(value)
    except (TypeError, ValueError):
        return None, [f"Incorrect type. Expected pk value, received {type(value).__name__}."]
    entity = collection.get(key)
    if entity is None:
        return None, [safe_text(f'Invalid pk "{value}" - object does not exist.')]
    return entity, []


def inputs_field(value: Any) -> tuple[dict | None, list[str]]:
    """The ``inputs`` field: an object, or a JSON/YAML string that parses to one."""
    if value is _MISSING:
        return {}, []
    if value is None:
        return None, [NULL]
    if isinstance(value, str):
        try:
            return parse_text(value), []
        except InputsError as error:
            return None, [safe_text(m) for m in error.detail]
    if isinstance(value, dict):
        return value, []
    return None, [f"{type(value).__name__} provided, expected dict"]


def violations_of(errors: dict, prefix: str = "") -> list[Violation]:
    """Field errors as Violations, for the X-Mock-Violations header and the journal."""
    found = []
    for field, messages in errors.items():
        pointer = prefix if field == NON_FIELD else f"{prefix}/{field}"
        if isinstance(messages, dict):
            found.extend(violations_of(messages, pointer))
        else:
            found.extend(Violation("body", pointer, message, "awx") for message in messages)
    return found


def _fake_generic(fake: Fake, credential_type: dict) -> dict:
    """Inputs for a type without a recipe in the spec: its required fields, plausibly filled."""
    required = (credential_type.get("inputs") or {}).get("required") or []
    fields = {f["id"]: f for f in (credential_type.get("inputs") or {}).get("fields") or []}
    return {name: (True if fields.get(name, {}).get("type") == "boolean" else fake.faker.word())
            for name in required}


# --- the behaviour ----------------------------------------------------------------------------

class Behavior(ApiBehavior):
    """AWX's user-credential endpoints and the credential types they refer to."""

    api_id = "awx"
    # [awx] What a template cannot say: which inputs the credential type encrypts
    # (``"{inputs|display_inputs:credential_type.inputs}"`` in the spec's credential view).
    view_filters = {"display_inputs": lambda inputs, fields: display_inputs({"inputs": fields}, inputs),
                    "named_url": lambda value: named_url_part(value),
                    "role_id": lambda key, which: key * 3 + int(which)}

    def __init__(self) -> None:
        super().__init__()
        # [awx] DRF's SessionAuthentication checks the CSRF token before anything else.
        self._handlers = {operation_id: self._csrf_checked(handler) for operation_id, handler in self._handlers.items()}

    # --- DRF's error format -----------------------------------------------------------------
    def error_body(self, status: int, message: str, **extra) -> dict:
        return {"detail": safe_text(message)}

    def invalid(self, errors: dict, violations: list[Violation] | None = None) -> ApiError:
        """A 400 with DRF field errors."""
        return ApiError(400, errors, None, violations if violations is not None else violations_of(errors))

    def reject(self, operation: Operation, violations: list[Violation]) -> ApiError:
        """The engine's answer (no AWX operation asks for it today; the spec declares its
        words), with DRF's field errors for a body that was read: ``{field: [messages]}``."""
        error = super().reject(operation, violations)
        if error.status == 400 and not any(v.keyword == "parse" for v in violations):
            errors: dict[str, list[str]] = {}
            for v in violations:
                errors.setdefault(v.top_field or NON_FIELD, []).append(v.message)
            error = self.invalid(errors, list(violations))
        return error

    def default_principal(self, credential, data: ApiData) -> Principal:
        """[mock] Without a scenario ``auth`` block any credential acts as user 1, ``admin``."""
        return Principal(name="admin", admin=True, id=ADMIN_ID)

    # --- who is calling, when the scenario declares it --------------------------------------
    def credential_refused(self, credential) -> ApiError:
        """[awx] DRF's BasicAuthentication fails a wrong pair; an unknown OAuth2 token is no credential."""
        return self._refusal(credential.kind == "basic")

    def _refusal(self, basic: bool) -> ApiError:
        # As no credential at all (x-mock-errors.unauthenticated), in Basic's own words for a pair.
        refusal = self.unauthenticated(None, None, "refused")
        return self.error(401, INVALID_BASIC, headers=refusal.headers) if basic else refusal

    def principal_for(self, grant, data: ApiData) -> Principal:
        """The AWX user a declared credential acts as; refused (401) when that user is missing.

        Role ``admin``, or a user whose ``is_superuser`` is true, is a superuser.
        """
        user = acting_user(grant, data)
        if user is None:
            raise self._refusal(grant.token is None)  # a grant without a token is an HTTP Basic pair
        superuser = grant.role == "admin" or bool(user.get("is_superuser"))
        return Principal(name=user["username"], admin=superuser, id=user["id"],
                         attributes={"role": grant.role, "grant": grant.label})

    def authenticate(self, credential, data: ApiData) -> Principal:
        """A session cookie acts as whoever logged in (until it expires); the other
        credentials follow the scenario (see base). [awx] An unknown or expired session is
        no credential at all: Django leaves the request anonymous."""
        if credential.kind == "bearer" and credential.token in data["tokens"]:
            return self._token_principal(data["tokens"].get(credential.token), data)
        if credential.scheme != "sessionCookie":
            return super().authenticate(credential, data)
        session = data["sessions"].get(credential.token)
        if session is None or time.time() - session["created"] > data.settings.get("session_timeout", 3600.0):
            raise self.unauthenticated(None, None, "no live session")
        if data.access is None:
            principal = self.default_principal(credential, data)
        else:
            grant = data.access.user(session["username"])
            if grant is None:  # the scenario changed under a live session
                raise self.unauthenticated(None, None, "the session's user is no longer declared")
            principal = self.principal_for(grant, data)
        return dataclasses.replace(principal, attributes={**principal.attributes, "session": True})

    def _token_principal(self, issued: dict, data: ApiData) -> Principal:
        """[awx] A personal token acts as the user who made it, within its scope."""
        if data.access is None:
            principal = self.default_principal(None, data)
        else:
            grant = data.access.user(issued["username"])
            if grant is None:  # the scenario changed under a live token
                raise self.unauthenticated(None, None, "the token's user is no longer declared")
            principal = self.principal_for(grant, data)
        return dataclasses.replace(principal, attributes={**principal.attributes, "scope": issued["scope"]})

    def _csrf_checked(self, handler):
        """`handler`, after the checks AWX makes of a write before its view runs: Django's
        CSRF check for a session cookie, and a read-scoped token's refusal."""
        def checked(ctx: OperationContext) -> Reply:
            principal = ctx.principal
            if principal is not None and ctx.request.method in awx_session.UNSAFE_METHODS:
                if principal.attributes.get("session"):
                    problem = awx_session.csrf_problem(ctx.request.cookies,
                                                       ctx.request.header(awx_session.CSRF_HEADER))
                    if problem is not None:
                        raise awx_session.refuse_csrf(self, problem)
                if principal.attributes.get("scope") == "read":
                    raise self._denied("a read-scoped token may only read")
            return handler(ctx)
        return checked

    # --- who may do what (AWX's ModelAccessPermission and CredentialAccess) ------------------
    def _denied(self, reason: str) -> ApiError:
        return self.error(403, PERMISSION_DENIED, violations=[Violation("header", "/authorization", reason,
                                                                        "permission")])

    def _require_self(self, ctx: OperationContext, user: dict) -> None:
        """A non-superuser may list and create only its own credentials."""
        principal = ctx.principal
        if principal is not None and not principal.admin and user["id"] != principal.id:
            raise self._denied(f"user {principal.id} may not use the credentials of user {user['id']}")

    def _require_owner(self, ctx: OperationContext, credential: dict) -> None:
        """A non-superuser may read, change and delete only the credentials it owns."""
        principal = ctx.principal
        if principal is not None and not principal.admin and credential.get("user") != principal.id:
            raise self._denied(f"credential {credential['id']} is not owned by user {principal.id}")

    @staticmethod
    def _acting_id(ctx: OperationContext) -> Any:
        return ctx.principal.id if ctx.principal is not None and ctx.principal.id is not None else ADMIN_ID

    # --- shared steps -----------------------------------------------------------------------
    def _path_entity(self, ctx: OperationContext) -> dict:
        """The entity the path's ``{id}`` names (x-mock-names); 404 "Not found." for a bad
        id too. Only the path's violations travel with the 404: the body's could quote inputs."""
        bad_path = [v for v in ctx.violations if v.location == "path"]
        if bad_path:
            raise self.error(404, NOT_FOUND, violations=bad_path)
        return ctx.named("id")

    def _read_body(self, ctx: OperationContext) -> dict:
        """The JSON object sent, as DRF's parser and serializer see it (415 / 400 otherwise)."""
        return self._body_object(self._parse_body(ctx))

    def _parse_body(self, ctx: OperationContext) -> Any:
        """The parsed JSON body, as DRF's ``request.data`` gives it (415 / 400 parse errors).

        The violations sent along are built here, never the engine's schema messages,
        which quote the value (a whole body that is not an object, inputs and all).
        """
        request = ctx.request
        if not request.body:
            return {}  # DRF parses an empty body as {} whatever its content type
        if request.content_type != "application/json":
            raw = request.header("content-type", "") or ""
            raise self.error(415, f'Unsupported media type "{raw}" in request.', violations=[
                Violation("header", "/content-type", f"{raw or '(none)'!r} is not application/json",
                          "content-type")])
        read = read_json_body(request)
        if read.problem is not None:
            # Python's JSON and UTF-8 errors give a position, never the text itself.
            reason = read.problem.message.removeprefix("Malformed JSON: ").removeprefix("Body is not valid UTF-8: ")
            raise self.error(400, f"JSON parse error - {reason}", violations=[read.problem])
        if read.non_finite:
            # DRF parses strictly; NaN and Infinity would also make the answer invalid JSON.
            raise self.error(400, "JSON parse error - Out of range float values are not JSON compliant",
                             violations=[Violation("body", "", "NaN or Infinity is not JSON", "parse")])
        return read.value

    def _body_object(self, body: Any) -> dict:
        """The serializer's first check: the data must be an object."""
        if body is None:
            raise self.invalid({NON_FIELD: ["No data provided"]})
        if not isinstance(body, dict):  # [awx] api/parsers.py JSONParser refuses it first
            raise self.error(400, "JSON parse error - not a JSON object", violations=[
                Violation("body", "", f"a JSON {type(body).__name__}, not an object", "type")])
        return body

    # --- discovery: what clients (awxkit) read first --------------------------------------
    @handles("getApiRoot")
    def api_root(self, ctx: OperationContext) -> Reply:
        """[awx] ApiRootView: the versions, as links relative to how the request came in."""
        return Reply(200, {"description": "AWX REST API", "current_version": ctx.link("/api/v2/"),
                           "available_versions": {"v2": ctx.link("/api/v2/")}, "oauth2": ctx.link("/api/o/"),
                           "custom_logo": "", "custom_login_info": "", "login_redirect_override": ""},
                     {"Vary": "Cookie"}, cookies=(awx_session.csrf_cookie(ctx.request.cookies),))

    @handles("login")
    def login(self, ctx: OperationContext) -> Reply:
        """[awx] LoggedLoginView: a good pair opens a session and redirects to `next`."""
        form = ctx.body if isinstance(ctx.body, dict) else {}
        problem = awx_session.csrf_problem(ctx.request.cookies, ctx.request.header(awx_session.CSRF_HEADER)
                                           or _text(form.get("csrfmiddlewaretoken")))
        if problem is not None:
            raise awx_session.refuse_csrf(self, problem)
        username, password = _text(form.get("username")), _text(form.get("password"))
        refused = not username or not password or (
            ctx.data.access is not None and ctx.data.access.login(username, password) is None)
        if refused:
            raise self.error(401, INVALID_BASIC, violations=[
                Violation("body", "/password", "not a declared username and password", "security")])
        key = awx_session.new_session_key()
        ctx.data["sessions"].add({"key": key, "username": username, "created": time.time()})
        age = int(ctx.data.settings.get("session_timeout", 3600))
        return Reply(302, None, {"Location": awx_session.safe_next(_text(form.get("next"))),
                                 "X-API-Session-Cookie-Name": awx_session.SESSION_COOKIE},
                     cookies=(awx_session.cookie(awx_session.SESSION_COOKIE, key, age, http_only=True),
                              # Django rotates the CSRF token on login
                              awx_session.cookie(awx_session.CSRF_COOKIE, awx_session.new_csrf_token(),
                                                 awx_session.CSRF_COOKIE_AGE),
                              awx_session.cookie("userLoggedIn", "true", age)))

    @handles("describeCredentials", "describeCredential", "describeCredentialTypes", "describeCredentialType",
             "describeUsers", "describeUser", "describeUserCredentials", "describeOrganizations",
             "describeOrganization", "describeTeams", "describeTeam", "describeProjectList",
             "describeInventoryList", "describeJobTemplateList", "describeWorkflowJobTemplateList",
             "describeInstanceGroupList")
    def describe(self, ctx: OperationContext) -> Reply:
        """[awx] OPTIONS: the view's metadata (awx_metadata), for an authenticated caller."""
        return awx_metadata.describe(self, ctx)

    @handles("getApiV2Root")
    def api_v2_root(self, ctx: OperationContext) -> Reply:
        """[awx] ApiVersionRootView: each resource the mock serves, by name."""
        return Reply(200, {name: ctx.link(f"/api/v2/{name}/") for name in RESOURCES})

    @handles("ping")
    def ping(self, ctx: OperationContext) -> Reply:
        return Reply(200, dict(PING))

    @handles("getConfig")
    def get_config(self, ctx: OperationContext) -> Reply:
        return Reply(200, dict(CONFIG))

    @handles("listMe")
    def list_me(self, ctx: OperationContext) -> Reply:
        """[awx] UserMeList: the caller, as a page of one."""
        return self.listing(ctx, "users", ("id", self._acting_id(ctx)))

    @handles("listUsers")
    def list_users(self, ctx: OperationContext) -> Reply:
        return self.listing(ctx, "users")

    @handles("listOrganizations")
    def list_organizations(self, ctx: OperationContext) -> Reply:
        return self.listing(ctx, "organizations")

    @handles("listTeams")
    def list_teams(self, ctx: OperationContext) -> Reply:
        return self.listing(ctx, "teams")

    @handles("getUser", "getOrganization", "getTeam")
    def get_one(self, ctx: OperationContext) -> Reply:
        """A user, organization or team: the entity the path names, as its view shows it."""
        return Reply(200, self.shown(ctx, self._path_entity(ctx)))

    # --- user credentials -------------------------------------------------------------------
    @handles("listUserCredentials")
    def list_user_credentials(self, ctx: OperationContext) -> Reply:
        user = self._path_entity(ctx)
        self._require_self(ctx, user)
        return self.listing(ctx, "credentials", ("user", user["id"]))

    @handles("createUserCredential")
    def create_user_credential(self, ctx: OperationContext) -> Reply:
        user = self._path_entity(ctx)
        self._require_self(ctx, user)
        body = self._read_body(ctx)
        fields = self._validate_fields(ctx, body, "create")
        return self._create(ctx, fields, {"user": user["id"]})  # the path wins over any "user" in the body

    @handles("createPersonalToken")
    def create_personal_token(self, ctx: OperationContext) -> Reply:
        """[awx] UserPersonalTokenList (``awx login``): a bearer token that acts as the user."""
        named = str(ctx.path.get("user", ""))
        users = ctx.data["users"]
        user = users.get(int(named)) if named.isdigit() else users.find(username=named)
        if user is None:
            raise self.error(404, NOT_FOUND, violations=[Violation("path", "/user", "no such user", "x-mock-names")])
        self._require_self(ctx, user)
        body = self._read_body(ctx)
        scope = body.get("scope", "write")
        errors = {}
        if scope not in ("read", "write"):
            errors["scope"] = ["Must be a simple space-separated string with allowed scopes ['read', 'write']."]
        if body.get("application") is not None:
            errors["application"] = ["A personal token has no application."]
        description, messages = char_field(body.get("description", _MISSING), required=False, max_length=None,
                                           allow_blank=True)
        if messages:
            errors["description"] = messages
        if errors:
            raise self.invalid(errors)
        tokens = ctx.data["tokens"]
        now = ctx.now()
        issued = tokens.add({"token": awx_session.new_token(), "id": len(tokens) + 1, "user": user["id"],
                             "username": user["username"], "description": description, "scope": scope,
                             "created": iso(now)})
        return Reply(201, {
            "id": issued["id"], "type": "o_auth2_access_token", "url": ctx.link(f"/api/v2/tokens/{issued['id']}/"),
            "related": {"user": ctx.link(f"/api/v2/users/{user['id']}/"),
                        "activity_stream": ctx.link(f"/api/v2/tokens/{issued['id']}/activity_stream/")},
            "summary_fields": {"user": {key: user.get(key, "") for key in ("id", "username", "first_name",
                                                                            "last_name")}},
            "created": issued["created"], "modified": issued["created"], "description": description,
            "user": user["id"], "token": issued["token"], "refresh_token": None, "application": None,
            "expires": iso(shifted(now, TOKEN_LIFETIME)), "scope": scope})

    @handles("listCredentials")
    def list_credentials(self, ctx: OperationContext) -> Reply:
        """[awx] Every credential a superuser may read; another user's own ones."""
        principal = ctx.principal
        mine = principal is not None and not principal.admin
        return self.listing(ctx, "credentials", ("user", principal.id) if mine else None)

    @handles("createCredential")
    def create_credential(self, ctx: OperationContext) -> Reply:
        """[awx] CredentialSerializerCreate: a user's credential fields and exactly one owner."""
        body = self._read_body(ctx)
        self._require_own_owner(ctx, body)
        fields = self._validate_fields(ctx, body, "create", owners=True)
        owners = {name: fields.pop(name) for name in OWNERS if fields.get(name) is not None}
        if not owners:
            raise self.invalid({"detail": [MISSING_OWNER]})
        if len(owners) > 1:
            raise self.invalid({"detail": ["Only one of 'user', 'team', or 'organization' should be provided, "
                                           f"received {', '.join(sorted(owners))} fields."]})
        (owner, entity), = owners.items()
        owned = {owner: entity["id"]}
        if owner == "team":  # [awx] a team's credential belongs to the team's organization too
            owned["organization"] = entity.get("organization")
        return self._create(ctx, fields, owned)

    def _require_own_owner(self, ctx: OperationContext, body: dict) -> None:
        """[awx] CredentialAccess.can_add: a user that is not a superuser may own a new
        credential itself, and nothing else may (checked before the fields)."""
        principal = ctx.principal
        if principal is None or principal.admin:
            return
        try:
            own = body.get("user") is not None and primary_key(body.get("user")) == principal.id
        except (TypeError, ValueError):
            own = False
        if not own or body.get("team") or body.get("organization"):
            raise self._denied(f"user {principal.id} may create only its own credentials")

    def _create(self, ctx: OperationContext, fields: dict, owned: dict) -> Reply:
        """Check the inputs against the type, store the credential and answer 201."""
        credential_type = fields["credential_type"]
        self._require_unique(ctx, fields["name"], credential_type["id"], owned.get("organization"))
        inputs = with_field_defaults(credential_type, fields["inputs"])
        try:
            check_inputs(credential_type, inputs)
        except InputsError as error:
            raise self.inputs_invalid(error) from None
        now = iso(ctx.now())
        stored = ctx.data["credentials"].add({
            "name": fields["name"],
            "description": fields["description"],
            "credential_type": credential_type["id"],
            **owned,
            "inputs": stored_inputs(credential_type, inputs),
            "created": now,
            "modified": now,
            "created_by": self._acting_id(ctx),
            "modified_by": self._acting_id(ctx),
        })
        shown = self.shown(ctx, stored)
        return Reply(201, shown, {"Location": shown["url"]})

    def inputs_invalid(self, error: InputsError) -> ApiError:
        """A 400 ``{"inputs": ...}`` for inputs the credential type refuses."""
        detail = error.detail
        detail = ([safe_text(m) for m in detail] if isinstance(detail, list)
                  else {k: [safe_text(m) for m in v] for k, v in detail.items()})
        return self.invalid({"inputs": detail})

    def _validate_fields(self, ctx: OperationContext, body: dict, mode: str, owners: bool = False) -> dict:
        """DRF's field-by-field pass: every field error at once, in the serializer's order.

        `mode` is "create", "put" or "patch". [awx] A field left out of a PATCH keeps its
        value; a PUT resets a left-out `description` to "" and `inputs` to {} (AWX's
        BaseSerializer passes the model defaults). With `owners`, the write-only owner
        fields too (an entity, or None when not given). The result holds only the fields
        to set.
        """
        errors: dict[str, list[str]] = {}
        clean: dict[str, Any] = {}
        keep_if_missing = {"create": (), "put": (),
                           "patch": ("name", "description", "credential_type", "inputs")}[mode]
        checks = {
            "name": lambda v: char_field(v, required=True, max_length=512, allow_blank=False),
            "description": lambda v: char_field(v, required=False, max_length=None, allow_blank=True),
            "credential_type": lambda v: related_field(v, ctx.data["credential_types"]),
            "inputs": inputs_field,
        }
        def optional_reference(collection: str):  # [awx] null (or "") names nothing; another value must
            return lambda v: (None, []) if v is _MISSING or v in (None, "") else related_field(v, ctx.data[collection])

        if owners:
            for name, collection in (("user", "users"), ("team", "teams"), ("organization", "organizations")):
                checks[name] = optional_reference(collection)
        elif mode != "create":  # [awx] CredentialSerializer: the organization may change (user, team may not)
            checks["organization"] = optional_reference("organizations")
            if mode == "patch":
                keep_if_missing += ("organization",)
        for name, check in checks.items():
            raw = body.get(name, _MISSING)
            if raw is _MISSING and name in keep_if_missing:
                continue
            value, messages = check(raw)
            if messages:
                errors[name] = messages
            clean[name] = value
        if errors:
            raise self.invalid(errors)
        return clean

    # --- one credential (companion operations: where `url` and `Location` point) -----------
    @handles("getCredential")
    def get_credential(self, ctx: OperationContext) -> Reply:
        credential = self._path_entity(ctx)
        self._require_owner(ctx, credential)
        return Reply(200, self.shown(ctx, credential))

    @handles("updateCredential")
    def update_credential(self, ctx: OperationContext) -> Reply:
        return self._update_credential(ctx, "put")

    @handles("partialUpdateCredential")
    def partial_update_credential(self, ctx: OperationContext) -> Reply:
        return self._update_credential(ctx, "patch")

    @handles("deleteCredential")
    def delete_credential(self, ctx: OperationContext) -> Reply:
        credential = self._path_entity(ctx)
        self._require_owner(ctx, credential)
        ctx.data["credentials"].remove(credential["id"])
        return Reply(204)

    def _update_credential(self, ctx: OperationContext, mode: str) -> Reply:
        """PUT / PATCH: the checks of create, then the inputs against the (new) type.

        Everything is checked before anything is stored, so a rejected update changes
        nothing. [mock] The type may change (AWX refuses that only for a credential in
        use, and nothing uses one here); the inputs are then checked against the new type.
        """
        credential = self._path_entity(ctx)
        body = self._parse_body(ctx)  # [awx] check_put_permissions reads request.data first
        self._require_owner(ctx, credential)
        body = self._body_object(body)
        fields = self._validate_fields(ctx, body, mode)
        types = ctx.data["credential_types"]
        credential_type = fields.get("credential_type") or types.get(credential["credential_type"])
        if "inputs" in fields:
            self._require_same_vault_id(types.get(credential["credential_type"]), credential, fields["inputs"])
        inputs = fields["inputs"] if "inputs" in fields else credential["inputs"]
        try:
            inputs = with_field_defaults(credential_type, merge_encrypted(credential_type, inputs, credential["inputs"]))
            check_inputs(credential_type, inputs, creating=False)
        except InputsError as error:
            raise self.inputs_invalid(error) from None
        if "organization" in fields:
            organization = fields["organization"]["id"] if fields["organization"] is not None else None
            self._require_org_change(ctx, credential, organization)
            fields["organization"] = organization
        self._require_unique(ctx, fields.get("name", credential["name"]), credential_type["id"],
                             fields.get("organization", credential.get("organization")), credential["id"])
        changed = {key: fields[key] for key in ("name", "description", "organization") if key in fields}
        stored = ctx.data["credentials"].put({
            **credential,
            **changed,
            "credential_type": credential_type["id"],
            "inputs": stored_inputs(credential_type, inputs),
            "modified": later_than(ctx.now(), credential["modified"]),
            "modified_by": self._acting_id(ctx),
        })
        return Reply(200, self.shown(ctx, stored))

    def _require_org_change(self, ctx: OperationContext, credential: dict, organization) -> None:
        """[awx] Moving a credential to another organization needs that organization's admin
        role: [mock] a superuser's alone (the mock gives members no roles)."""
        principal = ctx.principal
        if principal is not None and not principal.admin and organization != credential.get("organization"):
            raise self._denied(f"user {principal.id} may not move credential {credential['id']} to another "
                               "organization")

    def _require_unique(self, ctx: OperationContext, name: str, type_id: int, organization, own_id=None) -> None:
        """[awx] Credential.Meta.unique_together (organization, name, credential_type): an
        organization's credentials of one type have distinct names (null organizations,
        as a user's credentials have, never clash, as in Postgres)."""
        if organization is None:
            return
        for other in ctx.data["credentials"].where("organization", organization):
            if other["id"] != own_id and other["name"] == name and other["credential_type"] == type_id:
                raise self.invalid({NON_FIELD: [DUPLICATE]})

    def _require_same_vault_id(self, stored_type: dict | None, credential: dict, inputs: dict) -> None:
        """[awx] CredentialSerializer.validate_inputs: a vault credential keeps its vault_id."""
        if (stored_type or {}).get("kind") == "vault" and "vault_id" in credential["inputs"] \
                and credential["inputs"]["vault_id"] != inputs.get("vault_id"):
            raise self.invalid({"inputs": [VAULT_ID_FIXED]})

    # --- credential types -------------------------------------------------------------------
    @handles("listCredentialTypes")
    def list_credential_types(self, ctx: OperationContext) -> Reply:
        return self.listing(ctx, "credential_types")

    @handles("getCredentialType")
    def get_credential_type(self, ctx: OperationContext) -> Reply:
        return Reply(200, self.shown(ctx, self._path_entity(ctx)))

    # --- data -------------------------------------------------------------------------------
    def fake_entity(self, collection: str, fake: Fake, data: ApiData, given: dict | None = None) -> dict:
        """The spec's template; a credential type it has no recipe for gets its required inputs."""
        entity = super().fake_entity(collection, fake, data, given)
        if collection == "credentials" and "inputs" not in entity:
            entity["inputs"] = _fake_generic(fake, data["credential_types"].get(entity["credential_type"]) or {})
        return entity

    def complete_entity(self, collection: str, entity: dict, fake: Fake, data: ApiData) -> dict:
        """Timestamps, the creator (user 1), and inputs checked against the credential type."""
        entity = dict(entity)
        if collection in ("organizations", "teams"):
            self._complete_timestamps(entity, fake)
        elif collection == "credential_types":
            self._complete_timestamps(entity, fake)
            ids = [f["id"] for f in entity["inputs"].get("fields") or []]
            if len(ids) != len(set(ids)):
                raise ValueError(f"field inputs: field IDs must be unique ({ids})")
        elif collection == "credentials":
            self._complete_timestamps(entity, fake)
            entity.setdefault("created_by", ADMIN_ID if ADMIN_ID in data["users"] else None)
            entity.setdefault("modified_by", entity["created_by"])
            owners = [name for name in OWNERS if entity.get(name) is not None]
            if len(owners) != 1:
                raise ValueError(f"a credential has exactly one owner: user, team or organization (found "
                                 f"{', '.join(owners) or 'none'})")
            if entity.get("team") is not None:  # [awx] a team's credential belongs to its organization
                entity["organization"] = (data["teams"].get(entity["team"]) or {}).get("organization")
            credential_type = data["credential_types"].get(entity["credential_type"])
            if credential_type is None:
                raise ValueError(f"field credential_type: no credential type {entity['credential_type']}")
            entity["inputs"] = with_field_defaults(credential_type, entity["inputs"])
            try:
                check_inputs(credential_type, entity["inputs"])
            except InputsError as error:
                raise ValueError(f"field inputs: {error.detail}") from None
            entity["inputs"] = stored_inputs(credential_type, entity["inputs"])
        return entity

    @staticmethod
    def _complete_timestamps(entity: dict, fake: Fake) -> None:
        if "created" not in entity:
            entity["created"] = iso(fake.past())
        entity.setdefault("modified", entity["created"])


# --- helpers used above -------------------------------------------------------------------------
# [awx] named_url_graph.py: characters a named URL's part escapes, and '+' (which joins
# its parts) as '[+]'; one pass, so the brackets of '[+]' are not escaped again.
_NAMED_URL_ESCAPES = str.maketrans({**{c: quote(c, safe="") for c in ";/?:@=&[]"}, "+": "[+]"})


def named_url_part(value: Any) -> str:
    """One part of an AWX named URL: reserved characters escaped, a '+' as '[+]'."""
    return "" if value is None else str(value).translate(_NAMED_URL_ESCAPES)


def _text(value: Any) -> str:
    """A form field as text ('' when absent)."""
    return value if isinstance(value, str) else ""


def later_than(now: datetime, previous: str) -> str:
    """`now` as a timestamp, or a microsecond after `previous` when the clock is not past it."""
    try:
        before = parse_timestamp(previous, naive_is_utc=True)
    except ValueError:
        return iso(now)
    return iso(max(now, shifted(before, timedelta(microseconds=1))))


def acting_user(grant, data: ApiData) -> dict | None:
    """The AWX user a declared credential acts as (None when there is none).

    ``user`` names it by id (an integer or a numeric string) or by username; without one
    an HTTP Basic pair is the user of that username, and an ``admin`` grant user 1.
    """
    users = data["users"]
    named = grant.user
    if named is None:
        if grant.username is not None:
            found = users.find(username=grant.username)
            if found is not None:
                return found
        return users.get(ADMIN_ID) if grant.role == "admin" else None
    if isinstance(named, int) and not isinstance(named, bool):
        return users.get(named)
    text = str(named).strip()
    if text.isdigit():
        return users.get(int(text))
    return users.find(username=text)
