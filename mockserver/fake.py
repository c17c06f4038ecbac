"""Seeded fake data: realistic values from Faker, and whole bodies generated from schemas.

One `Fake` per server: the seed (``--seed N``, or a random one picked at start) makes
fixture data and generated responses the same on every start and after every reset.
"""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from faker import Faker


def iso(moment: datetime, *, millis: bool = False) -> str:
    """An RFC 3339 UTC timestamp ending in Z, with microseconds or milliseconds."""
    moment = moment.astimezone(timezone.utc)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


class Fake:
    """A seeded Faker and random source, safe to share between threads."""

    def __init__(self, seed: int):
        self.seed = seed
        self.rng = random.Random(seed)
        self.faker = Faker("en_US")
        self.faker.seed_instance(seed)
        self.lock = threading.Lock()

    def past(self, *, days: int = 365) -> datetime:
        """A moment within the last `days` days (whole seconds, UTC)."""
        seconds = self.rng.randint(3600, days * 86400)
        base = datetime(2026, 1, 1, tzinfo=timezone.utc)  # fixed, so a seed gives fixed dates
        return base - timedelta(seconds=seconds)

    def from_schema(self, schema: dict | None, *, depth: int = 0) -> Any:
        """A value that satisfies a (dereferenced) schema, using examples where it has them."""
        with self.lock:
            return _generate(schema or {}, self, depth)


_FORMATS = {
    "date-time": lambda f: iso(f.past()),
    "date": lambda f: f.past().date().isoformat(),
    "email": lambda f: f.faker.email(),
    "uri": lambda f: f.faker.url(),
    "uuid": lambda f: str(f.faker.uuid4()),
    "ipv4": lambda f: f.faker.ipv4(),
    "ulid": lambda f: f.faker.pystr_format("01##?????????????????????", letters="0123456789ABCDEFGHJKMNPQRSTVWXYZ"),
}


def _generate(schema: dict, fake: Fake, depth: int) -> Any:
    if "const" in schema:
        return schema["const"]
    if "example" in schema:
        return schema["example"]
    if schema.get("examples"):
        return schema["examples"][0]
    if "enum" in schema:
        return fake.rng.choice(schema["enum"])
    for combinator in ("oneOf", "anyOf"):
        if schema.get(combinator):
            return _generate(schema[combinator][0], fake, depth)
    if schema.get("allOf"):
        merged: dict = {}
        for part in schema["allOf"]:
            merged = _merge(merged, part)
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        return _generate(_merge(merged, rest), fake, depth)

    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"

    if kind == "object":
        out = {}
        required = set(schema.get("required") or ())
        for name, sub in (schema.get("properties") or {}).items():
            if name in required or depth < 3:
                out[name] = _generate(sub, fake, depth + 1)
        return out
    if kind == "array":
        count = max(schema.get("minItems", 1), 1) if depth < 4 else schema.get("minItems", 0)
        return [_generate(schema.get("items") or {}, fake, depth + 1) for _ in range(count)]
    if kind == "integer":
        low = schema.get("minimum", 1)
        return fake.rng.randint(low, schema.get("maximum", max(low, 1000)))
    if kind == "number":
        return round(fake.rng.uniform(schema.get("minimum", 0), schema.get("maximum", 1000)), 2)
    if kind == "boolean":
        return fake.rng.random() < 0.5
    if kind == "null":
        return None
    fmt = _FORMATS.get(schema.get("format", ""))
    if fmt:
        return fmt(fake)
    text = fake.faker.word()
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    while len(text) < low:
        text += fake.faker.word()
    return text[:high] if high else text


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for key, value in b.items():
        if key == "properties":
            out["properties"] = {**out.get("properties", {}), **value}
        elif key == "required":
            out["required"] = list(dict.fromkeys(list(out.get("required", [])) + list(value)))
        else:
            out[key] = value
    return out
