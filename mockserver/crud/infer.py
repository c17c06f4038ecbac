"""Read the resources of a CRUD API from the shapes of its paths.

``/things`` is a collection, ``/things/{id}`` one of its items; ``/projects/{pid}/things``
is a collection whose every parent value (each project) has children of its own. On a
collection, GET lists and POST creates; on an item, GET reads, PUT replaces, PATCH
updates and DELETE deletes. Literal segments that name no resource (``/api/v1``) are a
prefix. What does not fit (``POST /notes/{id}/archive``, ``GET /health``) is *not
inferred*: it is answered from the spec's examples, and the reason is kept so start-up
can say it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..spec import ApiSpec, Operation

_PARAM = re.compile(r"^\{([^{}]+)\}$")
# A list's envelope: the array lives under one of these (or under the only array member).
ITEM_MEMBERS = ("data", "items", "results", "values", "content", "records", "entries", "elements")


@dataclass
class Resource:
    """One inferred collection of entities."""

    name: str  # the store collection's name: the path segment, made unique
    pattern: str  # the collection path with parameter names blanked: /projects/{}/things
    item_path: str | None = None
    id_param: str | None = None  # the item path's last parameter
    key: str = "id"  # the entity member holding the id
    id_schema: dict = field(default_factory=dict)
    parent: "Resource | None" = None
    parent_param: str | None = None  # the path parameter naming the parent, in this resource's paths
    parent_field: str | None = None  # the entity member holding the parent's key
    item_schema: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """What the engine does for one operation."""

    kind: str  # list | create | get | replace | update | delete | example
    resource: Resource | None = None
    why: str = ""  # for an example: why nothing was inferred
    parent_param: str | None = None  # this operation's name for the parent's path parameter
    id_param: str | None = None  # ... and for the item's
    # The parameters naming every ancestor, outermost first (/repos/{r}/issues/{i}/comments:
    # r, i): each must name an entity that belongs to the one before it.
    ancestor_params: tuple[str, ...] = ()


@dataclass
class Inference:
    """Everything read from one spec: its resources and a plan per operationId."""

    resources: dict[str, Resource]
    plans: dict[str, Plan]

    def not_inferred(self) -> list[tuple[str, str]]:
        """(operation, reason) for every operation answered from examples."""
        return [(op, plan.why) for op, plan in self.plans.items() if plan.kind == "example"]


def _segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/") if s]


def _blank(segments: list[str]) -> str:
    return "/" + "/".join("{}" if _PARAM.match(s) else s for s in segments)


def success_status(op: Operation) -> int:
    """The operation's first documented 2xx, else the usual one for its method."""
    successes = [s for s in op.documented_statuses() if 200 <= s < 300]
    return successes[0] if successes else (201 if op.method == "POST" else 204 if op.method == "DELETE" else 200)


def _success_schema(op: Operation) -> dict | None:
    response = op.responses.get(str(success_status(op)))
    return response.schema if response is not None else None


def list_items_member(schema: dict | None) -> tuple[str | None, dict | None]:
    """(member, item schema) of a list response: (None, items) for a bare array, the
    envelope's array member otherwise; (None, None) when the schema holds no list."""
    if not isinstance(schema, dict):
        return None, None
    if is_type(schema, "array"):
        return None, schema.get("items") or {}
    properties = properties_of(schema)
    arrays = {name: sub for name, sub in properties.items() if isinstance(sub, dict) and is_type(sub, "array")}
    for name in ITEM_MEMBERS:
        if name in arrays:
            return name, arrays[name].get("items") or {}
    if len(arrays) == 1:
        name, sub = next(iter(arrays.items()))
        return name, sub.get("items") or {}
    return None, None


def is_type(schema: dict, kind: str) -> bool:
    """Does the schema's ``type`` (one or a list) allow `kind`?"""
    declared = schema.get("type")
    return declared == kind or (isinstance(declared, list) and kind in declared)


def properties_of(schema: dict) -> dict[str, Any]:
    """A schema's properties, with those of its allOf branches."""
    found = dict(schema.get("properties") or {})
    for branch in schema.get("allOf") or ():
        if isinstance(branch, dict):
            for name, sub in properties_of(branch).items():
                found.setdefault(name, sub)
    return found


def infer(spec: ApiSpec) -> Inference:
    """The resources and per-operation plans of a spec."""
    by_pattern: dict[str, Resource] = {}
    shapes: dict[str, tuple[str, str]] = {}  # operationId -> ("collection" | "item" | "other", pattern)

    for op in spec.operations:
        segments = _segments(op.path)
        if segments and not _PARAM.match(segments[-1]):
            shapes[op.operation_id] = ("collection", _blank(segments))
        elif len(segments) >= 2 and _PARAM.match(segments[-1]) and not _PARAM.match(segments[-2]):
            shapes[op.operation_id] = ("item", _blank(segments[:-1]))
        else:
            shapes[op.operation_id] = ("other", "")

    # A collection is a pattern with a list (GET), or with items; a POST alone is an action.
    collection_ops: dict[str, list[Operation]] = {}
    item_patterns = {pattern for kind, pattern in shapes.values() if kind == "item"}
    for op in spec.operations:
        kind, pattern = shapes[op.operation_id]
        if kind == "collection":
            collection_ops.setdefault(pattern, []).append(op)
    patterns = set(item_patterns)
    for pattern, ops in collection_ops.items():
        lists = [op for op in ops if op.method == "GET" and list_items_member(_success_schema(op))[1] is not None]
        if lists:
            patterns.add(pattern)

    taken: set[str] = set()
    for pattern in sorted(patterns, key=lambda p: (p.count("/"), p)):
        segments = _segments(pattern)
        name = segments[-1]
        resource = Resource(name=name, pattern=pattern)
        # The parent: the longest known resource whose item path is our prefix.
        prefix = segments[:-1]
        # (/orgs/{org}/things with no /orgs resource: the parent value alone scopes children.)
        if prefix and prefix[-1] == "{}" and _blank(prefix[:-1]) in by_pattern:
            resource.parent = by_pattern[_blank(prefix[:-1])]
        unique = name if name not in taken else f"{resource.parent.name if resource.parent else 'root'}_{name}"
        while unique in taken:
            unique += "_"
        resource.name = unique
        taken.add(unique)
        by_pattern[pattern] = resource

    plans: dict[str, Plan] = {}
    for op in spec.operations:
        kind, pattern = shapes[op.operation_id]
        resource = by_pattern.get(pattern)
        plans[op.operation_id] = _plan(op, kind, resource)
        if resource is not None and kind != "other":
            _learn(resource, op, kind)

    for resource in by_pattern.values():
        _settle(resource)
    return Inference(resources={r.name: r for r in by_pattern.values()}, plans=plans)


def _plan(op: Operation, kind: str, resource: Resource | None) -> Plan:
    if resource is None:
        if kind == "collection" and op.method == "POST":
            return Plan("example", why="a POST to a path with no list or items: an action, not a collection")
        if kind == "collection" and op.method == "GET":
            return Plan("example", why="a GET whose response holds no list")
        return Plan("example", why="the path is not /things or /things/{id}")
    verbs = {"collection": {"GET": "list", "POST": "create"},
             "item": {"GET": "get", "PUT": "replace", "PATCH": "update", "DELETE": "delete"}}
    if op.body is not None:
        verbs["item"]["POST"] = "update"  # Stripe style: POST /customers/{id} changes the customer
    verb = verbs.get(kind, {}).get(op.method)
    if verb is None:
        where = "an item" if kind == "item" else "a collection"
        return Plan("example", resource, why=f"{op.method} on {where} path is not a CRUD verb")
    if verb == "list" and list_items_member(_success_schema(op))[1] is None:
        return Plan("example", resource, why="a GET whose response holds no list")
    segments = _segments(op.path)
    own = segments[-1] if kind == "item" else None
    inner = segments[:-2] if kind == "item" else segments[:-1]  # what is above the collection's literal
    ancestors = tuple(name for name in (_name(s) for s in inner) if name)
    return Plan(verb, resource, parent_param=ancestors[-1] if ancestors and _name(inner[-1]) else None,
                id_param=_name(own or ""), ancestor_params=ancestors)


def _name(segment: str) -> str | None:
    match = _PARAM.match(segment)
    return match.group(1) if match else None


def _learn(resource: Resource, op: Operation, kind: str) -> None:
    """Note what one operation tells about its resource: paths, id parameter, schemas."""
    segments = _segments(op.path)
    if kind == "collection":
        if resource.parent_param is None and len(segments) >= 2:
            resource.parent_param = _name(segments[-2])
    else:
        resource.item_path = resource.item_path or op.path
        resource.id_param = resource.id_param or _name(segments[-1])
        if resource.parent_param is None and len(segments) >= 3:
            resource.parent_param = _name(segments[-3])
        for param in op.parameters:
            if param.location == "path" and param.name == resource.id_param and not resource.id_schema:
                resource.id_schema = param.schema
    success = _success_schema(op)
    if op.method == "GET" and kind == "item" and isinstance(success, dict):
        resource.item_schema = success  # the best source: what one entity looks like
    elif not resource.item_schema:
        if op.method == "GET" and kind == "collection":
            candidate = list_items_member(success)[1]
        elif op.method in ("POST", "PUT", "PATCH") and isinstance(success, dict):
            candidate = success
        else:
            candidate = None
        if candidate:
            resource.item_schema = candidate


def singular_of(name: str) -> str:
    """One of a collection's entities, in words: ``repositories`` -> ``repository``,
    ``addresses`` -> ``address``, ``payment_methods`` -> ``payment_method``."""
    if name.endswith("ies") and len(name) > 3:
        return name[:-3] + "y"
    if name.endswith(("sses", "xes", "ches", "shes")):
        return name[:-2]
    if name.endswith("s") and not name.endswith(("ss", "us")):  # (status, campus: already one)
        return name[:-1]
    return name


def key_member(id_param: str | None, collection: str, properties: dict) -> str:
    """The member an item path's parameter names: itself (``sku``), the parameter without
    the resource's name (``issue_number`` -> ``number``, ``petId`` -> ``id``), ``id``, or a
    member ending in id named after the resource; ``id`` when none fits."""
    if id_param in properties:
        return id_param
    singular = singular_of(collection).lower()
    if id_param:
        bare = re.sub(rf"^{re.escape(singular)}[_-]?", "", id_param, flags=re.I)
        for candidate in (bare, bare[:1].lower() + bare[1:], bare.lower()):
            if candidate and candidate in properties:
                return candidate
    if "id" in properties:
        return "id"
    for name in properties:
        if name.lower().endswith("id") and name.lower().startswith(singular[:3]):
            return name
    return "id"


def constrains(schema: dict) -> bool:
    """Does a string or number schema narrow its values (a pattern, a format, bounds...)?"""
    return any(key in schema for key in ("pattern", "format", "enum", "const", "minLength", "maxLength",
                                         "minimum", "maximum"))


def _settle(resource: Resource) -> None:
    """Pick the key member and the parent member once every operation is read."""
    properties = properties_of(resource.item_schema)
    resource.key = key_member(resource.id_param, resource.name, properties)
    member = properties.get(resource.key) if isinstance(properties.get(resource.key), dict) else {}
    if not resource.id_schema or constrains(member) and not constrains(resource.id_schema):
        # The key member says more of an id's form (th_abc123) than a bare path parameter.
        resource.id_schema = {k: v for k, v in member.items() if k not in ("readOnly", "writeOnly")}
    if resource.parent_param or resource.parent:
        candidates = [resource.parent_param] if resource.parent_param else []
        if resource.parent is not None:
            singular = singular_of(resource.parent.name)
            candidates += [f"{singular}_id", f"{singular}Id", singular]
        resource.parent_field = next((c for c in candidates if c and c in properties),
                                     resource.parent_param or f"{singular_of(resource.parent.name)}_id")
