"""Seeded fake data: realistic values from Faker, and whole bodies generated from schemas.

One `Fake` per server: the seed (``--seed N``, or a random one picked at start) makes
fixture data and generated responses the same on every start and after every reset.

`Fake.from_schema` builds a value that satisfies a (dereferenced) JSON Schema: it follows
``if``/``then``/``else`` branches, ``pattern`` (via Python's own regex parser), formats and
enums, and picks Faker values by property name (``email``, ``name``, ``username`` ...) so
generated bodies look like data, not noise.
"""

from __future__ import annotations

import random
import re
import re._constants as sre_constants  # the regex parser re itself uses; the public
import re._parser as sre_parse  # sre_parse / sre_constants aliases are deprecated since 3.11
import string
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import jsonschema_rs
from faker import Faker

from .formats import FORMATS
from .timestamps import iso


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

    def from_schema(self, schema: dict | None, *, use_examples: bool = True) -> Any:
        """A value that satisfies a (dereferenced) schema.

        With `use_examples` (the default) a schema's own example is taken where it has
        one; without, only leaf strings constrained by a pattern borrow theirs, so two
        seeds give two different bodies.
        """
        with self.lock:
            return _Generator(self, use_examples).value(schema or {}, 0, "")


_FORMATS = {
    "date-time": lambda f: iso(f.past()),
    "date": lambda f: f.past().date().isoformat(),
    "email": lambda f: f.faker.email(),
    "uri": lambda f: f.faker.url(),
    "uuid": lambda f: str(f.faker.uuid4()),
    "ipv4": lambda f: f.faker.ipv4(),
    **{name: named.make for name, named in FORMATS.items()},  # base64, pem-public-key, url...
}

_BY_NAME = {  # property name (lower-cased) -> realistic value
    "name": lambda f: f.faker.catch_phrase(),
    "fullname": lambda f: f.faker.name(),
    "username": lambda f: f.faker.user_name(),
    "first_name": lambda f: f.faker.first_name(),
    "last_name": lambda f: f.faker.last_name(),
    "email": lambda f: f.faker.email(),
    "description": lambda f: f.faker.sentence(nb_words=6),
    "comments": lambda f: f.faker.sentence(nb_words=5),
    "message": lambda f: f.faker.sentence(nb_words=6),
    "detail": lambda f: f.faker.sentence(nb_words=6),
    "error_description": lambda f: f.faker.sentence(nb_words=6),
    "response": lambda f: f.faker.sentence(nb_words=4),
    "error": lambda f: f.faker.sentence(nb_words=5),
    "token": lambda f: f.faker.sha1(),
    "id": lambda f: str(f.faker.uuid4()),
}
_LINKS = ("url", "next", "previous", "prev", "href", "link")
_COUNTS = ("count", "totalcount", "resultcount")
_ORDERED = (("createdAt", "updatedAt"), ("created", "modified"))


def _by_name_hint(name: str):
    """A maker for names no table lists but whose shape says what they hold."""
    lowered = name.lower()
    if lowered.startswith("ip"):
        return _FORMATS["ipv4"]
    if lowered in _LINKS or lowered.endswith("_url"):
        return lambda f: "/" + f.faker.uri_path()
    if name.endswith("At") or lowered in ("created", "modified", "expiredate"):
        return _FORMATS["date-time"]
    if lowered.endswith("_time") or lowered.endswith("time"):
        return lambda f: f.past().strftime("%Y-%m-%d %H:%M:%S")
    return None


class _Generator:
    def __init__(self, fake: Fake, use_examples: bool):
        self.fake = fake
        self.use_examples = use_examples

    def value(self, schema: dict, depth: int, name: str) -> Any:
        if "const" in schema:
            return schema["const"]
        example = self._example(schema)
        if example is not _NONE:
            return example
        if "enum" in schema:
            return self.fake.rng.choice(schema["enum"])
        for combinator in ("oneOf", "anyOf"):
            if schema.get(combinator):
                return self.value(_merge(_without(schema, combinator), schema[combinator][0]), depth, name)
        base, conditions = _split(schema)
        value = self._plain(base, depth, name)
        for condition in conditions:
            branch = condition.get("then") if jsonschema_rs.is_valid(condition["if"], value) \
                else condition.get("else")
            if branch and isinstance(value, dict):
                value = self._apply(value, base, branch, depth)
        return value

    def _example(self, schema: dict) -> Any:
        examples = [schema["example"]] if "example" in schema else list(schema.get("examples") or [])
        if not examples or not self.use_examples:
            return _NONE
        return examples[0]

    def _apply(self, value: dict, base: dict, branch: dict, depth: int) -> dict:
        """Make an object fit a conditional branch: its properties, its required members."""
        value = dict(value)
        props = base.get("properties") or {}
        for name, sub in (branch.get("properties") or {}).items():
            value[name] = self.value(_merge(props.get(name) or {}, sub), depth + 1, name)
        for name in branch.get("required") or ():
            if name not in value:
                value[name] = self.value(props.get(name) or {}, depth + 1, name)
        return value

    def _plain(self, schema: dict, depth: int, name: str) -> Any:
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "string"
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            low = schema.get("minItems", 0)
            count = max(low, 1) if depth < 4 else low
            count = min(count, schema.get("maxItems", count))
            return [self.value(schema.get("items") or {}, depth + 1, name) for _ in range(count)]
        if kind == "integer":
            low = schema.get("minimum", 1)
            return self.fake.rng.randint(low, schema.get("maximum", max(low, 1000)))
        if kind == "number":
            return round(self.fake.rng.uniform(schema.get("minimum", 0), schema.get("maximum", 1000)), 2)
        if kind == "boolean":
            return self.fake.rng.random() < 0.5
        if kind == "null":
            return None
        return self._string(schema, name)

    def _object(self, schema: dict, depth: int) -> dict:
        out = {}
        properties = schema.get("properties") or {}
        required = list(schema.get("required") or ())
        for prop, sub in properties.items():
            if prop in required or depth < 3:
                out[prop] = self.value(sub, depth + 1, prop)
        extra = schema.get("additionalProperties")
        for prop in required:  # required members only additionalProperties describes
            if prop not in out:
                out[prop] = self.value(extra if isinstance(extra, dict) else {}, depth + 1, prop)
        return _consistent(out)

    def _string(self, schema: dict, name: str) -> str:
        if "pattern" in schema:
            return from_pattern(schema["pattern"], self.fake.rng)
        fmt = _FORMATS.get(schema.get("format", ""))
        maker = fmt or _BY_NAME.get(name.lower()) or _by_name_hint(name)
        text = maker(self.fake) if maker else self.fake.faker.word()
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        while len(text) < low:
            text += self.fake.faker.word()
        return text[:high] if high else text


def _consistent(out: dict) -> dict:
    """Make a generated object agree with itself: counts match the list, time runs forward."""
    items = next((v for v in out.values() if isinstance(v, list)), None)
    if items is not None:
        for key in out:
            if key.lower() in _COUNTS and isinstance(out[key], int) and not isinstance(out[key], bool):
                out[key] = len(items)
    for earlier, later in _ORDERED:
        first, second = out.get(earlier), out.get(later)
        if isinstance(first, str) and isinstance(second, str) and second < first:
            out[earlier], out[later] = second, first
    return out


class _NoneType:
    pass


_NONE = _NoneType()


def _split(schema: dict) -> tuple[dict, list[dict]]:
    """(the schema with every plain allOf part merged in, its if/then/else conditions).

    Nested allOf lists are flattened, so conditions kept in a referenced component
    (``allOf: [{$ref: DataByType}]`` whose own allOf holds the ifs) are found too.
    """
    base = _without(schema, "allOf", "if", "then", "else")
    conditions = [schema] if "if" in schema else []
    for part in schema.get("allOf") or []:
        part_base, part_conditions = _split(part)
        base = _merge(base, part_base)
        conditions.extend(part_conditions)
    return base, conditions


def _without(schema: dict, *keys: str) -> dict:
    return {k: v for k, v in schema.items() if k not in keys}


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


# --- strings from regular expressions ------------------------------------------------------
_CATEGORIES = {
    sre_constants.CATEGORY_DIGIT: string.digits,
    sre_constants.CATEGORY_NOT_DIGIT: string.ascii_letters,
    sre_constants.CATEGORY_SPACE: " ",
    sre_constants.CATEGORY_NOT_SPACE: string.ascii_letters + string.digits,
    sre_constants.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    sre_constants.CATEGORY_NOT_WORD: "-.",
}
_PRINTABLE = string.ascii_letters + string.digits + "-._~"


def from_pattern(pattern: str, rng: random.Random) -> str:
    """A string matching `pattern` (the regex subset JSON Schemas use), from `rng`."""
    parsed = sre_parse.parse(pattern)
    for _ in range(20):
        text = _emit(parsed, rng)
        if re.search(pattern, text):
            return text
    return text


def _class_chars(items, rng) -> str:
    allowed, negate = [], False
    for op, arg in items:
        if op == sre_constants.NEGATE:
            negate = True
        elif op == sre_constants.LITERAL:
            allowed.append(chr(arg))
        elif op == sre_constants.RANGE:
            allowed.extend(chr(c) for c in range(arg[0], arg[1] + 1))
        elif op == sre_constants.CATEGORY:
            allowed.extend(_CATEGORIES.get(arg, _PRINTABLE))
    if negate:
        return rng.choice([c for c in _PRINTABLE if c not in allowed] or ["x"])
    return rng.choice(allowed or ["x"])


def _emit(parsed, rng: random.Random) -> str:
    out = []
    for op, arg in parsed:
        if op == sre_constants.LITERAL:
            out.append(chr(arg))
        elif op == sre_constants.NOT_LITERAL:
            out.append(rng.choice([c for c in _PRINTABLE if c != chr(arg)]))
        elif op == sre_constants.ANY:
            out.append(rng.choice(_PRINTABLE))
        elif op == sre_constants.IN:
            out.append(_class_chars(arg, rng))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            low, high, sub = arg
            high = min(low + 8 if high == sre_constants.MAXREPEAT else high, low + 8)
            # Optional parts mostly appear: an empty match is valid but shows nothing.
            count = rng.randint(max(low, 1), high) if high >= 1 and rng.random() < 0.8 else low
            out.extend(_emit(sub, rng) for _ in range(count))
        elif op == sre_constants.SUBPATTERN:
            out.append(_emit(arg[-1], rng))
        elif op == sre_constants.BRANCH:
            out.append(_emit(rng.choice(arg[1]), rng))
        elif op == sre_constants.CATEGORY:
            out.append(rng.choice(_CATEGORIES.get(arg, _PRINTABLE)))
        # AT (anchors) and other zero-width items add nothing
    return "".join(out)
