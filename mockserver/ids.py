"""Id factories that make ids look like each real product's: integers, ULIDs, UUIDs.

Randomness comes from the caller's seeded `random.Random`, so ``--seed N`` gives the
same ids on every start.
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import datetime



CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid(millis: int, randomness: int) -> str:
    """A ULID: a 48-bit millisecond timestamp and 80 random bits, in Crockford base32.

    Written out here (the spec fits in a line) because the ULID packages import
    importlib.metadata at start-up, which costs more than all of this.
    """
    value = (millis & ((1 << 48) - 1)) << 80 | (randomness & ((1 << 80) - 1))
    return "".join(CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


class IntegerIds:
    """1, 2, 3, ... continuing after the largest id already stored (as a database sequence)."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        """The next free id."""
        self._last += 1
        return self._last

    @property
    def last(self) -> int:
        """The largest id handed out or seen so far (0 when none)."""
        return self._last

    def observe(self, key) -> None:
        """Note an id that arrived from outside (fixtures), so new ids never collide with it."""
        if isinstance(key, int) and key > self._last:
            self._last = key

    def continue_from(self, previous) -> None:
        """After a reset, keep counting past every id handed out before it."""
        self.observe(getattr(previous, "_last", 0))

    def reseed(self, rng: random.Random) -> None:
        """Integers need no randomness."""


class UlidIds:
    """ULIDs: a millisecond timestamp plus 80 random bits, sortable by creation time."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def next(self, at: datetime | None = None) -> str:
        """A new ULID for `at` (default: now)."""
        millis = int((at.timestamp() if at else time.time()) * 1000)
        return ulid(millis, self._rng.getrandbits(80))

    def observe(self, key) -> None:
        """ULIDs never collide in practice; nothing to remember."""

    def continue_from(self, previous) -> None:
        """Random ids need no sequence (see `reseed`)."""

    def reseed(self, rng: random.Random) -> None:
        """Draw randomness from `rng` from now on."""
        self._rng = rng


class UuidIds:
    """Random (version 4) UUIDs as strings."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def next(self) -> str:
        """A new UUID string."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def observe(self, key) -> None:
        """Random UUIDs never collide in practice; nothing to remember."""

    def continue_from(self, previous) -> None:
        """Random ids need no sequence (see `reseed`)."""

    def reseed(self, rng: random.Random) -> None:
        """Draw randomness from `rng` from now on."""
        self._rng = rng


class NaturalKeys:
    """The entity brings its own key (a username, a project name): nothing to generate."""

    def next(self):
        """Natural keys cannot be generated."""
        raise TypeError("this collection's entities carry their own key")

    def observe(self, key) -> None:
        """Nothing to remember."""

    def continue_from(self, previous) -> None:
        """Nothing to continue."""

    def reseed(self, rng: random.Random) -> None:
        """No randomness."""


def id_factory(strategy: str, rng: random.Random):
    """The factory for a collection's ``ids`` strategy."""
    if strategy == "integer":
        return IntegerIds()
    if strategy == "ulid":
        return UlidIds(rng)
    if strategy == "uuid":
        return UuidIds(rng)
    return NaturalKeys()
