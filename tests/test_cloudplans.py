"""CloudPlans: every operation and documented status, through the Flask test client.

Every response is also checked against the spec by the strict-mode app (see conftest), so
a listed `specific` or an error outside the envelope fails the test that caused it.
"""

from __future__ import annotations

import json

import pytest
from conftest import violations
from jsonschema import Draft202012Validator

BASE = "/cloudplans/v1/organizations/credentials"
AUTH = {"Authorization": "Bearer any-token"}
ORG = "org-7f3c1e2a"
OTHER_ORG = "org-2b9d4f61"
AWS_ID = "3f6c2a9e-8b1d-4c7a-9e2f-5d4b3a1c0e87"
AZURE_ID = "9a1b7c3d-2e4f-4a6b-8c0d-1e2f3a4b5c6d"
GCP_ID = "c4d5e6f7-1a2b-4c3d-9e8f-0a1b2c3d4e5f"
OTHER_ORG_AWS_ID = "7e2d9c41-3b5a-4f68-b1c0-8a9d2e4f6b13"
AZURE_KEY = "Qx88Q~s3cr3t-v4lu3-n0t-r34l"
LISTED = {"type", "id", "name", "comments", "resources", "last_time"}

SPECIFIC = {
    "aws": {"role": "arn:aws:iam::111122223333:role/CloudPlans"},
    "azure": {"tenant": "t-1", "clientId": "c-1", "key": "az-very-secret"},
    "gcp": {"project": "acme-test-123"},
}


@pytest.fixture
def client(make_app):
    """CloudPlans alone, under its usual /cloudplans prefix."""
    return make_app(only=["cloudplans"]).test_client()


def store(client):
    """CloudPlans' collections in the app behind `client`."""
    return client.application.extensions["mockserver"].store.api("cloudplans")


def snapshot(client) -> dict:
    """Everything stored, to show that a rejected request changed nothing."""
    return {name: list(collection) for name, collection in store(client).items()}


def listed(client, org=ORG) -> list[dict]:
    response = client.get(f"{BASE}/list?org_id={org}", headers=AUTH)
    assert response.status_code == 200
    return response.json["credentials"]


def create(client, headers=AUTH, query="", **body):
    body.setdefault("org_id", ORG)
    body.setdefault("type", "aws")
    body.setdefault("name", "Created in a test")
    body.setdefault("specific", SPECIFIC[body["type"]] if body["type"] in SPECIFIC else {})
    return client.post(f"{BASE}/create{query}", json=body, headers=headers)


def update(client, credential_id=AWS_ID, org=ORG, **data):
    return client.post(f"{BASE}/update", json={"org_id": org, "credential_id": credential_id, "data": data},
                       headers=AUTH)


def remove(client, credential_id, org=ORG, **extra):
    return client.post(f"{BASE}/delete", json={"org_id": org, "credential_id": credential_id, **extra},
                       headers=AUTH)


def envelope(response) -> tuple[int, dict]:
    return response.status_code, response.json


# --- list ---------------------------------------------------------------------------------
def test_list_shows_the_orgs_credentials_without_secrets(client):
    response = client.get(f"{BASE}/list?org_id={ORG}&action=list_credentials", headers=AUTH)
    assert response.status_code == 200 and response.json["status"] == 200
    rows = response.json["credentials"]
    assert [r["id"] for r in rows[:3]] == [AWS_ID, AZURE_ID, GCP_ID]
    assert {r["type"] for r in rows} == {"aws", "azure", "gcp"}
    assert rows[0] == {"type": "aws", "id": AWS_ID, "name": "AWS production",
                       "comments": "Main production account (eu-west-1)", "resources": 412,
                       "last_time": "2025-12-30 14:05:11"}
    for row in rows:
        assert set(row) == LISTED and 0 <= row["resources"] <= 1000
    assert OTHER_ORG_AWS_ID not in {r["id"] for r in rows}
    text = response.get_data(as_text=True)
    for secret in ("specific", AZURE_KEY, "CloudPlansDiscovery", "acme-analytics-prod"):
        assert secret not in text


def test_list_of_the_other_organization(client):
    ids = [r["id"] for r in listed(client, OTHER_ORG)]
    assert ids[0] == OTHER_ORG_AWS_ID and AWS_ID not in ids


def test_list_of_unknown_organization_is_404(client):
    response = client.get(f"{BASE}/list?org_id=org-00000000", headers=AUTH)
    assert envelope(response) == (404, {"status": 404, "response": "Organization not found"})


@pytest.mark.parametrize("query,message", [
    ("", "Missing required query parameter: org_id"),
    ("?org_id=", "org_id must not be empty"),
    (f"?org_id={ORG}&action=add_credential",
     "Invalid action for this endpoint; expected action=list_credentials"),
])
def test_list_rejects_missing_org_and_wrong_action(client, query, message):
    response = client.get(f"{BASE}/list{query}", headers=AUTH)
    assert envelope(response) == (400, {"status": 400, "response": message})
    assert violations(response)[0]["location"] == "query"


# --- create -------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["aws", "azure", "gcp"])
def test_create_each_type_answers_a_message_and_is_listed_unscanned(client, kind):
    response = create(client, type=kind, name=f"New {kind}", comments="From a test",
                      query="?action=add_credential")
    assert envelope(response) == (200, {"status": 200, "response": "Credential created"})
    new = [r for r in listed(client) if r["name"] == f"New {kind}"]
    assert len(new) == 1
    assert new[0] | {"id": "-"} == {"type": kind, "id": "-", "name": f"New {kind}",
                                    "comments": "From a test", "resources": 0, "last_time": ""}
    stored = store(client)["credentials"].get(new[0]["id"])
    assert stored["specific"] == SPECIFIC[kind] and stored["org_id"] == ORG


def test_create_without_action_or_comments(client):
    assert create(client, name="No comments").status_code == 200
    new = next(r for r in listed(client) if r["name"] == "No comments")
    assert new["comments"] == ""


def test_create_twice_gives_two_credentials_with_distinct_ids(client):
    before = len(listed(client))
    assert create(client, name="Twin").status_code == 200
    assert create(client, name="Twin").status_code == 200
    twins = [r["id"] for r in listed(client) if r["name"] == "Twin"]
    assert len(listed(client)) == before + 2 and len(set(twins)) == 2


@pytest.mark.parametrize("kind,specific,message", [
    ("aws", {}, "Missing required field: specific.role"),
    ("aws", {"role": "r", "tenant": "t"}, "Unknown field: specific.tenant"),
    ("azure", {"tenant": "t", "clientId": "c"}, "Missing required field: specific.key"),
    ("azure", {"clientId": "c", "key": "k"}, "Missing required field: specific.tenant"),
    ("gcp", {"project": ""}, "specific.project must not be empty"),
    ("gcp", {"project": 42}, "specific.project must be a string"),
    ("gcp", {"role": "r"}, "Unknown field: specific.role; Missing required field: specific.project"),
])
def test_create_validates_specific_by_type(client, kind, specific, message):
    before = snapshot(client)
    response = create(client, type=kind, specific=specific)
    assert envelope(response) == (400, {"status": 400, "response": message})
    assert violations(response)[0]["pointer"].startswith("/specific")
    assert snapshot(client) == before


@pytest.mark.parametrize("change,message", [
    ({"type": "gap"}, "type: 'gap' is not one of ['aws', 'azure', 'gcp']"),
    ({"type": "AWS"}, "type: 'AWS' is not one of ['aws', 'azure', 'gcp']"),
    ({"name": ""}, "name must not be empty"),
    ({"org_id": 7}, "org_id must be a string"),
    ({"comments": None}, "comments must be a string"),
    ({"id": "mine"}, "Unknown field: id"),
])
def test_create_rejects_invalid_fields(client, change, message):
    before = snapshot(client)
    response = create(client, **change)
    assert envelope(response) == (400, {"status": 400, "response": message})
    assert snapshot(client) == before


@pytest.mark.parametrize("missing", ["org_id", "type", "name", "specific"])
def test_create_requires_each_field(client, missing):
    body = {"org_id": ORG, "type": "gcp", "name": "x", "specific": SPECIFIC["gcp"]}
    del body[missing]
    response = client.post(f"{BASE}/create", json=body, headers=AUTH)
    assert envelope(response) == (400, {"status": 400, "response": f"Missing required field: {missing}"})
    assert violations(response)[0]["pointer"] == f"/{missing}"


def test_create_never_echoes_a_secret_in_errors(client):
    secret = "az-top-secret-value"
    for specific in ({"tenant": "t", "clientId": "c", "key": [secret]}, secret):
        response = create(client, type="azure", specific=specific)
        assert response.status_code == 400
        assert response.json["response"] in ("specific.key must be a string", "specific must be an object")
        assert secret not in response.get_data(as_text=True)
        assert secret not in response.headers["X-Mock-Violations"]


def test_create_in_unknown_organization_is_404_and_stores_nothing(client):
    before = snapshot(client)
    response = create(client, org_id="org-00000000")
    assert envelope(response) == (404, {"status": 404, "response": "Organization not found"})
    assert snapshot(client) == before


# --- bad bodies, for every write -------------------------------------------------------------
@pytest.mark.parametrize("path", ["create", "delete", "update"])
@pytest.mark.parametrize("raw,content_type,status,message", [
    (b"{broken", "application/json", 400, "Malformed JSON"),
    (b"[]", "application/json", 400, "The request body must be a JSON object"),
    (b"null", "application/json", 400, "The request body must be a JSON object"),
    (b'{"name": "\xff\xfe"}', "application/json", 400, "Body is not valid UTF-8"),
    (b"", "application/json", 400, "A request body is required"),
    (b'{"org_id": "org-7f3c1e2a"}', "text/plain", 415, "Unsupported content type 'text/plain'"),
    (b'{"org_id": "org-7f3c1e2a"}', None, 415, "Unsupported content type '(none)'"),
])
def test_bad_bodies_are_rejected_in_the_envelope(client, path, raw, content_type, status, message):
    before = snapshot(client)
    headers = dict(AUTH)
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post(f"{BASE}/{path}", data=raw, headers=headers)
    assert response.status_code == status
    assert response.json["status"] == status and response.json["response"].startswith(message)
    assert set(response.json) == {"status", "response"}
    assert snapshot(client) == before


def test_json_with_a_charset_parameter_is_accepted(client):
    body = json.dumps({"org_id": ORG, "type": "gcp", "name": "charset", "specific": SPECIFIC["gcp"]})
    response = client.post(f"{BASE}/create", data=body.encode(), headers=AUTH,
                           content_type="application/json; charset=utf-8")
    assert response.status_code == 200


@pytest.mark.parametrize("path,action", [("create", "add_credential"), ("delete", "remove_credential"),
                                         ("update", "update_credential")])
def test_wrong_action_on_writes_is_400_and_changes_nothing(client, path, action):
    body = {
        "create": {"org_id": ORG, "type": "gcp", "name": "x", "specific": SPECIFIC["gcp"]},
        "delete": {"org_id": ORG, "credential_id": GCP_ID},
        "update": {"org_id": ORG, "credential_id": GCP_ID, "data": {"name": "x"}},
    }[path]
    before = snapshot(client)
    response = client.post(f"{BASE}/{path}?action=list_credentials", json=body, headers=AUTH)
    assert envelope(response) == (400, {"status": 400, "response":
                                        f"Invalid action for this endpoint; expected action={action}"})
    assert snapshot(client) == before
    assert client.post(f"{BASE}/{path}?action={action}", json=body, headers=AUTH).status_code == 200


# --- remove -------------------------------------------------------------------------------
def test_remove_then_gone(client):
    response = remove(client, AWS_ID, comments="Account closed")
    assert envelope(response) == (200, {"status": 200, "response": "Credential removed"})
    assert AWS_ID not in {r["id"] for r in listed(client)}
    assert AWS_ID not in store(client)["credentials"]
    again = remove(client, AWS_ID)
    assert envelope(again) == (404, {"status": 404, "response": "Credential not found"})


def test_remove_credential_of_another_org_is_404_and_keeps_it(client):
    response = remove(client, OTHER_ORG_AWS_ID)
    assert envelope(response) == (404, {"status": 404, "response": "Credential not found"})
    assert OTHER_ORG_AWS_ID in {r["id"] for r in listed(client, OTHER_ORG)}


@pytest.mark.parametrize("body,status,message", [
    ({"org_id": "org-00000000", "credential_id": AWS_ID}, 404, "Organization not found"),
    ({"org_id": ORG, "credential_id": "no-such-id"}, 404, "Credential not found"),
    ({"org_id": ORG}, 400, "Missing required field: credential_id"),
    ({"org_id": ORG, "credential_id": AWS_ID, "reason": "x"}, 400, "Unknown field: reason"),
])
def test_remove_rejections(client, body, status, message):
    before = snapshot(client)
    response = client.post(f"{BASE}/delete?action=remove_credential", json=body, headers=AUTH)
    assert envelope(response) == (status, {"status": status, "response": message})
    assert snapshot(client) == before


# --- update -------------------------------------------------------------------------------
def test_update_name_and_comments_merges_and_keeps_the_rest(client):
    before = store(client)["credentials"].get(AWS_ID)
    response = client.post(f"{BASE}/update?action=update_credential", headers=AUTH, json={
        "org_id": ORG, "credential_id": AWS_ID, "reason": "Clearer name",
        "data": {"name": "AWS prod (eu-west-1)", "comments": "Renamed"}})
    assert envelope(response) == (200, {"status": 200, "response": "Credential updated"})
    row = next(r for r in listed(client) if r["id"] == AWS_ID)
    assert row == {"type": "aws", "id": AWS_ID, "name": "AWS prod (eu-west-1)", "comments": "Renamed",
                   "resources": 412, "last_time": "2025-12-30 14:05:11"}
    after = store(client)["credentials"].get(AWS_ID)
    assert after["specific"] == before["specific"] and "reason" not in after


def test_update_azure_specific_keeps_the_tenant(client):
    response = update(client, AZURE_ID, specific={"clientId": "new-client", "key": "new-secret"})
    assert response.status_code == 200
    stored = store(client)["credentials"].get(AZURE_ID)
    assert stored["specific"] == {"tenant": "4c1d2e3f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                                  "clientId": "new-client", "key": "new-secret"}
    listing = client.get(f"{BASE}/list?org_id={ORG}", headers=AUTH).get_data(as_text=True)
    assert "new-secret" not in listing and "new-client" not in listing


@pytest.mark.parametrize("kind,specific", [("aws", {"role": "arn:aws:iam::1:role/New"}),
                                           ("gcp", {"project": "renamed-project"})])
def test_update_specific_of_aws_and_gcp(client, kind, specific):
    credential_id = {"aws": AWS_ID, "gcp": GCP_ID}[kind]
    assert update(client, credential_id, specific=specific).status_code == 200
    assert store(client)["credentials"].get(credential_id)["specific"] == specific


@pytest.mark.parametrize("credential_id,specific,message", [
    (AWS_ID, {"clientId": "c", "key": "k"}, "data.specific.role is required for an aws credential"),
    (AZURE_ID, {"key": "k"}, "data.specific.clientId is required for an azure credential"),
    (AZURE_ID, {"clientId": "c", "key": "k", "role": "r"},
     "data.specific.role is not allowed for an azure credential (it takes clientId, key)"),
    (GCP_ID, {"project": "p", "role": "r"},
     "data.specific.role is not allowed for a gcp credential (it takes project)"),
    (AZURE_ID, {"clientId": "c", "key": "k", "tenant": "t"}, "Unknown field: data.specific.tenant"),
    (AZURE_ID, {"clientId": "c", "key": ""}, "data.specific.key must not be empty"),
])
def test_update_checks_specific_against_the_stored_type(client, credential_id, specific, message):
    before = snapshot(client)
    response = update(client, credential_id, name="must not stick", specific=specific)
    assert envelope(response) == (400, {"status": 400, "response": message})
    assert violations(response)[0]["pointer"].startswith("/data/specific")
    assert snapshot(client) == before


@pytest.mark.parametrize("data,message", [
    ({}, "data must hold at least one of name, comments, specific"),
    ({"type": "gcp"}, "Unknown field: data.type"),
    ({"name": ""}, "data.name must not be empty"),
    ({"specific": "s3cret"}, "data.specific must be an object"),
])
def test_update_rejects_invalid_data(client, data, message):
    before = snapshot(client)
    response = update(client, AWS_ID, **data)
    assert envelope(response) == (400, {"status": 400, "response": message})
    assert snapshot(client) == before


@pytest.mark.parametrize("org,credential_id,message", [
    ("org-00000000", AWS_ID, "Organization not found"),
    (ORG, OTHER_ORG_AWS_ID, "Credential not found"),
    (ORG, "5b0e8f2a-6c4d-4e1b-a3f7-9d2c8e1b4a60", "Credential not found"),
])
def test_update_unknown_org_or_credential_is_404(client, org, credential_id, message):
    before = snapshot(client)
    response = update(client, credential_id, org=org, name="x")
    assert envelope(response) == (404, {"status": 404, "response": message})
    assert snapshot(client) == before


def test_create_list_update_remove_round_trip(client):
    assert create(client, type="azure", name="Round trip").status_code == 200
    new_id = next(r["id"] for r in listed(client) if r["name"] == "Round trip")  # create returns no id
    rotated = update(client, new_id, comments="checked", specific={"clientId": "c2", "key": "k2"})
    assert rotated.status_code == 200
    row = next(r for r in listed(client) if r["id"] == new_id)
    assert row["comments"] == "checked" and row["resources"] == 0
    assert remove(client, new_id).status_code == 200
    assert new_id not in {r["id"] for r in listed(client)}


# --- auth ---------------------------------------------------------------------------------
WRITES = [
    ("post", "create", {"org_id": ORG, "type": "gcp", "name": "x", "specific": {"project": "p"}}),
    ("post", "delete", {"org_id": ORG, "credential_id": AWS_ID}),
    ("post", "update", {"org_id": ORG, "credential_id": AWS_ID, "data": {"name": "x"}}),
]


@pytest.mark.parametrize("method,path,body", [("get", f"list?org_id={ORG}", None)] + WRITES)
@pytest.mark.parametrize("authorization", [None, "Basic dXNlcjpwYXNz", "Bearer ", "any-token"])
def test_missing_or_invalid_auth_is_401_and_changes_nothing(client, method, path, body, authorization):
    before = snapshot(client)
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = getattr(client, method)(f"{BASE}/{path}", json=body, headers=headers)
    assert envelope(response) == (401, {"status": 401, "response": "Unauthorized"})
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert snapshot(client) == before


def test_auth_is_checked_before_the_body(client):
    response = client.post(f"{BASE}/create", data=b"{broken", content_type="application/json")
    assert response.status_code == 401


def test_any_bearer_token_is_accepted(client):
    response = client.get(f"{BASE}/list?org_id={ORG}", headers={"Authorization": "bearer whatever-123"})
    assert response.status_code == 200


# --- routing ------------------------------------------------------------------------------
def test_unknown_paths_are_404_in_the_envelope(client):
    for path in ("/cloudplans/v1/organizations/credentials", "/cloudplans/v1/organizations/credentials/get",
                 "/cloudplans/v1/organizations/credentials/list/"):
        response = client.get(path, headers=AUTH)
        assert response.status_code == 404 and response.json["status"] == 404
        assert path.removeprefix("/cloudplans") in response.json["response"]


@pytest.mark.parametrize("method,path,allowed", [
    ("post", "list", "GET, HEAD"), ("get", "create", "POST"),
    ("delete", "delete", "POST"), ("put", "update", "POST"),
])
def test_wrong_method_is_405_with_allow(client, method, path, allowed):
    response = getattr(client, method)(f"{BASE}/{path}", headers=AUTH)
    assert response.status_code == 405 and response.headers["Allow"] == allowed
    assert response.json == {"status": 405,
                             "response": f"Method not allowed: {method.upper()} (allowed: {allowed})"}


def test_oversized_body_is_413_in_the_envelope(make_app):
    client = make_app(only=["cloudplans"], max_body=64).test_client()
    body = {"org_id": ORG, "type": "gcp", "name": "x" * 200, "specific": {"project": "p"}}
    response = client.post(f"{BASE}/create", json=body, headers=AUTH)
    assert envelope(response) == (413, {"status": 413, "response": "Request body exceeds 64 bytes"})
    assert all(r["name"] != "x" * 200 for r in listed(client))


def test_unexpected_error_is_500_in_the_envelope(client, monkeypatch):
    behavior = client.application.extensions["mockserver"].apis["cloudplans"].behavior

    def boom(ctx):
        raise RuntimeError("bug")

    monkeypatch.setitem(behavior._handlers, "listCredentials", boom)
    response = client.get(f"{BASE}/list?org_id={ORG}", headers=AUTH)
    assert envelope(response) == (500, {"status": 500, "response": "Internal server error"})


# --- steering -----------------------------------------------------------------------------
@pytest.mark.parametrize("path,prefer,status,body", [
    ("delete", "code=404", 404, {"status": 404, "response": "Credential not found"}),
    ("update", "example=organizationNotFound", 404, {"status": 404, "response": "Organization not found"}),
    ("create", "code=415", 415, {"status": 415, "response":
                                 "Unsupported content type 'text/plain'; expected application/json"}),
    ("create", "code=400, example=invalidType", 400, {"status": 400, "response":
                                                      "type: 'gap' is not one of ['aws', 'azure', 'gcp']"}),
    ("create", "code=200", 200, {"status": 200, "response": "Credential created"}),
])
def test_prefer_steers_writes_without_storing(client, path, prefer, status, body):
    before = snapshot(client)
    response = client.post(f"{BASE}/{path}", json={}, headers={**AUTH, "Prefer": prefer})
    assert envelope(response) == (status, body)
    assert snapshot(client) == before


def test_prefer_401_carries_the_challenge(client):
    response = client.get(f"{BASE}/list?org_id={ORG}", headers={"Prefer": "code=401"})
    assert envelope(response) == (401, {"status": 401, "response": "Unauthorized"})
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("prefer", ["example=empty", "example=threeClouds", "code=200, dynamic=true, seed=3"])
def test_prefer_steers_the_list(client, prefer):
    response = client.get(f"{BASE}/list?org_id={ORG}", headers={**AUTH, "Prefer": prefer})
    assert response.status_code == 200 and response.json["status"] == 200
    for row in response.json["credentials"]:
        assert set(row) == LISTED
    if prefer == "example=empty":
        assert response.json["credentials"] == []


def test_prefer_for_an_undocumented_status_is_404_in_the_envelope(client):
    response = client.get(f"{BASE}/list?org_id={ORG}", headers={**AUTH, "Prefer": "code=418"})
    assert response.status_code == 404 and response.json["status"] == 404
    assert "code=418" in response.json["response"]


# --- the spec itself ----------------------------------------------------------------------
def test_every_operation_documents_default_and_valid_examples(client):
    spec = client.application.extensions["mockserver"].apis["cloudplans"].spec
    for operation in spec.operations:
        assert "default" in operation.responses
        for status, response in operation.responses.items():
            assert response.examples, f"{operation.operation_id} {status} has no example"
            for name, example in response.examples.items():
                errors = list(response.validator.iter_errors(example))
                assert not errors, f"{operation.operation_id} {status} example {name}: {errors[0].message}"
        for media_type, schema in operation.body.schemas.items() if operation.body else ():
            raw = spec.document["paths"][operation.path]["post"]["requestBody"]["content"][media_type]
            for name, example in raw["examples"].items():
                assert not list(Draft202012Validator(schema).iter_errors(example["value"])), name


def test_list_schema_forbids_specific(client):
    spec = client.application.extensions["mockserver"].apis["cloudplans"].spec
    validator = spec.operation("listCredentials").responses["200"].validator
    row = {"type": "aws", "id": AWS_ID, "name": "n", "comments": "", "resources": 0, "last_time": ""}
    assert validator.is_valid({"status": 200, "credentials": [row]})
    assert not validator.is_valid({"status": 200, "credentials": [{**row, "specific": {"role": "r"}}]})
