"""The template language of the spec's declarations, compiled once to Python.

Two declarations use it: ``x-mock-collections.<name>.generate`` (how a realistic entity is
made, `mockserver.generate`) and ``x-mock-views`` (how a response shows a stored entity,
`mockserver.views`). A template is YAML shaped like the value it makes:

- a string is text with ``{expression}`` placeholders; a string that is one placeholder
  keeps the value's type (``"{count}"`` stays a number); ``{{`` and ``}}`` are braces;
- a mapping is an object, a list a list; other scalars stand for themselves; a member
  whose name starts with ``_`` is a variable: later expressions see it, the value does not;
- a mapping with a ``$`` key chooses: ``{$case: "{type}", aws: ..., $default: ...}`` (no
  case and no default: the member is left out); each dialect adds its own (generate's
  random ``$choice``, ``$maybe``, ``$repeat``, ``$pick``; a view's ``$view``).

An expression is a name, ``:arguments`` separated by commas, then ``|filters``:
``{past:30|strftime:%Y-%m-%d}``. A name is a member or variable (``{type}``,
``{credential_type.name}`` reads a field of the entity a reference names), or a function
of the dialect. An expression ending in ``?`` (``{created_by.id?}``) leaves its member out
when its value is missing or null; so does the text around it.

Why Python source: a view runs for every row of every list the mock answers, so it must
cost what the same code written by hand costs. The `Compiler` turns a template into the
source of one function (statements in order, a local per intermediate value), executed
once when the spec loads; every value from the spec enters that source through `repr` of
a plain scalar or as a named constant, never as code. Every name is checked then too, so a
typo stops the start with the spec's name and the member, not a bad answer later.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable

from .timestamps import iso

OMIT = object()  # a member left out: no case matched, an optional value was missing


class TemplateError(ValueError):
    """A template that cannot be compiled (the message names the member)."""


_EMPTY = ("", [], {})
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
    # (the usual values answer first: these run for every row a view shows)
    "or": lambda value, other: value if value or value is not None and value not in _EMPTY else other,
    "nonempty": lambda value: value if value or value is not None and value not in _EMPTY else None,
    "list": lambda value: [] if value is None else list(value),
    "count": lambda value: 0 if value is None else len(value),
}

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
NAME = re.compile(r"[A-Za-z_][\w-]*(\.[\w-]+)*")
_SCALARS = (str, int, bool, type(None))


def fixed(node: Any) -> bool:
    """A value that is the same every time (no placeholder, nothing to copy), or OMIT."""
    return node is OMIT or isinstance(node, (bool, int, float, type(None))) or \
        isinstance(node, str) and "{" not in node and "}" not in node


def at(where: str, key: Any) -> str:
    """Where a member is: a JSON pointer when `where` is one, else ``where.key``."""
    if where.startswith("/"):
        return f"{where}/{str(key).replace('~', '~0').replace('/', '~1')}"
    return f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}"


def split_call(text: str) -> tuple[str, list[str]]:
    """``name:a,b`` as (name, [a, b])."""
    name, _, args = text.strip().partition(":")
    return name.strip(), [arg for arg in args.split(",")] if args else []


class Dialect:
    """What one kind of template may use, and how its names read (see `Compiler`).

    The defaults are the common part: ``$case`` and the shared filters. A subclass names
    the function's parameters and says how a name, an argument and a variable are read.
    """

    parameters = "env"
    helpers: dict[str, Any] = {}  # what the compiled code calls by name
    functions: dict[str, Callable[..., Any]] = {}
    filters: dict[str, Callable[..., Any]] = FILTERS
    specials: dict[str, set[str]] = {"$case": {"$default"}}

    def start(self, compiler: "Compiler") -> None:
        """A new function begins (reset what a dialect tracks per function)."""

    def prologue(self, compiler: "Compiler") -> list[str]:
        """Lines the function starts with (after its body is compiled)."""
        return []

    def name(self, compiler: "Compiler", name: str, optional: bool, where: str) -> str:
        raise NotImplementedError

    def argument(self, compiler: "Compiler", text: str, where: str) -> str:
        raise NotImplementedError

    def variable(self, compiler: "Compiler", name: str, value: str, may_omit: bool, where: str) -> None:
        raise NotImplementedError

    def special(self, compiler: "Compiler", head: str, template: dict, where: str) -> tuple[str, bool]:
        raise NotImplementedError

    def faker(self, compiler: "Compiler", method: str, args: list[str], where: str) -> str:
        raise TemplateError(f"{where}: unknown function {{faker.{method}}}; {self.known_functions()}")

    def member(self, value: str) -> str:
        """How a value is stored in an object (generate: a datetime as RFC 3339 text)."""
        return value

    def text(self, value: str) -> str:
        """How a value is written inside text (generate: a datetime as RFC 3339 text)."""
        return value

    def known_functions(self) -> str:
        return f"functions: {', '.join(self.functions) or 'none'}, or a member"


@lru_cache(maxsize=256)
def _code(source: str):
    """Python's compiler is most of a template's cost at load: a spec loaded again (tests,
    a reset) reuses it. The constants live in each module's namespace, not in the code."""
    return compile(source, "<x-mock template>", "exec")


class Compiler:
    """Templates of one dialect, compiled into the functions of one Python module.

    `function` adds a function making a template's value (`OMIT` when it is left out);
    `build` compiles them all at once and returns the namespace holding them.
    """

    def __init__(self, dialect: Dialect):
        self.dialect = dialect
        self.namespace: dict[str, Any] = {"OMIT": OMIT, **dialect.helpers}
        self.sources: list[str] = []
        self.lines: list[str] = []
        self.depth = 1
        self.count = 0

    # --- the module -------------------------------------------------------------------------
    def function(self, name: str, template: Any, where: str) -> None:
        self.lines, self.depth = [], 1
        self.dialect.start(self)
        value, _ = self.value(template, where)
        body = self.dialect.prologue(self) + self.lines + [f"    return {value}"]
        self.sources.append(f"def {name}({self.dialect.parameters}):\n" + "\n".join(body))

    def build(self) -> dict[str, Any]:
        exec(_code("\n\n".join(self.sources)), self.namespace)  # noqa: S102
        return self.namespace

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def local(self, value: str | None = None) -> str:
        """A fresh local, assigned `value` when given."""
        self.count += 1
        name = f"t{self.count}"
        if value is not None:
            self.emit(f"{name} = {value}")
        return name

    def constant(self, value: Any) -> str:
        """A name for `value` in the module (functions, lists, anything not a plain scalar)."""
        name = f"k{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def literal(self, value: Any) -> str:
        return repr(value) if isinstance(value, _SCALARS) else self.constant(value)

    def branch(self, condition: str, make: Callable[[], str], target: str) -> None:
        """``condition:`` followed by `target` = what `make` compiles, indented under it."""
        self.emit(condition)
        self.depth += 1
        self.emit(f"{target} = {make()}")
        self.depth -= 1

    # --- values -------------------------------------------------------------------------------
    def value(self, template: Any, where: str) -> tuple[str, bool]:
        """An expression for the template's value, and whether it may be `OMIT` (then it is
        a local, safe to read twice); the statements it needs are emitted before."""
        if isinstance(template, dict):
            heads = [key for key in template if isinstance(key, str) and key.startswith("$")]
            return self.special(template, heads, where) if heads else (self.mapping(template, where), False)
        if isinstance(template, list):
            return self.sequence(template, where), False
        if isinstance(template, str):
            return self.text(template, where)
        return self.literal(template), False

    def mapping(self, template: dict, where: str) -> str:
        made: list[tuple[str, str, bool]] = []
        for key, node in template.items():
            name = str(key)
            value, may_omit = self.value(node, at(where, name))
            if name.startswith("_"):
                self.dialect.variable(self, name, value, may_omit, at(where, name))
            else:
                made.append((name, value, may_omit))
        # The members before the first that may be left out make the object at once.
        member = self.dialect.member
        first = next((i for i, (_, _, may_omit) in enumerate(made) if may_omit), len(made))
        literal = "{" + ", ".join(f"{name!r}: {member(value)}" for name, value, _ in made[:first]) + "}"
        if first == len(made):
            return literal
        target = self.local(literal)
        for name, value, may_omit in made[first:]:
            self.emit(f"if {value} is not OMIT: {target}[{name!r}] = {member(value)}" if may_omit
                      else f"{target}[{name!r}] = {member(value)}")
        return target

    def sequence(self, template: list, where: str) -> str:
        items = [self.value(node, at(where, index)) for index, node in enumerate(template)]
        if not any(may_omit for _, may_omit in items):
            return f"[{', '.join(value for value, _ in items)}]"
        made = self.local("[]")
        for value, may_omit in items:
            self.emit(f"if {value} is not OMIT: {made}.append({value})" if may_omit else f"{made}.append({value})")
        return made

    def text(self, text: str, where: str) -> tuple[str, bool]:
        parts: list[Any] = []
        position = 0
        for match in _PLACEHOLDER.finditer(text):
            parts.append(text[position:match.start()])
            parts.append(match.group(0)[0] if match.group(1) is None else self.expression(match.group(1), where))
            position = match.end()
        parts.append(text[position:])
        parts = [part for part in parts if part != ""]
        if len(parts) == 1 and isinstance(parts[0], tuple):
            return parts[0]  # the whole string is one placeholder: keep the value's type
        if all(isinstance(part, str) for part in parts):
            return repr("".join(parts)), False
        pattern = "".join(part.replace("%", "%%") if isinstance(part, str) else "%s" for part in parts)
        values = [part for part in parts if isinstance(part, tuple)]
        formatted = f"{pattern!r} % ({', '.join(self.dialect.text(value) for value, _ in values)},)"
        optional = [value for value, may_omit in values if may_omit]
        if not optional:
            return formatted, False
        missing = " or ".join(f"{value} is OMIT" for value in optional)
        return self.local(f"OMIT if {missing} else {formatted}"), True

    def expression(self, source: str, where: str) -> tuple[str, bool]:
        dialect = self.dialect
        optional = source.endswith("?")
        head, *filters = (source[:-1] if optional else source).split("|")
        name, args = split_call(head)
        if not name:
            raise TemplateError(f"{where}: empty placeholder {{{source}}}")
        chain = []
        for text in filters:
            filter_name, filter_args = split_call(text)
            if filter_name not in dialect.filters:
                raise TemplateError(f"{where}: unknown filter |{filter_name}; filters: {', '.join(dialect.filters)}")
            chain.append((dialect.filters[filter_name], filter_args))
        # A function is called here, in template order (generate's random draws depend on
        # it); names and filters have no side effects: they are read where they are used.
        if name.startswith("faker."):
            value = self.local(dialect.faker(self, name[len("faker."):], args, where))
        elif name in dialect.functions:
            value = self.local(f"{self.constant(dialect.functions[name])}"
                               f"({', '.join(['env'] + self.arguments(args, where))})")
        elif NAME.fullmatch(name) and not args:
            value = dialect.name(self, name, optional, where)
        else:
            raise TemplateError(f"{where}: unknown function {{{name}}}; {dialect.known_functions()}")
        for function, filter_args in chain:
            value = f"{self.constant(function)}({', '.join([value] + self.arguments(filter_args, where))})"
        if not optional:
            return value, False
        value = self.local(value)
        self.emit(f"if {value} is None: {value} = OMIT")
        return value, True

    def arguments(self, args: list[str], where: str) -> list[str]:
        return [self.dialect.argument(self, text, where) for text in args]

    # --- choices --------------------------------------------------------------------------------
    def special(self, template: dict, special: list[str], where: str) -> tuple[str, bool]:
        known = self.dialect.specials
        heads = [key for key in special if key in known]
        if len(heads) != 1:
            raise TemplateError(f"{where}: one of {', '.join(known)} per mapping, got {special}")
        head = heads[0]
        unknown = set(special) - {head} - known[head]
        if unknown:
            raise TemplateError(f"{where}: {head} takes {', '.join(sorted(known[head])) or 'nothing else'}, "
                                f"not {sorted(unknown)}")
        if head == "$case":
            return self.case(template, where)
        return self.dialect.special(self, head, template, where)

    def case(self, template: dict, where: str) -> tuple[str, bool]:
        """``{$case: "{type}", aws: ..., $default: ...}``: only the chosen branch is evaluated."""
        selector, _ = self.text(str(template["$case"]), at(where, "$case"))
        cases = {str(key): node for key, node in template.items() if not (isinstance(key, str) and key.startswith("$"))}
        default = template.get("$default", OMIT)
        if all(fixed(node) for node in [*cases.values(), default]):  # a table: one lookup
            found = f"{self.constant(cases)}.get(str({selector}), {'OMIT' if default is OMIT else self.literal(default)})"
            return (self.local(found), True) if default is OMIT else (found, False)
        chosen = self.local(f"str({selector})")
        branches = [(f"{chosen} == {key!r}", node, at(where, key)) for key, node in cases.items()]
        return self.choose(branches, default, at(where, "$default"))

    def choose(self, branches: list[tuple[str, Any, str]], default: Any, where: str) -> tuple[str, bool]:
        """A local holding the value of the first branch whose condition holds, else of
        `default` (`OMIT`: left out)."""
        result = self.local()
        omits = [default is OMIT]

        def make(node: Any, here: str) -> Callable[[], str]:
            def compiled() -> str:
                value, may_omit = self.value(node, here)
                omits.append(may_omit)
                return value
            return compiled

        for index, (condition, node, here) in enumerate(branches):
            self.branch(f"{'if' if index == 0 else 'elif'} {condition}:", make(node, here), result)
        fallback = (lambda: "OMIT") if default is OMIT else make(default, where)
        if branches:
            self.branch("else:", fallback, result)
        else:
            self.emit(f"{result} = {fallback()}")
        return result, any(omits)
