"""Validation whose work stays bounded by the body's size (issue 10): the pieces in isolation.

The end-to-end cases (a 32k-item body, 1 MiB bodies on every write endpoint while health
answers) are in test_hardening.py; here each mechanism is checked against a plain
reference so that a faster version cannot quietly give other answers.
"""

from __future__ import annotations

import json
import random

import pytest

from mockserver.bounded_schema import validator_class
from mockserver.messages import MockRequest
from mockserver.validation import (COUNTED_PAST_CAP, MAX_NESTING, MAX_VIOLATIONS, _too_deep, parse_json,
                                   read_json_body, schema_violations)


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    return 0


def _nested(depth: int, rng: random.Random):
    """A JSON value exactly `depth` deep, with shallow siblings and strings holding brackets."""
    if depth == 0:
        return rng.choice([0, "[[[", "]}", "x"])
    siblings = [_nested(rng.randint(0, min(depth - 1, 3)), rng) for _ in range(rng.randint(0, 3))]
    inner = _nested(depth - 1, rng)
    if rng.random() < 0.3:
        return {"k": inner, **{f"s{i}": s for i, s in enumerate(siblings)}}
    siblings.insert(rng.randint(0, len(siblings)), inner)
    return siblings


@pytest.mark.parametrize("seed", range(8))
def test_nesting_depth_is_measured_exactly_around_the_limit(seed):
    rng = random.Random(seed)
    for depth in (1, 5, MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1, MAX_NESTING + 40):
        value = _nested(depth, rng)
        assert _depth(value) == depth
        assert _too_deep(json.dumps(value).encode()) == (depth > MAX_NESTING), depth


@pytest.mark.parametrize("shape", [
    b"[" * 300_000 + b"]" * 300_000,                          # one deep run
    b"[[[]]" * 100_000 + b"]" * 100_000,                      # pairs all the way down
    b"[[[[[[[]" * 50_000 + b"]" * 300_000,                    # rounds barely shrink it
    b"[" * 7 + b"[0]," * 100_000 + b"0" + b"]" * 7,           # wide and shallow
])
def test_nesting_of_big_bodies_agrees_with_a_bracket_count(shape):
    depth, deepest = 0, 0
    for byte in shape:
        depth += {ord("["): 1, ord("]"): -1}.get(byte, 0)
        deepest = max(deepest, depth)
    assert _too_deep(shape) == (deepest > MAX_NESTING)


def test_the_violations_past_the_cap_are_counted_up_to_a_bound():
    validator = validator_class()({"type": "array", "items": {"type": "string"}})
    few = schema_violations(validator, [0] * (MAX_VIOLATIONS + 7), "body")
    assert len(few) == MAX_VIOLATIONS + 1
    assert few[-1].keyword == "limit" and few[-1].message.startswith("7 more violations")
    many = schema_violations(validator, [0] * 20_000, "body")
    assert many[-1].message.startswith(f"at least {COUNTED_PAST_CAP + 1} more violations")


def test_a_big_value_is_quoted_briefly_by_every_keyword_that_quotes_it():
    big_list, big_text = list(range(100_000)), "x" * 100_000
    cases = [({"type": "object"}, big_list), ({"maxItems": 3}, big_list), ({"enum": [1]}, big_list),
             ({"const": 1}, big_list), ({"maxLength": 3}, big_text), ({"pattern": "^y"}, big_text),
             ({"type": "integer"}, big_text), ({"not": {"type": "string"}}, big_text),
             ({"maxProperties": 1}, {str(i): i for i in range(10_000)})]
    for schema, value in cases:
        errors = list(validator_class()(schema).iter_errors(value))
        assert len(errors) == 1, schema
        assert len(errors[0].message) < 400, (schema, errors[0].message[:200])
        assert errors[0].instance is value  # the error still carries the value itself


def test_unique_items_of_many_objects_is_linear_and_still_right():
    validator = validator_class()({"type": "array", "uniqueItems": True})
    distinct = [{"a": i} for i in range(30_000)]  # pairwise: 450 million comparisons
    assert list(validator.iter_errors(distinct)) == []
    repeated = distinct + [{"a": 5}]
    assert [e.validator for e in validator.iter_errors(repeated)] == ["uniqueItems"]
    assert list(validator.iter_errors([{"b": 1, "a": 2}, {"a": 2, "b": 1}]))  # key order does not count


def test_the_body_is_read_once_and_non_finite_numbers_are_noticed():
    request = MockRequest("POST", "/x", body=b'{"a": [1, NaN]}')
    first = read_json_body(request)
    assert read_json_body(request) is first
    assert first.non_finite and first.problem is None
    assert parse_json(b'{"a": 1e999}').non_finite
    assert parse_json(b'{"a": -Infinity}').non_finite
    assert not parse_json(b'{"a": 1e308, "b": ' + b"9" * 400 + b"}").non_finite
    assert parse_json(b"[" * (MAX_NESTING + 1) + b"]" * (MAX_NESTING + 1)).problem.keyword == "parse"


@pytest.mark.parametrize("bio", ["", "x" * 1200])  # a short body, and one quoted briefly as a whole
def test_a_secret_is_never_quoted_however_big_the_body(bio):
    from mockserver.spec import SchemaValidator

    validator = SchemaValidator({"type": "object", "properties": {
        "password": {"type": "string", "writeOnly": True, "maxLength": 128}, "bio": {"type": "string"}}})
    found = schema_violations(validator, {"password": "HUNTER2-" + "S" * 200, "bio": bio}, "body")
    assert [v.message for v in found] == ["'<secret>' is too long"]
