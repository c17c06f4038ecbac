"""Fault injection: rehearse slow, failing and vanishing servers on demand.

``PUT /__mock/faults`` installs rules; each matches requests by API, operation, method
and path (a glob over the full path, mount prefix included) and does any of:

- ``latency``: wait that many milliseconds first (a number, ``"50-200"`` or
  ``{"min": 50, "max": 200}``);
- ``status``: answer that status instead of behaving, with the operation's documented
  body for it (its example), or the API's own error body when undocumented;
- ``drop``: close the connection without any answer.

``probability`` (0-1, default 1) makes a rule fire only sometimes, from a random
source seeded with the server's seed; ``times`` makes it fire that many times, after
which it stays listed (with its count) but no longer fires. The first matching rule that
fires wins. A rule naming an API, operation or method that does not exist is refused:
it could never fire, and a test relying on it would pass for the wrong reason. ``mockserver run --latency 50-200``
adds latency to every API request on top.
"""

from __future__ import annotations

import fnmatch
import math
import random
import threading
from dataclasses import dataclass, replace
from typing import Any

RULE_FIELDS = ("id", "api", "operation", "method", "path", "latency", "status", "drop", "probability", "times")


class FaultError(ValueError):
    """A fault rule cannot be installed; the message names the rule and the field."""


def parse_latency(value: Any, where: str = "latency") -> tuple[float, float] | None:
    """``50``, ``"50-200"`` or ``{"min": 50, "max": 200}`` milliseconds as (low, high)."""
    if value is None:
        return None
    low = high = None
    if isinstance(value, bool):
        pass
    elif isinstance(value, (int, float)):
        low = high = float(value)
    elif isinstance(value, str):
        first, dash, second = value.strip().partition("-")
        try:
            low = float(first)
            high = float(second) if dash else low
        except ValueError:
            low = high = None
    elif isinstance(value, dict) and set(value) <= {"min", "max"} and "min" in value:
        low, high = value.get("min"), value.get("max", value.get("min"))
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)):
            low = high = None
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)) \
            or low < 0 or high < low or high > 600_000:
        forms = "50 or 50-200" if where.startswith("--") else '50, "50-200" or {"min": 50, "max": 200}'
        raise FaultError(f"{where}: expected milliseconds as {forms} (0 to 600000), got {value!r}")
    return float(low), float(high)


@dataclass(frozen=True)
class FaultRule:
    """One installed rule and how many times it may still fire (None: always)."""

    id: str
    api: str | None = None
    operation: str | None = None
    method: str | None = None
    path: str | None = None
    latency: tuple[float, float] | None = None
    status: int | None = None
    drop: bool = False
    probability: float = 1.0
    times: int | None = None  # as installed; None: no limit
    fired: int = 0

    @property
    def spent(self) -> bool:
        """True once a rule with ``times`` has fired that often."""
        return self.times is not None and self.fired >= self.times

    def matches(self, api: str | None, operation: str | None, method: str, path: str) -> bool:
        """Does this rule apply to a request?"""
        return ((self.api is None or self.api == api)
                and (self.operation is None or self.operation == operation)
                and (self.method is None or self.method == method)
                and (self.path is None or fnmatch.fnmatchcase(path, self.path)))

    def as_dict(self) -> dict:
        """The rule as the control API shows it."""
        out: dict[str, Any] = {"id": self.id}
        for name in ("api", "operation", "method", "path", "status"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.latency is not None:
            low, high = self.latency
            out["latency"] = {"min": low, "max": high}
        if self.drop:
            out["drop"] = True
        out["probability"] = self.probability
        out["times"] = self.times
        out["fired"] = self.fired
        out["remaining"] = None if self.times is None else max(self.times - self.fired, 0)
        return out


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def parse_rule(raw: Any, index: int | None, default_id: str,
               operations: dict[str, set[str]] | None = None) -> FaultRule:
    """Check one rule from a request body; FaultError names the rule (``rules[i]``, or
    ``rule`` for one sent alone) and the field.

    `operations` (API id -> its operationIds) lets a rule be checked against what is
    served, so a rule that could never fire is refused.
    """
    where = "rule" if index is None else f"rules[{index}]"
    if not isinstance(raw, dict):
        raise FaultError(f"{where}: a rule must be an object")
    unknown = sorted(set(raw) - set(RULE_FIELDS))
    if unknown:
        raise FaultError(f"{where}: unknown field(s) {unknown}; a rule has {', '.join(RULE_FIELDS)}")
    for name in ("id", "api", "operation", "method", "path"):
        if name in raw and not (isinstance(raw[name], str) and raw[name]):
            raise FaultError(f"{where}.{name}: must be a non-empty string")
    status = raw.get("status")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599):
        raise FaultError(f"{where}.status: must be an HTTP status code (100-599)")
    drop = raw.get("drop", False)
    if not isinstance(drop, bool):
        raise FaultError(f"{where}.drop: must be true or false")
    probability = raw.get("probability", 1.0)
    if isinstance(probability, bool) or not isinstance(probability, (int, float)) or not 0 <= probability <= 1:
        raise FaultError(f"{where}.probability: must be a number from 0 to 1")
    times = raw.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise FaultError(f"{where}.times: must be a positive integer")
    if "method" in raw and raw["method"].upper() not in HTTP_METHODS:
        raise FaultError(f"{where}.method: {raw['method']!r} is not one of {', '.join(HTTP_METHODS)}")
    if operations is not None:
        _check_target(raw, where, operations)
    latency = parse_latency(raw.get("latency"), f"{where}.latency")
    if latency is None and status is None and not drop:
        raise FaultError(f"{where}: a rule needs latency, status or drop")
    if status is not None and drop:
        raise FaultError(f"{where}: status and drop exclude each other")
    return FaultRule(id=raw.get("id", default_id), api=raw.get("api"), operation=raw.get("operation"),
                     method=raw["method"].upper() if raw.get("method") else None, path=raw.get("path"),
                     latency=latency, status=status, drop=drop, probability=float(probability), times=times)


def _check_target(raw: dict, where: str, operations: dict[str, set[str]]) -> None:
    api, operation = raw.get("api"), raw.get("operation")
    if api is not None and api not in operations:
        raise FaultError(f"{where}.api: no API {api!r} is served here ({', '.join(operations)})")
    if operation is not None:
        known = operations[api] if api is not None else set().union(*operations.values())
        if operation not in known:
            raise FaultError(f"{where}.operation: {operation!r} is not an operationId of "
                             f"{api or 'any API served here'}")
    if "path" in raw and not raw["path"].startswith(("/", "*")):
        raise FaultError(f"{where}.path: a full path such as /awx/api/v2/* (it starts with /)")


class Faults:
    """The installed rules, shared by all request threads."""

    def __init__(self, seed: int = 0, latency: tuple[float, float] | None = None):
        self.latency = latency  # --latency: for every API request
        self._rules: list[FaultRule] = []
        self._rng = random.Random(f"{seed}/faults")
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        """True when any rule may still fire (the request path skips matching otherwise)."""
        return any(not rule.spent for rule in self._rules)

    def install(self, raw_rules: Any, operations: dict[str, set[str]] | None = None) -> list[FaultRule]:
        """Replace every rule with these (all checked first: a bad rule installs none)."""
        if isinstance(raw_rules, dict) and set(raw_rules) == {"rules"}:
            raw_rules = raw_rules["rules"]
        if isinstance(raw_rules, dict):
            raw_rules = [raw_rules]
        if not isinstance(raw_rules, list):
            raise FaultError("send a rule, a list of rules, or {\"rules\": [...]}")
        rules = [parse_rule(raw, i, f"fault-{i + 1}", operations) for i, raw in enumerate(raw_rules)]
        ids = [r.id for r in rules]
        if len(ids) != len(set(ids)):
            raise FaultError("rule ids must be unique")
        with self._lock:
            self._rules = rules
        return rules

    def add(self, raw_rule: Any, operations: dict[str, set[str]] | None = None) -> FaultRule:
        """Append one rule after the installed ones, which keep their counts (the dashboard's form).

        Without an ``id`` it gets the first free ``fault-N``; an id already installed is refused.
        """
        with self._lock:
            taken = {rule.id for rule in self._rules}
            number = 1
            while f"fault-{number}" in taken:
                number += 1
            rule = parse_rule(raw_rule, None, f"fault-{number}", operations)  # one rule: its own words
            if rule.id in taken:
                raise FaultError(f"a rule with id {rule.id!r} is installed already")
            self._rules = [*self._rules, rule]
        return rule

    def remove(self, rule_id: str) -> bool:
        """Remove the rule with this id; False when there is none."""
        with self._lock:
            kept = [rule for rule in self._rules if rule.id != rule_id]
            found = len(kept) != len(self._rules)
            self._rules = kept
        return found

    def rules(self) -> list[FaultRule]:
        """The installed rules."""
        with self._lock:
            return list(self._rules)

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules = []

    def pick(self, api: str | None, operation: str | None, method: str, path: str) -> FaultRule | None:
        """The rule that fires for this request, counting it (None when none does)."""
        with self._lock:
            for index, rule in enumerate(self._rules):
                if rule.spent or not rule.matches(api, operation, method, path):
                    continue
                if rule.probability < 1 and self._rng.random() >= rule.probability:
                    continue
                fired = replace(rule, fired=rule.fired + 1)
                self._rules[index] = fired
                return fired
        return None

    def delay_ms(self, rule: FaultRule | None) -> float:
        """How long to wait before answering: the rule's latency plus ``--latency``."""
        total = 0.0
        with self._lock:
            for window in (self.latency, rule.latency if rule else None):
                if window is not None:
                    total += self._rng.uniform(*window)
        return total
