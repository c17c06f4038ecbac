"""A stateful flow derived from the spec, for an API with no flow module of its own.

For every resource the generic engine infers (`crud.infer`) that can be created, read
and deleted: create one (a body generated from the request schema), see it in the list,
read it back as sent, change one member (PATCH, else PUT) and see the change, delete it
and see it gone. The parents it needs are taken from ``--parent NAME=VALUE`` or, when not
given, from the first entity the target lists. Unknown ids get the documented 404.
"""

from __future__ import annotations

from typing import Any

from ..crud.behavior import SIZE_PARAMS
from ..crud.infer import Inference, Resource, infer, is_type, list_items_member, properties_of, success_status
from ..fake import Fake
from ..spec import ApiSpec, Operation
from . import drifts
from .flow import Flow, Skip
from .negative import placeholder


class DerivedFlow:
    """The flow-module interface (`run`, `unknown_ids`, `PATH_PARENTS`, `DEFAULTS`) for one spec."""

    def __init__(self, spec: ApiSpec):
        self.spec = spec
        self.inference: Inference = infer(spec)
        self.DEFAULTS: dict[str, Any] = {}
        # Every path parameter that names a parent is an option of the same name.
        self.PATH_PARENTS = {r.parent_param: r.parent_param for r in self.inference.resources.values()
                             if r.parent_param}
        self._fake = Fake(7)
        # {resource name: {kind: its first operation}}, read once from the plans.
        self._ops: dict[str, dict[str, Operation]] = {}
        for op in spec.operations:
            plan = self.inference.plans[op.operation_id]
            if plan.resource is not None and plan.kind != "example":
                self._ops.setdefault(plan.resource.name, {}).setdefault(plan.kind, op)

    def parent_names(self) -> list[str]:
        """The ``--parent`` names this API takes."""
        return sorted(self.PATH_PARENTS)

    # --- the flow ---------------------------------------------------------------------
    def run(self, flow: Flow) -> None:
        """Create, list, read, change, delete and see gone, for each resource."""
        for resource in self._testable():
            self._find_parent(flow, resource)
            self._resource_flow(flow, resource)

    def _testable(self) -> list[Resource]:
        return [r for r in self.inference.resources.values()
                if {"create", "get", "delete"} <= set(self._ops.get(r.name, {}))]

    def _op(self, resource: Resource, kind: str) -> Operation | None:
        return self._ops.get(resource.name, {}).get(kind)

    def _path(self, flow: Flow, resource: Resource, op: Operation, key: Any = None) -> dict:
        plan = self.inference.plans[op.operation_id]
        # Every ancestor's parameter (/repos/{repo_id}/issues/{issue_number}/comments), as found
        # or given; the immediate parent by the name the resource knows it by.
        values = {name: flow.option(name) for name in plan.ancestor_params if flow.option(name) is not None}
        if plan.parent_param:
            values[plan.parent_param] = flow.option(resource.parent_param or plan.parent_param)
        if plan.id_param:
            values[plan.id_param] = key
        return values

    def _find_parent(self, flow: Flow, resource: Resource) -> None:
        """The parent to work under: the option, else the first one the target lists."""
        name = resource.parent_param
        if not name or flow.option(name) is not None or resource.parent is None:
            return
        listing = self._op(resource.parent, "list")
        if listing is None:
            return
        with flow.check(f"{resource.name}: find a parent in {resource.parent.name} to work under"):
            exchange = flow.call(listing.operation_id, path=self._path(flow, resource.parent, listing))
            flow.expect_status(exchange, *_successes(listing))
            rows = _rows(exchange.body, listing)
            if not rows:  # nothing to work under: not the server's fault, so no drift
                raise Skip(f"{listing.path} lists no {resource.parent.name}: give --parent {name}=VALUE")
            flow.options[name] = rows[0].get(resource.parent.key)

    def _resource_flow(self, flow: Flow, resource: Resource) -> None:
        create, get, delete = (self._op(resource, k) for k in ("create", "get", "delete"))
        change = self._op(resource, "update") or self._op(resource, "replace")
        listing = self._op(resource, "list")
        body = self._body(create)
        key, cancel = None, None

        with flow.check(f"{resource.name}: create answers {'/'.join(map(str, _successes(create)))}"):
            if resource.parent_param:
                flow.require(flow.option(resource.parent_param), f"a {resource.parent_param}")
            exchange = flow.call(create.operation_id, path=self._path(flow, resource, create), body=body)
            if 200 <= exchange.status < 300:
                key = exchange.member(resource.key)
                if key is None and exchange.headers.get("Location"):
                    key = _typed(exchange.headers["Location"].rstrip("/").rsplit("/", 1)[-1], resource.id_schema)
            if key is not None:
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
            for name, value in _comparable(body, resource).items():
                flow.expect(exchange.member(name) == value, drifts.NOT_PERSISTED,
                            f"{name} is {exchange.member(name)!r}, not {value!r} as sent")

        if change is not None:
            member, value = self._change(resource, change, body)
            with flow.check(f"{resource.name}: {change.method} changes {member or 'it'}, and the change shows"):
                flow.require(key, f"the created {resource.name}")
                flow.require(member, "a string member to change")
                sent = {member: value} if change.method == "PATCH" else {**body, member: value}
                exchange = flow.call(change.operation_id, path=self._path(flow, resource, change, key), body=sent)
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

    def sample_body(self, operation: Operation) -> dict | None:
        """A valid body for any operation that takes one (for the negative checks)."""
        return self._body(operation) or None

    def _body(self, create: Operation) -> dict:
        """A body the create operation accepts: its example, else one generated from its schema."""
        if create.body is None:
            return {}
        validator = next(iter(create.body.validators.values()), None)
        for attempt in range(20):
            if attempt == 0 and create.body.examples and isinstance(create.body.examples[0], dict):
                body = dict(create.body.examples[0])
            else:
                body = self._fake.from_schema(create.body.schema(), use_examples=attempt % 2 == 0)
            if isinstance(body, dict) and (validator is None or validator.is_valid(body)):
                return body
        return {}

    def _change(self, resource: Resource, change: Operation, body: dict) -> tuple[str | None, Any]:
        """A string member the change operation takes, and a new value for it."""
        schema = change.body.schema() if change.body else {}
        properties = properties_of(schema)
        validator = next(iter(change.body.validators.values()), None) if change.body else None
        for name, sub in properties.items():
            if name == resource.key or not isinstance(sub, dict) or not is_type(sub, "string") \
                    or sub.get("readOnly") or sub.get("writeOnly") or "enum" in sub or "format" in sub:
                continue
            value = "changed by mockserver verify"[:sub.get("maxLength", 64)]
            trial = {name: value} if change.method == "PATCH" else {**body, name: value}
            if validator is None or validator.is_valid(trial):
                return name, value
        return None, None

    def unknown_ids(self, flow: Flow) -> list:
        """Reads, changes and deletes of an id nobody created."""
        requests = []
        for resource in self._testable():
            for kind in ("get", "update", "replace", "delete"):
                op = self._op(resource, kind)
                if op is None or resource.parent_param and flow.option(resource.parent_param) is None:
                    continue  # (no parent to ask under: the flow said so already)
                request: dict = {"path": self._path(flow, resource, op, placeholder(resource.id_schema or {}))}
                if kind in ("update", "replace"):
                    change = self._body(op) if op.body else None
                    request["body"] = change or {}
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


def _typed(text: str, schema: dict) -> Any:
    return int(text) if is_type(schema or {}, "integer") and text.isdigit() else text
