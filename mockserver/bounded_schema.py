"""A jsonschema validator whose work on an invalid value stays bounded.

jsonschema's ``oneOf`` and ``anyOf`` collect every error of every branch before they
report one (to explain the failure), and start their message with the whole value's
``repr``. On a request body of 32,000 array items that is 32,000 errors and a message of
the whole body, built on the thread that serves every request. Here each branch stops
after `BRANCH_ERRORS` errors (enough to tell a valid branch from an invalid one, and to
pick the best explanation), and the message shows the value shortened. The keywords
whose jsonschema message starts with the value's ``repr`` (``type``, ``enum``,
``minItems``...) see a big value through a copy whose ``repr`` is short, and
``uniqueItems`` compares many unhashable items in linear time, not quadratic.

Only the detailed errors of an *invalid* value come from here: whether a value is valid
at all is decided by jsonschema-rs first (`spec.SchemaValidator`).
"""

from __future__ import annotations

import itertools
import json
from functools import cache
from typing import Any

import orjson

BRANCH_ERRORS = 51  # per oneOf/anyOf branch: one more than validation.MAX_VIOLATIONS
BOUNDED_KEYWORDS = ("oneOf", "anyOf")  # their messages are written here, values already short
VALUE_CHARS = 120  # a value shown in a message is cut to about this many characters
BRIEF_MEMBERS = 16  # a list or object of more members is quoted through a brief copy


def short_value(value: Any) -> str:
    """The value as JSON, cut to about VALUE_CHARS characters (an ellipsis and the size after).

    Only the start of the value is ever encoded: a 1 MiB value costs what a small one does.
    """
    if isinstance(value, (list, dict)) and len(value) > VALUE_CHARS:
        sample = value[:8] if isinstance(value, list) else dict(itertools.islice(value.items(), 8))
        text, _ = _json_start(sample, VALUE_CHARS)
        kind = "items" if isinstance(value, list) else "members"
        return f"{text[:VALUE_CHARS]}… ({len(value)} {kind})"
    text, cut = _json_start(value, VALUE_CHARS)
    if not cut:
        return text
    size = f"{len(value)} characters" if isinstance(value, str) else "and more"
    return f"{text[:VALUE_CHARS]}… ({size})"


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


def longer_than(value: Any, chars: int) -> bool:
    """Is the value's JSON longer than `chars` characters? (Only that much is ever encoded.)"""
    return _json_start(value, chars)[1]


def _json_start(value: Any, limit: int) -> tuple[str, bool]:
    """(The JSON of `value`, or its first `limit` characters and more, whether it was cut).

    The encoder's pure-Python path yields the text piece by piece, so it stops early.
    """
    try:  # most values are small: the C encoder writes them at once (its pure-Python path,
        # below, leaves reference cycles for the garbage collector on every call)
        if len(orjson.dumps(value)) <= limit:
            return json.dumps(value, ensure_ascii=False, allow_nan=False), False
    except (orjson.JSONEncodeError, TypeError, ValueError):
        pass  # an integer past 64 bits, NaN ...: the careful path says what it can
    pieces, size = [], 0
    try:
        for piece in _ENCODER.iterencode(value):
            pieces.append(piece)
            size += len(piece)
            if size > limit:
                return "".join(pieces), True
    except (TypeError, ValueError, RecursionError):  # NaN, Infinity, an integer too long for str()
        if isinstance(value, int) and not isinstance(value, bool):
            return f"an integer of {value.bit_length() * 30103 // 100000 + 1} digits", False
        if isinstance(value, (list, dict)):  # what was written before the value JSON cannot spell
            return "".join(pieces), True
        return repr(value)[:limit], False
    return "".join(pieces), False


def _bounded_branches(keyword: str):
    """The ``oneOf`` or ``anyOf`` keyword, each branch's errors cut at BRANCH_ERRORS."""
    def check(validator, branches, instance, schema):
        errors = []
        valid = []
        for index, branch in enumerate(branches):
            found = list(itertools.islice(validator.descend(instance, branch, schema_path=index), BRANCH_ERRORS))
            if not found:
                valid.append(index)
                if keyword == "anyOf":
                    return
            errors.extend(found)
        if not valid:
            yield _error(f"{short_value(instance)} is not valid under any of the given schemas", errors)
        elif keyword == "oneOf" and len(valid) > 1:
            yield _error(f"{short_value(instance)} is valid under more than one of the given schemas "
                         f"(branches {', '.join(map(str, valid))})", [])

    return check


# Keywords whose jsonschema message starts with f"{instance!r}": for a 1 MiB value that
# repr alone takes tens of milliseconds, for a message cut short again anyway.
QUOTING_KEYWORDS = ("type", "enum", "const", "contains", "not", "minItems", "maxItems", "minLength",
                    "maxLength", "pattern", "format", "minProperties", "maxProperties")


class _BriefList(list):
    """A copy of a long list whose repr is short (see QUOTING_KEYWORDS)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return short_value(self)


class _BriefDict(dict):
    """A copy of a large object whose repr is short."""

    __slots__ = ()

    def __repr__(self) -> str:
        return short_value(self)


class _BriefStr(str):
    """A copy of a long string whose repr is short."""

    __slots__ = ()

    def __repr__(self) -> str:
        return short_value(self)


_BRIEF = {list: _BriefList, dict: _BriefDict, str: _BriefStr}


def _quoting_briefly(check):
    """The keyword `check`, shown a long value through a brief copy (the error still
    carries the value itself: jsonschema sets it after the keyword)."""
    def brief_check(validator, value, instance, schema):
        # (Only a long string or a container of many members is copied: a few members
        # holding long values cost a repr of about the body's size, which is bounded.)
        brief = _BRIEF.get(type(instance))
        if brief is not None and len(instance) > (VALUE_CHARS if brief is _BriefStr else BRIEF_MEMBERS):
            instance = brief(instance)
        return check(validator, value, instance, schema)  # its generator: no second one around it

    return brief_check


UNIQUE_BY_COMPARISON = 1000  # items up to which uniqueItems compares them as jsonschema does


def _unique_items(validator, unique, instance, schema):
    """``uniqueItems`` in linear time: jsonschema compares unhashable items pairwise, which
    for 30,000 objects is 450 million comparisons; here a long list's items are compared
    by their canonical JSON (1 and 1.0 then differ, true and 1 still do)."""
    if not unique or not validator.is_type(instance, "array"):
        return
    if len(instance) <= UNIQUE_BY_COMPARISON:
        from jsonschema._utils import uniq

        repeated = not uniq(instance)
    else:
        import orjson

        seen = set()
        for item in instance:
            try:
                key = orjson.dumps(item, option=orjson.OPT_SORT_KEYS)
            except (orjson.JSONEncodeError, TypeError):
                key = repr(item)
            if key in seen:
                break
            seen.add(key)
        repeated = len(seen) < len(instance)
    if repeated:
        yield _error(f"{short_value(instance)} has non-unique elements", [])


def _error(message: str, context: list):
    from jsonschema.exceptions import ValidationError

    return ValidationError(message, context=context)


@cache
def validator_class(brief: bool = True):
    """Draft 2020-12 with bounded ``oneOf``, ``anyOf``, ``uniqueItems``, and with `brief`
    quotes (built on first use: jsonschema is imported only once a request is invalid).
    A value short as a whole needs no brief quotes: its checks skip that wrapping."""
    from jsonschema import Draft202012Validator, validators

    keywords = {name: _quoting_briefly(Draft202012Validator.VALIDATORS[name]) for name in QUOTING_KEYWORDS} \
        if brief else {}
    keywords.update(oneOf=_bounded_branches("oneOf"), anyOf=_bounded_branches("anyOf"),
                    uniqueItems=_unique_items)
    return validators.extend(Draft202012Validator, keywords)
