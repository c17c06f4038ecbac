"""What AWX answers to OPTIONS: DRF's view metadata as AWX's ``metadata.py`` extends it.

AWX's official CLI (awxkit) builds its commands from it: each ``actions.GET`` field that
is ``filterable`` becomes a ``list --field`` option, each ``actions.POST`` field a
``create --field`` option typed by its ``type`` (``id`` fields take an id or a unique
name, ``json`` ones JSON or YAML), and the ``Allow`` header of ``<list>/1/`` says whether
``modify`` and ``delete`` exist.

Everything here is read from the spec: the operations at the request's path (which
methods, the write body's schema, the read schema), the collection's ``references``
(a reference is an ``id`` field), the list's ``x-mock-filters`` (``filterable``,
``search_fields``) and ``x-mock-paging`` (``max_page_size``). Only the roles of each
kind of object are AWX's own constants.
"""

from __future__ import annotations

import re
from typing import Any

from ..crud.infer import is_type, list_items_member, properties_of
from ..crud.shapes import required_of
from ..messages import Reply

# [awx] DRF's http_method_names order, which its Allow header follows.
METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
RENDERS = ["application/json", "text/html"]
PARSES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]
# [awx] The roles an object of each kind has (``object_roles`` of a list's metadata), by
# the list's path segment. awxkit's ``users grant/revoke`` read them for every kind.
OBJECT_ROLES = {
    "credentials": ["admin_role", "use_role", "read_role"],
    "projects": ["admin_role", "use_role", "update_role", "read_role"],
    "inventories": ["admin_role", "update_role", "adhoc_role", "use_role", "read_role"],
    "job_templates": ["admin_role", "execute_role", "read_role"],
    "workflow_job_templates": ["admin_role", "execute_role", "read_role", "approval_role"],
    "instance_groups": ["admin_role", "use_role", "read_role"],
    "organizations": ["admin_role", "execute_role", "project_admin_role", "inventory_admin_role",
                      "credential_admin_role", "workflow_admin_role", "notification_admin_role",
                      "job_template_admin_role", "execution_environment_admin_role", "auditor_role",
                      "member_role", "read_role", "approval_role"],
    "teams": ["admin_role", "member_role", "read_role"],
}
READ_ONLY_OBJECTS = ("related", "summary_fields")  # [awx] serializer-made objects: type "object"
_MARKER = re.compile(r"\[(doc|notes|awx|mock|issue \d+)\]\s*")


def describe(behavior, ctx) -> Reply:
    """The metadata of the view at the request's path, with its ``Allow`` header."""
    spec = behavior.spec
    here = {op.method.upper(): op for op in spec.operations if op.path == ctx.operation.path}
    read = here.get("GET")
    write = here.get("POST") or here.get("PUT")
    collection, view_filters = _collection_and_filters(spec, read)
    references = spec.collections[collection].references if collection in spec.collections else {}
    actions: dict[str, dict] = {}
    if write is not None and write.body is not None:
        actions[write.method.upper()] = _write_fields(write.body.schema(), references)
    if read is not None:
        actions["GET"] = _read_fields(read, references, set(view_filters.get("fields") or ()))
    body: dict[str, Any] = {"name": ctx.operation.summary, "description": read.summary if read else "",
                            "renders": RENDERS, "parses": PARSES, "actions": actions}
    paging = read.extensions.get("x-mock-paging") if read is not None else None
    if paging:  # a list view
        item = _read_schema(read)
        kind = (properties_of(item).get("type") or {}) if item else {}
        body.update({
            "types": [kind["const"]] if "const" in kind else list(kind.get("enum") or ()),
            "search_fields": sorted(view_filters.get("search") or ()),
            "related_search_fields": [f"{name}__search" for name in sorted(view_filters.get("related") or {})],
            "max_page_size": int(paging.get("max_size", 1000)),
        })
    resource = ctx.operation.path.rstrip("/").rsplit("/", 1)[-1]
    if paging or resource in OBJECT_ROLES:
        body["object_roles"] = OBJECT_ROLES.get(resource, [])
    methods = set(here) | {"HEAD"} if "GET" in here else set(here)
    return Reply(200, body, {"Allow": ", ".join(m for m in METHOD_ORDER if m in methods)})


def _collection_and_filters(spec, read) -> tuple[str | None, dict]:
    """The collection the view shows (its declared view's) and the filters declared for
    that collection's lists (a detail view's fields are as filterable as its list's)."""
    if read is None:
        return None, {}
    views = spec.document.get("x-mock-views") or {}
    collection = (views.get(read.extensions.get("x-mock-view")) or {}).get("collection")
    filters = read.extensions.get("x-mock-filters")
    if filters is None:
        filters = next((op.extensions["x-mock-filters"] for op in spec.operations
                        if "x-mock-filters" in op.extensions
                        and (views.get(op.extensions.get("x-mock-view")) or {}).get("collection") == collection), {})
    return collection, filters


def _read_schema(read) -> dict | None:
    response = read.responses.get("200")
    schema = response.schema if response is not None else None
    if read.extensions.get("x-mock-paging"):
        return list_items_member(schema)[1]
    return schema


def _read_fields(read, references: dict, filterable: set[str]) -> dict:
    schema = _read_schema(read) or {}
    return {name: {**_field(name, prop, references), "filterable": name in filterable}
            for name, prop in properties_of(schema).items() if isinstance(prop, dict)}


def _write_fields(schema: dict, references: dict) -> dict:
    """[awx] Writable fields only: AWX drops read-only ones from POST and PUT."""
    required = set(required_of(schema))
    fields = {}
    for name, prop in properties_of(schema).items():
        if not isinstance(prop, dict) or prop.get("readOnly"):
            continue
        info = {**_field(name, prop, references), "required": name in required}
        if "maxLength" in prop:
            info["max_length"] = prop["maxLength"]
        if "default" in prop:
            info["default"] = prop["default"]
        fields[name] = info
    return fields


def _field(name: str, prop: dict, references: dict) -> dict:
    """A field's ``type``, ``label`` and ``help_text`` (and ``choices`` for a fixed value)."""
    info: dict[str, Any] = {"type": _type_of(name, prop, references), "label": _label(name, prop)}
    # The description's first part, without the notes of where each rule comes from.
    text = str(prop.get("description") or "").strip()
    leading = _MARKER.match(text)
    help_text = _MARKER.split(text[leading.end():] if leading else text)[0].strip()
    if help_text:
        info["help_text"] = " ".join(help_text.split())
    choices = [prop["const"]] if "const" in prop else prop.get("enum")
    if choices and info["type"] == "choice":
        info["choices"] = [[choice, str(choice).replace("_", " ").title()] for choice in choices]
    return info


def _type_of(name: str, prop: dict, references: dict) -> str:
    if name in references:
        return "id"
    if name in READ_ONLY_OBJECTS:
        return "object"
    if "const" in prop or ("enum" in prop and name == "type"):
        return "choice"
    if prop.get("format") == "date-time":
        return "datetime"
    # The first of these the schema allows: inputs (an object, or JSON/YAML text) are json,
    # managed ([boolean, string] in the document's words) boolean, a name [string, number] string.
    for kind, word in (("object", "json"), ("boolean", "boolean"), ("array", "list"), ("string", "string"),
                       ("integer", "integer"), ("number", "float")):
        if is_type(prop, kind):
            return word
    return "field"


def _label(name: str, prop: dict) -> str:
    if prop.get("title"):
        return str(prop["title"])
    return "ID" if name == "id" else name.replace("_", " ").capitalize()
