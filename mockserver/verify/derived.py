"""A stateful flow derived from the spec: create -> list -> get -> update -> delete -> gone.

For every resource the generic engine infers (`crud.infer`) that can be created, read
and deleted:

- create one: the request's example (one that carries a ``writeOnly`` secret first, so the
  flow can see that it never comes back), else a body generated from the request schema;
  every ``writeOnly`` value is sent as a fresh secret, which no response may show, a
  member that names a parent is the parent in use, and the first free-text member (a
  name, a description) says that ``mockserver-verify`` made it;
- see it in the list (an envelope's array member: ``results``, ``credentials``...);
- read it back as sent;
- change one string member and see the change: PATCH sends that member, PUT (a full
  replacement) every member its schema lists, as read back and as sent;
- delete it and see it gone.

Ids are what the create answers (the key member, else the ``Location`` header), typed as
the item path declares them. The parents it works under come from ``--parent``, the spec's
examples or, failing both, the first entity the target lists (`parents`). Unknown ids get
the documented 404.
"""

from __future__ import annotations

import copy
from typing import Any

from ..crud.behavior import SIZE_PARAMS
from ..crud.infer import (Inference, Resource, infer, is_type, list_items_member, properties_of, singular_of,
                          success_status)
from ..fake import Fake
from ..spec import ApiSpec, Operation, secret_names
from . import drifts
from .flow import Flow, Skip
from .negative import placeholder
from .parents import Parents, declared_parents


class DerivedFlow:
    """The flow, its parents and its unknown-id requests, read from one spec."""

    def __init__(self, spec: ApiSpec):
        self.spec = spec
        self.inference: Inference = infer(spec)
        self.parents: Parents = declared_parents(spec, self.inference)
        self._fake = Fake(7)
        # {resource name: {kind: its first operation}}, read once from the plans.
        self._ops: dict[str, dict[str, Operation]] = {}
        for op in spec.operations:
            plan = self.inference.plans[op.operation_id]
            if plan.resource is not None and plan.kind != "example":
                self._ops.setdefault(plan.resource.name, {}).setdefault(plan.kind, op)

    # --- the flow ---------------------------------------------------------------------
    def run(self, flow: Flow) -> None:
        """Create, list, read, change, delete and see gone, for each resource."""
        for resource in self.testable():
            self._find_parent(flow, resource)
            self._resource_flow(flow, resource)

    def testable(self) -> list[Resource]:
        """The resources the flow can create, read and delete."""
        return [r for r in self.inference.resources.values()
                if {"create", "get", "delete"} <= set(self._ops.get(r.name, {}))]

    def _op(self, resource: Resource, kind: str) -> Operation | None:
        return self._ops.get(resource.name, {}).get(kind)

    def _parent_option(self, resource: Resource) -> str | None:
        """The ``--parent`` option naming the resource's immediate parent, if it has one."""
        if not resource.parent_param:
            return None
        create = self._op(resource, "create") or self._op(resource, "list")
        param = next((p for p in (create.parameters if create else ()) if p.name == resource.parent_param), None)
        return self.parents.option_for(resource.parent_param, param.names if param else None) \
            or resource.parent_param

    def _path(self, flow: Flow, resource: Resource, op: Operation, key: Any = None) -> dict:
        plan = self.inference.plans[op.operation_id]
        # Every ancestor's parameter (/repos/{repo_id}/issues/{issue_number}/comments), as found
        # or given.
        values = self.parents.path(flow, op)
        option = self._parent_option(resource)
        if plan.parent_param and plan.parent_param not in values and flow.option(option) is not None:
            values[plan.parent_param] = flow.option(option)  # (an item path may call it otherwise)
        if plan.id_param:
            values[plan.id_param] = key
        return values

    def _find_parent(self, flow: Flow, resource: Resource) -> None:
        """The parent to work under: given or the spec's example, else the first one the target lists."""
        option = self._parent_option(resource)
        if option is None or flow.option(option) is not None or resource.parent is None:
            return
        listing = self._op(resource.parent, "list")
        if listing is None:
            return
        with flow.check(f"{resource.name}: find a parent in {resource.parent.name} to work under"):
            exchange = flow.call(listing.operation_id, path=self._path(flow, resource.parent, listing))
            flow.expect_status(exchange, *_successes(listing))
            rows = _rows(exchange.body, listing)
            if not rows:  # nothing to work under: not the server's fault, so no drift
                raise Skip(f"{listing.path} lists no {resource.parent.name}: give --parent {option}=VALUE")
            flow.options[option] = rows[0].get(resource.parent.key)

    def _resource_flow(self, flow: Flow, resource: Resource) -> None:
        create, get, delete = (self._op(resource, k) for k in ("create", "get", "delete"))
        change = self._op(resource, "update") or self._op(resource, "replace")
        listing = self._op(resource, "list")
        body = self.parents.fill_body(flow, create, self._body(create, secret=True))
        body = self._with_secrets(flow, create, self._named(flow, create, body, resource))
        key, cancel, stored = None, None, None

        with flow.check(f"{resource.name}: create answers {'/'.join(map(str, _successes(create)))}"):
            option = self._parent_option(resource)
            if option:
                flow.require(flow.option(option), f"a {option}")
            exchange = flow.call(create.operation_id, path=self._path(flow, resource, create), body=body)
            if 200 <= exchange.status < 300:
                key = exchange.member(resource.key)
                if key is None and exchange.headers.get("Location"):
                    key = _typed(exchange.headers["Location"].rstrip("/").rsplit("/", 1)[-1], resource.id_schema)
            if key is not None:  # whatever else is wrong, what was made is unmade at the end
                path = self._path(flow, resource, delete, key)
                cancel = flow.cleanup(f"{resource.name} {key}", lambda: flow.call(delete.operation_id, path=path))
            flow.expect_status(exchange, *_successes(create))
            flow.expect(key is not None, drifts.WRONG_CONTENT, f"the answer names no {resource.key} of the new entity")

        if listing is not None:
            with flow.check(f"{resource.name}: the list shows the new one"):
                flow.require(key, f"the created {resource.name}")
                query = _largest_page(listing)
                exchange = flow.call(listing.operation_id, path=self._path(flow, resource, listing), query=query)
                flow.expect_status(exchange, *_successes(listing))
                keys = [row.get(resource.key) for row in _rows(exchange.body, listing)]
                flow.expect(key in keys, drifts.NOT_PERSISTED, f"{key!r} is not in the list")

        with flow.check(f"{resource.name}: get returns it as created"):
            flow.require(key, f"the created {resource.name}")
            exchange = flow.call(get.operation_id, path=self._path(flow, resource, get, key))
            flow.expect_status(exchange, *_successes(get))
            stored = exchange.body if isinstance(exchange.body, dict) else None
            for name, value in _comparable(body, resource).items():
                flow.expect(exchange.member(name) == value, drifts.NOT_PERSISTED,
                            f"{name} is {exchange.member(name)!r}, not {value!r} as sent")

        if change is not None:
            base = _replacement(change, stored, body) if change.method != "PATCH" else {}
            member, value = self._change(resource, change, base)
            with flow.check(f"{resource.name}: {change.method} changes {member or 'it'}, and the change shows"):
                flow.require(key, f"the created {resource.name}")
                flow.require(member, "a string member to change")
                exchange = flow.call(change.operation_id, path=self._path(flow, resource, change, key),
                                     body={**base, member: value})
                flow.expect_status(exchange, *_successes(change))
                again = flow.call(get.operation_id, path=self._path(flow, resource, get, key))
                flow.expect(again.member(member) == value, drifts.NOT_PERSISTED,
                            f"{member} is still {again.member(member)!r} after the {change.method}")

        with flow.check(f"{resource.name}: delete, then it is gone"):
            flow.require(key, f"the created {resource.name}")
            exchange = flow.call(delete.operation_id, path=self._path(flow, resource, delete, key))
            flow.expect_status(exchange, *_successes(delete))
            cancel()
            flow.expect_gone(get.operation_id, path=self._path(flow, resource, get, key))

    # --- bodies -----------------------------------------------------------------------
    def sample_body(self, operation: Operation) -> dict | None:
        """A valid body for any operation that takes one (for the negative checks)."""
        return self._body(operation) or None

    def _body(self, operation: Operation, secret: bool = False) -> dict:
        """A body the operation accepts: its example (with `secret`, the first that carries a
        writeOnly member), else one generated from its schema."""
        if operation.body is None:
            return {}
        validator = next(iter(operation.body.validators.values()), None)
        examples = [e for e in operation.body.examples
                    if isinstance(e, dict) and (validator is None or validator.is_valid(e))]
        if secret:
            hidden = secret_names(operation.body.schema(), marks=("writeOnly",))
            examples.sort(key=lambda example: not _holds_any(example, hidden))  # (a stable sort)
        if examples:
            return copy.deepcopy(examples[0])
        for attempt in range(20):
            body = self._fake.from_schema(operation.body.schema(), use_examples=attempt % 2 == 0)
            if isinstance(body, dict) and (validator is None or validator.is_valid(body)):
                return body
        return {}

    def _named(self, flow: Flow, operation: Operation, body: dict, resource: Resource) -> dict:
        """`body` with its first free-text member a name that says who made it (and when the
        clean-up could not delete it, what to look for)."""
        validator = next(iter(operation.body.validators.values()), None) if operation.body else None
        for name in _free_text(operation, resource):
            if isinstance(body.get(name), str):
                trial = {**body, name: flow.name(singular_of(resource.name))}
                if validator is None or validator.is_valid(trial):
                    return trial
        return body

    def _with_secrets(self, flow: Flow, operation: Operation, body: dict) -> dict:
        """`body` with every writeOnly string a fresh secret the flow watches for (where the
        schema still takes it: a base64 member keeps its example)."""
        if operation.body is None:
            return body
        hidden = secret_names(operation.body.schema(), marks=("writeOnly",))
        validator = next(iter(operation.body.validators.values()), None)
        for holder, name in _string_members(body, hidden):
            before = holder[name]
            holder[name] = flow.secret()
            if validator is not None and not validator.is_valid(body):
                holder[name] = before
        return body

    def _change(self, resource: Resource, change: Operation, base: dict) -> tuple[str | None, Any]:
        """A string member the change operation takes, and a new value for it."""
        validator = next(iter(change.body.validators.values()), None) if change.body else None
        properties = properties_of(change.body.schema()) if change.body else {}
        for name in _free_text(change, resource):
            value = "changed by mockserver verify"[:properties[name].get("maxLength", 64)]
            if validator is None or validator.is_valid({**base, name: value}):
                return name, value
        return None, None

    # --- negative checks --------------------------------------------------------------
    def unknown_ids(self, flow: Flow) -> list:
        """Reads, changes and deletes of an id nobody created."""
        requests = []
        for resource in self.testable():
            option = self._parent_option(resource)
            for kind in ("get", "update", "replace", "delete"):
                op = self._op(resource, kind)
                if op is None or option and flow.option(option) is None:
                    continue  # (no parent to ask under: the flow said so already)
                request: dict = {"path": self._path(flow, resource, op, placeholder(resource.id_schema or {}))}
                if kind in ("update", "replace"):
                    request["body"] = self.parents.fill_body(flow, op, self._body(op))
                requests.append((op.operation_id, request))
        return requests


# --- helpers ----------------------------------------------------------------------------------
def _successes(op: Operation) -> list[int]:
    return [s for s in op.documented_statuses() if 200 <= s < 300] or [200, 201, 204]


def _rows(body: Any, listing: Operation) -> list[dict]:
    response = listing.responses.get(str(success_status(listing)))
    member, _ = list_items_member(response.schema if response else None)
    rows = body.get(member) if member and isinstance(body, dict) else body
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def _largest_page(listing: Operation) -> dict:
    for param in listing.parameters:
        if param.location == "query" and param.name in SIZE_PARAMS:
            return {param.name: param.schema.get("maximum", 100)}
    return {}


def _comparable(body: dict, resource: Resource) -> dict:
    """The members sent that a get must show as they were: scalars the entity documents."""
    properties = properties_of(resource.item_schema)
    return {name: value for name, value in body.items()
            if isinstance(value, (str, int, float, bool)) and isinstance(properties.get(name), dict)
            and not properties[name].get("writeOnly") and not properties[name].get("readOnly")}


def _free_text(operation: Operation, resource: Resource) -> list[str]:
    """The body members of an operation that hold free text: strings that are not the key,
    not read- or write-only, with no enum or format (a name, a description)."""
    properties = properties_of(operation.body.schema()) if operation.body else {}
    return [name for name, sub in properties.items()
            if name != resource.key and isinstance(sub, dict) and is_type(sub, "string")
            and not sub.get("readOnly") and not sub.get("writeOnly") and "enum" not in sub and "format" not in sub]


def _replacement(change: Operation, stored: dict | None, sent: dict) -> dict:
    """What a full replacement (PUT) sends: every member its schema lists, as the entity was
    read back (its id and timestamps, where the schema asks for them) and as it was sent
    (secrets a read shows redacted)."""
    listed = properties_of(change.body.schema()) if change.body else {}
    return {**{k: v for k, v in (stored or {}).items() if k in listed}, **copy.deepcopy(sent)}


def _holds_any(value: Any, names: set[str]) -> bool:
    """Does a JSON value hold a member of one of these names, at any depth?"""
    if isinstance(value, dict):
        return any(k in names or _holds_any(v, names) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_any(item, names) for item in value)
    return False


def _string_members(value: Any, names: set[str]) -> list[tuple[dict, str]]:
    """(holder, name) of every string member of one of these names, at any depth."""
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k in names and isinstance(v, str):
                found.append((value, k))
            else:
                found += _string_members(v, names)
    elif isinstance(value, list):
        for item in value:
            found += _string_members(item, names)
    return found


def _typed(text: str, schema: dict) -> Any:
    return int(text) if is_type(schema or {}, "integer") and text.isdigit() else text
