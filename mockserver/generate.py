"""Generated entities from a declared template: ``x-mock-collections.<name>.generate``.

A template is in the language of `mockserver.templates` (compiled once, when the spec
loads), with what making an entity needs:

- the random choices ``{$choice: [a, b], $weights: [3, 1]}``, ``{$maybe: value, $chance:
  0.5}`` (the member is left out otherwise), ``{$repeat: item, $min: 0, $max: 2}`` and
  ``{$pick: collection, $weight_by: field, $weights: {value: weight}}`` (the key of a
  stored entity; a required member the collection ``references`` is picked so when the
  template does not make it), besides ``$case``;
- the names of the members and variables made so far (``{type}``;
  ``{credential_type.namespace}`` reads a field of the referenced entity),
  ``faker.<method>`` (words and names: see `_pooled`), and the functions of `FUNCTIONS`
  (secrets, ids, numbers, dates, keys).

``{_created|millis}``, ``{faker.sentence:4|no_period}``, ``{after:_created,30}``: an
argument is a member or variable made before, else a number, else the text.
"""

from __future__ import annotations

import base64
import string
import weakref
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from .templates import OMIT, Compiler, Dialect, TemplateError, fixed, at
from .timestamps import iso

BASE_DATE = datetime(2026, 1, 1, tzinfo=timezone.utc)  # Fake.past counts back from it: a seed fixes every date


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


def _keys():
    from . import keys  # cryptography only when a template makes keys: start-up stays quick

    return keys


# --- names, arguments and Faker ------------------------------------------------------------
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


def _lookup(env: Env, name: str, where: str, optional: bool = False) -> Any:
    first, *path = name.split(".")
    if first not in env:
        if optional:
            return None
        raise ValueError(f"{where}: {{{name}}} is used before {first} is made")
    value = env[first]
    if path and first in env.references:  # a reference: read the referenced entity's fields
        value = env.data[env.references[first]].get(value) or {}
    for step in path:
        value = value.get(step) if isinstance(value, dict) else None
    return value


def _plain(value: Any) -> Any:
    """A datetime as the RFC 3339 text every API here stores."""
    return iso(value) if isinstance(value, datetime) else value


def _text(value: Any) -> str:
    return iso(value) if isinstance(value, datetime) else str(value)


def _compile_pick(template: dict, where: str) -> Callable[[Env], Any]:
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


class Generating(Dialect):
    """The generate dialect: random choices and functions, the members made so far (`Env`)."""

    functions = FUNCTIONS
    helpers = {"_lookup": _lookup, "_arg": _arg, "_pooled": _pooled, "_plain": _plain, "_text": _text}
    specials = {"$choice": {"$weights"}, "$case": {"$default"}, "$maybe": {"$chance"}, "$repeat": {"$min", "$max"},
                "$pick": {"$weight_by", "$weights"}}

    def name(self, compiler: Compiler, name: str, optional: bool, where: str) -> str:
        return f"_lookup(env, {name!r}, {where!r}{', True' if optional else ''})"

    def argument(self, compiler: Compiler, text: str, where: str) -> str:
        return f"_arg(env, {text!r})"

    def variable(self, compiler: Compiler, name: str, value: str, may_omit: bool, where: str) -> None:
        compiler.emit(f"if {value} is not OMIT: env[{name!r}] = {value}" if may_omit else f"env[{name!r}] = {value}")

    def faker(self, compiler: Compiler, method: str, args: list[str], where: str) -> str:
        if not callable(getattr(_checking_faker(), method, None)):
            raise TemplateError(f"{where}: Faker has no {method}()")
        return f"_pooled(env, {method!r}, ({''.join(a + ', ' for a in compiler.arguments(args, where))}))"

    def member(self, value: str) -> str:
        return f"_plain({value})"

    def text(self, value: str) -> str:
        return f"_text({value})"

    def known_functions(self) -> str:
        return f"functions: faker.<method>, {', '.join(self.functions)}, or a member made before"

    def special(self, compiler: Compiler, head: str, template: dict, where: str) -> tuple[str, bool]:
        """The random choices; each draws from the seeded generator exactly as it always has,
        so a seed keeps making the same data."""
        rng = "env.fake.rng"
        if head == "$choice":
            options = template["$choice"]
            if not isinstance(options, list) or not options:
                raise TemplateError(f"{where}: $choice must be a non-empty list")
            weights = template.get("$weights")
            if weights is not None and (not isinstance(weights, list) or len(weights) != len(options)):
                raise TemplateError(f"{where}: $weights must list one weight per choice")
            chosen = compiler.local(f"{rng}.choices({compiler.constant(range(len(options)))}, "
                                    f"weights={compiler.literal(weights)})[0]")
            if all(fixed(option) for option in options):  # a table: one line
                return f"{compiler.constant(options)}[{chosen}]", False
            return compiler.choose([(f"{chosen} == {index}", option, at(at(where, "$choice"), index))
                                    for index, option in enumerate(options[:-1])], options[-1],
                                   at(at(where, "$choice"), len(options) - 1))
        if head == "$maybe":
            chance = compiler.constant(float(template.get("$chance", 0.5)))
            return compiler.choose([(f"{rng}.random() < {chance}", template["$maybe"], at(where, "$maybe"))],
                                   OMIT, where)
        if head == "$repeat":
            low, high = int(template.get("$min", 0)), int(template.get("$max", 3))
            made = compiler.local("[]")
            compiler.emit(f"for _ in range({rng}.randint({low}, {high})):")
            compiler.depth += 1
            item, may_omit = compiler.value(template["$repeat"], at(where, "$repeat"))
            compiler.emit(f"if {item} is not OMIT: {made}.append({item})" if may_omit else f"{made}.append({item})")
            compiler.depth -= 1
            return made, False
        return compiler.local(f"{compiler.constant(_compile_pick(template, where))}(env)"), False


GENERATING = Generating()


# --- making entities ------------------------------------------------------------------------
class EntityTemplate:
    """A collection's compiled ``generate`` template."""

    def __init__(self, template: dict, where: str, references: dict[str, str], key: str, required=()):
        if not isinstance(template, dict):
            raise TemplateError(f"{where}: generate must be a mapping of members")
        compiler = Compiler(GENERATING)  # one module for all members: one compile() at start-up
        for index, (name, node) in enumerate(template.items()):
            compiler.function(f"member_{index}", node, f"{where}.{name}")
        built = compiler.build()
        self.members = [(str(name), built[f"member_{index}"]) for index, name in enumerate(template)]
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
