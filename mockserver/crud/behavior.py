"""A stateful CRUD behaviour for any OpenAPI spec, with no code of its own.

`CrudBehavior` serves every operation `infer` recognises from the store (list, create,
get, replace, update, delete; parents checked; children kept per parent value), and
answers the rest from the spec's examples, as Prism would. Bodies go out through the
documented response schemas (`shapes.project`); errors take the documented error shape.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from urllib.parse import quote
from typing import Any, Callable

from ..fake import Fake
from ..messages import ApiError, MockRequest, Reply
from ..prefer import generate_body
from ..spec import ApiSpec, CollectionLayout, Operation, ResponseSpec, secret_names
from ..store import ApiData, DuplicateKeyError
from ..timestamps import iso, utcnow
from ..behaviors.base import ApiBehavior, OperationContext
from ..validation import schema_violations
from .infer import (Inference, Plan, Resource, constrains, infer, is_type, list_items_member, properties_of,
                    singular_of, success_status)
from .shapes import envelope, error_body, fill_required, project, required_of

SEEDED_TOP_LEVEL = 3  # entities generated per top-level collection when no scenario names the API
SEEDED_PER_PARENT = 2  # ... and per parent entity for a nested one
DEFAULT_PAGE_SIZE = 20  # when a list has a size parameter without a documented default

SIZE_PARAMS = ("limit", "per_page", "perPage", "page_size", "pageSize", "size", "max_results", "maxResults", "top")
PAGE_PARAMS = ("page", "page_number", "pageNumber")
OFFSET_PARAMS = ("offset", "skip", "start")
CURSOR_PARAMS = ("cursor", "after", "page_token", "pageToken", "next_token", "starting_after", "continuation")
BEFORE_PARAMS = ("ending_before", "before")
CREATED_MEMBERS = ("created_at", "createdAt", "created", "creation_date", "inserted_at", "createdOn")
UPDATED_MEMBERS = ("updated_at", "updatedAt", "modified", "modified_at", "last_modified", "lastModified",
                   "updatedOn")


class CrudBehavior(ApiBehavior):
    """The behaviour of a spec that has no module of its own (see the module docstring)."""

    def __init__(self, spec: ApiSpec):
        super().__init__()
        self.spec = spec
        self.api_id = spec.api_id
        self.inference: Inference = infer(spec)
        self._errors = Fake(0)  # fills required members of error bodies (seeded once per server)
        # Members any schema of the spec marks writeOnly: never in a response, whatever its schema.
        self.hidden = frozenset(secret_names(spec.document, marks=("writeOnly",)))
        for op in spec.operations:
            plan = self.inference.plans[op.operation_id]
            self._handlers[op.operation_id] = self._handler(op, plan)
        for resource in self.inference.resources.values():
            spec.collections.setdefault(resource.name, _layout(resource))

    def startup_notes(self) -> list[str]:
        """One line per operation answered from examples, saying why."""
        return [f"{self.api_id}: {op}: served from examples ({why})" for op, why in self.inference.not_inferred()]

    # --- errors in the documented shape -----------------------------------------------
    def error_body(self, status: int, message: str, **extra) -> Any:
        """The declared template (``x-mock-errors``), else the documented error response's
        shape; none where the status is documented without a body."""
        documented = [op.responses[str(status)] for op in self.spec.operations if str(status) in op.responses]
        if documented and all(response.media_type is None for response in documented):
            return None
        if "body" in self.declared_errors():
            return super().error_body(status, message, **extra)
        response = self._documented_error(status)
        if response is None:
            return {"status": status, "message": message}
        if response.schema is None:
            return None
        body = fill_required(error_body(response.schema, status, message), response.schema,
                             lambda name, sub: _made(name, sub, self._errors, ""))
        if response.validator is None or response.validator.is_valid(body):
            return body
        found, example = response.example()  # the shape defeats the filling: the spec's own example
        return example if found else generate_body(response, self._errors, 0)

    def reject(self, operation: Operation, violations: list) -> ApiError:
        """As every API (see base), but invalid input is a 422 where the operation documents
        a 422 and no 400 (GitHub's style), and a wrong content type is invalid input where
        no 415 is documented."""
        error = super().reject(operation, violations)
        wrong_type = error.status == 415 and not set(operation.responses) & {"415", "4XX", "default"}
        if error.status == 400 or wrong_type:  # (no 415 documented: a wrong type is invalid input too)
            again = self._input_error(operation, error.reason or self.describe(violations), violations)
            error = again if again.status != error.status else error  # (a 400 keeps its cause)
        return error

    def _input_error(self, operation: Operation, message: str, violations: list = ()) -> ApiError:
        """Invalid input: a 400, or a 422 where the operation documents that and no 400."""
        documented = set(operation.responses)
        status = 422 if "400" not in documented and "422" in documented else 400
        return self.error(status, message, violations=violations)

    def tolerates(self, operation: Operation, violations: list) -> bool:
        """Query parameters out of their schema, on an operation that documents no answer to
        invalid input (no 400, 422, 4XX or default): answered as a lenient server does,
        ignoring the bad values (a too large page size is clamped), and the violations
        shown in X-Mock-Violations. A bad path or body is still refused."""
        documented = set(operation.responses)
        return not documented & {"400", "422", "4XX", "default"} and \
            all(v.location == "query" for v in violations)

    def unauthenticated(self, request: MockRequest, operation: Operation, problem: str) -> ApiError:
        """401 with the challenge of the spec's scheme (Basic or Bearer), as HTTP servers
        send (unless ``x-mock-errors`` declares the answer)."""
        if "unauthenticated" in self.declared_errors():
            return super().unauthenticated(request, operation, problem)
        kinds = {str(s.get("scheme", "")).lower() if s.get("type") == "http" else s.get("type")
                 for s in self.spec.security_schemes.values()}
        challenge = 'Basic realm="mockserver"' if "basic" in kinds else \
            "Bearer" if kinds & {"bearer", "oauth2", "openIdConnect"} else None
        return self.error(401, "Unauthorized", headers={"WWW-Authenticate": challenge} if challenge else None)

    def _documented_error(self, status: int) -> ResponseSpec | None:
        # That status's documented body, else the API's usual error shape (any 4xx it documents).
        for key in (str(status), f"{str(status)[0]}XX", "default", "400", "404", "422", "401", "409"):
            for op in self.spec.operations:
                media_type = op.responses[key].media_type if key in op.responses else "absent"
                if media_type is None or media_type == "application/json" or media_type.endswith("+json"):
                    return op.responses[key]
        return None

    def route_not_found_for(self, operation: Operation) -> ApiError:
        """A path parameter of the wrong form: the documented 400 (invalid input), else a
        404 as a router answers (unless ``x-mock-errors`` declares ``bad_path``)."""
        if "400" in operation.responses and "bad_path" not in self.declared_errors():
            return self.error(400, "Invalid path parameter")
        return super().route_not_found_for(operation)

    # --- handlers ---------------------------------------------------------------------
    def _handler(self, op: Operation, plan: Plan) -> Callable[[OperationContext], Reply]:
        if plan.kind == "example":
            return lambda ctx: self._example(op)
        kinds = {"list": self._list, "create": self._create, "get": self._get, "replace": self._replace,
                 "update": self._update, "delete": self._delete}
        run = kinds[plan.kind]
        return lambda ctx: run(ctx, op, plan)

    def _example(self, op: Operation) -> Reply:
        status = success_status(op)
        response = op.responses.get(str(status))
        if response is None or response.schema is None and not response.examples:
            return Reply(status, None)
        found, body = response.example()
        if not found:
            body = generate_body(response, Fake(0), 0)
        return Reply(status, body)

    def _list(self, ctx: OperationContext, op: Operation, plan: Plan) -> Reply:
        resource = plan.resource
        parent = self._parent_value(ctx, plan)
        if {"x-mock-paging", "x-mock-order", "x-mock-filters"} & op.extensions.keys():  # declared: as declared
            return self.listing(ctx, resource.name, (resource.parent_field, parent) if resource.parent_field else None)
        collection = ctx.data[resource.name]
        rows = collection.where(resource.parent_field, parent) if resource.parent_field else list(collection)
        names = {p.name for p in op.parameters if p.location == "query"}
        properties = properties_of(resource.item_schema)
        paging = set(SIZE_PARAMS + PAGE_PARAMS + OFFSET_PARAMS + CURSOR_PARAMS + BEFORE_PARAMS)
        for name in names - paging:
            value = ctx.query.get(name)
            sub = properties.get(name)
            if value is None or not isinstance(sub, dict) or is_type(sub, "object") or is_type(sub, "array"):
                continue
            if isinstance(sub.get("enum"), list) and value not in sub["enum"]:
                continue  # a value only the filter knows (GitHub's state=all): no filter
            rows = [row for row in rows if _same(row.get(name), value)]
        start, size, page_number = self._window(ctx, op, names, rows, resource.key)
        page = rows[start:start + size] if size is not None else rows[start:]
        more = size is not None and start + size < len(rows)
        cursor = _cursor(start + size) if more else None
        status = success_status(op)
        response = op.responses.get(str(status))
        member, item_schema = list_items_member(response.schema if response else None)
        show = self.declared_view(ctx) or (lambda row: project(row, item_schema, self.hidden))
        shown = [show(row) for row in page]
        body = envelope(response.schema if response else None, member, shown, total=len(rows),
                        next_cursor=cursor, page_number=page_number, size=size)
        return Reply(status, self._filled(body, response, ctx))

    def _filled(self, body: Any, response: ResponseSpec | None, ctx: OperationContext) -> Any:
        """The body with what its schema requires and the store does not hold (see fill_required)."""
        if response is None or response.schema is None:
            return body
        return fill_required(body, response.schema,
                             lambda name, sub: _made(name, sub, ctx.fake, ctx.link(ctx.request.path)))

    def _window(self, ctx: OperationContext, op: Operation, names: set[str], rows: list[dict],
                key: str) -> tuple[int, int | None, int | None]:
        """(start, size or None for all, page number) from the list's paging parameters.

        A cursor is one this server gave out (``next_cursor``), or the key of an entity in
        the list (Stripe's ``starting_after`` / ``ending_before``)."""
        params = {p.name: p for p in op.parameters if p.location == "query"}
        size_name = next((n for n in SIZE_PARAMS if n in names), None)
        page_name = next((n for n in PAGE_PARAMS if n in names), None)
        offset_name = next((n for n in OFFSET_PARAMS if n in names), None)
        cursor_name = next((n for n in CURSOR_PARAMS if n in names), None)
        before_name = next((n for n in BEFORE_PARAMS if n in names), None)
        if not (size_name or page_name):
            size = None
        else:
            schema = params[size_name].schema if size_name else {}
            size = ctx.query.get(size_name) if size_name else None
            if not isinstance(size, int) or isinstance(size, bool) or size < 1:
                size = schema.get("default") if isinstance(schema.get("default"), int) else DEFAULT_PAGE_SIZE
            if isinstance(schema.get("maximum"), int):
                size = min(size, schema["maximum"])
            size = max(size, 1)
        start, page_number = 0, None
        if cursor_name and ctx.query.get(cursor_name):
            start = _read_cursor(ctx.query[cursor_name])
            if start is None:
                start = _position(rows, key, ctx.query[cursor_name])
                if start is None:
                    raise self._input_error(op, f"{cursor_name}: not a cursor this server gave out, nor an id in "
                                                f"the list")
                start += 1
        elif before_name and ctx.query.get(before_name):
            end = _position(rows, key, ctx.query[before_name])
            if end is None:
                raise self._input_error(op, f"{before_name}: not an id in the list")
            start = max(0, end - size) if size is not None else 0
            size = end - start  # the page ends right before that id
        elif offset_name and isinstance(ctx.query.get(offset_name), int):
            start = max(ctx.query[offset_name], 0)
        elif page_name and size is not None:
            first = params[page_name].schema.get("minimum", 1)
            first = first if first in (0, 1) else 1
            page_number = ctx.query.get(page_name)
            if not isinstance(page_number, int) or page_number < first:
                page_number = first
            start = (page_number - first) * size
        return start, size, page_number

    def _create(self, ctx: OperationContext, op: Operation, plan: Plan) -> Reply:
        resource = plan.resource
        parent = self._parent_value(ctx, plan)
        body = ctx.body if isinstance(ctx.body, dict) else {}
        entity = self._complete(resource, body, parent, ctx.fake, ctx.data)
        self._check_result(ctx, op, entity)
        try:
            stored = ctx.data[resource.name].add(entity)
        except DuplicateKeyError:
            raise self.error(409, f"{_singular(resource)} {entity[resource.key]!r} already exists") from None
        return self._entity_reply(op, stored, ctx, resource, plan)

    def _get(self, ctx: OperationContext, op: Operation, plan: Plan) -> Reply:
        return self._entity_reply(op, self._find(ctx, plan), ctx, plan.resource, plan)

    def _replace(self, ctx: OperationContext, op: Operation, plan: Plan) -> Reply:
        resource = plan.resource
        old = self._find(ctx, plan)
        body = ctx.body if isinstance(ctx.body, dict) else {}
        fresh = self._complete(resource, body, old.get(resource.parent_field), ctx.fake, ctx.data, old=old)
        self._check_result(ctx, op, fresh)
        return self._entity_reply(op, ctx.data[resource.name].put(fresh), ctx, resource, plan)

    def _update(self, ctx: OperationContext, op: Operation, plan: Plan) -> Reply:
        resource = plan.resource
        old = self._find(ctx, plan)
        body = ctx.body if isinstance(ctx.body, dict) else {}
        merged = _merge_patch(old, body, resource.item_schema)
        fresh = self._complete(resource, merged, old.get(resource.parent_field), ctx.fake, ctx.data, old=old)
        self._check_result(ctx, op, fresh)
        return self._entity_reply(op, ctx.data[resource.name].put(fresh), ctx, resource, plan)

    def _check_result(self, ctx: OperationContext, op: Operation, entity: dict) -> None:
        """A change whose result the documented response would not allow (a PATCH that
        removes a required member) is the client's 400, never an invalid answer."""
        response = op.responses.get(str(success_status(op)))
        if response is None or response.validator is None:
            return
        shown = self.shown(ctx, entity)
        if not response.validator.is_valid(shown):
            problems = schema_violations(response.validator, shown, "body")
            raise self._input_error(op, f"the result would be invalid: {problems[0].field or 'body'}: "
                                        f"{problems[0].message}", problems)

    def _delete(self, ctx: OperationContext, op: Operation, plan: Plan) -> Reply:
        resource = plan.resource
        entity = self._find(ctx, plan)
        self._remove_with_children(ctx.data, resource, entity[resource.key])
        status = success_status(op)
        response = op.responses.get(str(status))
        if response is None or response.schema is None:
            return Reply(status, None)
        return Reply(status, self._filled(self.shown(ctx, entity), response, ctx))

    # --- the parts handlers share ---------------------------------------------------------
    def _parent_value(self, ctx: OperationContext, plan: Plan) -> Any:
        """The parent named by the path: 404 unless it, and every ancestor above it, exists
        and belongs to the one named before it (/repos/2/issues/1: issue 1 of repo 2)."""
        resource = plan.resource
        if not plan.parent_param or not resource.parent_field:
            return None
        values = [ctx.path.get(name) for name in plan.ancestor_params]
        level, depth = resource.parent, len(values) - 1
        while level is not None and depth >= 0:
            entity = ctx.data[level.name].get(values[depth])
            above = values[depth - 1] if depth >= 1 else None
            if entity is None or (level.parent_field and depth >= 1 and level.parent is not None
                                  and entity.get(level.parent_field) != above):
                raise self._missing(ctx, plan.ancestor_params[depth], f"{_singular(level)} {{value}} not found",
                                    values[depth])
            level, depth = level.parent, depth - 1
        return ctx.path.get(plan.parent_param)

    def _find(self, ctx: OperationContext, plan: Plan) -> dict:
        resource = plan.resource
        parent = self._parent_value(ctx, plan)
        key = ctx.path.get(plan.id_param)
        entity = ctx.data[resource.name].get(key)
        if entity is None or (resource.parent_field and plan.parent_param
                              and entity.get(resource.parent_field) != parent):
            raise self._missing(ctx, plan.id_param, f"{_singular(resource)} {{value}} not found", key)
        return entity

    def _missing(self, ctx: OperationContext, param: str | None, message: str, value: Any) -> ApiError:
        """The answer for an unknown entity: as the parameter's ``x-mock-names`` declares it,
        else a 404 with `message`."""
        names = next((p.names for p in ctx.operation.parameters if p.name == param and p.names), None)
        if names is not None:
            return self.error(names.status, (names.message or message).format(value=value))
        return self.error(404, message.format(value=value))

    def _entity_reply(self, op: Operation, entity: dict, ctx: OperationContext, resource: Resource,
                      plan: Plan) -> Reply:
        status = success_status(op)
        response = op.responses.get(str(status))
        headers = {}
        if status == 201 and resource.item_path:  # where the new entity lives, as HTTP says
            headers["Location"] = ctx.link(_item_link(resource, entity, ctx))
        if response is None or response.schema is None:
            return Reply(status, None, headers)
        return Reply(status, self._filled(self.shown(ctx, entity), response, ctx), headers)

    def _remove_with_children(self, data: ApiData, resource: Resource, key: Any) -> None:
        data[resource.name].remove(key)
        for child in self.inference.resources.values():
            if child.parent is resource and child.parent_field:
                for entity in data[child.name].where(child.parent_field, key):
                    self._remove_with_children(data, child, entity[child.key])

    def _complete(self, resource: Resource, body: dict, parent: Any, fake: Fake, data: ApiData,
                  old: dict | None = None, now: datetime | None = None, key: Any = None) -> dict:
        """A whole entity from what the client sent: server-made members (key, parent,
        read-only, timestamps) kept or made, defaults applied, required members generated."""
        properties = properties_of(resource.item_schema)
        required = set(required_of(resource.item_schema))
        now = now or utcnow()
        entity = {name: value for name, value in body.items()
                  if not (isinstance(properties.get(name), dict) and properties[name].get("readOnly"))}
        if old is not None:
            for name, value in old.items():
                sub = properties.get(name)
                if name in (resource.key, resource.parent_field) or name in CREATED_MEMBERS \
                        or isinstance(sub, dict) and sub.get("readOnly"):
                    entity[name] = value
        elif key is not None:  # a data file's own key
            entity[resource.key] = key
        else:
            if body.get(resource.key) is not None and not (properties.get(resource.key) or {}).get("readOnly"):
                entity[resource.key] = self._client_key(resource, body[resource.key])
            else:
                entity[resource.key] = self._new_key(resource, data, fake)
        if resource.parent_field and parent is not None:
            entity[resource.parent_field] = parent
        for name, sub in properties.items():
            if not isinstance(sub, dict):
                continue
            stamp = name in UPDATED_MEMBERS or (name in CREATED_MEMBERS and name not in entity)
            if stamp and is_type(sub, "string") and sub.get("format") in (None, "date-time"):
                entity[name] = iso(now)
            elif stamp and is_type(sub, "integer"):  # Unix seconds (Stripe's created)
                entity[name] = int(now.timestamp())
            elif name not in entity and "default" in sub:
                entity[name] = sub["default"]
            elif name not in entity and sub.get("readOnly"):
                entity[name] = _initial(name, sub, fake)
            elif name not in entity and name in required:
                entity[name] = _made(name, sub, fake, "")
        return entity

    def _client_key(self, resource: Resource, value: Any) -> Any:
        """A key the client chose, as the item path will read it back (7 and "7" are one
        key when the path parameter is a string); a key no path can name is refused."""
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.error(400, f"{resource.key} must be a string or an integer to name a {_singular(resource)}")
        if is_type(resource.id_schema or {}, "integer"):
            if isinstance(value, str) and not value.isdigit():
                raise self.error(400, f"{resource.key} must be an integer")
            return int(value)
        return str(value)

    def _new_key(self, resource: Resource, data: ApiData, fake: Fake) -> Any:
        collection = data[resource.name]
        if collection.layout.ids != "none":
            return collection.new_key()
        for _ in range(100):
            key = fake.from_schema(resource.id_schema or {"type": "string"}, use_examples=False)
            if key not in collection:
                return key
        raise self.error(409, f"no free {resource.key} left for a new {_singular(resource)}")

    # --- data without a scenario -------------------------------------------------------
    def fake_entity(self, collection: str, fake: Fake, data: ApiData, given: dict | None = None) -> dict:
        """From the declared ``generate`` template if there is one, else from the schema."""
        layout = self.spec.collections.get(collection)
        if layout is not None and layout.generate is not None:
            return super().fake_entity(collection, fake, data, given)
        resource = self.inference.resources[collection]
        parent = None
        if resource.parent is not None:
            parents = list(data[resource.parent.name])
            if not parents:
                raise NotImplementedError(f"{collection} needs a {resource.parent.name} entity first")
            parent = fake.rng.choice(parents)[resource.parent.key]
        return self._generated(resource, parent, fake, data)

    def _generated(self, resource: Resource, parent: Any, fake: Fake, data: ApiData) -> dict:
        body = fake.from_schema(resource.item_schema or {"type": "object"}, use_examples=False)
        body = body if isinstance(body, dict) else {}
        body.pop(resource.key, None)
        return self._complete(resource, body, parent, fake, data, now=fake.past())

    def complete_entity(self, collection: str, entity: dict, fake: Fake, data: ApiData) -> dict:
        """A data file's entity with what it leaves out made once, at load (its key, required
        and server-made members); what it gives, read-only members included, stays."""
        resource = self.inference.resources.get(collection)
        if resource is None:
            return entity
        key = entity.get(resource.key)
        made = self._complete(resource, {k: v for k, v in entity.items() if k != resource.key},
                              entity.get(resource.parent_field), fake, data, now=fake.past(),
                              key=self._client_key(resource, key) if key is not None else None)
        return {**made, **entity, resource.key: made[resource.key]}

    def seed(self, data: ApiData, fake: Fake) -> None:
        """A few plausible entities per collection, children under every parent."""
        for resource in self.inference.resources.values():  # parents first: infer orders them so
            parents = [e[resource.parent.key] for e in data[resource.parent.name]] if resource.parent else \
                [None] if not resource.parent_param else []
            for parent in parents:
                for _ in range(SEEDED_PER_PARENT if resource.parent else SEEDED_TOP_LEVEL):
                    try:
                        data[resource.name].add(self._generated(resource, parent, fake, data))
                    except (ApiError, DuplicateKeyError):  # a small id space, used up: seed no more
                        break


# --- helpers ----------------------------------------------------------------------------------
def _layout(resource: Resource) -> CollectionLayout:
    id_schema = resource.id_schema or {}
    if is_type(id_schema, "integer"):
        ids = "integer"
    elif id_schema.get("format") == "uuid":
        ids = "uuid"
    elif not id_schema or is_type(id_schema, "string") and not constrains(id_schema):
        ids = "uuid"  # an unconstrained string id: a UUID is as good as any
    else:
        ids = "none"  # the behaviour makes keys from the id's schema
    return CollectionLayout(name=resource.name, key=resource.key, ids=ids,
                            indexes=(resource.parent_field,) if resource.parent_field else (),
                            references={resource.parent_field: resource.parent.name}
                            if resource.parent is not None and resource.parent_field else {},
                            schema=None, validator=None)


def _initial(name: str, schema: dict, fake: Fake) -> Any:
    """A server-made member's value on a new entity: a constant, a flag off, a count at its
    lowest, the first state of an ``enum``; anything else generated."""
    if "const" in schema:
        return schema["const"]
    if is_type(schema, "null"):  # not set yet (archived_at of a note nobody archived)
        return None
    if is_type(schema, "boolean"):
        return False
    if (is_type(schema, "integer") or is_type(schema, "number")) and "enum" not in schema:
        low = schema.get("minimum", 0)
        value = low if isinstance(low, (int, float)) and low > 0 else 0
        above = schema.get("exclusiveMinimum")
        return above + 1 if isinstance(above, (int, float)) and value <= above else value
    return _made(name, schema, fake, "")


def _made(name: str, schema: dict, fake: Fake, url: str) -> Any:
    """A value for a required member nothing stored: the request's URL for ``url``, the
    first of an ``enum``, else one generated from the member's schema."""
    if name == "url" and is_type(schema, "string") and url:
        return url
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    return fake.from_schema({"type": "object", "properties": {name: schema}, "required": [name]})[name]


def _singular(resource: Resource) -> str:
    """``payment_methods`` -> ``payment_method`` (a made-unique ``repos_issues`` -> ``issue``)."""
    name = resource.name
    if resource.parent and name.startswith(resource.parent.name + "_"):
        name = name[len(resource.parent.name) + 1:]
    return singular_of(name).replace("_", " ")


def _same(stored: Any, wanted: Any) -> bool:
    return stored == wanted or str(stored).lower() == str(wanted).lower()


def _position(rows: list[dict], key: str, wanted: Any) -> int | None:
    for index, row in enumerate(rows):
        if _same(row.get(key), wanted):
            return index
    return None


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def _read_cursor(text: Any) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(str(text) + "=" * (-len(str(text)) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    digits = raw[1:]
    return int(digits) if raw[:1] == "o" and digits.isascii() and digits.isdigit() and len(raw) < 20 else None


def _merge_patch(target: Any, patch: Any, schema: Any) -> Any:
    """RFC 7386, the way most JSON PATCH endpoints read their bodies: objects merge,
    other values replace, and null removes a member, unless the member's schema
    allows null (``expires_at: null`` then stores null)."""
    if not isinstance(patch, dict):
        return patch
    properties = properties_of(schema) if isinstance(schema, dict) else {}
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        sub = properties.get(name)
        if value is None and not (isinstance(sub, dict) and is_type(sub, "null")):
            result.pop(name, None)
        else:
            result[name] = _merge_patch(result.get(name), value, sub)
    return result


def _item_link(resource: Resource, entity: dict, ctx: OperationContext) -> str:
    """The new entity's item path, its and its parents' values filled in (percent-encoded)."""
    path = resource.item_path
    values = dict(ctx.path)
    if resource.id_param:
        values[resource.id_param] = entity[resource.key]
    for name, value in values.items():
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    if resource.parent_param and resource.parent_field:
        path = path.replace("{" + resource.parent_param + "}", quote(str(entity.get(resource.parent_field)), safe=""))
    return path
