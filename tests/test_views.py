"""Declared views: x-mock-views and x-mock-view (issue 11), through the generic engine with
specs written for the test, and the compiled templates behind them."""

from __future__ import annotations

import re

import pytest
import yaml
from servers import ROOT

from mockserver import templates
from mockserver.app import create_app
from mockserver.registry import load_apis
from mockserver.runtime import MockConfig
from mockserver.spec import SpecError, load_spec
from mockserver.views import compile_views

LIBRARY = ROOT / "tests" / "specs" / "library.yaml"

SHOP = """openapi: 3.1.0
info: {title: Shop, version: '1'}
x-mock-collections:
  shops: {key: code, ids: none}
  items: {key: id, ids: integer, references: {shop: shops}}
x-mock-views:
  item:
    collection: items
    show:
      id: "{id}"
      label: "{name|upper}"
      shop_name: "{shop.name}"
      shop_link: "{_mount}/shops/{shop}"
      note: "{note?}"
      tagline: "{name} in {colour?}"
      tags: "{tags|nonempty?}"
      _fallback: "{shop.currency}"
      currency: "{currency|or:_fallback}"
      kind: {$case: "{kind}", book: Book, lamp: Lamp}
      badge: {$case: "{kind}", book: {text: "{name}", at: "{shop.name}"}, $default: "{kind|title}"}
      seller: {$view: shop, $of: "{shop}"}
      maker: {$view: maker, $of: "{maker}"}
      brief: {$view: brief}
      admin: "{_admin}"
      parts: ["{name}", "{colour?}", {$view: shop, $of: "{shop}"}]
  shop: {collection: shops, show: {code: "{code}", name: "{name}"}}
  maker: {show: {name: "{name}", country: "{country?}"}}
  brief: {collection: items, show: {id: "{id}", name: "{name}"}}
paths:
  /items:
    get:
      operationId: listItems
      x-mock-view: item
      x-mock-paging: {style: none, body: {count: "{count}", rows: "{items}"}}
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {type: object, properties: {rows: {type: array, items: {type: object}}}}}}
  /items/{id}:
    parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
    get:
      operationId: getItem
      x-mock-view: item
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: object}}}}
        '404': {description: none, content: {application/json: {schema: {type: object}}}}
"""

ITEMS = """apis:
  shop:
    shops:
      - {code: s1, name: Corner Shop, currency: EUR}
    items:
      - {id: 1, shop: s1, name: Atlas, kind: book, tags: [maps], currency: GBP, maker: {name: Ada}}
      - {id: 2, shop: s1, name: Glow, kind: lamp, colour: red, note: null, tags: []}
      - {id: 3, shop: null, name: Stool, kind: chair, note: "", colour: null, maker: {name: Bo, country: SE}}
"""


@pytest.fixture
def shop(tmp_path):
    spec = tmp_path / "shop.yaml"
    spec.write_text(SHOP, encoding="utf-8")
    data = tmp_path / "items.yaml"
    data.write_text(ITEMS, encoding="utf-8")
    return spec, data


def _client(spec, data, **options):
    apis = load_apis(only=[spec.stem], extra_specs=[spec])
    return create_app(MockConfig(fixtures=[data], **options), apis=apis).test_client()


def test_a_view_shows_each_member_as_declared(shop):
    client = _client(*shop)
    atlas, glow, stool = client.get("/shop/items").json["rows"]
    assert atlas == {
        "id": 1, "label": "ATLAS", "shop_name": "Corner Shop", "shop_link": "/shop/shops/s1",
        "tags": ["maps"], "currency": "GBP", "kind": "Book", "badge": {"text": "Atlas", "at": "Corner Shop"},
        "seller": {"code": "s1", "name": "Corner Shop"}, "maker": {"name": "Ada"},
        "brief": {"id": 1, "name": "Atlas"}, "admin": True,
        "parts": ["Atlas", {"code": "s1", "name": "Corner Shop"}]}
    # Left out: a missing or null {x?} (and the text around it), an empty list through
    # |nonempty, a $case without a match; |or falls back on a variable.
    assert glow["tagline"] == "Glow in red" and "note" not in glow and "tags" not in glow
    assert glow["currency"] == "EUR" and glow["kind"] == "Lamp" and glow["badge"] == "Lamp"
    assert "maker" not in glow and glow["parts"] == ["Glow", "red", {"code": "s1", "name": "Corner Shop"}]
    # A reference to nothing reads as null; $view of nothing is left out; "" is a value.
    assert stool["shop_name"] is None and "seller" not in stool and stool["note"] == ""
    assert "tagline" not in stool and "kind" not in stool and stool["badge"] == "Chair"
    assert stool["maker"] == {"name": "Bo", "country": "SE"} and stool["parts"] == ["Stool"]
    assert client.get("/shop/items/2").json == glow  # one entity: the same view


def test_links_are_written_as_the_request_came_in(shop):
    alone = _client(*shop, single_api="shop")
    assert alone.get("/items/1").json["shop_link"] == "/shops/s1"


def test_a_spec_served_with_spec_shows_lists_and_writes_through_its_views():
    apis = load_apis(only=["library"], extra_specs=[LIBRARY])
    client = create_app(MockConfig(seed=5, check_responses=True), apis=apis).test_client()
    books = client.get("/library/authors/1/books").json
    author = client.get("/library/authors/1").json
    assert author == {"id": 1, "name": author["name"], "url": "/library/authors/1"}
    assert books and all(b["author"] == author and b["url"] == f"/library/authors/1/books/{b['id']}" for b in books)
    made = client.post("/library/authors/1/books", json={"title": "Emma"})
    assert made.status_code == 201 and made.headers["Location"] == made.json["url"]
    assert made.json == {"id": made.json["id"], "title": "Emma", "author": author, "url": made.json["url"]}
    assert client.get(made.json["url"]).json == made.json  # no year given: none shown
    stored = next(b for b in client.get("/__mock/state").json["apis"]["library"]["books"] if b["title"] == "Emma")
    assert stored["author"] == 1  # the view showed what the store keeps as a key


def test_views_compile_once_when_the_api_is_mounted(shop, monkeypatch):
    client = _client(*shop)
    calls = []
    monkeypatch.setattr(templates.Compiler, "function", lambda *args: calls.append(args))
    monkeypatch.setattr(templates.Compiler, "build", lambda *args: calls.append(args))
    for _ in range(3):
        assert client.get("/shop/items").status_code == 200 and client.get("/shop/items/1").status_code == 200
    assert calls == []


def test_a_module_adds_its_own_filters(shop):
    spec = load_spec(shop[0].parent / "shop.yaml")
    document = yaml.safe_load(SHOP)
    document["x-mock-views"]["brief"]["show"]["name"] = "{name|shout:!}"
    spec.document = document
    with pytest.raises(SpecError, match=re.escape("/x-mock-views/brief/show/name: unknown filter |shout")):
        compile_views(spec)
    views = compile_views(spec, {"shout": lambda value, mark: f"{value}{mark}"})
    assert views["getItem"].render({"_mount": "", "_admin": False}, {"shops": {}, "items": {}}, {"id": 1, "name": "hi"})["brief"] == \
        {"id": 1, "name": "hi!"}


@pytest.mark.parametrize("change,message", [
    (("item", "label", "{name|lowr}"), "/x-mock-views/item/show/label: unknown filter |lowr; filters: lower"),
    (("item", "label", "{hex:8}"), "/x-mock-views/item/show/label: unknown function {hex}; a view has no functions"),
    (("item", "label", "{faker.word}"), "/x-mock-views/item/show/label: unknown function {faker.word}"),
    (("item", "label", {"$choice": ["a", "b"]}), "/x-mock-views/item/show/label: one of $case, $view per mapping"),
    (("item", "label", "{_later}"), "/x-mock-views/item/show/label: {_later} is used before _later is made"),
    (("item", "label", "{}"), "/x-mock-views/item/show/label: empty placeholder {}"),
    (("item", "badge", {"_fallback": "{name}"}), "/x-mock-views/item/show/badge/_fallback: a view's variable is made once"),
    (("item", "_mount", "/elsewhere"), "/x-mock-views/item/show/_mount: a view's variable is made once"),
    (("item", "seller", {"$view": "shops"}), "/x-mock-views/item/show/seller: no view 'shops' in x-mock-views"),
    (("item", "seller", {"$view": "shop", "$from": "{shop}"}), "$view takes $of, not ['$from']"),
    (("item", "badge", {"$case": "{kind}", "book": {"x": "{nme|upper|bad}"}}),
     "/x-mock-views/item/show/badge/book/x: unknown filter |bad"),
])
def test_a_bad_view_stops_the_start_naming_spec_and_pointer(shop, change, message):
    spec, _ = shop
    document = yaml.safe_load(SHOP)
    view, member, value = change
    document["x-mock-views"][view]["show"][member] = value
    spec.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    with pytest.raises(SpecError, match=re.escape(message)) as caught:
        load_apis(only=["shop"], extra_specs=[spec])
    assert str(spec) in str(caught.value)


@pytest.mark.parametrize("old,new,message", [
    ("      x-mock-view: item\n      x-mock-paging", "      x-mock-view: items\n      x-mock-paging",
     "/paths/~1items/get/x-mock-view: no view 'items' in x-mock-views; views: item, shop, maker, brief"),
    ("  shop: {collection: shops,", "  shop: {collection: stores,", "/x-mock-views/shop/collection: no collection 'stores'"),
    ("  maker: {show: {", "  maker: {template: {", "/x-mock-views: maker: must be a mapping with show"),
    ("  maker: {show:", "  maker: {colour: red, show:", "/x-mock-views: maker: unknown key(s) ['colour']"),
    ("      x-mock-view: item\n      x-mock-paging", "      x-mock-view: [item]\n      x-mock-paging",
     "/paths/~1items/get/x-mock-view: must name a view of x-mock-views"),
    ("x-mock-views:", "paths2: {}\nx-mock-view: item\nx-mock-views:", "/x-mock-view: belongs in an operation"),
])
def test_a_misdeclared_view_stops_the_start(shop, old, new, message):
    spec, _ = shop
    assert old in SHOP
    spec.write_text(SHOP.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SpecError, match=re.escape(message)):
        load_apis(only=["shop"], extra_specs=[spec])


def test_the_shipped_views_compile_to_code_like_what_they_replaced():
    """AWX's credential view reads each reference once and writes a plain dict: the
    reason a view costs what the hand-written rendering cost (see templates.py)."""
    sources = []
    original = templates.Compiler.build

    def keep(self):
        sources.extend(self.sources)
        return original(self)

    templates.Compiler.build = keep
    try:
        load_apis(only=["awx"])
    finally:
        templates.Compiler.build = original
    credential = next(s for s in sources if "/api/v2/credentials/%s/activity_stream/" in s)
    assert credential.count("data['credential_types'].get(") == 1
    assert "_lookup" not in credential and "lambda" not in credential
