"""Unit tests of mockserver.prefer: parsing and steering."""

from __future__ import annotations

import pytest
from tiny import tiny_spec_file

from mockserver.fake import Fake
from mockserver.messages import ApiError
from mockserver.prefer import parse_prefer, steer
from mockserver.spec import load_spec


def not_documented(operation, wanted):
    return ApiError(404, {"message": wanted})


@pytest.fixture
def spec(tmp_path):
    return load_spec(tiny_spec_file(tmp_path), "tiny")


def test_a_preference_given_twice_counts_the_first_time():
    # RFC 7240 section 2; two Prefer headers arrive joined with a comma, in order.
    assert parse_prefer("code=403, code=500").code == 403
    assert parse_prefer("seed=1; example=a, seed=2").seed == 1


def test_parse_accepts_commas_semicolons_and_quotes():
    prefs = parse_prefer('code=404; example="missing", dynamic=true, seed=7')
    assert (prefs.code, prefs.example, prefs.dynamic, prefs.seed) == (404, "missing", True, 7)
    assert parse_prefer(None).steers is False
    assert parse_prefer("code=abc").problem


def test_code_returns_documented_example(spec):
    reply = steer(spec.operation("createThing"), parse_prefer("code=400"), Fake(1), not_documented)
    assert (reply.status, reply.body) == (400, {"message": "bad"})


def test_named_example_found_across_responses(spec):
    reply = steer(spec.operation("listThings"), parse_prefer("example=two"), Fake(1), not_documented)
    assert reply.status == 200 and len(reply.body["things"]) == 2


def test_without_example_a_body_is_generated_from_the_schema(spec):
    reply = steer(spec.operation("createThing"), parse_prefer("code=201"), Fake(1), not_documented)
    assert reply.status == 201 and set(reply.body) == {"id", "name"}
    assert reply.headers == {"Location": "/things/1"}
    again = steer(spec.operation("createThing"), parse_prefer("code=201, seed=3"), Fake(1), not_documented)
    same = steer(spec.operation("createThing"), parse_prefer("code=201, seed=3"), Fake(2), not_documented)
    assert again.body == same.body


def test_no_body_response(spec):
    reply = steer(spec.operation("getSpecial"), parse_prefer("code=204"), Fake(1), not_documented)
    assert (reply.status, reply.body) == (204, None)


@pytest.mark.parametrize("header", ["code=418", "example=nope", "code=201, example=two", "code=x"])
def test_undocumented_requests_are_404(spec, header):
    operation = spec.operation("createThing") if "201" in header else spec.operation("listThings")
    with pytest.raises(ApiError) as caught:
        steer(operation, parse_prefer(header), Fake(1), not_documented)
    assert caught.value.status == 404


@pytest.mark.parametrize("header,op,message", [
    ("code=418", "listThings", "Prefer: code=418 is not documented for listThings (documented: 200)"),
    ("example=nope", "listThings", "Prefer: example=nope is not documented for listThings (examples: two)"),
    ("code=x", "listThings", "Prefer code='x' is not a status code"),
])
def test_undocumented_requests_say_what_is_documented(spec, header, op, message):
    with pytest.raises(ApiError) as caught:
        steer(spec.operation(op), parse_prefer(header), Fake(1), not_documented)
    assert caught.value.body == {"message": message}


def test_dynamic_and_seed_generate_the_success_response(spec):
    op = spec.operation("listThings")
    example = steer(op, parse_prefer("code=200"), Fake(1), not_documented).body
    generated = steer(op, parse_prefer("dynamic=true, seed=4"), Fake(1), not_documented)
    assert generated.status == 200 and generated.body != example
    assert generated.body == steer(op, parse_prefer("seed=4"), Fake(9), not_documented).body
    assert steer(op, parse_prefer("seed=5"), Fake(1), not_documented).body != generated.body


def test_prefer_dynamic_through_the_strict_app(make_app):
    client = make_app().test_client()
    for path, headers in [("/versori/o/01J9ZK3B7Q8X2M4N6P0R5S1T3V/credentials/01JK5FR8KSH4QX4FR84G98PBSK", {}),
                          ("/awx/api/v2/users/1/credentials/", {}),
                          ("/apinizer/apiops/projects/admin/credentials/", {})]:
        one = client.get(path, headers={**headers, "Prefer": "dynamic=true, seed=1"})
        two = client.get(path, headers={**headers, "Prefer": "dynamic=true, seed=2"})
        assert one.status_code == two.status_code == 200 and one.json != two.json
