"""The generic engine at the edges a review found: secrets, odd keys, crafted cursors,
small id spaces, declared errors, data-file entities (issue 11)."""

from __future__ import annotations

import pytest

from mockserver.app import create_app
from mockserver.registry import load_apis
from mockserver.runtime import MockConfig

ODD = """openapi: 3.1.0
info: {title: Odd, version: '1'}
x-mock-errors:
  bad_path: {status: 422, message: "no such form of id"}
  codes: {'404': missing, default: other}
  body: {code: "{code}", text: "{message}"}
paths:
  /things:
    get:
      operationId: listThings
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Thing'}}}}}
    post:
      operationId: createThing
      requestBody:
        required: true
        content: {application/json: {schema: {type: object, properties: {
          id: {}, name: {type: string}, secret: {type: string, writeOnly: true}}}}}
      responses:
        '201': {description: made, content: {application/json: {schema: {type: object}}}}
        '400': {description: invalid, content: {application/json: {schema: {type: object}}}}
  /things/{thingId}:
    parameters: [{name: thingId, in: path, required: true, schema: {type: string},
                  x-mock-names: {collection: things, missing: {status: 403, message: "thing {value} is not yours"}}}]
    get:
      operationId: getThing
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
        '403': {description: not yours, content: {application/json: {schema: {type: object}}}}
  /tokens:
    post:
      operationId: createToken
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses:
        '201': {description: made, content: {application/json: {schema: {$ref: '#/components/schemas/Token'}}}}
        '409': {description: taken}
    get:
      operationId: listTokens
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Token'}}}}}
  /tokens/{tokenId}:
    parameters: [{name: tokenId, in: path, required: true, schema: {type: integer}}]
    get:
      operationId: getToken
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Token'}}}}
        '422': {description: not an id, content: {application/json: {schema: {type: object}}}}
components:
  schemas:
    Thing:
      allOf:
        - {type: object, required: [code], properties: {code: {type: string, minLength: 1}}}
      properties: {id: {type: string}, name: {type: string}, secret: {type: string, writeOnly: true}}
    Token:
      type: object
      required: [id]
      properties:
        id: {type: string, readOnly: true, pattern: '^tk_[a-z]{2}$', enum: [tk_aa, tk_bb, tk_cc]}
"""


@pytest.fixture
def client(tmp_path):
    spec = tmp_path / "odd.yaml"
    spec.write_text(ODD, encoding="utf-8")
    data = tmp_path / "data.yaml"
    data.write_text("apis:\n  odd:\n    things:\n      - {id: given, name: From a file}\n", encoding="utf-8")
    config = MockConfig(extra_specs=[spec], only=["odd"], fixtures=[data], check_responses=True)
    return create_app(config, apis=load_apis(only=["odd"], extra_specs=[spec])).test_client()


def test_a_write_only_member_never_leaves_through_a_free_form_response(client):
    made = client.post("/odd/things", json={"name": "n", "secret": "hunter22"})
    assert made.status_code == 201 and "secret" not in made.json and made.json["code"]  # allOf's required
    assert "hunter22" not in client.get(f"/odd/things/{made.json['id']}").get_data(as_text=True)


def test_a_client_key_is_one_the_path_can_name(client):
    assert client.post("/odd/things", json={"id": [1, 2]}).status_code == 400  # not a 500
    made = client.post("/odd/things", json={"id": 7, "name": "seven"})
    assert made.status_code == 201 and client.get("/odd/things/7").json["name"] == "seven"
    slash = client.post("/odd/things", json={"id": "a/b"})
    assert slash.headers["Location"].endswith("/things/a%2Fb")


def test_a_data_file_entity_is_completed_once(client):
    first, second = client.get("/odd/things/given").json, client.get("/odd/things/given").json
    assert first == second and first["code"] and first["name"] == "From a file"


def test_keys_follow_the_key_member_and_a_used_up_id_space_is_a_409(client):
    tokens = [client.post("/odd/tokens", json={}) for _ in range(3)]
    assert [t.status_code for t in tokens] == [201, 201, 201]
    assert {t.json["id"] for t in tokens} == {"tk_aa", "tk_bb", "tk_cc"}  # from the member's schema
    used_up = client.post("/odd/tokens", json={})
    assert used_up.status_code == 409 and used_up.get_data() == b""  # its documented 409 has no body


def test_declared_errors_apply_with_string_status_codes_and_bad_paths(client):
    missing = client.get("/odd/nowhere")
    assert missing.status_code == 404 and missing.json == {"code": "missing", "text": "No route for GET /nowhere"}
    bad = client.get("/odd/tokens/abc")
    assert bad.status_code == 422 and bad.json == {"code": "other", "text": "no such form of id"}


def test_an_unknown_entity_answers_as_its_parameter_declares(client):
    gone = client.get("/odd/things/th_nobody")
    assert gone.status_code == 403 and gone.json == {"code": "other", "text": "thing th_nobody is not yours"}
    assert client.get("/odd/things/given").status_code == 200


def test_seeded_only_with_the_default_data(tmp_path):
    from mockserver.data import fixture_dir

    spec = tmp_path / "odd.yaml"
    spec.write_text(ODD, encoding="utf-8")
    apis = load_apis(only=["odd"], extra_specs=[spec])
    seeded = create_app(MockConfig(), apis=apis).test_client()
    assert len(seeded.get("/odd/tokens").json) > 0  # default data: a few generated entities
    empty = create_app(MockConfig(fixtures=[fixture_dir() / "empty.yaml"]), apis=apis).test_client()
    assert empty.get("/odd/tokens").json == []  # "empty" leaves every API empty
