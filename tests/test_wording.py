"""Declared wording of invalid requests: x-mock-errors.violations and x-mock-messages (issue 11),
through the generic engine with a spec written for the test; and oneOf/anyOf explained by
the branch the value's JSON type picks."""

from __future__ import annotations

import json
import re

import pytest
from tiny import spec_app

from mockserver.spec import SpecError, load_spec

WORDING = """
  violations:
    prefix: "Invalid: "
    limit: 2
    join: " | "
    more: " (+{more})"
    unsupported: "Media {content_type} refused; send {expected}"
    no_body: Send a body
    not_json: "Unreadable: {message}"
    not_utf8: Not UTF-8
    body_type: The body must be {expected}
    keywords:
      required: "{field} is missing"
      additionalProperties: "Unknown member{s}: {names}"
      type: "{field} must be {expected}"
      enum: "{field} takes {allowed}"
      maxLength: "{field} is too long ({value})"
      minProperties: "{field} needs one of {members}"
    query:
      type: "query parameter {field} must be {expected}"
"""
SPEC = """openapi: 3.1.0
info: {title: Shop, version: '1'}
x-mock-errors:
  body: {error: "{message}", cause: "{cause?}", fields: "{fields?}"}
""" + WORDING + """
paths:
  /orders:
    post:
      operationId: createOrder
      parameters:
        - {name: dry, in: query, schema: {type: boolean}}
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/Order'}}}
      responses:
        '201': {description: made, content: {application/json: {schema: {$ref: '#/components/schemas/Order'}}}}
        '400': {description: bad, content: {application/json: {schema: {type: object}}}}
        '415': {description: media, content: {application/json: {schema: {type: object}}}}
  /batches:
    post:
      operationId: createBatch
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/Batch'}}}
      responses:
        '201': {description: made, content: {application/json: {schema: {type: object}}}}
        '400': {description: bad, content: {application/json: {schema: {type: object}}}}
components:
  schemas:
    Order:
      type: object
      required: [item, quantity]
      properties:
        id: {type: string, readOnly: true}
        item: {type: string, maxLength: 8}
        quantity: {type: integer}
        colour: {enum: [red, green], x-mock-messages: {enum: "{field}: pick red or green"}}
        options: {type: object, minProperties: 1, properties: {gift: {type: boolean}, note: {type: string}}}
        card:
          type: object
          writeOnly: true
          properties: {number: {type: string}, pin: {type: string, pattern: '^[0-9]{4}$'}}
          additionalProperties: false
        token: {type: string, maxLength: 12, x-mock-secret: true}
        payment:
          oneOf:
            - {type: string, minLength: 3}
            - {type: object, required: [iban], properties: {iban: {type: string}}}
      additionalProperties: false
    Item:
      type: object
      required: [sku]
      properties: {sku: {type: string, minLength: 1}, count: {type: integer}}
    Batch:
      oneOf:
        - {type: array, minItems: 1, items: {$ref: '#/components/schemas/Item'}}
        - {type: object, required: [items], properties: {items: {type: array, minItems: 1, items: {$ref: '#/components/schemas/Item'}}}}
"""
ORDER = {"item": "tea", "quantity": 2}


def serve(tmp_path, spec: str = SPEC):
    path = tmp_path / "shop.yaml"
    path.write_text(spec, encoding="utf-8")
    return spec_app(path).test_client()


@pytest.fixture
def client(tmp_path):
    return serve(tmp_path)


def answer(response) -> tuple[int, str]:
    return response.status_code, response.json["error"]


def listed(response) -> list[dict]:
    return json.loads(response.headers["X-Mock-Violations"])


@pytest.mark.parametrize("change,message", [
    ({"quantity": None}, "Invalid: quantity is missing"),
    ({"quantity": "2"}, "Invalid: quantity must be an integer"),
    ({"colour": "blue"}, "Invalid: colour: pick red or green"),  # the schema's own x-mock-messages
    ({"extra": 1}, "Invalid: Unknown member: extra"),
    ({"extra": 1, "more": 2}, "Invalid: Unknown members: extra, more"),
    ({"card": {"number": "1", "cvv": "1"}}, "Invalid: Unknown member: card.cvv"),
    ({"options": {}}, "Invalid: options needs one of gift, note"),
    ({"item": "a long name"}, 'Invalid: item is too long ("a long name")'),
    ({"payment": {}}, "Invalid: payment.iban is missing"),  # a oneOf inside: the object branch
    ({"payment": "ab"}, "Invalid: payment: 'ab' is too short"),  # the string branch
    ({"payment": 5}, "Invalid: payment must be a string or an object"),  # no branch takes a number
    ([1], "Invalid: The body must be an object"),  # body_type
])
def test_each_violation_is_worded_by_its_most_specific_template(client, change, message):
    body = {key: value for key, value in {**ORDER, **change}.items() if value is not None} \
        if isinstance(change, dict) else change
    response = client.post("/shop/orders", json=body)
    assert answer(response) == (400, message)


def test_the_first_few_distinct_sentences_are_joined_then_counted(client):
    response = client.post("/shop/orders", json={"quantity": "x", "colour": "blue", "a": 1, "options": {}})
    assert answer(response) == (400, "Invalid: Unknown member: a | colour: pick red or green (+3)")
    assert len(listed(response)) == 5  # the header lists every one, as validation found them
    assert {"field": "a", "message": "unknown field"} in response.json["fields"]


def test_a_query_parameter_takes_its_locations_template(client):
    response = client.post("/shop/orders?dry=maybe", json=ORDER)
    assert answer(response) == (400, "Invalid: query parameter dry must be a boolean")


@pytest.mark.parametrize("raw,content_type,status,message", [
    (b"", "application/json", 400, "Send a body"),
    (b'{"item": ', "application/json", 400, "Unreadable: Malformed JSON"),
    (b'{"item": "\xff"}', "application/json", 400, "Not UTF-8"),
    (json.dumps(ORDER).encode(), "text/plain", 415, "Media text/plain refused; send application/json"),
    (json.dumps(ORDER).encode(), None, 415, "Media (none) refused; send application/json"),
])
def test_the_request_as_a_whole_is_worded_without_the_list(client, raw, content_type, status, message):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/shop/orders?dry=maybe", data=raw, headers=headers)  # (the bad query waits)
    assert response.status_code == status and response.json["error"].startswith(message)
    if message.startswith("Unreadable") or message == "Not UTF-8":
        assert response.json["cause"].startswith(("Malformed JSON", "Body is not valid UTF-8"))


def test_no_secret_is_quoted_in_the_answer_or_the_header(client):
    secrets = ["41111111", "98765", "tok-123456789"]  # inside a writeOnly member, or x-mock-secret
    for change in ({"card": {"number": 41111111}}, {"card": {"pin": "98765"}}, {"card": "98765"},
                   {"token": "tok-123456789"}, {"token": ["tok-123456789"]}):
        response = client.post("/shop/orders", json={**ORDER, **change})
        assert response.status_code == 400
        sent = response.get_data(as_text=True) + response.headers["X-Mock-Violations"]
        assert not [s for s in secrets if s in sent], sent
    long_token = client.post("/shop/orders", json={**ORDER, "token": "tok-123456789"})
    assert answer(long_token) == (400, "Invalid: token is too long (<secret>)")


@pytest.mark.parametrize("body,message", [
    ([{"sku": ""}, 5], "Invalid: [0].sku: '' should be non-empty | [1] must be an object"),
    ({"items": [{"count": 1}]}, "Invalid: items[0].sku is missing"),
    ({"list": []}, "Invalid: items is missing"),
    ([], "Invalid: [] should be non-empty"),
    ("many", "Invalid: The body must be an array or an object"),
])
def test_a_oneof_of_typed_branches_is_explained_by_the_branch_the_type_picks(client, body, message):
    response = client.post("/shop/batches", json=body)
    assert answer(response) == (400, message)
    assert all("is not valid under any of the given schemas" not in v["message"] for v in listed(response))


def test_a_long_branch_is_listed_to_the_cap_and_counted_past_it(client):
    response = client.post("/shop/batches", json=[0] * 300)
    violations = listed(response)
    assert len(violations) == 51 and violations[-1]["message"].startswith("at least 101 more violations")


def test_without_a_declaration_each_violation_is_field_and_message(tmp_path):
    client = serve(tmp_path, SPEC.replace(WORDING, "\n"))
    response = client.post("/shop/orders", json={"quantity": "x", "colour": "blue", "a": 1, "options": {}})
    assert answer(response) == (400, "Additional properties are not allowed ('a' was unexpected); "
                                     "colour: pick red or green; item: 'item' is a required property (and 2 more)")


@pytest.mark.parametrize("declaration,problem", [
    ("{violations: {limit: 0}}", "violations: limit must be a number from 1, not 0"),
    ("{violations: {prefix: 1}}", "violations: prefix must be text"),
    ("{violations: {joiner: '; '}}", "violations: unknown key(s) ['joiner']"),
    ("{violations: {keywords: {minLenght: x}}}", "violations: keywords: unknown keyword(s) ['minLenght']"),
    ("{violations: {query: {required: 'No {param}'}}}", "violations: query.required: 'No {param}': unknown placeholder"),
    ("{violations: {more: ' and {count} more'}}", "violations: more: ' and {count} more': unknown placeholder"),
    ("{violations: {unsupported: '{field} refused'}}", "violations: unsupported: '{field} refused': unknown placeholder"),
    ("{violations: {body_type: 'a {b'}}", "write {{ and }} for a brace"),
])
def test_a_bad_violations_declaration_stops_the_start_naming_spec_and_pointer(tmp_path, declaration, problem):
    path = tmp_path / "shop.yaml"
    declared = SPEC.replace(WORDING, "\n").split("\n")
    declared[declared.index("x-mock-errors:")] = f"x-mock-errors: {declaration}"
    declared.remove('  body: {error: "{message}", cause: "{cause?}", fields: "{fields?}"}')
    path.write_text("\n".join(declared), encoding="utf-8")
    with pytest.raises(SpecError, match=re.escape(problem)) as caught:
        load_spec(path)
    assert f"{path}: /x-mock-errors: " in str(caught.value)


@pytest.mark.parametrize("declaration,problem", [
    ("{enum: '{colour} is wrong'}", "enum: '{colour} is wrong': unknown placeholder {colour}"),
    ("{enumm: x}", "unknown keyword(s) ['enumm']"),
    ("'pick red or green'", "must map JSON Schema keywords to message templates"),
])
def test_a_bad_schema_wording_names_its_pointer(tmp_path, declaration, problem):
    path = tmp_path / "shop.yaml"
    path.write_text(SPEC.replace("x-mock-messages: {enum: \"{field}: pick red or green\"}",
                                 f"x-mock-messages: {declaration}"), encoding="utf-8")
    with pytest.raises(SpecError, match=re.escape(problem)) as caught:
        load_spec(path)
    assert f"{path}: /components/schemas/Order/properties/colour/x-mock-messages: " in str(caught.value)
