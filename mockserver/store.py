"""The in-memory, thread-safe state every API reads and writes.

The store holds, per API, named collections of entities (plain dicts). One re-entrant
lock guards it all: the pipeline runs each behaviour inside ``with store.lock`` so a
check-then-act (is the username taken? then insert) is atomic, and readers never see a
half-made change.

Convention that keeps serialisation safe outside the lock: stored entities are treated
as immutable values. A change replaces the entity (``collection.put``) instead of editing
it or its nested lists in place, so a response being encoded on another thread keeps
seeing a consistent, older value.
"""

from __future__ import annotations

import bisect
import copy
import itertools
import random
import threading
from collections.abc import Sequence
from typing import Any, Callable, Iterator

from .ids import id_factory
from .spec import CollectionLayout


class DuplicateKeyError(KeyError):
    """An entity with this key is already stored."""


class Revision:
    """A counter every change to a store bumps, so "did anything change?" is one comparison."""

    def __init__(self) -> None:
        self.value = 0

    def bump(self) -> None:
        """Note one change."""
        self.value += 1


class OrderedRows(Sequence):
    """A sorted group of entities (`Collection.ordered_where`), read without copying it.

    Indexing and slicing fetch only the entities asked for; `position` finds an entity
    by binary search. It is a live view: a change to the collection moves its rows, so
    use it only while holding the store lock, as behaviours do.
    """

    def __init__(self, items: dict, rows: list, reverse: bool = False):
        self._items, self._rows, self._reverse = items, rows, reverse

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, where):
        if isinstance(where, slice):
            return [self._items[self._key_at(i)] for i in range(*where.indices(len(self._rows)))]
        if where < 0:
            where += len(self._rows)
        if not 0 <= where < len(self._rows):
            raise IndexError(where)
        return self._items[self._key_at(where)]

    def _key_at(self, position: int):
        return self._rows[len(self._rows) - 1 - position if self._reverse else position][1]

    def reversed(self) -> "OrderedRows":
        """The same rows, last first."""
        return OrderedRows(self._items, self._rows, not self._reverse)

    def position(self, sort_value, key) -> int | None:
        """Where the entity with this sort value and key is, or None when it is not here."""
        entry = (sort_value, key)
        at = bisect.bisect_left(self._rows, entry)
        if at == len(self._rows) or self._rows[at] != entry:
            return None
        return len(self._rows) - 1 - at if self._reverse else at


class Collection:
    """Entities of one kind, by key, in insertion order, with optional field indexes.

    An index keeps, for each value of a field (a parent id, say), the keys that have it
    in insertion order, so listing one parent's children costs by their number, not by
    the size of the whole collection. An entity whose indexed value changes joins the
    end of its new group; any other change keeps its place.
    """

    def __init__(self, layout: CollectionLayout, rng: random.Random, revision: Revision | None = None):
        self.layout = layout
        self.revision = revision or Revision()
        self.key = layout.key
        self.ids = id_factory(layout.ids, rng)
        self._items: dict[Any, dict] = {}
        self._indexes: dict[str, dict[Any, dict[Any, None]]] = {f: {} for f in layout.indexes}
        # Sorted orders of index groups, built on first use and kept up to date from then
        # on: {(field, order name): (sort key function, {value: [(sort key, key), ...]})}.
        self._orders: dict[tuple[str, str], tuple[Callable[[dict], Any], dict[Any, list]]] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[dict]:
        return iter(list(self._items.values()))

    def __contains__(self, key) -> bool:
        return key in self._items

    def get(self, key, default=None):
        """The entity stored under `key`, or `default`."""
        return self._items.get(key, default)

    def new_key(self, **kwargs):
        """A fresh key from this collection's id strategy."""
        return self.ids.next(**kwargs)

    def add(self, entity: dict) -> dict:
        """Store a new entity, assigning a key when it has none; returns what was stored."""
        entity = dict(entity)
        if entity.get(self.key) is None:
            entity[self.key] = self.ids.next()
        key = entity[self.key]
        if key in self._items:
            raise DuplicateKeyError(key)
        self.ids.observe(key)
        self._items[key] = entity
        self._index(entity)
        self._order_in(entity)
        self.revision.bump()
        return entity

    def put(self, entity: dict) -> dict:
        """Replace the entity with the same key (keeping its position), or add it."""
        key = entity[self.key]
        old = self._items.get(key)
        if old is None:
            return self.add(entity)
        entity = dict(entity)
        self._items[key] = entity
        for field, index in self._indexes.items():
            # Re-index only when the value changed, so an edit keeps the entity's place.
            if old.get(field) != entity.get(field):
                self._drop_from(index, old, field)
                index.setdefault(entity.get(field), {})[key] = None
        self._order_out(old)
        self._order_in(entity)
        self.revision.bump()
        return entity

    def update(self, key, **changes) -> dict:
        """Replace the entity under `key` by a copy with `changes` applied."""
        return self.put({**self._items[key], **changes})

    def remove(self, key) -> dict | None:
        """Delete and return the entity under `key` (None when absent)."""
        entity = self._items.pop(key, None)
        if entity is not None:
            self._unindex(entity)
            self._order_out(entity)
            self.revision.bump()
        return entity

    def where(self, field: str, value) -> list[dict]:
        """Entities whose `field` equals `value`, in insertion order."""
        index = self._indexes.get(field)
        if index is not None:
            return [self._items[k] for k in index.get(value, ())]
        return [e for e in self._items.values() if e.get(field) == value]

    def page_where(self, field: str, value, start: int, size: int) -> list[dict]:
        """At most `size` entities whose `field` equals `value`, skipping the first `start`.

        With an index this reads only the keys up to the page's end, so a page costs by
        its position among its parent's children, never by the size of the collection.
        """
        index = self._indexes.get(field)
        if index is None:
            return self.where(field, value)[start:start + size]
        bucket = index.get(value, {})
        if start >= len(bucket):  # also keeps islice's bounds (at most sys.maxsize) out of reach
            return []
        keys = itertools.islice(bucket, start, min(start + size, len(bucket)))
        return [self._items[k] for k in keys]

    def ordered_where(self, field: str, value, order: str, sort_key: Callable[[dict], Any]) -> "OrderedRows":
        """The entities whose indexed `field` equals `value`, sorted by ``sort_key(entity)``.

        The first call for a (field, order) sorts the group; from then on every change keeps
        it sorted (a binary search per change), so a list costs by its page, not by sorting
        the group again. `order` names the sort: one name, one `sort_key`, for good. Ties
        are broken by the entity's key.
        """
        orders = self._orders.get((field, order))
        if orders is None:
            orders = self._orders[(field, order)] = (sort_key, {})
        groups = orders[1]
        rows = groups.get(value)
        if rows is None:
            keys = self._indexes[field].get(value, ())
            rows = groups[value] = sorted((sort_key(self._items[k]), k) for k in keys)
        return OrderedRows(self._items, rows)

    def _order_in(self, entity: dict) -> None:
        for (field, _), (sort_key, groups) in self._orders.items():
            rows = groups.get(entity.get(field))
            if rows is not None:
                bisect.insort(rows, (sort_key(entity), entity[self.key]))

    def _order_out(self, entity: dict) -> None:
        for (field, _), (sort_key, groups) in self._orders.items():
            rows = groups.get(entity.get(field))
            if rows is not None:
                entry = (sort_key(entity), entity[self.key])
                at = bisect.bisect_left(rows, entry)
                if at < len(rows) and rows[at] == entry:
                    del rows[at]

    def count_where(self, field: str, value) -> int:
        """How many entities have `field` equal to `value`."""
        index = self._indexes.get(field)
        if index is not None:
            return len(index.get(value, ()))
        return sum(1 for e in self._items.values() if e.get(field) == value)

    def find(self, **match) -> dict | None:
        """The first entity whose fields equal all of `match`."""
        for entity in self._items.values():
            if all(entity.get(k) == v for k, v in match.items()):
                return entity
        return None

    def clear(self) -> None:
        """Remove every entity (id sequences keep counting, as a database's would)."""
        self._items.clear()
        for index in self._indexes.values():
            index.clear()
        self._orders.clear()
        self.revision.bump()

    def _index(self, entity: dict) -> None:
        for field, index in self._indexes.items():
            index.setdefault(entity.get(field), {})[entity[self.key]] = None

    def _unindex(self, entity: dict) -> None:
        for field, index in self._indexes.items():
            self._drop_from(index, entity, field)

    def _drop_from(self, index: dict, entity: dict, field: str) -> None:
        bucket = index.get(entity.get(field))
        if bucket is not None:
            bucket.pop(entity[self.key], None)
            if not bucket:
                del index[entity.get(field)]


class ApiData(dict):
    """One API's collections by name (``data["credentials"]``), and who may call it.

    `access` is the scenario's AccessList for this API, or None when any non-empty
    credential is accepted (the default).
    """

    def __init__(self, collections: dict, access=None):
        super().__init__(collections)
        self.access = access
        self.settings: dict = {}  # the server's options a behaviour reads (session_timeout ...)


class Store:
    """All APIs' data behind one lock."""

    def __init__(self, layouts: dict[str, dict[str, CollectionLayout]], seed: int | str = 0):
        """Empty collections for every API; random ids come from a stream per API and seed."""
        self.lock = threading.RLock()
        self.revision = Revision()
        self._apis = {}
        for api_id, collections in layouts.items():
            rng = random.Random(f"{seed}/{api_id}/ids")  # one API's ids never depend on another's
            self._apis[api_id] = ApiData({name: Collection(layout, rng, self.revision)
                                          for name, layout in collections.items()})

    def api(self, api_id: str) -> ApiData:
        """The collections of one API."""
        return self._apis[api_id]

    def api_ids(self) -> list[str]:
        """The APIs this store holds data for."""
        return list(self._apis)

    def replace_with(self, other: "Store", keep_surviving: bool = True) -> None:
        """Take over another store's contents (used to swap in a freshly loaded data set).

        Collections marked ``survives_reset`` (login sessions) are kept as they are unless
        `keep_surviving` is False (a document that says exactly what the state is), and
        id sequences keep counting, so an id handed out before never names a new entity.
        """
        with self.lock:
            for api_id, data in other._apis.items():
                before = self._apis.get(api_id, {})
                for name, collection in data.items():
                    previous = before.get(name)
                    if previous is not None:
                        if keep_surviving and collection.layout.survives_reset:
                            data[name] = previous
                        else:
                            collection.ids.continue_from(previous.ids)
                    # (a collection new to this API, from a reloaded spec, counts its changes here too)
                    data[name].revision = self.revision
                if isinstance(before, ApiData):
                    data.settings = before.settings  # the server's options outlive its data
            self._apis = other._apis
            self.revision.bump()

    def reseed_ids(self, seed: str) -> None:
        """Draw random ids (ULIDs, UUIDs) from streams derived from `seed` from now on."""
        with self.lock:
            for api_id, data in self._apis.items():
                rng = random.Random(f"{seed}/{api_id}")
                for collection in data.values():
                    collection.ids.reseed(rng)

    def snapshot(self) -> dict[str, dict[str, list[dict]]]:
        """A deep copy of every entity, per API and collection, in insertion order.

        An API whose scenario declares who may call it also has an ``auth`` entry.
        """
        with self.lock:
            out = {}
            for api, data in self._apis.items():
                out[api] = {name: copy.deepcopy(list(c)) for name, c in data.items()}
                if data.access is not None:
                    out[api]["auth"] = data.access.as_doc()
            return out

    def sequences(self) -> dict[str, dict[str, int]]:
        """The last integer id of every collection that counts, per API (for exports)."""
        with self.lock:
            out: dict[str, dict[str, int]] = {}
            for api, data in self._apis.items():
                for name, collection in data.items():
                    last = getattr(collection.ids, "last", 0)
                    if last:
                        out.setdefault(api, {})[name] = last
            return out

    def counts(self) -> dict[str, dict[str, int]]:
        """Number of entities per API and collection."""
        with self.lock:
            return {api: {name: len(c) for name, c in data.items()} for api, data in self._apis.items()}
