"""The ``x-mock-*`` keys a spec may carry: where each may stand and what its value must be.

`check_vocabulary` runs when a spec loads: an unknown key (a typo such as
``x-mock-colections``), a key in a place it means nothing, or a bad value is a SpecError
naming the spec and the JSON pointer, never a silently ignored declaration. Every key is
documented, with an example, in docs/x-mock.md; a test keeps the two lists equal.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any, Callable

from .spec import SpecError

# This file's version: part of the spec cache's key, so a change to the rules re-checks
# every spec (the check runs only when a spec's text is parsed, not when it is cached).
STAMP = str(Path(__file__).stat().st_mtime_ns)

ROOT, OPERATION, SECURITY_SCHEME, SCHEMA = "the document root", "an operation", "a security scheme", "a schema"
PARAMETER = "a parameter"
IDS = ("integer", "ulid", "uuid", "none")
COLLECTION_KEYS = {"key", "ids", "indexes", "references", "schema", "survives_reset", "generate"}
ACCESS_KEYS = {"scope", "user", "logins"}


def _one_of(*allowed) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        return "" if value in allowed else f"must be one of {', '.join(map(repr, allowed))}, not {value!r}"
    return check


def _boolean(value: Any) -> str:
    return "" if isinstance(value, bool) else f"must be true or false, not {value!r}"


def _collections(value: Any) -> str:
    if not isinstance(value, dict):
        return "must map collection names to their layout"
    for name, layout in value.items():
        if not isinstance(layout, dict):
            return f"{name}: must be a mapping"
        unknown = sorted(set(layout) - COLLECTION_KEYS)
        if unknown:
            return f"{name}: unknown key(s) {unknown}; a collection takes {', '.join(sorted(COLLECTION_KEYS))}"
        if "ids" in layout and layout["ids"] not in IDS:
            return f"{name}: unknown ids strategy {layout['ids']!r}; choose from {', '.join(IDS)}"
        if not isinstance(layout.get("indexes", []), list):
            return f"{name}: indexes must be a list of member names"
        if not isinstance(layout.get("references", {}), dict) or \
                not all(isinstance(v, str) for v in (layout.get("references") or {}).values()):
            return f"{name}: references must map members to parent collections"
        missing = sorted(set((layout.get("references") or {}).values()) - set(value))
        if missing:
            return f"{name}: references name no collection of this spec: {missing}"
    return ""


def _access(value: Any) -> str:
    if not isinstance(value, dict):
        return "must be a mapping of scope, user, logins"
    unknown = sorted(set(value) - ACCESS_KEYS)
    if unknown:
        return f"unknown key(s) {unknown}; it takes {', '.join(sorted(ACCESS_KEYS))}"
    if "logins" in value and not isinstance(value["logins"], bool):
        return "logins must be true or false"
    if "user" in value and not (isinstance(value["user"], dict) and "collection" in value["user"]):
        return "user must be a mapping with a collection (and optionally fields)"
    return ""


NAMES_KEYS = {"collection", "missing"}


def _names(value: Any) -> str:
    declared = {"collection": value} if isinstance(value, str) else value
    if not isinstance(declared, dict) or not isinstance(declared.get("collection"), str):
        return "must be a collection name, or a mapping with collection (and missing)"
    unknown = sorted(set(declared) - NAMES_KEYS)
    if unknown:
        return f"unknown key(s) {unknown}; it takes {', '.join(sorted(NAMES_KEYS))}"
    missing = declared.get("missing")
    if missing is None:
        return ""
    if not isinstance(missing, dict) or set(missing) - {"status", "message"}:
        return "missing must be a mapping of status and message"
    if "status" in missing and not (isinstance(missing["status"], int) and 400 <= missing["status"] <= 599):
        return f"missing.status must be an HTTP error status, not {missing['status']!r}"
    return _template_problem(str(missing.get("message", "")), {"value"})


PAGING_KEYS = {"style": None, "page": str, "size": str, "after": str, "before": str, "default_size": int,
               "max_size": int, "body": None, "invalid_page": dict, "first_page": None}
PAGING_STYLES = ("pages", "links", "cursor", "none")
PAGE_PLACEHOLDERS = {"items", "count", "page", "pages", "size", "next", "previous", "prev"}


def _paging(value: Any) -> str:
    if not isinstance(value, dict):
        return "must be a mapping of style, its parameters and body"
    unknown = sorted(set(value) - set(PAGING_KEYS))
    if unknown:
        return f"unknown key(s) {unknown}; it takes {', '.join(PAGING_KEYS)}"
    if value.get("first_page", "bare") not in ("bare", "numbered"):
        return f"first_page must be bare or numbered, not {value.get('first_page')!r}"
    if value.get("style", "none") not in PAGING_STYLES:
        return f"unknown style {value.get('style')!r}; choose from {', '.join(PAGING_STYLES)}"
    for name, kind in PAGING_KEYS.items():
        if kind is not None and name in value and not isinstance(value[name], kind):
            return f"{name} must be {'a number' if kind is int else 'a name' if kind is str else 'a mapping'}"
    allowed = PAGE_PLACEHOLDERS | {f"{name}?" for name in PAGE_PLACEHOLDERS}
    for text in _strings(value.get("body")):
        problem = _template_problem(text, allowed)
        if problem:
            return f"body: {problem}"
    return ""


def _order(value: Any) -> str:
    if not isinstance(value, dict) or set(value) - {"by", "descending"} or not isinstance(value.get("by"), list) \
            or not value["by"] or not all(isinstance(name, str) for name in value["by"]):
        return "must be a mapping with by (a list of member names) and descending (true or false)"
    return "" if isinstance(value.get("descending", False), bool) else "descending must be true or false"


FILTER_KEYS = ("style", "model", "fields", "related", "search", "forbidden", "order", "reserved", "types", "absent")
FILTER_TYPES = ("integer", "number", "boolean", "string", "date-time", "reference", "json")


def _member_names(value: Any) -> bool:
    """A list of member names (no ``__``: that separates a filter's fields)."""
    return isinstance(value, list) and all(isinstance(n, str) and n and "__" not in n for n in value)


def _filters(value: Any) -> str:
    """x-mock-filters (mockserver.filters): the lists are names, and what the options name is a field."""
    if not isinstance(value, dict):
        return "must be a mapping of style, fields and their options"
    unknown = sorted(set(value) - set(FILTER_KEYS))
    if unknown:
        return f"unknown key(s) {unknown}; it takes {', '.join(FILTER_KEYS)}"
    if value.get("style", "django") != "django":
        return f"unknown style {value.get('style')!r}; the one style is django"
    fields = value.get("fields")
    if not _member_names(fields) or not fields:
        return "fields must be a list of member names (without __)"
    if "model" in value and not (isinstance(value["model"], str) and value["model"]):
        return "model must be a name"
    for name in ("search", "reserved"):
        if name in value and not _member_names(value[name]):
            return f"{name} must be a list of names"
    order = value.get("order", [])
    if not (_member_names([order]) if isinstance(order, str) else _member_names(order)):
        return "order must be the name of the order parameter, or a list of names"
    forbidden = value.get("forbidden", [])
    if isinstance(forbidden, dict):
        if not all(isinstance(m, str) for m in forbidden.values()) or not _member_names(list(forbidden)):
            return "forbidden must list member names, or map them to the 403's message"
    elif not _member_names(forbidden):
        return "forbidden must list member names, or map them to the 403's message"
    for name in ("related", "types", "absent"):
        if not isinstance(value.get(name, {}), dict):
            return f"{name} must be a mapping of fields"
    if not all(isinstance(c, str) for c in (value.get("related") or {}).values()):
        return "related must map fields to the collections they name"
    bad = sorted({str(t) for t in (value.get("types") or {}).values()} - set(FILTER_TYPES))
    if bad:
        return f"types: unknown type(s) {bad}; choose from {', '.join(FILTER_TYPES)}"
    for name in ("search", "related", "types", "absent"):
        outside = sorted(set(map(str, value.get(name) or ())) - set(fields))
        if outside:
            return f"{name} names what fields does not list: {outside}"
    both = sorted(set(forbidden) & set(fields))
    if both:
        return f"a field cannot be forbidden too: {both}"
    return ""


VIEW_KEYS = {"collection", "show"}


def _views(value: Any) -> str:
    if not isinstance(value, dict) or not value:
        return "must map view names to views ({collection, show})"
    for name, view in value.items():
        if not isinstance(view, dict) or not isinstance(view.get("show"), dict):
            return f"{name}: must be a mapping with show (the template of the shown object) and its collection"
        unknown = sorted(set(view) - VIEW_KEYS)
        if unknown:
            return f"{name}: unknown key(s) {unknown}; a view takes {', '.join(sorted(VIEW_KEYS))}"
        if "collection" in view and not isinstance(view["collection"], str):
            return f"{name}: collection must be the name of a collection"
    return ""


def _view_name(value: Any) -> str:
    return "" if isinstance(value, str) and value else f"must name a view of x-mock-views, not {value!r}"


# x-mock-errors: each generic situation and the placeholders its message and headers may use.
SITUATIONS = {"unauthenticated": set(), "refused": set(), "route_not_found": {"method", "path", "mount"},
              "method_not_allowed": {"method", "allowed", "path"}, "bad_path": {"operation"},
              "too_large": {"limit"}, "internal_error": set()}


def _errors(value: Any) -> str:
    if not isinstance(value, dict):
        return "must be a mapping of body, codes and situations"
    unknown = sorted(set(value) - set(SITUATIONS) - {"body", "codes", "violations"})
    if unknown:
        return f"unknown key(s) {unknown}; it takes body, codes, violations, {', '.join(SITUATIONS)}"
    if "violations" in value:
        problem = _violations(value["violations"])
        if problem:
            return f"violations: {problem}"
    if "codes" in value and not (isinstance(value["codes"], dict) and all(
            str(k) == "default" or str(k).isdigit() for k in value["codes"])):
        return "codes must map statuses (or default) to code words"
    for text in _strings(value.get("body")):
        problem = _template_problem(text, BODY_PLACEHOLDERS)
        if problem:
            return f"body: {problem}"
    for name, allowed in SITUATIONS.items():
        declared = value.get(name)
        if declared is None:
            continue
        if not isinstance(declared, dict) or set(declared) - {"status", "message", "headers", "code"}:
            return f"{name}: must be a mapping of status, message, headers, code"
        if "status" in declared and not (isinstance(declared["status"], int) and 400 <= declared["status"] <= 599):
            return f"{name}: status must be an HTTP error status, not {declared['status']!r}"
        headers = declared.get("headers") or {}
        if not isinstance(headers, dict) or not all(isinstance(v, (str, int)) for v in headers.values()):
            return f"{name}: headers must map header names to text"
        for text in [str(declared.get("message", ""))] + [str(v) for v in headers.values()]:
            problem = _template_problem(text, allowed)
            if problem:
                return f"{name}: {problem}"
    return ""


# x-mock-errors.violations (mockserver.wording): the list's settings, the whole-request
# cases, and templates per keyword (anywhere, or per location) with a violation's placeholders.
KEYWORDS = {"type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
            "maxLength", "minLength", "pattern", "format", "maxItems", "minItems", "uniqueItems", "contains",
            "maxContains", "minContains", "maxProperties", "minProperties", "required", "dependentRequired",
            "additionalProperties", "unevaluatedProperties", "unevaluatedItems", "propertyNames", "oneOf",
            "anyOf", "not", "false"}


def _violations(value: Any) -> str:
    from .wording import LOCATIONS, SENTENCE, WHOLE

    if not isinstance(value, dict):
        return "must be a mapping (prefix, join, limit, more, templates)"
    allowed = {"prefix", "join", "limit", "more", "default", "body_type", "keywords", *WHOLE, *LOCATIONS}
    unknown = sorted(set(value) - allowed)
    if unknown:
        return f"unknown key(s) {unknown}; it takes {', '.join(sorted(allowed))}"
    if "limit" in value and not (isinstance(value["limit"], int) and not isinstance(value["limit"], bool)
                                 and value["limit"] >= 1):
        return f"limit must be a number from 1, not {value['limit']!r}"
    for name in ("prefix", "join", "more", "default", "body_type", *WHOLE):
        if name in value and not isinstance(value[name], str):
            return f"{name} must be text"
    templates = [("more", value.get("more", ""), {"more"})] + [
        (name, value[name], WHOLE[name]) for name in WHOLE if name in value] + [
        (name, value[name], SENTENCE) for name in ("default", "body_type") if name in value]
    for section in ("keywords", *LOCATIONS):
        problem = _keyword_templates(value.get(section, {}))
        if problem:
            return f"{section}: {problem}"
        templates += [(f"{section}.{keyword}", text, SENTENCE) for keyword, text in value.get(section, {}).items()]
    for name, text, placeholders in templates:
        problem = _template_problem(text, placeholders)
        if problem:
            return f"{name}: {problem}"
    return ""


def _keyword_templates(value: Any) -> str:
    if not isinstance(value, dict) or not all(isinstance(text, str) for text in value.values()):
        return "must map JSON Schema keywords to message templates"
    unknown = sorted(set(value) - KEYWORDS)
    return f"unknown keyword(s) {unknown}; the keywords are {', '.join(sorted(KEYWORDS))}" if unknown else ""


def _messages(value: Any) -> str:
    from .wording import SENTENCE

    problem = _keyword_templates(value)
    if problem:
        return problem
    for keyword, text in value.items():
        problem = _template_problem(text, SENTENCE)
        if problem:
            return f"{keyword}: {problem}"
    return ""


BODY_PLACEHOLDERS = {"status", "message", "code", "fields", "cause"}
BODY_PLACEHOLDERS |= {f"{name}?" for name in BODY_PLACEHOLDERS}


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [text for value in node.values() for text in _strings(value)]
    if isinstance(node, list):
        return [text for item in node for text in _strings(item)]
    return [node] if isinstance(node, str) else []


def _template_problem(text: str, allowed: set[str]) -> str:
    """Why `text` is no template str.format can fill with `allowed` names ("" when it is)."""
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text)
                  if name is not None]
    except ValueError as exc:  # an unbalanced brace
        return f"{text!r}: {exc} (write {{{{ and }}}} for a brace)"
    for name, spec, conversion in fields:
        if name not in allowed or spec or conversion:
            return f"{text!r}: unknown placeholder {{{name}}}; it may use {sorted(allowed) or 'none'}"
    return ""


# key -> (where it may stand, check of its value: "" when fine, else why not)
VOCABULARY: dict[str, tuple[tuple[str, ...], Callable[[Any], str]]] = {
    "x-mock-collections": ((ROOT,), _collections),
    "x-mock-trailing-slash": ((ROOT,), _one_of("optional")),
    "x-mock-repeated-query": ((ROOT,), _one_of("first", "last")),
    "x-mock-access": ((ROOT,), _access),
    "x-mock-errors": ((ROOT,), _errors),
    "x-mock-validation": ((OPERATION,), _one_of("handler")),
    "x-mock-paging": ((OPERATION,), _paging),
    "x-mock-order": ((OPERATION,), _order),
    "x-mock-filters": ((OPERATION,), _filters),
    "x-mock-views": ((ROOT,), _views),
    "x-mock-view": ((OPERATION,), _view_name),
    "x-mock-any-cookie": ((SECURITY_SCHEME,), _boolean),
    "x-mock-secret": ((SCHEMA,), _boolean),
    "x-mock-sensitive": ((SCHEMA,), _boolean),
    "x-mock-messages": ((SCHEMA,), _messages),
    "x-mock-names": ((PARAMETER, SCHEMA), _names),
}
_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def check_vocabulary(document: dict, source: str) -> None:
    """Raise SpecError for the first misplaced, unknown or ill-valued ``x-mock-*`` key."""
    for pointer, place, key, value in _declarations(document, "", ROOT):
        known = VOCABULARY.get(key)
        where = f"{source}: {pointer}/{key}"
        if known is None:
            near = [k for k in VOCABULARY if _close(k, key)]
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise SpecError(f"{where}: unknown key{hint}; the x-mock-* keys are {', '.join(VOCABULARY)} "
                            f"(see docs/x-mock.md in the project)")
        places, check = known
        if place not in places:
            raise SpecError(f"{where}: belongs in {' or '.join(places)}, not in {place}")
        problem = check(value)
        if problem:
            raise SpecError(f"{where}: {problem}")


def _declarations(node: Any, pointer: str, place: str):
    """(pointer of the holder, kind of place, key, value) of every x-mock-* key."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            child = f"{pointer}/{index}"
            yield from _declarations(item, child, SCHEMA if place == SCHEMA else
                                     PARAMETER if _place_of(child, place) == PARAMETER else "a list")
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if isinstance(key, str) and key.startswith("x-mock-"):
            yield pointer, place, key, value
            continue
        child = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
        yield from _declarations(value, child, _place_of(child, place))


def _place_of(pointer: str, parent: str) -> str:
    parts = pointer.split("/")[1:]
    if len(parts) == 3 and parts[0] == "paths" and parts[2] in _METHODS:
        return OPERATION
    if len(parts) == 3 and parts[:2] == ["components", "securitySchemes"]:
        return SECURITY_SCHEME
    if len(parts) == 3 and parts[:2] == ["components", "parameters"] or len(parts) >= 4 and parts[-2] == "parameters" \
            and parts[0] == "paths" and len(parts) in (4, 5) and parts[-1].isdigit():
        return PARAMETER
    if parts and parts[-1] == "schema" or parent == SCHEMA or parts[:2] == ["components", "schemas"]:
        return SCHEMA
    return "another object"


def _close(a: str, b: str) -> bool:
    """Two keys a typo apart (one letter missing, added, changed or swapped)."""
    import difflib

    return difflib.SequenceMatcher(None, a, b).ratio() > 0.85
