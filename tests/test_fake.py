"""Unit tests of mockserver.fake: seeded, schema-shaped values."""

from __future__ import annotations

from jsonschema import Draft202012Validator

from mockserver.fake import Fake
from mockserver.timestamps import iso

SCHEMA = {
    "type": "object",
    "required": ["id", "name", "tags", "when", "kind", "nested"],
    "properties": {
        "id": {"type": "integer", "minimum": 5, "maximum": 9},
        "name": {"type": "string", "minLength": 12, "maxLength": 20},
        "tags": {"type": "array", "minItems": 2, "items": {"type": "string"}},
        "when": {"type": "string", "format": "date-time"},
        "email": {"type": "string", "format": "email"},
        "kind": {"enum": ["a", "b"]},
        "fixed": {"const": 3},
        "either": {"oneOf": [{"type": "boolean"}, {"type": "string"}]},
        "nested": {"allOf": [{"type": "object", "required": ["x"], "properties": {"x": {"type": "number"}}}]},
        "maybe": {"type": ["null", "integer"]},
    },
}


def test_generated_values_satisfy_the_schema():
    value = Fake(1).from_schema(SCHEMA)
    errors = list(Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
                  .iter_errors(value))
    assert errors == []


def test_same_seed_same_values_different_seed_different_values():
    assert Fake(3).from_schema(SCHEMA) == Fake(3).from_schema(SCHEMA)
    assert Fake(3).from_schema(SCHEMA) != Fake(4).from_schema(SCHEMA)


def test_examples_are_preferred():
    assert Fake(1).from_schema({"type": "string", "example": "hello"}) == "hello"
    assert Fake(1).from_schema({"type": "string", "examples": ["hi"]}) == "hi"


def test_iso_formats():
    moment = Fake(1).past()
    assert iso(moment).endswith("Z") and len(iso(moment, millis=True)) == len("2025-01-01T00:00:00.000Z")
