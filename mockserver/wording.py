"""How an API words an invalid request: ``x-mock-errors.violations`` and ``x-mock-messages``.

Validation collects every violation (`mockserver.validation`); the message of the 400 that
answers them is the API's own sentence, declared in its spec (docs/x-mock.md): a template
per JSON Schema keyword, per location, or on the schema itself; how many are listed, the
joiner, the "(and N more)" tail, a prefix; and the words for a body that is missing,
unreadable, of the wrong type or of an unsupported media type. No behaviour module words
a schema violation itself.

A secret never reaches a message: validation already hid it in ``{message}`` (a value
marked ``writeOnly``, ``x-mock-secret`` or ``x-mock-sensitive``, or inside a member marked
``writeOnly`` or ``x-mock-secret``), and ``{value}`` of such a violation is ``<secret>``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .bounded_schema import short_value
from .validation import Violation

LOCATIONS = ("path", "query", "header", "cookie", "body")
# What the whole request may be worded as, and the placeholders each may use.
WHOLE = {"unsupported": {"message", "content_type", "expected"}, "no_body": {"message"},
         "not_json": {"message"}, "not_utf8": {"message"}}
# The placeholders of a violation's own sentence (a keyword's template, body_type, default).
SENTENCE = {"field", "message", "keyword", "value", "expected", "allowed", "names", "s", "members"}
TYPE_WORDS = {"string": "a string", "object": "an object", "integer": "an integer", "array": "an array",
              "number": "a number", "boolean": "a boolean", "null": "null"}
DEFAULT = "{field}: {message}"
_NONE: dict = {}


@dataclass(frozen=True)
class Wording:
    """An API's declared wording (``x-mock-errors.violations``), with the defaults filled in:
    ``{field}: {message}`` for each of the first three, joined by "; ", then "(and N more)"."""

    prefix: str = ""
    join: str = "; "
    limit: int = 3
    more: str = " (and {more} more)"
    default: str = DEFAULT
    body_type: str | None = None
    whole: dict = field(default_factory=dict)  # unsupported, no_body, not_json, not_utf8 -> template
    # location -> {keyword: template}: the location's own over those of every location
    templates: dict = field(default_factory=dict)

    @classmethod
    def read(cls, declared: dict | None) -> "Wording":
        """The wording a spec declares (checked at load by mockserver.vocabulary)."""
        declared = declared or {}
        anywhere = declared.get("keywords") or {}
        templates = {location: {**anywhere, **(declared.get(location) or {})} for location in LOCATIONS}
        return cls(prefix=declared.get("prefix", ""), join=declared.get("join", "; "),
                   limit=declared.get("limit", 3), more=declared.get("more", cls.more),
                   default=declared.get("default", DEFAULT), body_type=declared.get("body_type"),
                   whole={name: declared[name] for name in WHOLE if name in declared}, templates=templates)

    def describe(self, violations: list[Violation]) -> str:
        """The 400's message: the first `limit` distinct sentences, the tail, the prefix."""
        sentences = list(dict.fromkeys(self.sentence(v) for v in violations))
        more = len(sentences) - self.limit
        tail = self.more.format(more=more) if more > 0 else ""
        return self.prefix + self.join.join(sentences[:self.limit]) + tail

    def sentence(self, violation: Violation) -> str:
        """One violation in the API's words. The most specific template wins: the failing
        schema's own ``x-mock-messages``, the body as a whole of the wrong type
        (``body_type``), the keyword's in this location, the keyword's anywhere, ``default``
        (``{message}`` alone for a violation that names no field)."""
        own = violation.schema.get("x-mock-messages") if isinstance(violation.schema, dict) else None
        template = own.get(violation.keyword) if own else None
        if template is None and violation.keyword == "type" and violation.location == "body" \
                and not violation.pointer:
            template = self.body_type
        if template is None:
            template = self.templates.get(violation.location, _NONE).get(violation.keyword)
        if template is None:
            template = self.default if violation.field else "{message}"
        return template.format_map(_Facts(violation))

    def whole_request(self, name: str, violation: Violation) -> str:
        """The message of a request answered as a whole: ``unsupported`` (415), ``no_body``,
        ``not_json`` or ``not_utf8`` (as ``not_json`` unless declared), else the violation's
        own message."""
        template = self.whole.get(name) or (self.whole.get("not_json") if name == "not_utf8" else None)
        return (template or "{message}").format_map(_Facts(violation))


class _Facts:
    """The placeholders of one violation (a mapping for str.format_map), each worked out
    only when a template uses it."""

    __slots__ = ("violation",)

    def __init__(self, violation: Violation):
        self.violation = violation

    def __getitem__(self, name: str) -> str:
        v = self.violation
        if name == "field":
            return v.field
        if name in ("message", "keyword"):
            return getattr(v, name)
        if name == "value":
            return "<secret>" if v.secret else short_value(v.value)
        if name == "content_type":
            return str(v.value or "(none)")
        if name == "expected":
            kinds = v.rule if isinstance(v.rule, list) else [v.rule]
            if v.keyword == "content-type":
                return ", ".join(map(str, kinds))
            return " or ".join(TYPE_WORDS.get(kind, str(kind)) for kind in kinds)
        if name == "allowed":
            allowed = v.rule if v.keyword == "enum" and isinstance(v.rule, list) else [v.rule]
            return ", ".join(item if isinstance(item, str) else json.dumps(item) for item in allowed)
        if name == "members":
            return ", ".join((v.schema or {}).get("properties") or {}) if isinstance(v.schema, dict) else ""
        if name == "names":
            prefix = f"{v.field}." if v.field else ""
            return ", ".join(prefix + member for member in unexpected_members(v))
        if name == "s":
            return "s" if len(unexpected_members(v)) > 1 else ""
        return "{" + name + "}"  # (the spec's check at load names an unknown placeholder)


def unexpected_members(violation: Violation) -> list[str]:
    """The members an ``additionalProperties: false`` violation found, in name order: from
    the object and its schema, else (a violation written by hand) from the message."""
    schema, value = violation.schema, violation.value
    if violation.keyword == "additionalProperties" and isinstance(schema, dict) and isinstance(value, dict):
        known = schema.get("properties") or {}
        patterns = [re.compile(pattern) for pattern in schema.get("patternProperties") or {}]
        return sorted(name for name in value
                      if name not in known and not any(pattern.search(name) for pattern in patterns))
    listed = _UNEXPECTED.search(violation.message) if violation.keyword == "additionalProperties" else None
    return re.findall(r"'([^']*)'", listed.group(1)) if listed else []


_UNEXPECTED = re.compile(r"\((.*) (?:was|were) unexpected\)$")
