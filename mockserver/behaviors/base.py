"""What every API's behaviour module provides, with defaults for the generic parts.

An API module subclasses `ApiBehavior` and supplies:

- ``error_body(status, message, **extra)``: the API's own error format;
- one handler per operationId, marked with ``@handles("operationId")``; a handler takes
  an `OperationContext` and returns a `Reply` (or raises ``ctx.fail(...)``);
- ``complete_entity`` to fill what a written-out entity may omit (generated entities come
  from the spec's ``generate`` templates, see `fake_entity`);
- overrides where the real product answers a generic situation its own way (a 403
  instead of a 401, a 404 for a malformed path parameter, ...).

Everything a behaviour needs arrives in the context; nothing reads Flask globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime
from typing import Any, Callable

from ..auth import Credential
from ..fake import Fake
from ..timestamps import utcnow
from ..messages import ApiError, MockRequest, Reply
from .. import paging
from ..bodies import Known, fill_template
from ..spec import Names, Operation
from ..store import ApiData
from ..validation import Violation
from ..wording import Wording, unexpected_members


@dataclass(frozen=True)
class Principal:
    """Who is calling. By default every accepted credential is an administrator."""

    name: str
    admin: bool = True
    id: Any = None
    attributes: dict = field(default_factory=dict)


@dataclass
class OperationContext:
    """Everything one handler call needs: the request, parsed values, data and helpers."""

    behavior: "ApiBehavior"
    operation: Operation
    request: MockRequest
    path: dict[str, Any]
    query: dict[str, Any]
    body: Any
    violations: list[Violation]
    principal: Principal | None
    data: ApiData
    fake: Fake

    def fail(self, status: int, message: str, **extra) -> ApiError:
        """An ApiError in this API's format, carrying this request's violations."""
        return self.behavior.error(status, message, violations=self.violations, **extra)

    def named(self, name: str) -> dict:
        """The entity the request's parameter or body member `name` names, by its
        ``x-mock-names`` declaration (see `ApiBehavior.lookup`)."""
        return self.behavior.lookup(self, name)

    def link(self, path: str) -> str:
        """A path as the client must request it here (mount prefix included)."""
        return f"{self.request.mount}{path}"

    def now(self) -> datetime:
        """The current time (one place to change for tests that need a fixed clock)."""
        return utcnow()


Handler = Callable[[OperationContext], Reply]


def handles(*operation_ids: str) -> Callable[[Handler], Handler]:
    """Mark a behaviour method as the handler of one or more operationIds."""

    def mark(func: Handler) -> Handler:
        func.__mock_operations__ = operation_ids  # type: ignore[attr-defined]
        return func

    return mark


def fields_of(violations) -> list[dict]:
    """The invalid fields of a 400, ``{field, message}`` each with the field's dotted path
    (``data.clientId``); an unknown member is an entry of its own ("unknown field"); a
    problem with the body as a whole names no field (its message says it)."""
    found = []
    for violation in violations:
        unexpected = unexpected_members(violation)
        if unexpected:
            prefix = f"{violation.field}." if violation.field else ""
            found += [{"field": prefix + name, "message": "unknown field"} for name in unexpected]
        elif violation.field:
            found.append({"field": violation.field, "message": violation.message})
    return found


def declared_names(ctx: OperationContext) -> dict[str, tuple[str, Any, Any]]:
    """{name: (location, Names, value sent)} for every parameter and top-level JSON body
    member of the operation that declares ``x-mock-names``."""
    found = {}
    sent = ctx.body if isinstance(ctx.body, dict) else {}
    for name, location, names in ctx.behavior.names_declared(ctx.operation):
        values = ctx.path if location == "path" else ctx.query if location == "query" else sent \
            if location == "body" else {}
        found[name] = (location, names, values.get(name))
    return found


class ApiBehavior:
    """Base class of every API's behaviour."""

    api_id = ""
    spec = None  # the API's ApiSpec, set when the API is mounted (see registry.mount)
    hidden: frozenset = frozenset()  # members never shown, whatever a response schema says
    views: dict = {}  # operationId -> its declared view (x-mock-view), compiled at mount (mockserver.views)
    view_filters: dict = {}  # filters this API's views may use besides the shared ones: a true quirk each

    def __init__(self) -> None:
        self._list_shapes: dict[str, tuple] = {}  # operationId -> (status, row projector): see _list_shape
        self._names_declared: dict[str, tuple] = {}  # operationId -> what it declares: see names_declared
        # (operationId, collection) -> its compiled x-mock-filters (mockserver.filters.compiled_for)
        self.filter_sets: dict[tuple[str, str], Any] = {}
        self._handlers: dict[str, Handler] = {}
        for name in dir(type(self)):
            func = getattr(type(self), name)
            for operation_id in getattr(func, "__mock_operations__", ()):
                self._handlers[operation_id] = getattr(self, name)

    # --- the API's error format -------------------------------------------------------
    # Declared in the spec's root ``x-mock-errors`` (docs/x-mock.md): the body template,
    # and the status, message and headers of each generic situation. A module overrides a
    # method only where the product does something no declaration can say.
    def declared_errors(self) -> dict:
        """The spec's ``x-mock-errors`` (empty when it declares none)."""
        return (getattr(self.spec, "document", None) or {}).get("x-mock-errors") or {}

    def error_body(self, status: int, message: str, **extra) -> Any:
        """The body the real API sends for an error: the declared template filled in
        (``{status}``, ``{message}``, ``{code}`` from its ``codes``), else ``{status, message}``."""
        declared = self.declared_errors()
        template = declared.get("body")
        if template is None:
            return {"status": status, "message": message}
        codes = {str(key): word for key, word in (declared.get("codes") or {}).items()}  # YAML ints, JSON strings
        code = codes.get(str(status), codes.get("default", ""))
        return fill_template(template, {"status": status, "message": message, "code": code, **extra})

    def error(self, status: int, message: str, *, violations=(), headers=None, **extra) -> ApiError:
        """An ApiError with this API's body for `status` (a 400's body template may name its
        invalid fields: ``{fields}``, see `fields_of`)."""
        if status in (400, 422) and "fields" not in extra and "fields" in self._body_names:
            extra["fields"] = fields_of(violations)
        return ApiError(status, self.error_body(status, message, **extra), headers, list(violations),
                        reason=message)

    @cached_property  # (the spec is attached after __init__, by registry.mount)
    def _body_names(self) -> frozenset:
        """The placeholders the declared error body names."""
        text = str(self.declared_errors().get("body"))
        return frozenset(n for n in ("fields", "cause") if "{" + n in text)

    @cached_property
    def wording(self) -> Wording:
        """How this API words an invalid request (``x-mock-errors.violations``)."""
        return Wording.read(self.declared_errors().get("violations"))

    def describe(self, violations: list[Violation]) -> str:
        """The message of a 400 for these violations, in the API's declared words."""
        return self.wording.describe(violations)

    def situation(self, name: str, status: int, message: str, **values) -> ApiError:
        """The error of a generic situation: as ``x-mock-errors.<name>`` declares it, else
        `status` and `message` (``{placeholders}`` filled from `values`)."""
        declared = self.declared_errors().get(name) or {}
        text = str(declared.get("message", message)).format_map(Known(values))
        headers = {key: str(value).format_map(Known(values))
                   for key, value in (declared.get("headers") or {}).items()}
        extra = {"code": declared["code"]} if "code" in declared else {}  # its own {code}, not the status's
        return self.error(int(declared.get("status", status)), text, headers=headers or None, **extra)

    # --- generic situations (declared, or overridden where the product differs) -------
    def route_not_found(self, request: MockRequest) -> ApiError:
        """No documented path matches."""
        return self.situation("route_not_found", 404, "No route for {method} {path}", method=request.method,
                              path=request.path, mount=request.mount)

    def method_not_allowed(self, request: MockRequest, allowed: tuple[str, ...]) -> ApiError:
        """The path exists, the method does not (always with ``Allow``)."""
        error = self.situation("method_not_allowed", 405, "Method {method} not allowed", method=request.method,
                               allowed=", ".join(allowed), path=request.path)
        error.headers["Allow"] = ", ".join(allowed)
        return error

    def unauthenticated(self, request: MockRequest, operation: Operation, problem: str) -> ApiError:
        """No acceptable credential was presented."""
        return self.situation("unauthenticated", 401, "Unauthorized")

    # --- who is calling ----------------------------------------------------------------
    def authenticate(self, credential: Credential, data: ApiData) -> Principal:
        """Map a presented credential to a principal; raise ApiError to refuse it.

        Without a scenario ``auth`` block any non-empty credential is accepted
        (`default_principal`); with one, only the declared credentials are, and a refusal
        is the API's own (`credential_refused`).
        """
        if data.access is None:
            return self.default_principal(credential, data)
        grant = data.access.find(credential, self.token_of(credential))
        if grant is None:
            raise self.credential_refused(credential)
        return self.principal_for(grant, data)

    def default_principal(self, credential: Credential, data: ApiData) -> Principal:
        """Who any credential is when the scenario declares none: an administrator."""
        return Principal(name=credential.username or "mock-user", admin=True)

    def token_of(self, credential: Credential) -> str | None:
        """The API's own reading of a token credential (None: the raw value)."""
        return None

    def credential_refused(self, credential: Credential) -> ApiError:
        """A credential the scenario does not declare: the API's own 401/403 (``refused``,
        else as no credential at all)."""
        if "refused" in self.declared_errors():
            return self.situation("refused", 401, "Unauthorized")
        return self.unauthenticated(None, None, "credential not accepted")

    def principal_for(self, grant, data: ApiData) -> Principal:
        """The principal of a declared credential: its role, user and scope (the scope's ids
        as text, so a scope written as numbers still matches ids that are strings)."""
        return Principal(name=grant.label, admin=grant.role == "admin", id=grant.user,
                         attributes={"role": grant.role, "scope": frozenset(str(v) for v in grant.scope)})

    @staticmethod
    def in_scope(principal: Principal | None, value) -> bool:
        """May this principal see `value` (an organisation, a project)? Admins see all."""
        return principal is None or principal.admin or str(value) in principal.attributes.get("scope", ())

    def reject(self, operation: Operation, violations: list[Violation]) -> ApiError:
        """The answer to an invalid request, by the gravest kind of violation, worded as the
        spec declares (``x-mock-errors.violations``, `mockserver.wording`).

        A path parameter that does not fit is a 404 (as a router would answer), then an
        unsupported content type a 415, then a body that is missing or unreadable a 400 of
        its own (the parser's complaint is the ``{cause}``); anything else is a 400 listing
        the first few problems.
        """
        wording = self.wording
        path = media = parse = no_body = None
        for v in violations:  # the first of each grave kind (one pass: rejections are frequent)
            if v.location == "path":
                path = path or v
            elif v.keyword == "content-type":
                media = media or v
            elif v.keyword == "parse":
                parse = parse or v
            elif v.keyword == "required" and not v.pointer and v.location == "body":
                no_body = no_body or v
        if path is not None:
            error = self.route_not_found_for(operation)
        elif media is not None:
            error = self.error(415, wording.whole_request("unsupported", media))
        elif parse is not None:
            cause = {"cause": parse.message} if "cause" in self._body_names else {}
            error = self.error(400, wording.whole_request("not_utf8" if parse.rule == "utf-8" else "not_json", parse),
                               violations=[parse], **cause)
        elif no_body is not None:
            error = self.error(400, wording.whole_request("no_body", no_body), violations=[no_body])
        else:
            error = self.error(400, wording.describe(violations), violations=violations)
        error.violations = list(violations)
        return error

    def tolerates(self, operation: Operation, violations: list[Violation]) -> bool:
        """Answer despite these violations (they still show in X-Mock-Violations)? Never,
        by default: every API here documents its answer to invalid input."""
        return False

    def route_not_found_for(self, operation: Operation) -> ApiError:
        """A path parameter failed its schema: real routers answer that with a 404."""
        return self.situation("bad_path", 404, "Not found", operation=operation.operation_id)

    def payload_too_large(self, limit: int) -> ApiError:
        """The body is larger than the server accepts."""
        return self.situation("too_large", 413, "Request body exceeds {limit} bytes", limit=limit)

    def internal_error(self) -> ApiError:
        """An unexpected exception (logged by the pipeline)."""
        return self.situation("internal_error", 500, "Internal server error")

    def not_documented(self, operation: Operation, message: str) -> ApiError:
        """A ``Prefer`` header asked for a response the operation does not document."""
        return self.error(404, message)

    # --- entities a request names (x-mock-names) ----------------------------------------
    def names_declared(self, operation: Operation) -> tuple[tuple[str, str, Any], ...]:
        """(name, location, Names) of each parameter and top-level body member of the
        operation that declares ``x-mock-names``, read once (most requests look one up)."""
        known = self._names_declared.get(operation.operation_id)
        if known is None:
            found = [(p.name, p.location, p.names) for p in operation.parameters if p.names is not None]
            if operation.body is not None:
                for member, schema in (operation.body.schema().get("properties") or {}).items():
                    names = Names.read(schema.get("x-mock-names")) if isinstance(schema, dict) else None
                    if names is not None:
                        found.append((member, "body", names))
            known = self._names_declared[operation.operation_id] = tuple(found)
        return known

    def lookup(self, ctx: OperationContext, name: str) -> dict:
        """The entity that parameter (or top-level body member) `name` names.

        The declared answer (``missing``; 404 "<Entity> <value> not found" by default)
        when there is none, when the caller's scope (``x-mock-access.scope``) does not hold
        it, or when it does not belong to another entity the request names: a credential
        referencing organisation A is unknown under organisation B. Those others are looked
        up first, so an unknown parent answers before its child.
        """
        declared = declared_names(ctx)
        if name not in declared:
            raise KeyError(f"{ctx.operation.operation_id}: {name} declares no x-mock-names")
        location, names, value = declared[name]
        collection = ctx.data[names.collection]
        entity = collection.get(value) if value is not None else None
        scope = ((getattr(self.spec, "document", None) or {}).get("x-mock-access") or {}).get("scope")
        hidden = entity is None or (scope == names.collection and not self.in_scope(ctx.principal, value))
        for member, parent in collection.layout.references.items():
            for other, (_, other_names, other_value) in declared.items():
                if other != name and other_names.collection == parent:
                    self.lookup(ctx, other)
                    hidden = hidden or entity.get(member) != other_value
        if hidden:
            singular = names.collection[:-1] if names.collection.endswith("s") else names.collection
            message = names.message or f"{singular.replace('_', ' ').capitalize()} {{value}} not found"
            raise self.error(names.status, message.format(value=value), violations=[
                Violation(location, f"/{name}", f"no such {singular.replace('_', ' ')} (or not yours to see)", "exists")])
        return entity

    # --- lists (x-mock-paging, x-mock-order, x-mock-filters) ------------------------------
    def listing(self, ctx: OperationContext, collection: str, where: tuple[str, Any] | None = None,
                view: Callable[[dict], Any] | None = None) -> Reply:
        """The operation's list of `collection` (the rows whose ``where[0]`` is ``where[1]``),
        filtered, ordered, paged and wrapped as it declares (`mockserver.paging`,
        `mockserver.filters`); each row shown by
        `view`, else by the operation's declared view, else through the documented
        response's item schema."""
        status, projected = self._list_shape(ctx.operation)
        view = view or self.declared_view(ctx) or projected
        rows, values = paging.page(self, ctx, ctx.data[collection], where)
        declared = ctx.operation.extensions.get("x-mock-paging") or {}
        return Reply(status, paging.body_of(declared, [view(row) for row in rows], values))

    def _list_shape(self, operation: Operation) -> tuple[int, Callable[[dict], Any]]:
        """(success status, a row as the documented list's item schema shows it) of a list
        operation, worked out once."""
        known = self._list_shapes.get(operation.operation_id)
        if known is None:
            from ..crud.infer import list_items_member, success_status
            from ..crud.shapes import projector

            status = success_status(operation)
            response = operation.responses.get(str(status))
            item_schema = list_items_member(response.schema if response else None)[1]
            known = self._list_shapes[operation.operation_id] = (status, projector(item_schema, self.hidden))
        return known

    def shown(self, ctx: OperationContext, entity: dict) -> Any:
        """An entity as the operation shows it: by its declared view (``x-mock-view``), else
        through the documented success response's schema (what that schema does not list,
        or marks ``writeOnly``, stays in the mock)."""
        view = self.views.get(ctx.operation.operation_id)
        if view is not None:
            return view.bind(ctx)(entity)
        from ..crud.infer import success_status
        from ..crud.shapes import project

        response = ctx.operation.responses.get(str(success_status(ctx.operation)))
        return project(entity, response.schema if response else None, self.hidden)

    def declared_view(self, ctx: OperationContext) -> Callable[[dict], Any] | None:
        """The operation's declared view (``x-mock-view``) for this request, if it has one."""
        view = self.views.get(ctx.operation.operation_id)
        return None if view is None else view.bind(ctx)

    def invalid_query(self, problems: list[tuple[str, str]]) -> ApiError:
        """A 400 for query parameters the schema accepts but the list cannot use (an
        unknown cursor): ``name: why`` for each, with a violation each."""
        return self.error(400, "; ".join(f"{name}: {why}" for name, why in problems), violations=[
            Violation("query", f"/{name}", why, "mock") for name, why in problems])

    # --- data ---------------------------------------------------------------------------
    def fake_entity(self, collection: str, fake: Fake, data: ApiData, given: dict | None = None) -> dict:
        """A realistic entity of `collection` for ``generate:`` in fixtures, from the
        collection's declared ``generate`` template (`mockserver.generate`).

        `data` holds what is loaded so far, so a child can pick an existing parent; `given`
        holds the members the fixture sets (the template sees them, and does not make them).
        """
        layout = self.spec.collections.get(collection) if self.spec is not None else None
        if layout is None or layout.generate is None:
            raise NotImplementedError(f"{self.api_id} cannot generate {collection}")
        return layout.generate.make(fake, data, collection, given)

    def seed(self, data: ApiData, fake: Fake) -> None:
        """Data for an API no loaded scenario names (the shipped APIs' is in the scenarios)."""

    def startup_notes(self) -> list[str]:
        """Lines to show at start-up: what the server will not do as the spec might suggest."""
        return []

    def complete_entity(self, collection: str, entity: dict, fake: Fake, data: ApiData) -> dict:
        """Fill the fields a fixture may leave out (timestamps, derived values).

        Raise ValueError("field X: why") for what a schema cannot check (a PEM key, ...).
        """
        return entity

    # --- lookup -------------------------------------------------------------------------
    def handler(self, operation_id: str) -> Handler | None:
        """The handler for an operationId (None when the module has none)."""
        return self._handlers.get(operation_id)

    def operation_ids(self) -> set[str]:
        """Every operationId this module handles."""
        return set(self._handlers)
