"""JSON and YAML texts from outside: data files, state uploads, values sent as strings.

`parse_document` reads either safely (the safe loader builds no objects; documents from
the network may refuse aliases); `yaml_problem` and `json_problem` say what is wrong with
a position but never quote the text, which may hold secrets; `count_nodes` bounds what a
few aliases can expand to.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from .spec import SAFE_LOADER

MAX_YAML_NODES = 10_000  # anchors and aliases can make a small document enormous


class _NoAliasLoader(yaml.SafeLoader):
    """The safe loader, refusing aliases: a few hundred bytes of nested aliases expand to
    gigabytes once the document is exported (the "billion laughs")."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("YAML aliases (*name) are not accepted here; write the values out")
        return super().compose_node(parent, index)


def parse_document(text: str, *, aliases: bool = True) -> Any:
    """A JSON or YAML document; yaml.YAMLError when it is neither (or nested too deeply).

    JSON is tried first: it is what exports and state files are, and PyYAML decodes the
    escaped surrogate pairs JSON uses for emoji (``\\ud83d\\ude80``) into two broken
    halves. Anything else goes through the safe YAML loader, which builds no objects;
    documents from the network pass ``aliases=False``.
    """
    try:
        return json.loads(text)
    except ValueError:
        pass
    except RecursionError as exc:
        raise yaml.YAMLError("the document is nested too deeply") from exc
    try:
        return yaml.load(text, Loader=SAFE_LOADER if aliases else _NoAliasLoader)
    except RecursionError as exc:
        raise yaml.YAMLError("the document is nested too deeply") from exc
    except ValueError as exc:  # a number too long for Python's int() (4,300 digits)
        raise yaml.YAMLError(f"a number is too long ({exc.args[0].split(':')[0].lower()})") from exc


def count_nodes(value: Any, budget: list[int]) -> None:
    """Walk a parsed YAML value, failing once it holds more than MAX_YAML_NODES nodes."""
    budget[0] -= 1
    if budget[0] < 0:
        raise AssertionError("document too large once aliases are expanded")
    if isinstance(value, dict):
        for key, item in value.items():
            count_nodes(key, budget)
            count_nodes(item, budget)
    elif isinstance(value, list):
        for item in value:
            count_nodes(item, budget)


def _strict_constant(name: str):
    raise ValueError(f"Out of range float values are not JSON compliant: {name}")


STRICT_JSON = json.JSONDecoder(parse_constant=_strict_constant)  # built once: one per call costs


# A quoted part of a parser message is source text unless it is a token name ('<stream
# end>') or one punctuation character of YAML's grammar (',' ']' ':').
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_GRAMMAR = re.compile(r"<[a-z ]+>|[,\[\]{}:?\-|>!&*#]")


def unquoted(message: str) -> str:
    """A parser's `message` with every quoted piece of source text replaced by ``'...'``."""
    def hide(match: re.Match) -> str:
        return match.group(0) if _GRAMMAR.fullmatch(match.group(0)[1:-1]) else "'...'"
    return _QUOTED.sub(hide, message)


def _at(mark) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}"


def yaml_problem(error: Exception, text: str) -> str:
    """A YAML error as words and a position, without the source line PyYAML quotes."""
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, yaml.MarkedYAMLError):
        parts = []
        if error.context:
            parts.append(unquoted(error.context) + (_at(error.context_mark) if error.context_mark else ""))
        if error.problem:
            parts.append(unquoted(error.problem) + (_at(error.problem_mark) if error.problem_mark else ""))
        return ": ".join(parts) or "invalid YAML"
    if isinstance(error, yaml.reader.ReaderError):
        before = text[:error.position]
        line, column = before.count("\n") + 1, error.position - (before.rfind("\n") + 1) + 1
        return f"{error.reason} at line {line}, column {column}"
    return unquoted(str(error).split("\n", 1)[0])


def json_problem(error: Exception) -> str:
    """A JSON error as words and a position (Python's own messages never quote the text)."""
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg}: line {error.lineno} column {error.colno} (char {error.pos})"
    return unquoted(str(error))


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` as AWX runs it, on the C parser when it is built (several times faster).

    On a syntax error the text is parsed again with the pure-Python parser AWX uses, so
    the error message is the one AWX gives (libyaml words its problems differently).
    """
    try:
        return yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError:
        if SAFE_LOADER is yaml.SafeLoader:
            raise
    return yaml.load(text, Loader=yaml.SafeLoader)
