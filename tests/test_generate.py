"""Declared generate templates: x-mock-collections.<name>.generate (issue 11)."""

from __future__ import annotations

import re

import pytest
import yaml
from tiny import spec_app

from mockserver.app import create_app
from mockserver.behaviors import shipped_api_ids
from mockserver.fake import Fake
from mockserver.fixtures import FixtureError, with_defaults
from mockserver.registry import load_apis
from mockserver.runtime import MockConfig
from mockserver.spec import SpecError, load_spec

SPEC = """openapi: 3.1.0
info: {title: Shop, version: '1'}
x-mock-collections:
  shops:
    key: code
    ids: none
    generate:
      code: "same"          # every shop the same key: the engine makes them unique
      name: "{faker.company}"
  items:
    key: id
    ids: integer
    references: {shop: shops}
    schema:
      type: object
      required: [shop, kind, name, price]
      properties:
        shop: {type: string}
        kind: {enum: [book, lamp]}
        name: {type: string}
        price: {type: integer, minimum: 1, maximum: 99}
        isbn: {type: string, pattern: '^97[89][0-9]{10}$'}
        note: {type: string, default: "none yet"}
        tags: {type: array, items: {type: string}}
        added: {type: string, format: date-time}
      additionalProperties: false
    generate:
      kind: {$choice: [book, lamp]}
      _colour: {$choice: [red, blue]}
      name: {$case: "{kind}", book: "A {_colour} book", lamp: "{_colour|title} lamp"}
      price: "{int:1,99}"
      isbn: {$case: "{kind}", book: "978{digits:10}"}
      tags: {$repeat: "{faker.word}", $min: 1, $max: 3}
      added: "{past:10}"
paths:
  /items:
    get:
      operationId: listItems
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: array, items: {type: object}}}}}
"""

SCENARIO = {"apis": {"shop": {"shops": [{"generate": {"count": 3}}],
                              "items": [{"generate": {"count": 40}}, {"generate": {"count": 2, "kind": "lamp"}},
                                        {"shop": "same", "kind": "book", "name": "given", "price": 5}]}}}


@pytest.fixture
def shop(tmp_path):
    spec = tmp_path / "shop.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(yaml.safe_dump(SCENARIO), encoding="utf-8")
    return spec, scenario


def _items(spec, scenario, seed=3):
    client = spec_app(spec, fixtures=[scenario], seed=seed).test_client()
    state = client.get("/__mock/state").json
    return state["apis"]["shop"] if "apis" in state else state["shop"]


def test_templates_make_valid_repeatable_entities(shop):
    data = _items(*shop)
    shops, items = data["shops"], data["items"]
    codes = [s["code"] for s in shops]  # one template key for all: made unique with a number
    assert codes[0] == "same" and len(set(codes)) == 3 and all(re.fullmatch(r"same\d*", c) for c in codes)
    assert len(items) == 43
    codes = {s["code"] for s in shops}
    for item in items:
        assert item["shop"] in codes  # a required reference, picked from what was loaded
        assert "_colour" not in item  # a variable is not stored
        assert item["note"] == "none yet"  # the schema's default
        if item["name"] == "given":
            continue
        assert ("isbn" in item) == (item["kind"] == "book")  # no case: no member
        assert re.fullmatch(r"A (red|blue) book|(Red|Blue) lamp", item["name"])
        assert 1 <= len(item["tags"]) <= 3 and 1 <= item["price"] <= 99 and isinstance(item["price"], int)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", item["added"])
    assert [i["kind"] for i in items[40:42]] == ["lamp", "lamp"]  # given members win, and the template sees them
    assert all(i["name"].endswith("lamp") for i in items[40:42])
    assert _items(*shop) == data  # the seed repeats everything
    assert _items(*shop, seed=4) != data


@pytest.mark.parametrize("template,message", [
    ('name: "{faker.no_such_thing}"', "Faker has no no_such_thing()"),
    ('name: "{nonsense:3}"', "unknown function {nonsense}"),
    ('name: "{faker.word|shout}"', "unknown filter |shout"),
    ("name: {$chioce: [a, b]}", "one of $choice"),
    ("name: {$choice: [a], $weights: [1, 2]}", "one weight per choice"),
])
def test_a_bad_template_stops_the_start_naming_spec_and_member(tmp_path, template, message):
    spec = tmp_path / "shop.yaml"
    spec.write_text(SPEC.replace('      name: "{faker.company}"', f"      {template}"), encoding="utf-8")
    with pytest.raises(SpecError, match=re.escape(message)) as caught:
        load_spec(spec)
    assert "shop.yaml: /x-mock-collections/shops/generate: collection shops: generate.name" in str(caught.value)


def test_nothing_to_pick_is_a_clear_fixture_error(shop, tmp_path):
    spec, _ = shop
    scenario = tmp_path / "orphans.yaml"
    scenario.write_text(yaml.safe_dump({"apis": {"shop": {"items": [{"generate": {"count": 1}}]}}}), encoding="utf-8")
    with pytest.raises(FixtureError, match=r"items\[0\]: generate: no shops to pick from"):
        spec_app(spec, fixtures=[scenario])


@pytest.mark.parametrize("api_id", shipped_api_ids())
def test_every_shipped_template_makes_entities_its_collection_accepts(api_id, default_data):
    """Each shipped collection with a template: 60 generated entities pass its schema and
    the module's own completion (AWX inputs against the type, PDNS keys, ...)."""
    api = load_apis(only=[api_id])[api_id]
    data, fake = default_data(api_id), Fake(11)
    for name, layout in api.spec.collections.items():
        if layout.generate is None:
            continue
        for _ in range(60):
            entity = with_defaults(api.behavior.fake_entity(name, fake, data), layout.schema)
            if layout.validator is not None:
                assert layout.validator.is_valid(entity), (name, entity)
            api.behavior.complete_entity(name, entity, fake, data)


@pytest.fixture
def default_data():
    """An API's data as the default scenario loads it."""
    return lambda api_id: create_app(MockConfig(seed=5), apis=load_apis(only=[api_id])) \
        .extensions["mockserver"].store.api(api_id)
