"""The x-mock-* vocabulary: checked at load, documented in docs/x-mock.md (issue 11)."""

from __future__ import annotations

import re

import pytest
from servers import ROOT

from mockserver.spec import SpecError, load_spec
from mockserver.vocabulary import VOCABULARY

BASE = """openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /things:
    get:
      operationId: listThings
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: array, items: {type: object, properties: {id: {type: integer}}}}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
"""


def test_every_key_is_documented_with_an_example_and_no_other():
    text = (ROOT / "docs" / "x-mock.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `(x-mock-[a-z-]+)`", text, flags=re.M))
    assert documented == set(VOCABULARY)
    for key in VOCABULARY:  # each section shows the key in a YAML example
        section = text.split(f"### `{key}`", 1)[1].split("\n### ", 1)[0]
        assert re.search(rf"```yaml\n(.*\n)*?.*{key}", section), key


@pytest.mark.parametrize("addition,message", [
    ("x-mock-colections: {}\n", "/x-mock-colections: unknown key (did you mean x-mock-collections?)"),
    ("x-mock-repeated-query: middle\n", "/x-mock-repeated-query: must be one of 'first', 'last'"),
    ("x-mock-collections: {things: {ids: serial}}\n", "unknown ids strategy 'serial'"),
    ("x-mock-collections: {things: {references: {owner: owners}}}\n", "references name no collection"),
    ("x-mock-access: {roles: []}\n", "unknown key(s) ['roles']"),
    ("x-mock-errors: {gone: {status: 410}}\n", "unknown key(s) ['gone']"),
    ("x-mock-errors: {too_large: {message: 'over {limit} bytes, {size}'}}\n", "unknown placeholder {size}"),
    ("x-mock-errors: {route_not_found: {message: 'No route {'}}\n", "write {{ and }} for a brace"),
    ("x-mock-errors: {body: {msg: '{path.x}'}}\n", "body: '{path.x}': unknown placeholder {path.x}"),
    ("x-mock-errors: {unauthenticated: {headers: [a]}}\n", "headers must map header names to text"),
    ("x-mock-errors: {unauthenticated: {status: 200}}\n", "status must be an HTTP error status"),
])
def test_a_bad_root_declaration_stops_the_start_naming_spec_and_pointer(tmp_path, addition, message):
    path = tmp_path / "mine.yaml"
    path.write_text(BASE + addition, encoding="utf-8")
    with pytest.raises(SpecError, match=re.escape(message)) as caught:
        load_spec(path)
    assert str(path) in str(caught.value)


def test_a_key_in_the_wrong_place_or_with_a_bad_value_names_its_pointer(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(BASE.replace("      operationId: listThings\n",
                                 "      operationId: listThings\n      x-mock-any-cookie: true\n"), encoding="utf-8")
    with pytest.raises(SpecError, match=re.escape("/paths/~1things/get/x-mock-any-cookie: belongs in a security "
                                                  "scheme, not in an operation")):
        load_spec(path)
    path.write_text(BASE.replace("properties: {id: {type: integer}}", "properties: {id: {type: integer, "
                                 "x-mock-secret: yes-please}}"), encoding="utf-8")
    with pytest.raises(SpecError, match="x-mock-secret: must be true or false"):
        load_spec(path)


@pytest.mark.parametrize("declaration,message", [
    ("x-mock-names: 7", "x-mock-names: must be a collection name, or a mapping"),
    ("x-mock-names: {collection: things, status: 404}", "unknown key(s) ['status']"),
    ("x-mock-names: {collection: things, missing: {status: 302}}", "missing.status must be an HTTP error status"),
    ("x-mock-names: {collection: things, missing: {message: 'no {thing}'}}", "unknown placeholder {thing}"),
])
def test_a_bad_names_declaration_on_a_parameter_names_its_pointer(tmp_path, declaration, message):
    path = tmp_path / "mine.yaml"
    path.write_text(BASE.replace("      operationId: listThings\n", "      operationId: listThings\n"
                                 "      parameters:\n        - {name: owner, in: query, schema: {type: string}, "
                                 f"{declaration}}}\n"), encoding="utf-8")
    with pytest.raises(SpecError, match=re.escape(f"/paths/~1things/get/parameters/0/{message}")
                       if message.startswith("x-mock") else re.escape(message)):
        load_spec(path)


def test_declared_errors_answer_the_generic_situations(tmp_path):
    from mockserver.app import create_app
    from mockserver.registry import load_apis
    from mockserver.runtime import MockConfig

    path = tmp_path / "mine.yaml"
    path.write_text(BASE + "security: [{key: []}]\n" + """x-mock-errors:
  body: {error: {code: "{code}", status: "{status}", text: "Error: {message}"}}
  codes: {401: unauthorized, default: failed}
  unauthenticated: {message: Log in first, headers: {WWW-Authenticate: Key}}
  route_not_found: {status: 404, message: "nothing at {method} {path}"}
  method_not_allowed: {message: "{method} is not one of {allowed}"}
""", encoding="utf-8")
    apis = load_apis(only=["mine"], extra_specs=[path])
    client = create_app(MockConfig(fixtures=[], extra_specs=[path]), apis=apis).test_client()
    refused = client.get("/mine/things")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Key"
    assert refused.json == {"error": {"code": "unauthorized", "status": 401, "text": "Error: Log in first"}}
    missing = client.get("/mine/nothing", headers={"X-Key": "k"})
    assert missing.json["error"] == {"code": "failed", "status": 404, "text": "Error: nothing at GET /nothing"}
    wrong = client.delete("/mine/things", headers={"X-Key": "k"})
    assert wrong.status_code == 405 and wrong.headers["Allow"].startswith("GET")
    assert wrong.json["error"]["text"] == f"Error: DELETE is not one of {wrong.headers['Allow']}"


def test_the_shipped_specs_use_only_documented_keys():
    for spec in sorted((ROOT / "specs").glob("*.yaml")):
        load_spec(spec)  # raises on any misplaced or unknown key
