"""Declared list filters: ``x-mock-filters`` on a list operation (docs/x-mock.md).

``paging.page()`` applies them before it orders and pages, so every ``self.listing(...)``
filters as declared. The one style, ``django``, reads a query the way AWX 24.6.1 does
(Django REST framework with django-ansible-base's ``FieldLookupBackend``, DRF's
``SearchFilter`` and ``OrderByBackend``), in that order, so the first problem answers:

- every parameter that is not reserved is a filter ``field[__field2][__lookup]=value``,
  ``or__`` / ``chain__`` and then ``not__`` in front; each value of a repeated parameter is a
  filter of its own; the ``or__`` ones are OR-ed, the rest AND-ed (``chain__`` too);
- a value is converted by the field's type (the declaration's ``types``, a reference, the
  collection's schema, the list's item schema), with Django's and AWX's words when it
  cannot be; a member a stored entity lacks reads as its ``absent`` value (null);
- ``search=`` terms (split as DRF splits them) must each be in one of the search fields;
- the order parameter sorts by its fields (``-`` descending, nulls last as Postgres puts
  them, ties by key), over ``x-mock-order``.

A declaration compiles once per operation and collection (cached on the behaviour); a
request without a filter, search or order parameter costs one set lookup per parameter.
No message quotes a value sent for a forbidden field: that is refused before it is read.
"""

from __future__ import annotations

import json
import operator
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Callable

from .spec import ApiSpec, SpecError
from .timestamps import parse_timestamp
from .validation import Violation

# django-ansible-base's ANSIBLE_BASE_REST_FILTERS_RESERVED_NAMES: never a filter.
RESERVED = ("page", "page_size", "format", "order", "order_by", "search", "type", "host_filter", "count_disabled",
            "no_truncate", "limit", "validate")
LOOKUPS = frozenset({"exact", "iexact", "contains", "icontains", "startswith", "istartswith", "endswith",
                     "iendswith", "regex", "iregex", "gt", "gte", "lt", "lte", "in", "isnull", "search"})
TEXT_TESTS = {"contains": operator.contains, "startswith": str.startswith, "endswith": str.endswith}
COMPARISONS = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
# Django's words for a value its field cannot read, and ours (which never quote it).
DJANGO_INVALID = {
    "integer": ("value must be an integer.", "not an integer"),
    "number": ("value must be a float.", "not a number"),
    "date-time": ("value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format.",
                  "not a date and time"),
}
# What ``<relation>__search=`` looks in, of the related entity (FieldLookupBackend's list).
RELATED_SEARCH = ("username", "first_name", "last_name", "email", "name", "description", "playbook")
# Django smart_split: whitespace-separated, quoted phrases kept together.
_SMART_SPLIT = re.compile(r"""((?:[^\s'"]*(?:(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')[^\s'"]*)+)|\S+)""")


class Refused(Exception):
    """A query the list cannot answer: the status, the API's words, and why in a few words
    that never quote the value (for X-Mock-Violations and the journal)."""

    def __init__(self, status: int, message: str, why: str):
        super().__init__(message)
        self.status, self.message, self.why = status, message, why
        self.parameter = ""  # the query parameter it is about (set by `_naming`)


@contextmanager
def _naming(parameter: str):
    """Refusals raised inside are about this query parameter."""
    try:
        yield
    except Refused as refused:
        refused.parameter = refused.parameter or parameter
        raise


@dataclass(frozen=True)
class Field:
    """A member a filter may read: its name, type (`FILTER_TYPES`), value when a stored
    entity lacks it, and for a reference whether the keys it names are integers."""

    name: str
    kind: str = "string"
    absent: Any = None
    integer_keys: bool = True


@dataclass
class Model:
    """What a filter path reads: the fields of one collection as Django names them."""

    name: str  # "Credential": in the messages
    key: str
    fields: dict[str, Field]
    refusals: dict[str, str] = field(default_factory=dict)  # member -> the 403's message
    related: dict[str, "Model"] = field(default_factory=dict)  # member -> the model it leads to (one level)

    def get_field(self, name: str) -> Field:
        """The field `name` (``pk``: the key); a 403 for a forbidden one, a 400 for none."""
        if name in self.refusals:  # first, as AWX checks PASSWORD_FIELDS before the field exists
            raise Refused(403, self.refusals[name], "no filter may read this member")
        found = self.fields.get(name)
        if found is None and name == "pk":
            found = self.fields.get(self.key, Field(self.key, "integer"))
        if found is None:
            raise Refused(400, f"{self.name} has no field named '{name}'", f"not a field of {self.name}")
        return found


def _kind(schema: Any) -> str:
    """A member's filter type from its JSON Schema (the first type that is not null)."""
    if not isinstance(schema, dict):
        return "string"
    if schema.get("format") == "date-time":
        return "date-time"
    declared = schema.get("type")
    for kind in [declared] if isinstance(declared, str) else list(declared or ()):
        if kind in ("integer", "number", "boolean", "string"):
            return kind
        if kind in ("object", "array"):
            return "json"
    return "string"


def _model_name(collection: str) -> str:
    from .crud.infer import singular_of

    return "".join(part.capitalize() for part in singular_of(collection).split("_"))


def _secret(schema: Any) -> bool:
    return isinstance(schema, dict) and bool(schema.get("writeOnly") or schema.get("x-mock-secret")
                                             or schema.get("x-mock-sensitive"))


def _integer_keys(spec: ApiSpec, collection: str | None) -> bool:
    """Are the keys of `collection` integers (a reference to nothing stored: as Django's)?"""
    layout = spec.collections.get(collection) if collection else None
    if layout is None:
        return True
    return _kind(((layout.schema or {}).get("properties") or {}).get(layout.key)) == "integer" or \
        layout.ids == "integer"


def _related_model(spec: ApiSpec, collection: str, schema_of: Callable[[str], dict]) -> Model:
    """A referenced collection as a filter reads it: its schema's members, its secrets refused."""
    from .crud.infer import properties_of

    layout = spec.collections[collection]
    properties = properties_of(schema_of(collection))
    fields = {layout.key: Field(layout.key, "integer" if _integer_keys(spec, collection) else "string")}
    for name, schema in properties.items():
        target = layout.references.get(name)
        fields[name] = Field(name, "reference" if target else _kind(schema),
                             integer_keys=_integer_keys(spec, target))
    refusals = {name: f"Filtering on {name} is not allowed." for name, schema in properties.items() if _secret(schema)}
    return Model(_model_name(collection), layout.key, fields, refusals)


class ListFilters:
    """One operation's compiled declaration, for one collection."""

    def __init__(self, declared: dict, operation, layout, spec: ApiSpec, item_schema: Any,
                 schema_of: Callable[[str], dict]):
        from .crud.infer import properties_of

        stored, shown = properties_of(schema_of(layout.name)), properties_of(item_schema or {})
        types, absent = declared.get("types") or {}, declared.get("absent") or {}
        related = declared.get("related") or {}
        fields = {}
        for name in declared["fields"]:
            target = related.get(name) or layout.references.get(name)
            kind = types.get(name) or ("reference" if target else _kind(stored.get(name, shown.get(name))))
            fields[name] = Field(name, kind, absent.get(name), _integer_keys(spec, target))
        forbidden = declared.get("forbidden") or []
        refusals = forbidden if isinstance(forbidden, dict) else {n: f"Filtering on {n} is not allowed." for n in forbidden}
        self.model = Model(declared.get("model") or _model_name(layout.name), layout.key,
                           fields, {str(n): str(m) for n, m in refusals.items()},
                           {name: _related_model(spec, target, schema_of) for name, target in related.items()})
        self.related = dict(related)  # member -> collection
        self.key = layout.key
        self.search = [fields[name] for name in declared.get("search") or ()]
        order = declared.get("order") or ()
        self.order_names = (order,) if isinstance(order, str) else tuple(order)
        paging = operation.extensions.get("x-mock-paging") or {}
        # Never a filter: the reserved names, the paging parameters, and the operation's own
        # query parameters that are no field (the order and search parameters aside).
        inert = set(declared.get("reserved", RESERVED)) | {str(paging[k]) for k in ("page", "size", "after", "before")
                                                            if k in paging}
        inert |= {p.name for p in operation.parameters if p.location == "query" and p.name not in fields}
        self.inert = frozenset(inert - set(self.order_names) - ({"search"} if self.search else set()))

    def asked(self, query: dict) -> bool:
        """Does the request filter, search or order? (The cheap check of every list.)"""
        inert = self.inert
        for name in query:
            if name not in inert:
                return True
        return False

    # --- reading a request ------------------------------------------------------------------
    def chosen(self, query: dict[str, list[str]], rows: list, data, declared_order: dict | None) -> list:
        """The rows the query keeps, in the order it asks for (else the declared one)."""
        ands: list[Callable] = []
        ors: list[Callable] = []
        searches: dict[str, list[Callable]] = {}
        relation = any
        for key, values in query.items():
            if key in self.inert or key in self.order_names or key == "search":
                continue
            with _naming(key):
                if key.endswith("__search"):
                    if values and "," in values[0]:
                        relation, values = all, [part for value in values for part in value.split(",")]
                    for value in values:
                        searches[value] = self._related_search(key, data)
                    continue
                name, either = key, False
                if name.startswith("chain__"):
                    name = name[7:]
                elif name.startswith("or__"):
                    name, either = name[4:], True
                negate = name.startswith("not__")
                name = name[5:] if negate else name
                for value in values:
                    test = self._filter(name, value, data)
                    (ors if either else ands).append((lambda e, t=test: not t(e)) if negate else test)
        if searches:
            folded = [(term.upper(), getters) for term, getters in searches.items()]
            ands.append(lambda e: relation(any(_holds(get(e), term) for get in getters) for term, getters in folded))
        if ors:
            ands.append(lambda e: any(test(e) for test in ors))
        with _naming("search"):
            terms = self._search_terms(query.get("search"))
        if terms:
            getters = [self._getter([f], data) for f in self.search]
            folded_terms = [term.upper() for term in terms]
            ands.append(lambda e: all(any(_holds(get(e), term) for get in getters) for term in folded_terms))
        order = self._order(query, data)
        kept = [e for e in rows if all(test(e) for test in ands)] if ands else list(rows)
        key = self.key
        if order:
            kept.sort(key=lambda e: _sortable(e.get(key)))
            for get, descending in reversed(order):  # stable sorts, last field first
                kept.sort(key=lambda e: _sortable(get(e)), reverse=descending)
        elif declared_order:
            by = tuple(declared_order.get("by") or ())
            kept.sort(key=lambda e: (tuple(_sortable(e.get(f)) for f in by), _sortable(e.get(key))),
                      reverse=bool(declared_order.get("descending")))
        return kept

    def _resolve(self, path: str) -> list[Field]:
        """The fields a ``__``-separated path crosses (one reference at most)."""
        model: Model | None = self.model
        steps = []
        for name in path.split("__"):
            if model is None:
                raise Refused(400, f"No related model for field {name}.", "not a reference")
            found = model.get_field(name)
            steps.append(found)
            model = self.model.related.get(found.name) if model is self.model else None
        return steps

    def _getter(self, steps: list[Field], data) -> Callable[[dict], Any]:
        """Entity -> the value at the end of the path (null through a missing reference)."""
        first = steps[0]
        if len(steps) == 1:
            return lambda e: e.get(first.name, first.absent)
        second, collection = steps[1], data[self.related[first.name]]

        def through(e: dict) -> Any:
            try:
                other = collection.get(e.get(first.name))
            except TypeError:  # an unhashable value names nothing
                other = None
            return None if other is None else other.get(second.name, second.absent)
        return through

    def _parse(self, name: str) -> tuple[list[Field], str]:
        """(fields, lookup) of a parameter name, as FieldLookupBackend splits it."""
        if not name.isascii():
            raise Refused(400, f"{name} is not an allowed field name. Must be ascii encodable.", "not ASCII")
        path, separator, lookup = name.rpartition("__")
        if not separator or lookup not in LOOKUPS:
            path, lookup = name, "exact"
        if not path:
            raise Refused(400, "Query string field name not provided.", "no field name")
        return self._resolve(path), lookup

    def _related_search(self, key: str, data) -> list[Callable]:
        """``<reference>__search=``: the related entity's name-like fields, each icontains."""
        steps, _ = self._parse(key)
        target = self.model.related.get(steps[0].name) if len(steps) == 1 else None
        if target is None:
            raise Refused(400, f"{key[:-8]} is not searchable", "not a reference")
        return [self._getter([steps[0], target.fields[name]], data) for name in target.fields if name in RELATED_SEARCH]

    def _filter(self, name: str, text: str, data) -> Callable[[dict], bool]:
        """Entity -> does it pass ``name=text`` (a 400 / 403 `Refused` when it cannot be read)."""
        steps, lookup = self._parse(name)
        get, found = self._getter(steps, data), steps[-1]
        test = _test(found, lookup, text)
        return lambda e: test(get(e))

    def _search_terms(self, values: list[str] | None) -> list[str]:
        """DRF's ``search_smart_split`` of the last ``search`` value (commas and spaces split)."""
        if not values or not self.search:
            return []
        if "\x00" in values[-1]:
            raise Refused(400, "Null characters are not allowed.", "a null character")
        terms = []
        for bit in _SMART_SPLIT.finditer(values[-1]):
            term = bit[0].strip(",")
            if term[:1] in ('"', "'") and term[0] == term[-1]:
                terms.append(term[1:-1].replace("\\" + term[0], term[0]).replace("\\\\", "\\"))
            else:
                terms.extend(part for part in term.split(",") if part)
        return terms

    def _order(self, query: dict, data) -> list[tuple[Callable, bool]]:
        """[(getter, descending)] of the last order parameter given (OrderByBackend)."""
        text = parameter = None
        for name, values in query.items():
            if name in self.order_names:
                text, parameter = values[-1], name
        if text is None:
            return []
        order = []
        for part in text.split(","):
            if not part:
                continue  # [mock] AWX answers an empty one with a 500 (an IndexError)
            descending = part.startswith("-")
            with _naming(parameter):
                steps = self._resolve(part[1:] if descending else part)
            get, last = self._getter(steps, data), steps[-1]
            order.append(((lambda e, g=get: _parsed(g(e))) if last.kind == "date-time" else get, descending))
        return order


# --- one lookup ------------------------------------------------------------------------------
def _regex(text: str, ignore_case: bool):
    """A compiled ``__regex`` pattern. RE2 matches in linear time, as a server must: Python's
    own engine would let ``(a+)+$`` stall it. (Back-references, which RE2 lacks, are a 400.)"""
    import re2  # loaded on the first regex filter: most servers never see one

    options = re2.Options()
    options.log_errors = False  # the 400 says it; RE2 would also print to the terminal
    options.case_sensitive = not ignore_case
    try:
        return re2.compile(text, options)
    except (re2.error, TypeError, ValueError) as exc:
        reason = exc.args[0] if exc.args else exc
        message = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        raise Refused(400, message, "not a regular expression") from None



def _test(found: Field, lookup: str, text: str) -> Callable[[Any], bool]:
    """Stored value -> does it match (Django's lookup on Postgres, null matching nothing)."""
    if lookup == "isnull":
        flag = _boolean(text)
        return lambda v: (v is None) == flag
    if lookup in ("regex", "iregex"):
        pattern = _regex(text, lookup == "iregex")
        return lambda v: v is not None and pattern.search(_text(v)) is not None
    if lookup == "iexact":
        if found.kind != "string":
            raise Refused(400, f"{found.name} is not a text field and cannot be filtered by case-insensitive search",
                          "not a text field")
        folded = text.upper()
        return lambda v: v is not None and _text(v).upper() == folded
    if lookup == "in":
        if not text:
            raise Refused(400, "cannot provide empty value for __in", "an empty list")
        wanted = {_normal(found, value) for value in (_convert(found, part) for part in text.split(",")) if value is not None}
        return lambda v: _member(_normal(found, v), wanted)
    value = _convert(found, text)
    if lookup == "exact":
        wanted = _normal(found, value)
        return (lambda v: v is None) if value is None else (lambda v: _normal(found, v) == wanted)
    if value is None:
        raise Refused(400, "Cannot use None as a query value", "null")
    if lookup in COMPARISONS:
        compare, wanted = COMPARISONS[lookup], _normal(found, value)
        return lambda v: _compared(compare, _normal(found, v), wanted)
    # contains, startswith, endswith, each also case-insensitive: on the value as Postgres writes it
    fold = lookup.startswith("i")
    holds = TEXT_TESTS[lookup[1:] if fold else lookup]
    needle = text if found.kind == "date-time" else _text(value)
    if fold:
        needle = needle.upper()
        return lambda v: v is not None and holds(_text(v).upper(), needle)
    return lambda v: v is not None and holds(_text(v), needle)


def _convert(found: Field, text: str) -> Any:
    """The value a filter compares with, converted as Django's field would convert it."""
    kind = found.kind
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
        if kind == "date-time":
            return parse_timestamp(text, naive_is_utc=True)
    except (ValueError, OverflowError):
        # Django's ValidationError, which AWX answers with its messages as JSON
        words, why = DJANGO_INVALID[kind]
        raise Refused(400, json.dumps([f"“{text}” {words}"], ensure_ascii=False), why) from None
    if kind == "boolean":
        return _boolean(text)
    if kind == "reference":
        if text.lower() in ("none", "null"):
            return None
        try:
            return int(text) if found.integer_keys else text
        except ValueError:
            raise Refused(400, f"Invalid {found.name} id: {text}", "not an id") from None
    return text


def _boolean(text: str) -> bool:
    """AWX's ``to_python_boolean``."""
    lowered = text.lower()
    if lowered in ("true", "1", "t"):
        return True
    if lowered in ("false", "0", "f"):
        return False
    raise Refused(400, f'Unable to convert "{text}" to boolean', "not a boolean")


def _text(value: Any) -> str:
    """A stored value as Postgres casts it to text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _parsed(value: Any) -> datetime | None:
    try:
        return parse_timestamp(value, naive_is_utc=True)
    except (ValueError, TypeError, OverflowError):
        return None


def _normal(found: Field, value: Any) -> Any:
    """A value as the field compares it: a moment for a date and time, text for JSON."""
    if value is None:
        return None
    if found.kind == "date-time":
        return value if isinstance(value, datetime) else _parsed(value)
    if found.kind == "json":
        return _text(value)
    return value


def _member(value: Any, wanted: set) -> bool:
    try:
        return value is not None and value in wanted
    except TypeError:  # an unhashable stored value is in no list
        return False


def _compared(compare, value: Any, wanted: Any) -> bool:
    try:
        return value is not None and bool(compare(value, wanted))
    except TypeError:  # a stored value of another type: no match, never a crash
        return False


def _holds(value: Any, folded: str) -> bool:
    """icontains, for search (`folded`: the term upper-cased, as Postgres compares)."""
    return value is not None and folded in _text(value).upper()


def _sortable(value: Any) -> tuple:
    """A sort key that never compares two types: nulls last (first when descending, as
    Postgres sorts), then numbers, text, moments, anything else by its JSON."""
    if value is None:
        return (1, 0, 0)
    if isinstance(value, (bool, int, float)):
        return (0, 0, value)
    if isinstance(value, str):
        return (0, 1, value)
    if isinstance(value, datetime):
        return (0, 2, value)
    return (0, 3, json.dumps(value, sort_keys=True, default=str))


# --- the entry points ------------------------------------------------------------------------
def chosen(behavior, ctx, collection, where: tuple[str, Any] | None, order: dict | None) -> list | None:
    """The rows of a list whose request filters, searches or orders (None when it does none
    of these: the caller keeps its fast path); an ApiError in the API's format when the
    query cannot be answered."""
    compiled = compiled_for(behavior, ctx.operation, collection)
    query = ctx.request.query
    if not compiled.asked(query):
        return None
    rows = collection.where(*where) if where is not None else list(collection)
    try:
        return compiled.chosen(query, rows, ctx.data, order)
    except Refused as refused:
        raise behavior.error(refused.status, refused.message, violations=[
            Violation("query", f"/{refused.parameter}", refused.why, "filter")]) from None


def compiled_for(behavior, operation, collection) -> ListFilters:
    """The operation's declaration compiled for `collection`, once."""
    cache = behavior.filter_sets
    key = (operation.operation_id, collection.layout.name)
    found = cache.get(key)
    if found is None:
        from .crud.infer import list_items_member, success_status

        response = operation.responses.get(str(success_status(operation)))
        item_schema = list_items_member(response.schema if response else None)[1]
        found = cache[key] = ListFilters(operation.extensions["x-mock-filters"], operation, collection.layout,
                                         behavior.spec, item_schema, partial(_stored_schema, behavior))
    return found


def _stored_schema(behavior, collection: str) -> dict:
    """What a collection's entities hold: its declared schema, else (a collection the generic
    engine inferred from the paths) the item schema it inferred."""
    layout = behavior.spec.collections[collection]
    if layout.schema:
        return layout.schema
    resource = getattr(getattr(behavior, "inference", None), "resources", {}).get(collection)
    return getattr(resource, "item_schema", None) or {}


def check_declarations(spec: ApiSpec) -> None:
    """SpecError (the spec and the JSON pointer) for a declaration that names a collection
    the spec does not keep (run when the API is mounted, after the engine inferred its own)."""
    for op in spec.operations:
        declared = op.extensions.get("x-mock-filters")
        for member, target in ((declared or {}).get("related") or {}).items():
            if target not in spec.collections:
                pointer = f"/paths/{_escape(op.path)}/{op.method.lower()}/x-mock-filters/related/{_escape(member)}"
                raise SpecError(f"{spec.source}: {pointer}: no collection {target!r}; collections: "
                                f"{', '.join(spec.collections) or 'none'}")


def _escape(token: str) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")
