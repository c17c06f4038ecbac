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


def test_the_shipped_specs_use_only_documented_keys():
    for spec in sorted((ROOT / "specs").glob("*.yaml")):
        load_spec(spec)  # raises on any misplaced or unknown key
