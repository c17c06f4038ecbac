"""Fit stored entities into the documented response shapes.

- `project`: an entity as a response schema shows it: members the schema does not list,
  or marks ``writeOnly``, never leave the mock;
- `envelope`: a page of entities in the list response's shape (a bare array, or an
  object with the array and its counts and cursors);
- `error_body`: an error in the API's documented error shape, with the message placed
  where the schema has room for one.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Callable

from .infer import is_type, properties_of

# Envelope members filled with the total count, the cursor of the next page, and so on.
COUNT_MEMBERS = ("total", "count", "total_count", "totalCount", "totalItems", "total_items", "totalElements",
                 "totalResults", "total_results", "size")
NEXT_MEMBERS = ("next_cursor", "nextCursor", "next", "next_page_token", "nextPageToken", "cursor", "nextLink")
MORE_MEMBERS = ("has_more", "hasMore", "more")
MESSAGE_MEMBERS = ("message", "detail", "error_description", "errorMessage", "error_message", "description",
                   "msg", "reason", "title")
STATUS_MEMBERS = ("status", "code", "status_code", "statusCode", "httpStatus")


def project(value: Any, schema: Any, hidden: frozenset = frozenset()) -> Any:
    """`value` as `schema` shows it (see the module docstring). Members named in `hidden`
    (the API's ``writeOnly`` ones) never show, even through a free-form schema."""
    return projector(schema, hidden)(value)


_PROJECTORS: dict[tuple[int, frozenset], tuple[Any, Callable[[Any], Any]]] = {}
_SKIP = object()  # a writeOnly member: never shown


def projector(schema: Any, hidden: frozenset = frozenset()) -> Callable[[Any], Any]:
    """`project` for one schema, worked out once: a list shows 25 rows, each through the
    same schema, and reading the schema again per row and member cost more than the rest
    of the answer. (Keyed by the schema's identity; the schema is kept, so its id stays its.)"""
    key = (id(schema), hidden)
    known = _PROJECTORS.get(key)
    if known is not None and known[0] is schema:
        return known[1]
    if len(_PROJECTORS) > 10_000:  # specs loaded and dropped again and again (tests): start afresh
        _PROJECTORS.clear()
    made = _build(schema, hidden)
    _PROJECTORS[key] = (schema, made)
    return made


def _without_hidden(value: Any, hidden: frozenset) -> Any:
    if isinstance(value, dict) and hidden:
        return {name: member for name, member in value.items() if name not in hidden}
    return value


def _build(schema: Any, hidden: frozenset) -> Callable[[Any], Any]:
    if not isinstance(schema, dict):
        return lambda value: _without_hidden(value, hidden)
    properties = properties_of(schema)
    for branch in (schema.get("oneOf") or schema.get("anyOf") or ()):
        if isinstance(branch, dict):
            for name, sub in properties_of(branch).items():
                properties.setdefault(name, sub)
    extra = schema.get("additionalProperties")
    items = schema.get("items")
    free = not properties and extra in (None, True)  # a free-form object shows all
    members = {name: (_SKIP if sub.get("writeOnly") else _member(sub, hidden))
               for name, sub in properties.items() if isinstance(sub, dict)}
    others = _member(extra, hidden) if isinstance(extra, dict) else None
    if not free and not hidden and others is None:
        # The usual row: members picked by name in one comprehension; an object or list
        # member (rare) then goes through its own schema.
        shown_names = frozenset(name for name, how in members.items() if how is not _SKIP)
        # Members whose schema allows no object or array need no second look.
        nested = any(not _scalar(properties[name]) for name in shown_names)

        def pick(value: Any) -> Any:
            if isinstance(value, dict):
                shown = {name: member for name, member in value.items() if name in shown_names}
                if nested:
                    for name, member in shown.items():
                        if isinstance(member, (dict, list)):
                            shown[name] = members[name](member)
                return shown
            if isinstance(value, list):
                each = projector(items, hidden)
                return [each(item) for item in value]
            return value
        required = set(required_of(schema))
        return pick if nested else _flat_picker([n for n in members if n in shown_names], required, pick)

    def show(value: Any) -> Any:
        if isinstance(value, dict):
            if hidden:
                value = {name: member for name, member in value.items() if name not in hidden}
            if free:
                return {k: _without_hidden(v, hidden) for k, v in value.items()}
            shown = {}
            for name, member in value.items():
                how = members.get(name, others if name not in properties else None)
                if how is _SKIP or how is None:
                    continue
                shown[name] = how(member)
            return shown
        if isinstance(value, list):
            each = projector(items, hidden)
            return [each(item) for item in value]
        return value
    return show


def _flat_picker(names: list[str], required: set[str], general: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A row of scalar members picked by name, as straight-line Python made once (a list
    shows it per row: this is what a hand-written view costs); anything else: `general`.
    The members the schema requires are read in one dict display (a row lacking one, which
    the documented answer could not show anyway, goes the general way)."""
    always = [name for name in names if name in required]
    sometimes = [name for name in names if name not in required]
    display = ", ".join(f"{name!r}: value[{name!r}]" for name in always)
    lines = ["def pick(value):", "    if value.__class__ is not dict:", "        return general(value)",
             "    try:", f"        shown = {{{display}}}", "    except KeyError:", "        return general(value)"]
    for name in sometimes:
        lines += [f"    if {name!r} in value:", f"        shown[{name!r}] = value[{name!r}]"]
    lines.append("    return shown")
    scope: dict = {"general": general}
    exec(compile("\n".join(lines), "<projection>", "exec"), scope)  # noqa: S102 - names are repr()-quoted
    return scope["pick"]


_SCALARS = {"string", "integer", "number", "boolean", "null"}


def _scalar(schema: dict) -> bool:
    """Does the schema allow only scalars (so a stored value under it is never projected)?"""
    declared = schema.get("type")
    kinds = {declared} if isinstance(declared, str) else set(declared) if isinstance(declared, list) else None
    if kinds is not None:
        return kinds <= _SCALARS
    values = schema.get("enum", [schema["const"]] if "const" in schema else None)
    return isinstance(values, list) and all(not isinstance(v, (dict, list)) for v in values)


def _member(schema: dict, hidden: frozenset) -> Callable[[Any], Any]:
    """How one member shows: as it is when it is no object or list (most are), else
    through its schema."""
    def show(value: Any) -> Any:
        if isinstance(value, (dict, list)):
            return projector(schema, hidden)(value)
        return value
    return show


def envelope(schema: dict | None, member: str | None, page: list, *, total: int,
             next_cursor: str | None, page_number: int | None, size: int | None) -> Any:
    """The list response: `page` alone, or inside the documented object."""
    if member is None:
        return page
    body: dict[str, Any] = {member: page}
    properties = properties_of(schema or {})
    for name, sub in properties.items():
        if name == member or not isinstance(sub, dict):
            continue
        if name in COUNT_MEMBERS and _numeric(sub):
            body[name] = total
        elif name in NEXT_MEMBERS and (is_type(sub, "string") or is_type(sub, "null")):
            if next_cursor is not None or is_type(sub, "null"):
                body[name] = next_cursor
        elif name in MORE_MEMBERS and is_type(sub, "boolean"):
            body[name] = next_cursor is not None
        elif name in ("page", "pageNumber", "page_number", "current_page") and _numeric(sub) and page_number:
            body[name] = page_number
        elif name in ("per_page", "page_size", "pageSize", "limit") and _numeric(sub) and size:
            body[name] = size
    return body


def fill_required(value: Any, schema: Any, make: Callable[[str, dict], Any]) -> Any:
    """`value` with the members its schema requires and it lacks: a ``const``, a
    ``default``, a lone ``enum`` value, else ``make(name, member schema)`` (Stripe's
    ``object: "list"``, a delete's ``deleted: true``). Nested objects and items too."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, list):
        items = schema.get("items")
        return [fill_required(item, items, make) for item in value] if isinstance(items, dict) else value
    if not isinstance(value, dict):
        return value
    properties = properties_of(schema)
    filled = dict(value)
    for name in required_of(schema):
        if name in filled:
            continue
        sub = properties.get(name) if isinstance(properties.get(name), dict) else {}
        if "const" in sub:
            filled[name] = sub["const"]
        elif "default" in sub:
            filled[name] = sub["default"]
        elif isinstance(sub.get("enum"), list) and len(sub["enum"]) == 1:
            filled[name] = sub["enum"][0]
        else:
            filled[name] = make(name, sub)
    for name, member in filled.items():
        if isinstance(member, (dict, list)) and isinstance(properties.get(name), dict):
            filled[name] = fill_required(member, properties[name], make)
    return filled


def required_of(schema: dict) -> list[str]:
    """The members a schema requires, with those of its allOf branches."""
    names = list(schema.get("required") or ())
    for branch in schema.get("allOf") or ():
        if isinstance(branch, dict):
            names += [n for n in required_of(branch) if n not in names]
    return names


def _numeric(schema: dict) -> bool:
    return is_type(schema, "integer") or is_type(schema, "number")


def error_body(schema: dict | None, status: int, message: str) -> Any:
    """An error body in the shape `schema` documents (a plain ``{status, message}`` when
    the API documents none). The caller checks it against the schema."""
    if not isinstance(schema, dict):
        return {"status": status, "message": message}
    if is_type(schema, "string"):
        return message
    properties = properties_of(schema)
    if not properties:
        return {"status": status, "message": message}
    body: dict[str, Any] = {}
    placed = False
    for name, sub in properties.items():
        if not isinstance(sub, dict):
            continue
        if name in MESSAGE_MEMBERS and is_type(sub, "string") and not placed:
            body[name], placed = message, True
        elif name in STATUS_MEMBERS and _numeric(sub):
            body[name] = status
        elif name in STATUS_MEMBERS + ("error", "type") and is_type(sub, "string") \
                and not any(k in sub for k in ("enum", "const", "pattern", "format")):
            body[name] = _phrase(status)
        elif name in ("error", "errors") and is_type(sub, "object"):
            body[name] = error_body(sub, status, message)
            placed = True
        elif name == "errors" and is_type(sub, "array"):
            item = sub.get("items") if isinstance(sub.get("items"), dict) else {}
            body[name] = [error_body(item, status, message)] if properties_of(item) else [message]
            placed = True
    return body


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
