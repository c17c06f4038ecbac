"""Unit tests of mockserver.validation: requests and responses against an operation."""

from __future__ import annotations

import pytest
from tiny import tiny_spec_file

from mockserver.messages import MockRequest
from mockserver.spec import load_spec
from mockserver.validation import Violation, check_request, check_response, coerce


@pytest.fixture
def spec(tmp_path):
    return load_spec(tiny_spec_file(tmp_path), "tiny")


def post(body: bytes, content_type="application/json"):
    return MockRequest("POST", "/things", headers={"content-type": content_type}, body=body)


@pytest.mark.parametrize("raw,schema,expected", [
    ("12", {"type": "integer"}, 12),
    ("-3", {"type": "integer"}, -3),
    ("1.5", {"type": "number"}, 1.5),
    ("true", {"type": "boolean"}, True),
    ("abc", {"type": "integer"}, "abc"),
    ("12", {"type": "string"}, "12"),
    ("7", {"type": ["integer", "null"]}, 7),
])
def test_coerce(raw, schema, expected):
    assert coerce(raw, schema) == expected


def test_query_parameters_are_coerced_defaulted_and_checked(spec):
    op = spec.operation("listThings")
    parsed = check_request(op, MockRequest("GET", "/things", query={"tags": ["a,b"]}), {})
    assert parsed.query == {"limit": 10, "tags": ["a", "b"]} and parsed.violations == []
    bad = check_request(op, MockRequest("GET", "/things", query={"limit": ["zero"]}), {})
    assert [(v.location, v.pointer, v.keyword) for v in bad.violations] == [("query", "/limit", "type")]


def test_every_body_violation_is_collected_with_pointers(spec):
    parsed = check_request(spec.operation("createThing"), post(b'{"name": "", "size": "big"}'), {})
    assert {(v.pointer, v.keyword) for v in parsed.violations} == {("/name", "minLength"), ("/size", "type")}


def test_missing_required_member_points_at_the_member(spec):
    parsed = check_request(spec.operation("createThing"), post(b'{"size": 1}'), {})
    assert parsed.violations == [Violation("body", "/name", "'name' is a required property", "required")]
    assert parsed.violations[0].field == "name"


@pytest.mark.parametrize("body,content_type,keyword", [
    (b"{nope", "application/json", "parse"),
    (b"\xff\xfe{}", "application/json", "parse"),
    (b'{"name": "x"}', "text/plain", "content-type"),
    (b'{"name": "x"}', "", "content-type"),
    (b"[" * 100000, "application/json", "parse"),
])
def test_unparseable_bodies_become_violations_not_exceptions(spec, body, content_type, keyword):
    parsed = check_request(spec.operation("createThing"), post(body, content_type), {})
    assert [v.keyword for v in parsed.violations] == [keyword]


def test_required_body_missing(spec):
    parsed = check_request(spec.operation("createThing"), post(b""), {})
    assert [v.keyword for v in parsed.violations] == ["required"]


def test_json_content_type_with_charset_is_accepted(spec):
    parsed = check_request(spec.operation("createThing"), post(b'{"name":"x"}', "application/json; charset=utf-8"), {})
    assert parsed.violations == [] and parsed.body == {"name": "x"}


def test_field_renders_nested_pointers():
    assert Violation("body", "/data/scopes/0", "m", "type").field == "data.scopes[0]"
    assert Violation("body", "", "m", "type").field == ""


def test_response_checks_status_headers_and_body(spec):
    op = spec.operation("createThing")
    assert check_response(op, 201, {"Location": "/things/1"}, {"id": 1, "name": "a"}) == []
    problems = check_response(op, 201, {}, {"id": "1", "name": "a", "extra": True})
    assert {p.keyword for p in problems} == {"required", "type", "additionalProperties"}
    assert check_response(op, 418, {}, None)[0].keyword == "status"
    assert check_response(spec.operation("getSpecial"), 204, {}, {"x": 1})[0].keyword == "body"


def test_secret_values_never_appear_in_messages(tmp_path):
    from mockserver.spec import compile_schema
    from mockserver.validation import schema_violations

    validator = compile_schema({"type": "object", "properties": {
        "password": {"type": "string", "writeOnly": True, "minLength": 50},
        "note": {"type": "string", "minLength": 50}}}, "test")
    found = schema_violations(validator, {"password": "hunter22", "note": "visible"}, "body")
    by_field = {v.field: v.message for v in found}
    assert "hunter22" not in by_field["password"] and by_field["password"].startswith("'<secret>'")
    assert "visible" in by_field["note"]


def test_one_of_errors_explain_the_branch_of_the_values_own_type():
    from mockserver.spec import compile_schema
    from mockserver.validation import schema_violations

    validator = compile_schema({"oneOf": [
        {"type": "array", "items": {"type": "object", "required": ["name"]}},
        {"type": "object", "required": ["list"]}]}, "test")
    found = schema_violations(validator, [{"nom": 1}], "body")
    assert found[0].pointer == "/0/name" and found[0].keyword == "required"


def test_messages_use_json_words_and_order_indexes_numerically():
    from mockserver.spec import compile_schema
    from mockserver.validation import schema_violations

    validator = compile_schema({"type": "array", "items": {"type": "string"}}, "test")
    found = schema_violations(validator, [None] * 11, "body")
    assert [v.pointer for v in found][:3] == ["/0", "/1", "/2"] and found[-1].pointer == "/10"
    assert found[0].message == "null is not of type 'string'"
    nested = compile_schema({"type": "object", "properties": {"a": {"type": "string"}}}, "test")
    assert schema_violations(nested, {"a": {"b": True}}, "body")[0].message == '{"b": true} is not of type \'string\''


def test_repeated_query_parameters_first_or_last_value(tmp_path):
    from tiny import TINY_SPEC

    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_SPEC)
    request = MockRequest("GET", "/things", query={"limit": ["2", "5"]})
    first = load_spec(path, "tiny").operation("listThings")
    assert check_request(first, request, {}).query["limit"] == 2
    path.write_text("x-mock-repeated-query: last\n" + TINY_SPEC)
    last = load_spec(path, "tiny").operation("listThings")
    assert check_request(last, request, {}).query["limit"] == 5
