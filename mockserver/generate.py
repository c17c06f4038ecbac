"""Generated entities from a declared template: ``x-mock-collections.<name>.generate``.

A template is YAML shaped like the entity, compiled once when the spec loads:

- a string is text with ``{expression}`` placeholders (``"{faker.company}"``,
  ``"sk_live_{hex:32}"``); a string that is one placeholder keeps the value's type
  (``"{int:0,1000}"`` is a number); ``{{`` and ``}}`` are braces;
- a mapping is an object, a list a list; other scalars stand for themselves;
- a mapping with one of these keys is a choice:
  ``{$choice: [a, b], $weights: [3, 1]}``, ``{$case: "{type}", aws: ..., $default: ...}``
  (with no matching case and no ``$default`` the member is left out),
  ``{$maybe: value, $chance: 0.5}`` (the member is left out otherwise),
  ``{$repeat: item, $min: 0, $max: 2}``, and
  ``{$pick: collection, $weight_by: field, $weights: {value: weight}}`` (the key of a
  stored entity; a required member the collection ``references`` is picked so when the
  template does not make it);
- a member whose name starts with ``_`` is a variable: later expressions see it, the entity
  does not keep it.

An expression is a name and arguments, then filters: ``{_created|millis}``,
``{faker.sentence:4|no_period}``, ``{after:_created,30}``. Names: the members and variables
made so far (``{type}``; ``{credential_type.namespace}`` reads a field of the referenced
entity), ``faker.<method>`` (words and names: see `_pooled`), and the functions of
`FUNCTIONS` (secrets, ids, numbers, dates, keys); filters are in `FILTERS`.
Every name is checked at load, so a typo is a start-up error, not a bad entity later.
"""

from __future__ import annotations

import base64
import re
import string
import weakref
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from .timestamps import iso

OMIT = object()  # a $maybe that came out empty: the member is left out
BASE_DATE = datetime(2026, 1, 1, tzinfo=timezone.utc)  # Fake.past counts back from it: a seed fixes every date


class TemplateError(ValueError):
    """A template that cannot be compiled (the message names the member)."""


class Env(dict):
    """What one entity's expressions see: its members and variables so far, plus context."""

    def __init__(self, fake, data, collection: str, references: dict[str, str]):
        super().__init__()
        self.fake, self.data, self.collection, self.references = fake, data, collection, references


def _random_text(alphabet: str):
    return lambda env, length=16: "".join(env.fake.rng.choices(alphabet, k=int(length)))


def _moment(env: Env, value: Any) -> datetime:
    return value if isinstance(value, datetime) else BASE_DATE


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "int": lambda env, low=0, high=100: env.fake.rng.randint(int(low), int(high)),
    "chance": lambda env, percent=50: env.fake.rng.random() * 100 < float(percent),
    "hex": _random_text("0123456789abcdef"),
    "digits": _random_text(string.digits),
    "alnum": _random_text(string.ascii_letters + string.digits),
    "upper32": _random_text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),  # AWS access key ids
    "token": _random_text(string.ascii_letters + string.digits + "-_"),
    "password": _random_text("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%*+-_"),
    "base64": lambda env, size=32: base64.b64encode(env.fake.rng.randbytes(int(size))).decode(),
    "uuid": lambda env: str(env.fake.faker.uuid4()),
    "past": lambda env, days=365: env.fake.past(days=int(days)),
    "after": lambda env, moment, days=30: _moment(env, moment) + timedelta(
        seconds=env.fake.rng.randint(0, int(days) * 86400), milliseconds=env.fake.rng.randint(0, 999)),
    "future": lambda env, low=30, high=720: BASE_DATE + timedelta(days=env.fake.rng.randint(int(low), int(high))),
    "key": lambda env, moment=None: env.data[env.collection].new_key(
        **({"at": moment} if isinstance(moment, datetime) else {})),
    "ipv4": lambda env: ".".join(str(part) for part in (env.fake.rng.choice((10, 172, 192, 198, 203)),
                                                        env.fake.rng.randint(0, 255), env.fake.rng.randint(0, 255),
                                                        env.fake.rng.randint(1, 254))),
    "sample": lambda env, count, *items: env.fake.rng.sample(items, int(count)),
    "pem_public_key": lambda env: _keys().pem_public_key(env.fake.rng.getrandbits(256).to_bytes(32, "big")),
    "ssh_private_key": lambda env, comment="": _keys().openssh_ed25519_key(
        env.fake.rng.getrandbits(256).to_bytes(32, "big"), env.fake.rng.getrandbits(32), str(comment)),
}

FILTERS: dict[str, Callable[..., Any]] = {
    "lower": lambda value: str(value).lower(),
    "initial": lambda value: str(value)[:1],
    "upper": lambda value: str(value).upper(),
    "title": lambda value: str(value).title(),
    "slug": lambda value: re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-"),
    "first_word": lambda value: re.split(r"[ ,]", str(value))[0],
    "no_period": lambda value: str(value).rstrip("."),
    "millis": lambda value: iso(value, millis=True) if isinstance(value, datetime) else value,
    "strftime": lambda value, pattern: value.strftime(pattern) if isinstance(value, datetime) else value,
}


def _keys():
    from . import keys  # cryptography only when a template makes keys: start-up stays quick

    return keys


# --- compiling ----------------------------------------------------------------------------
Node = Callable[[Env], Any]
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def compile_template(template: Any, where: str) -> Node:
    """A function making one value from `template` (TemplateError naming `where` if bad)."""
    if isinstance(template, dict):
        special = [key for key in template if isinstance(key, str) and key.startswith("$")]
        if special:
            return _compile_special(template, special, where)
        members = [(str(name), compile_template(node, f"{where}.{name}")) for name, node in template.items()]
        return lambda env: _object(members, env)
    if isinstance(template, list):
        items = [compile_template(node, f"{where}[{index}]") for index, node in enumerate(template)]
        return lambda env: [value for value in (item(env) for item in items) if value is not OMIT]
    if isinstance(template, str):
        return _compile_text(template, where)
    return lambda env: template


def _object(members: list[tuple[str, Node]], env: Env) -> dict:
    made = {}
    for name, node in members:
        value = node(env)
        if value is not OMIT:
            made[name] = _plain(value)
    return made


def _plain(value: Any) -> Any:
    """A datetime as the RFC 3339 text every API here stores."""
    return iso(value) if isinstance(value, datetime) else value


_SPECIAL = {"$choice": {"$weights"}, "$case": {"$default"}, "$maybe": {"$chance"}, "$repeat": {"$min", "$max"},
            "$pick": {"$weight_by", "$weights"}}


def _compile_special(template: dict, special: list[str], where: str) -> Node:
    heads = [key for key in special if key in _SPECIAL]
    if len(heads) != 1:
        raise TemplateError(f"{where}: one of {', '.join(_SPECIAL)} per mapping, got {special}")
    head = heads[0]
    unknown = set(special) - {head} - _SPECIAL[head]
    if unknown:
        raise TemplateError(f"{where}: {head} takes {', '.join(sorted(_SPECIAL[head])) or 'nothing else'}, "
                            f"not {sorted(unknown)}")
    if head == "$choice":
        options = template["$choice"]
        if not isinstance(options, list) or not options:
            raise TemplateError(f"{where}: $choice must be a non-empty list")
        nodes = [compile_template(node, f"{where}.$choice[{i}]") for i, node in enumerate(options)]
        weights = template.get("$weights")
        if weights is not None and (not isinstance(weights, list) or len(weights) != len(nodes)):
            raise TemplateError(f"{where}: $weights must list one weight per choice")
        return lambda env: env.fake.rng.choices(nodes, weights=weights)[0](env)
    if head == "$case":
        selector = _compile_text(str(template["$case"]), f"{where}.$case")
        cases = {str(key): compile_template(node, f"{where}.{key}") for key, node in template.items()
                 if not (isinstance(key, str) and key.startswith("$"))}
        default = compile_template(template["$default"], f"{where}.$default") if "$default" in template else None

        def case(env: Env) -> Any:
            chosen = cases.get(str(selector(env)), default)
            return OMIT if chosen is None else chosen(env)  # no case, no member
        return case
    if head == "$maybe":
        node, chance = compile_template(template["$maybe"], f"{where}.$maybe"), float(template.get("$chance", 0.5))
        return lambda env: node(env) if env.fake.rng.random() < chance else OMIT
    if head == "$repeat":
        node = compile_template(template["$repeat"], f"{where}.$repeat")
        low, high = int(template.get("$min", 0)), int(template.get("$max", 3))
        return lambda env: [node(env) for _ in range(env.fake.rng.randint(low, high))]
    return _compile_pick(template, where)


def _compile_pick(template: dict, where: str) -> Node:
    collection, by = str(template["$pick"]), template.get("$weight_by")
    weights = {str(key): value for key, value in (template.get("$weights") or {}).items()}

    def pick(env: Env) -> Any:
        stored = env.data[collection]
        entities = list(stored)
        if not entities:
            raise ValueError(f"no {collection} to pick from: load or generate them first")
        odds = [weights.get(str(e.get(by)), 1) for e in entities] if by else None
        # Weight 0 keeps an entity out, unless nothing else is there.
        chosen = env.fake.rng.choices(entities, weights=odds)[0] if odds and sum(odds) > 0 \
            else env.fake.rng.choice(entities)
        return chosen[stored.key]
    return pick


def _compile_text(text: str, where: str) -> Node:
    parts: list[Any] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(text[position:match.start()])
        parts.append(match.group(0)[0] if match.group(1) is None else _compile_expression(match.group(1), where))
        position = match.end()
    parts.append(text[position:])
    parts = [part for part in parts if part != ""]
    if len(parts) == 1 and callable(parts[0]):
        return parts[0]  # the whole string is one placeholder: keep the value's type
    if all(isinstance(part, str) for part in parts):
        literal = "".join(parts)
        return lambda env: literal
    return lambda env: "".join(_text(part(env)) if callable(part) else part for part in parts)


def _text(value: Any) -> str:
    return iso(value) if isinstance(value, datetime) else str(value)


def _split_call(text: str) -> tuple[str, list[str]]:
    name, _, args = text.strip().partition(":")
    return name.strip(), [arg for arg in args.split(",")] if args else []


def _compile_expression(source: str, where: str) -> Node:
    head, *filters = source.split("|")
    name, args = _split_call(head)
    if not name:
        raise TemplateError(f"{where}: empty placeholder {{{source}}}")
    chain = []
    for text in filters:
        filter_name, filter_args = _split_call(text)
        if filter_name not in FILTERS:
            raise TemplateError(f"{where}: unknown filter |{filter_name}; filters: {', '.join(FILTERS)}")
        chain.append((FILTERS[filter_name], filter_args))
    if name.startswith("faker."):
        method = name[len("faker."):]
        if not callable(getattr(_checking_faker(), method, None)):
            raise TemplateError(f"{where}: Faker has no {method}()")
        produce = lambda env: _pooled(env, method, tuple(_arg(env, a) for a in args))  # noqa: E731
    elif name in FUNCTIONS:
        function = FUNCTIONS[name]
        produce = lambda env: function(env, *(_arg(env, a) for a in args))  # noqa: E731
    elif re.fullmatch(r"[A-Za-z_][\w-]*(\.[\w-]+)*", name) and not args:
        produce = lambda env: _lookup(env, name, where)  # noqa: E731
    else:
        raise TemplateError(f"{where}: unknown function {{{name}}}; functions: faker.<method>, "
                            f"{', '.join(FUNCTIONS)}, or a member made before")

    def evaluate(env: Env) -> Any:
        value = produce(env)
        for function, filter_args in chain:
            value = function(value, *(_arg(env, a) for a in filter_args))
        return value
    return evaluate


POOL_SIZE = 256
_POOLS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _pooled(env: Env, method: str, args: tuple) -> Any:
    """A Faker value: the first 256 of each kind are Faker's own, later ones are drawn from
    them. Faker takes tens of microseconds a name; thousands of entities still load fast,
    and the seed still fixes every value. (Secrets and ids come from functions, not Faker.)"""
    pool = _POOLS.setdefault(env.fake, {}).setdefault((method, args), [])
    if len(pool) < POOL_SIZE:
        pool.append(getattr(env.fake.faker, method)(*args))
        return pool[-1]
    return env.fake.rng.choice(pool)


_FAKER: list = []


def _checking_faker():
    """One Faker to check method names against (the server makes its seeded ones anyway)."""
    if not _FAKER:
        from faker import Faker

        _FAKER.append(Faker("en_US"))
    return _FAKER[0]


def _arg(env: Env, text: str) -> Any:
    """An argument: a member or variable made before, else an integer, else the text."""
    if text in env:
        return env[text]
    return int(text) if text.lstrip("-").isdigit() else text


def _lookup(env: Env, name: str, where: str) -> Any:
    first, *path = name.split(".")
    if first not in env:
        raise ValueError(f"{where}: {{{name}}} is used before {first} is made")
    value = env[first]
    if path and first in env.references:  # a reference: read the referenced entity's fields
        value = env.data[env.references[first]].get(value) or {}
    for step in path:
        value = value.get(step) if isinstance(value, dict) else None
    return value


# --- making entities ------------------------------------------------------------------------
class EntityTemplate:
    """A collection's compiled ``generate`` template."""

    def __init__(self, template: dict, where: str, references: dict[str, str], key: str, required=()):
        if not isinstance(template, dict):
            raise TemplateError(f"{where}: generate must be a mapping of members")
        self.members = [(str(name), compile_template(node, f"{where}.{name}")) for name, node in template.items()]
        self.references, self.key = references, key
        # A required reference the template does not make is one of the stored parents.
        named = {name for name, _ in self.members}
        self.picks = [(member, _compile_pick({"$pick": parent}, f"{where}.{member}"))
                      for member, parent in references.items() if member in required and member not in named]
        self._issued: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def make(self, fake, data, collection: str, given: dict | None = None) -> dict:
        """One entity: `given` members as they are, references picked, the rest generated.

        A generated key already stored, or made earlier in this data load, gets a number
        appended, so the entities of one ``generate:`` list never clash.
        """
        env = Env(fake, data, collection, self.references)
        env.update(given or {})
        for member, pick in self.picks:
            if member not in env:
                env[member] = pick(env)
        for name, node in self.members:
            if name not in env:
                value = node(env)
                if value is not OMIT and name == self.key:  # unique before later members use it
                    value = self._unique(fake, data[collection], value)
                if value is not OMIT:
                    env[name] = value  # a variable stays a datetime for later expressions
        return {name: _plain(value) for name, value in env.items() if not name.startswith("_")}

    def _unique(self, fake, stored, key: Any) -> Any:
        issued = self._issued.setdefault(fake, set())
        candidate, tries = key, 0
        while candidate in issued or candidate in stored:
            tries += 1
            candidate = f"{key}{fake.rng.randint(1, 999 * (1 + tries // 50))}"
        issued.add(candidate)
        return candidate
