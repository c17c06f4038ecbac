"""Declared list paging and order: ``x-mock-paging`` and ``x-mock-order`` on a list operation.

A behaviour module lists with one call, ``self.listing(ctx, collection, where, view)``; the
operation's declarations say how (docs/x-mock.md has an example of each):

- ``x-mock-order: {by: [name], descending: false}``: the rows' order, ties broken by key
  (default: the order they were stored in);
- ``x-mock-paging``: a ``style`` and the names of its query parameters, and the ``body``,
  a template filled with the page (``"{items}"``, ``"{count}"``, ... ; ``"{next?}"`` is left
  out when there is none):

  - ``pages``: ``page`` (from 1) and ``size`` (none: everything on one page); fills
    ``page``, ``pages`` (how many), ``size`` and ``count``;
  - ``links`` (Django REST framework): ``page`` (a number or ``last``) and ``size``
    (``default_size``, capped at ``max_size``; anything else means the default); a page
    outside 1..pages is the declared ``invalid_page`` error; fills ``count``, ``next`` and
    ``previous`` as relative links that keep the other query parameters;
  - ``cursor``: ``size`` (``default_size``), ``after`` / ``before`` the key of the boundary
    row; an unknown cursor or both at once are 400s; fills ``count``, ``next`` / ``prev``
    (the key of the page's last / first row, when rows follow / precede it);
  - ``none``: every row.

A page costs by its size, not by the size of the list: ordered groups are kept sorted by
the store, unordered ones are read through the parent's index. A request that filters,
searches or orders by a parameter (``x-mock-filters``, `mockserver.filters`) reads the
whole group instead; one without such a parameter pays a set lookup per parameter.
"""

from __future__ import annotations

import math
import urllib.parse
from typing import Any, Callable, Sequence

from . import filters
from .bodies import fill_template
from .validation import Violation

STYLES = ("pages", "links", "cursor", "none")


class IndexedRows:
    """The entities whose indexed `field` equals `value`, in stored order, read by the page
    (only ``len`` and slices: a page is all a list reads)."""

    __slots__ = ("_collection", "_field", "_value", "_count")

    def __init__(self, collection, field: str, value: Any):
        self._collection, self._field, self._value = collection, field, value
        self._count = collection.count_where(field, value)

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, where: slice) -> list:
        start, stop, _ = where.indices(self._count)
        return self._collection.page_where(self._field, self._value, start, max(0, stop - start))


def page(behavior, ctx, collection, where: tuple[str, Any] | None) -> tuple[list, dict]:
    """(the rows of the page asked for, the values its body template is filled with): the
    rows whose ``where[0]`` member is ``where[1]`` (every row without `where`), ordered and
    paged as the operation declares."""
    declared = ctx.operation.extensions.get("x-mock-paging") or {}
    order = ctx.operation.extensions.get("x-mock-order")
    style, query = declared.get("style", "none"), ctx.query
    chosen = filters.chosen(behavior, ctx, collection, where, order) \
        if "x-mock-filters" in ctx.operation.extensions else None
    if chosen is not None:  # filtered, searched or ordered by the request: a list of its own
        rows, sort_key = chosen, None
    elif where is not None and order is None and style != "cursor":
        # The usual list: a parent's children in stored order, read through its index by the page.
        return _indexed_page(behavior, ctx, collection, where, declared, style)
    else:
        rows, sort_key = _rows_of(collection, where, order)
    if style == "links":
        return _links_page(behavior, ctx, rows, declared)
    if style == "cursor":
        return _cursor_page(behavior, ctx, collection, rows, declared, sort_key)
    size = query.get(declared.get("size", "size")) if style == "pages" else None
    if size is None:
        return rows[0:len(rows)], {"page": 1, "pages": 1, "size": None, "count": len(rows)}
    number = query.get(declared.get("page", "page"), 1)
    start, count = (number - 1) * size, len(rows)
    return rows[start:start + size], {"page": number, "pages": -(-count // size), "size": size, "count": count}


def _indexed_page(behavior, ctx, collection, where: tuple[str, Any], declared: dict, style: str):
    field, value = where
    if style == "links":
        return _links_page(behavior, ctx, IndexedRows(collection, field, value), declared)
    count = collection.count_where(field, value)
    size = ctx.query.get(declared.get("size", "size")) if style == "pages" else None
    if size is None:
        return collection.page_where(field, value, 0, count), {"page": 1, "pages": 1, "size": None, "count": count}
    number = ctx.query.get(declared.get("page", "page"), 1)
    start = (number - 1) * size
    return (collection.page_where(field, value, start, size) if start < count else [],
            {"page": number, "pages": -(-count // size), "size": size, "count": count})


def _rows_of(collection, where: tuple[str, Any] | None, order: dict | None) -> tuple[Sequence, Callable | None]:
    """The rows to list, in the declared order (stored order without one), and the sort key."""
    if not order:
        return (IndexedRows(collection, *where) if where else list(collection)), None
    by = tuple(order.get("by") or ())
    sort_key = (lambda e: e.get(by[0])) if len(by) == 1 else (lambda e: tuple(e.get(f) for f in by))
    if where and where[0] in collection.layout.indexes:
        rows = collection.ordered_where(where[0], where[1], ",".join(by), sort_key)
        return (rows.reversed() if order.get("descending") else rows), sort_key
    chosen = collection.where(*where) if where else list(collection)
    ordered = sorted(chosen, key=lambda e: (sort_key(e), e[collection.key]), reverse=bool(order.get("descending")))
    return ordered, None


def _links_page(behavior, ctx, rows: Sequence, declared: dict) -> tuple[list, dict]:
    raw_query = ctx.request.query
    size_name, page_name = declared.get("size", "page_size"), declared.get("page", "page")
    default, largest = int(declared.get("default_size", 25)), int(declared.get("max_size", 1000))
    asked = _integer(_last(raw_query, size_name))
    size = min(asked, largest) if asked > 0 else default
    pages = max(1, math.ceil(len(rows) / size))
    raw = _last(raw_query, page_name) or "1"
    number = pages if raw == "last" else _integer(raw)
    if not 1 <= number <= pages:
        invalid = declared.get("invalid_page") or {}
        raise behavior.error(int(invalid.get("status", 404)), str(invalid.get("message", "Invalid page.")),
                             violations=[Violation("query", f"/{page_name}", f"page {raw!r} is not between 1 and "
                                                                            f"{pages}", "range")])
    path = ctx.link(ctx.request.path)
    numbered = declared.get("first_page") == "numbered"  # AWX keeps page=1 in a previous link
    capped = {size_name: [str(largest)]} if asked > largest else {}

    def link(to: int) -> str:
        params = {**{k: list(v) for k, v in raw_query.items()}, **capped}
        params.pop(page_name, None)
        if to != 1 or numbered:
            params[page_name] = [str(to)]  # page 1 is the bare list, unless declared numbered
        encoded = urllib.parse.urlencode(sorted(params.items()), doseq=True)
        return f"{path}?{encoded}" if encoded else path

    start = (number - 1) * size
    return rows[start:start + size], {"count": len(rows), "next": link(number + 1) if number < pages else None,
                                      "previous": link(number - 1) if number > 1 else None}


def _cursor_page(behavior, ctx, collection, rows: Sequence, declared: dict, sort_key) -> tuple[list, dict]:
    after_name, before_name = declared.get("after", "after"), declared.get("before", "before")
    size = ctx.query.get(declared.get("size", "size"), int(declared.get("default_size", 20)))
    after, before = ctx.query.get(after_name) or None, ctx.query.get(before_name) or None
    if after and before:
        both = "use either after or before, not both"
        raise behavior.invalid_query([(after_name, both), (before_name, both)])
    position = {}
    for name, cursor in ((after_name, after), (before_name, before)):
        if cursor:
            position[name] = _position(collection, rows, cursor, sort_key)
            if position[name] is None:
                noun = collection.layout.name.removesuffix("s").replace("_", " ")
                raise behavior.invalid_query([(name, f"unknown cursor: no {noun} {cursor} in this list")])
    if after:
        start = position[after_name] + 1
        end = start + size
    elif before:
        end = position[before_name]
        start = max(0, end - size)
    else:
        start, end = 0, size
    chosen, key = rows[start:end], collection.key
    return chosen, {"count": len(rows), "next": chosen[-1][key] if chosen and end < len(rows) else None,
                    "prev": chosen[0][key] if chosen and start > 0 else None}


def _position(collection, rows: Sequence, cursor: Any, sort_key) -> int | None:
    """Where the row keyed `cursor` is: a binary search in a sorted group, else a scan."""
    if sort_key is not None and hasattr(rows, "position"):
        entity = collection.get(cursor)
        return None if entity is None else rows.position(sort_key(entity), cursor)
    return next((index for index, row in enumerate(rows[0:len(rows)]) if row[collection.key] == cursor), None)


def body_of(declared: dict, items: list, values: dict) -> Any:
    """The list's body: the declared template filled (``{items}`` the shown rows)."""
    return fill_template(declared.get("body", "{items}"), {**values, "items": items})


def _last(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _integer(text: str | None) -> int:
    try:
        return int(text) if text is not None else 0
    except ValueError:
        return 0
