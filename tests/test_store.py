"""Unit tests of mockserver.store and mockserver.ids."""

from __future__ import annotations

import random

import pytest

from mockserver.ids import IntegerIds, UlidIds, UuidIds
from mockserver.spec import CollectionLayout
from mockserver.store import Collection, DuplicateKeyError, Store


def layout(ids="integer", key="id", indexes=("owner",)):
    return CollectionLayout(name="things", key=key, ids=ids, indexes=indexes, references={},
                            schema=None, validator=None)


def test_integer_ids_continue_after_the_largest_seen():
    things = Collection(layout(), random.Random(1))
    assert things.add({"name": "a"})["id"] == 1
    things.add({"id": 10, "name": "b"})
    assert things.add({"name": "c"})["id"] == 11


def test_add_refuses_duplicate_keys_and_put_replaces_in_place():
    things = Collection(layout(), random.Random(1))
    for name in "abc":
        things.add({"name": name})
    with pytest.raises(DuplicateKeyError):
        things.add({"id": 2, "name": "again"})
    things.put({"id": 2, "name": "B"})
    assert [t["name"] for t in things] == ["a", "B", "c"]


def test_index_follows_updates_and_removals():
    things = Collection(layout(), random.Random(1))
    things.add({"name": "a", "owner": 1})
    things.add({"name": "b", "owner": 2})
    things.add({"name": "c", "owner": 1})
    assert [t["name"] for t in things.where("owner", 1)] == ["a", "c"]
    things.update(3, name="C")  # an edit that keeps the owner keeps the place
    assert [t["name"] for t in things.where("owner", 1)] == ["a", "C"]
    things.update(1, owner=2)  # a move joins the end of the new group
    assert [t["name"] for t in things.where("owner", 2)] == ["b", "a"]
    assert things.count_where("owner", 1) == 1
    things.remove(3)
    assert things.where("owner", 1) == [] and things.count_where("owner", 1) == 0
    assert things.remove(99) is None


class CountingDict(dict):
    """A dict that counts item lookups, to see how much of a collection a read touches."""

    lookups = 0

    def __getitem__(self, key):
        CountingDict.lookups += 1
        return super().__getitem__(key)


@pytest.mark.parametrize("indexes", [("owner",), ()])
def test_page_where_returns_the_same_rows_as_slicing_where(indexes):
    things = Collection(layout(indexes=indexes), random.Random(1))
    for n in range(60):
        things.add({"name": f"t{n}", "owner": n % 3})
    things.remove(4)
    for start, size in [(0, 7), (5, 7), (14, 25), (19, 1), (20, 5), (100, 5), (2**63, 4), (3, 2**63)]:
        expected = things.where("owner", 1)[start:start + size]
        assert things.page_where("owner", 1, start, size) == expected


def test_an_indexed_page_reads_only_its_own_rows_however_big_the_collection():
    things = Collection(layout(), random.Random(1))
    for n in range(5000):
        things.add({"name": f"t{n}", "owner": n % 2})
    things._items = CountingDict(things._items)
    CountingDict.lookups = 0
    page = things.page_where("owner", 0, 25, 25)
    assert [t["name"] for t in page] == [f"t{n}" for n in range(50, 100, 2)]
    assert CountingDict.lookups == 25


def test_unindexed_where_scans():
    things = Collection(layout(indexes=()), random.Random(1))
    things.add({"name": "a", "colour": "red"})
    assert things.where("colour", "red")[0]["name"] == "a"
    assert things.find(colour="red", name="a")["id"] == 1 and things.find(colour="blue") is None


def test_stored_entities_are_copies_of_what_was_given():
    things = Collection(layout(), random.Random(1))
    given = {"name": "a"}
    stored = things.add(given)
    given["name"] = "changed"
    assert things.get(stored["id"])["name"] == "a"


def test_natural_keys_must_be_supplied():
    users = Collection(layout(ids="none", key="username"), random.Random(1))
    users.add({"username": "alice"})
    assert "alice" in users
    with pytest.raises(TypeError):
        users.add({"name": "nameless"})


def test_ulid_and_uuid_ids_are_seeded_and_well_formed():
    a, b = UlidIds(random.Random(5)), UlidIds(random.Random(5))
    first = a.next()
    assert len(first) == 26 and first == b.next()
    assert UuidIds(random.Random(5)).next() == UuidIds(random.Random(5)).next()
    seq = IntegerIds()
    assert [seq.next(), seq.next()] == [1, 2]


def test_store_counts_and_swaps_contents():
    store = Store({"tiny": {"things": layout()}}, 1)
    store.api("tiny")["things"].add({"name": "a"})
    other = Store({"tiny": {"things": layout()}}, 1)
    assert store.counts() == {"tiny": {"things": 1}}
    store.replace_with(other)
    assert store.counts() == {"tiny": {"things": 0}}


def test_ulids_are_crockford_base32_of_time_and_randomness():
    from mockserver.ids import ulid

    assert ulid(0, 0) == "0" * 26
    assert ulid((1 << 48) - 1, (1 << 80) - 1) == "7" + "Z" * 25
    assert ulid(1469918176385, 0)[:10] == "01ARYZ6S41"  # the ULID spec's own example timestamp
    assert sorted([ulid(2, 0), ulid(1, 5), ulid(3, 1)]) == [ulid(1, 5), ulid(2, 0), ulid(3, 1)]


def test_ordered_groups_stay_sorted_through_every_kind_of_change():
    """Against sorting from scratch, after each of many random adds, edits, moves and removals."""
    things = Collection(layout(), random.Random(1))
    rng = random.Random(7)
    by_name = lambda entity: (entity["name"],)  # noqa: E731

    def expected(owner):
        return sorted(things.where("owner", owner), key=lambda t: (by_name(t), t["id"]))

    for step in range(600):
        action = rng.random()
        keys = [t["id"] for t in things]
        if action < 0.45 or not keys:
            things.add({"name": rng.choice("abcdef") * rng.randint(1, 3), "owner": rng.randint(1, 3)})
        elif action < 0.65:
            things.update(rng.choice(keys), name=rng.choice("abcdef"))
        elif action < 0.8:
            things.update(rng.choice(keys), owner=rng.randint(1, 3))
        elif action < 0.98:
            things.remove(rng.choice(keys))
        else:
            things.clear()
        owner = rng.randint(1, 3)
        rows = things.ordered_where("owner", owner, "name", by_name)
        assert list(rows) == expected(owner), step
        assert rows[2:5] == expected(owner)[2:5]
        assert list(rows.reversed()) == expected(owner)[::-1]


def test_an_ordered_group_finds_positions_by_binary_search():
    things = Collection(layout(), random.Random(1))
    for name in "dbca":
        things.add({"name": name, "owner": 1})
    rows = things.ordered_where("owner", 1, "name", lambda t: t["name"])
    assert [t["name"] for t in rows] == ["a", "b", "c", "d"]
    assert rows.position("c", 3) == 2 and rows.reversed().position("c", 3) == 1
    assert rows.position("c", 99) is None and rows[-1]["name"] == "d"
    with pytest.raises(IndexError):
        rows[4]
