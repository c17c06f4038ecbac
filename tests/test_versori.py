"""Versori Connect v1alpha1 credentials: every operation and documented status, through the
Flask test client.

Every response is also checked against the spec by the strict-mode app (see conftest), so
a secret answered in clear, or any other drift, fails the test that provoked it.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta, timezone

import pytest
from conftest import violations

from mockserver.behaviors import versori
from mockserver.behaviors.base import OperationContext
from mockserver.fixtures import FixtureError
from mockserver.pipeline import ContractDrift

BASE = "/versori"
ORG = "01J9ZK3B7Q8X2M4N6P0R5S1T3V"  # Acme Integrations: six fixed credentials + four generated
OTHER_ORG = "01JA54SW744TFF59TDWH9EDD1R"  # Globex Logistics: one credential
MISSING_ORG = "01JZ2KDWJGM2FT2W5K70WJCC2S"
AUTH = {"Authorization": "Bearer vk_test_api_key"}

NONE_ID = "01JJ23RK4Y1HEAD8X4A1JH69RE"
STRING_ID = "01JK5FR8KSH4QX4FR84G98PBSK"
BINARY_ID = "01JP2JXVSMJMRNV7E9Z0C1HT0H"
BASIC_ID = "01JSF4PVNNG7KYHRJXJG7DJ13N"
CLIENT_ID = "01JWG30CXH2R00K6AGV0VFCXEC"
TOKEN_ID = "01JY180B7E27H6P3AMKDQG6STT"
GLOBEX_ID = "01JM22FJ87HM8HEE7QV4YSR5S4"

# Every secret of the fixture data: none may ever appear in a response.
FIXTURE_SECRETS = [
    "pat-eu1-7c1f3a90-52d4-4e8b-9f0a-3d6b2c8e1a47", "LS0tLS1CRUdJTiBPUEVOU1NI", "shpat-Qm8vX2kR7tLw",
    "9F2C7D1E5A8B3C6D0E4F7A2B5C8D1E3F", "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", "ya29.a0AfB_byC7kQ2mN5pR8",
    "1//0gL5mN8pQ2rS5tU8vW1xY4zA7bC0", "fr8_live_b2c4d6e8f0a1b3c5d7e9f1a3b5c7d9e1",
]
MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")

OAUTH = {"clientId": "cid-123", "clientSecret": "csecret-456",
         "authorizeUrl": "https://auth.example.com/oauth2/authorize",
         "tokenUrl": "https://auth.example.com/oauth2/token"}
VALID_DATA = {
    "none": {},
    "string": {"value": "sk_live_abcdef"},
    "binary": {"valueBase64": base64.b64encode(b"\x00\x01binary\xff").decode()},
    "basic-auth": {"username": "svc-user", "password": "pa55word!"},
    "oauth2-client": {**OAUTH, "scopes": ["read"], "additionalParams": {"audience": "api"}},
    "oauth2-token": {**OAUTH, "scopes": ["read", "write"], "accessToken": "at-789", "refreshToken": "rt-012"},
}
SECRETS_OF = {"none": [], "string": ["value"], "binary": ["valueBase64"], "basic-auth": ["password"],
              "oauth2-client": ["clientSecret"], "oauth2-token": ["clientSecret", "accessToken", "refreshToken"]}


@pytest.fixture
def client(make_app):
    """Versori alone, under its usual /versori prefix, in strict mode."""
    return make_app(only=["versori"]).test_client()


def collection_url(org: str = ORG) -> str:
    return f"{BASE}/o/{org}/credentials"


def item_url(credential_id: str, org: str = ORG) -> str:
    return f"{collection_url(org)}/{credential_id}"


def create(client, org: str = ORG, headers=AUTH, **body):
    body.setdefault("name", "Created in a test")
    body.setdefault("type", "string")
    if "data" not in body:
        body["data"] = VALID_DATA[body["type"]]
    return client.post(collection_url(org), json=body, headers=headers)


def stored(client, credential_id: str) -> dict | None:
    """The stored entity itself (secrets in clear), to check what the API cannot show."""
    runtime = client.application.extensions["mockserver"]
    return runtime.store.api("versori")["credentials"].get(credential_id)


def list_all(client, org: str = ORG) -> list[dict]:
    return client.get(f"{collection_url(org)}?first=100", headers=AUTH).json["credentials"]


def fields_of(response) -> list[str]:
    return [f["field"] for f in response.json.get("fields", [])]


def snapshot(client) -> list:
    """Everything the API shows about the default organisations, to prove nothing changed."""
    rows = list_all(client) + list_all(client, OTHER_ORG)
    org_of = {r["id"]: ORG for r in list_all(client)}
    return [(r, client.get(item_url(r["id"], org_of.get(r["id"], OTHER_ORG)), headers=AUTH).json)
            for r in rows]


def fixed_clock(monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr(OperationContext, "now", lambda self: moment)


# --- list -----------------------------------------------------------------------------------
def test_list_is_newest_update_first_with_ids_breaking_ties(client):
    response = client.get(collection_url(), headers=AUTH)
    assert response.status_code == 200
    assert response.json["totalCount"] == 10
    rows = response.json["credentials"]
    assert len(rows) == 10 and "next" not in response.json and "prev" not in response.json
    keys = [(client.get(item_url(r["id"]), headers=AUTH).json["updatedAt"], r["id"]) for r in rows]
    assert keys == sorted(keys, reverse=True)
    fixed = [r["id"] for r in rows if r["id"] in (NONE_ID, STRING_ID, BINARY_ID, BASIC_ID, CLIENT_ID, TOKEN_ID)]
    assert fixed == [TOKEN_ID, CLIENT_ID, BASIC_ID, STRING_ID, BINARY_ID, NONE_ID]


def test_list_ties_on_updated_at_are_ordered_by_id_descending(client, monkeypatch):
    fixed_clock(monkeypatch, datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=timezone.utc))
    created = [create(client, name=f"tie {i}").json["id"] for i in range(3)]
    top = list_all(client)[:3]
    assert [r["id"] for r in top] == sorted(created, reverse=True)


def test_list_summaries_carry_no_data_and_map_auth_scheme_types(client):
    rows = {r["id"]: r for r in list_all(client)}
    expected = {NONE_ID: "none", STRING_ID: "api-key", BINARY_ID: "api-key", BASIC_ID: "basic-auth",
                CLIENT_ID: "oauth2", TOKEN_ID: "oauth2"}
    for credential_id, scheme in expected.items():
        assert rows[credential_id]["authSchemeType"] == scheme
    for row in rows.values():
        assert set(row) <= {"id", "type", "name", "authSchemeType", "usages", "errors"}
        assert isinstance(row["usages"], list)
    assert len(rows[CLIENT_ID]["usages"]) == 2
    assert rows[CLIENT_ID]["usages"][0]["environment"]["connection"]["name"] == "Salesforce"
    # errors only when the credential is invalid: [] (valid) is left out of the summary
    assert rows[BASIC_ID]["errors"] and "errors" not in rows[STRING_ID]


def test_list_pages_forward_with_next_and_back_with_prev(client):
    everything = [r["id"] for r in list_all(client)]
    pages, url = [], f"{collection_url()}?first=3"
    while True:
        body = client.get(url, headers=AUTH).json
        assert body["totalCount"] == 10
        pages.append(body)
        if "next" not in body:
            break
        assert body["next"] == body["credentials"][-1]["id"]
        url = f"{collection_url()}?first=3&after={body['next']}"
    assert [len(p["credentials"]) for p in pages] == [3, 3, 3, 1]
    assert [r["id"] for p in pages for r in p["credentials"]] == everything
    assert "prev" not in pages[0] and all(p["prev"] == p["credentials"][0]["id"] for p in pages[1:])
    # back from the last page with before=prev gives the page before it
    back = client.get(f"{collection_url()}?first=3&before={pages[-1]['prev']}", headers=AUTH).json
    assert back["credentials"] == pages[2]["credentials"]
    assert back["next"] == pages[2]["next"] and back["prev"] == pages[2]["prev"]
    first = client.get(f"{collection_url()}?first=3&before={pages[1]['prev']}", headers=AUTH).json
    assert first["credentials"] == pages[0]["credentials"] and "prev" not in first


def test_list_page_before_the_first_item_is_empty_without_cursors(client):
    top = list_all(client)[0]["id"]
    body = client.get(f"{collection_url()}?before={top}", headers=AUTH).json
    assert body == {"totalCount": 10, "credentials": []}


def test_list_first_defaults_to_twenty(client):
    for i in range(12):
        assert create(client, name=f"bulk {i}").status_code == 201
    body = client.get(collection_url(), headers=AUTH).json
    assert body["totalCount"] == 22 and len(body["credentials"]) == 20 and "next" in body


@pytest.mark.parametrize("query,field", [
    ("first=0", "first"), ("first=101", "first"), ("first=abc", "first"),
    (f"after={MISSING_ORG}", "after"), (f"before={MISSING_ORG}", "before"),
    (f"after={GLOBEX_ID}", "after"),  # a credential of another organisation is no cursor here
])
def test_list_rejects_bad_paging_with_400(client, query, field):
    response = client.get(f"{collection_url()}?{query}", headers=AUTH)
    assert response.status_code == 400
    assert response.json["code"] == "bad_request"
    assert fields_of(response) == [field]
    assert violations(response)[0]["pointer"] == f"/{field}"


def test_list_rejects_after_and_before_together(client):
    response = client.get(f"{collection_url()}?after={TOKEN_ID}&before={NONE_ID}", headers=AUTH)
    assert response.status_code == 400 and fields_of(response) == ["after", "before"]


def test_list_is_per_organisation(client):
    body = client.get(collection_url(OTHER_ORG), headers=AUTH).json
    assert body["totalCount"] == 1 and [r["id"] for r in body["credentials"]] == [GLOBEX_ID]
    assert client.delete(item_url(GLOBEX_ID, OTHER_ORG), headers=AUTH).status_code == 204
    assert client.get(collection_url(OTHER_ORG), headers=AUTH).json == {"totalCount": 0, "credentials": []}


@pytest.mark.parametrize("org", [MISSING_ORG, "not-a-ulid", "01j9zk3b7q8x2m4n6p0r5s1t3v"])
def test_list_of_unknown_or_malformed_organisation_is_404(client, org):
    response = client.get(collection_url(org), headers=AUTH)
    assert response.status_code == 404 and response.json["code"] == "not_found"


# --- create -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(VALID_DATA))
def test_create_each_type_answers_201_with_secrets_redacted(client, kind):
    response = create(client, type=kind, name=f"A {kind} credential")
    assert response.status_code == 201
    body = response.json
    assert ULID.match(body["id"]) and MILLIS.match(body["createdAt"])
    assert body["createdAt"] == body["updatedAt"]
    assert "usages" not in body and "errors" not in body  # not loaded, not validated
    expected = {k: ("<redacted>" if k in SECRETS_OF[kind] else v) for k, v in VALID_DATA[kind].items()}
    if kind == "oauth2-token":  # the vendor's document: "the only data visible via the API are the scopes"
        expected = {"scopes": VALID_DATA[kind]["scopes"]}
    assert body["data"] == expected
    for secret in SECRETS_OF[kind]:
        assert VALID_DATA[kind][secret] not in response.get_data(as_text=True)
    assert stored(client, body["id"])["data"] == VALID_DATA[kind]  # kept in clear, only hidden
    fetched = client.get(item_url(body["id"]), headers=AUTH).json
    assert fetched == {**body, "usages": []}
    assert list_all(client)[0]["id"] == body["id"]  # the newest update comes first


@pytest.mark.parametrize("kind,data,fields", [
    ("none", {"value": "x", "other": 1}, ["data.other", "data.value"]),
    ("string", {}, ["data.value"]),
    ("string", {"value": 42}, ["data.value"]),
    ("binary", {"value": "aGk="}, ["data.value", "data.valueBase64"]),
    ("basic-auth", {"username": "u"}, ["data.password"]),
    ("oauth2-client", {"clientId": "c"}, ["data.authorizeUrl", "data.clientSecret", "data.tokenUrl"]),
    ("oauth2-client", {**OAUTH, "authorizeUrl": "not a url"}, ["data.authorizeUrl"]),
    ("oauth2-client", {**OAUTH, "scopes": "read"}, ["data.scopes"]),
    ("oauth2-client", {**OAUTH, "additionalParams": {"audience": 1}}, ["data.additionalParams.audience"]),
    ("oauth2-token", OAUTH, ["data.scopes"]),
    ("oauth2-token", {**OAUTH, "scopes": ["a"], "accessToken": None}, ["data.accessToken"]),
])
def test_create_checks_data_against_the_type(client, kind, data, fields):
    response = create(client, type=kind, data=data)
    assert response.status_code == 400 and response.json["code"] == "bad_request"
    assert sorted(fields_of(response)) == fields
    assert list_all(client) and client.get(collection_url(), headers=AUTH).json["totalCount"] == 10


def test_create_lists_every_missing_field(client):
    response = client.post(collection_url(), json={"extra": True}, headers=AUTH)
    assert response.status_code == 400
    assert sorted(fields_of(response)) == ["data", "extra", "name", "type"]
    assert {"field": "extra", "message": "unknown field"} in response.json["fields"]


def test_create_rejects_an_unknown_type_and_an_empty_name(client):
    response = create(client, type="api-key", data={"value": "x"}, name="")
    assert response.status_code == 400 and sorted(fields_of(response)) == ["name", "type"]


def test_create_rejects_bad_base64_and_the_redaction_placeholder(client):
    bad = create(client, type="binary", data={"valueBase64": "not base64!"})
    assert bad.status_code == 400 and fields_of(bad) == ["data.valueBase64"]
    placeholder = create(client, type="basic-auth", data={"username": "u", "password": "<redacted>"})
    assert placeholder.status_code == 400 and fields_of(placeholder) == ["data.password"]
    assert violations(placeholder)[0]["pointer"] == "/data/password"
    assert client.get(collection_url(), headers=AUTH).json["totalCount"] == 10


def test_create_in_unknown_organisation_is_404_and_stores_nothing(client):
    response = create(client, org=MISSING_ORG)
    assert (response.status_code, response.json["code"]) == (404, "not_found")
    assert MISSING_ORG in response.json["message"]
    runtime = client.application.extensions["mockserver"]
    assert runtime.store.counts()["versori"]["credentials"] == 11


@pytest.mark.parametrize("raw,content_type,status,code", [
    (b"{broken", "application/json", 400, "bad_request"),
    (b"\xff\xfe{}", "application/json", 400, "bad_request"),
    (b"[]", "application/json", 400, "bad_request"),
    (b'"just a string"', "application/json", 400, "bad_request"),
    (b"", "application/json", 400, "bad_request"),
    (b'{"name": "x", "type": "none", "data": {}}', "text/plain", 415, "unsupported_media_type"),
    (b'{"name": "x", "type": "none", "data": {}}', None, 415, "unsupported_media_type"),
])
def test_create_never_crashes_on_bad_input(client, raw, content_type, status, code):
    headers = dict(AUTH)
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post(collection_url(), data=raw, headers=headers)
    assert (response.status_code, response.json["code"]) == (status, code)
    assert client.get(collection_url(), headers=AUTH).json["totalCount"] == 10


def test_malformed_json_and_invalid_utf8_name_the_cause(client):
    broken = client.post(collection_url(), data=b"{broken", content_type="application/json", headers=AUTH)
    assert broken.json["message"] == "The request body is not valid JSON"
    assert broken.json["cause"].startswith("Malformed JSON")
    binary = client.post(collection_url(), data=b"\xff", content_type="application/json", headers=AUTH)
    assert binary.json["message"] == "The request body is not valid UTF-8" and "UTF-8" in binary.json["cause"]


def test_create_accepts_json_with_a_charset(client):
    response = client.post(collection_url(), data=b'{"name": "n", "type": "none", "data": {}}',
                           headers={**AUTH, "Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 201 and response.json["data"] == {}


# --- get ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("credential_id,secrets", [
    (NONE_ID, []), (STRING_ID, ["value"]), (BINARY_ID, ["valueBase64"]), (BASIC_ID, ["password"]),
    (CLIENT_ID, ["clientSecret"]), (TOKEN_ID, ["clientSecret", "accessToken", "refreshToken"]),
])
def test_get_redacts_every_secret_of_every_type(client, credential_id, secrets):
    response = client.get(item_url(credential_id), headers=AUTH)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert not [s for s in FIXTURE_SECRETS if s in text]
    kept = stored(client, credential_id)
    if kept["type"] == "oauth2-token":  # the vendor's document: only the scopes are visible
        assert response.json["data"] == {"scopes": kept["data"]["scopes"]}
        return
    for key in secrets:
        assert response.json["data"][key] == "<redacted>"
    assert set(response.json["data"]) == set(kept["data"])  # keys are kept


def test_get_shows_usages_and_errors_as_stored(client):
    salesforce = client.get(item_url(CLIENT_ID), headers=AUTH).json
    assert [u["environment"]["slug"] for u in salesforce["usages"]] == ["production", "staging"]
    assert "errors" not in salesforce  # never validated
    hubspot = client.get(item_url(STRING_ID), headers=AUTH).json
    assert hubspot["errors"] == [] and hubspot["usages"] == []  # validated and valid; unused
    shopify = client.get(item_url(BASIC_ID), headers=AUTH).json
    assert shopify["errors"][0].endswith("401 Unauthorized")
    assert list(salesforce) == ["id", "type", "name", "usages", "data", "createdAt", "updatedAt"]


def test_generated_credentials_are_valid_and_redacted(client):
    fixed = {NONE_ID, STRING_ID, BINARY_ID, BASIC_ID, CLIENT_ID, TOKEN_ID}
    generated = [r for r in list_all(client) if r["id"] not in fixed]
    assert len(generated) == 4
    for row in generated:
        body = client.get(item_url(row["id"]), headers=AUTH).json  # strict mode checks the shape
        entity = stored(client, row["id"])
        for key in SECRETS_OF[entity["type"]]:
            assert body["data"].get(key, "<redacted>") == "<redacted>" and entity["data"][key] != "<redacted>"
        if entity["type"] == "oauth2-token":
            assert set(body["data"]) == {"scopes"}


@pytest.mark.parametrize("url", [
    item_url(MISSING_ORG),  # no such credential
    item_url(GLOBEX_ID),  # exists, but in another organisation
    item_url(STRING_ID, OTHER_ORG),
    item_url(STRING_ID, MISSING_ORG),  # no such organisation
    item_url("not-a-ulid"),
    item_url(STRING_ID.lower()),
])
def test_get_unknown_foreign_or_malformed_is_404(client, url):
    response = client.get(url, headers=AUTH)
    assert response.status_code == 404 and response.json["code"] == "not_found"
    assert set(response.json) == {"code", "message"}


# --- update -------------------------------------------------------------------------------------
def read_for_put(client, credential_id: str, org: str = ORG) -> dict:
    """What a client would PUT back after a GET: the full Credential, secrets redacted (an
    oauth2-token shows only its scopes: its client knows the rest, secrets it sends as
    the placeholder)."""
    body = client.get(item_url(credential_id, org), headers=AUTH).json
    kept = stored(client, credential_id)
    if kept["type"] == "oauth2-token":
        body["data"] = {k: ("<redacted>" if k in SECRETS_OF["oauth2-token"] else v) for k, v in kept["data"].items()}
    return body


def test_put_round_trip_of_a_get_keeps_the_secret_and_moves_updated_at(client):
    body = read_for_put(client, CLIENT_ID)
    before = stored(client, CLIENT_ID)
    body["name"] = "Salesforce connected app (renamed)"
    response = client.put(item_url(CLIENT_ID), json=body, headers=AUTH)
    assert response.status_code == 200
    answer = response.json
    assert answer["name"] == "Salesforce connected app (renamed)"
    assert answer["data"]["clientSecret"] == "<redacted>" and "usages" not in answer
    assert answer["createdAt"] == before["createdAt"] and answer["updatedAt"] > before["updatedAt"]
    after = stored(client, CLIENT_ID)
    assert after["data"] == before["data"]  # the placeholder kept the stored secret
    assert after["usages"] == before["usages"]  # usages stay, only the answer leaves them out
    assert list_all(client)[0]["id"] == CLIENT_ID


def test_put_replaces_secrets_sent_in_clear(client):
    body = read_for_put(client, TOKEN_ID)
    body["data"]["accessToken"] = "new-access-token"
    response = client.put(item_url(TOKEN_ID), json=body, headers=AUTH)
    assert response.status_code == 200 and "accessToken" not in response.json["data"]  # only scopes shown
    data = stored(client, TOKEN_ID)["data"]
    assert data["accessToken"] == "new-access-token"
    assert data["refreshToken"].startswith("1//0gL5")  # sent as the placeholder: kept


def test_put_ignores_the_clients_created_at_and_updated_at(client):
    body = read_for_put(client, STRING_ID)
    body.update(createdAt="2001-01-01T00:00:00.000Z", updatedAt="2099-01-01T00:00:00.000Z")
    answer = client.put(item_url(STRING_ID), json=body, headers=AUTH).json
    assert answer["createdAt"] == "2025-02-03T08:45:09.113Z"
    assert "2025-09-02" < answer["updatedAt"] < "2099" and MILLIS.match(answer["updatedAt"])


def test_put_updated_at_is_strictly_later_even_within_one_millisecond(client, monkeypatch):
    fixed_clock(monkeypatch, datetime(2026, 2, 1, 8, 0, 0, 500999, tzinfo=timezone.utc))
    stamps = []
    for _ in range(3):
        body = read_for_put(client, STRING_ID)
        stamps.append(client.put(item_url(STRING_ID), json=body, headers=AUTH).json["updatedAt"])
    assert stamps == ["2026-02-01T08:00:00.500Z", "2026-02-01T08:00:00.501Z", "2026-02-01T08:00:00.502Z"]


def test_put_updated_at_moves_forward_when_the_clock_is_behind(client, monkeypatch):
    fixed_clock(monkeypatch, datetime(2020, 1, 1, tzinfo=timezone.utc))
    answer = client.put(item_url(TOKEN_ID), json=read_for_put(client, TOKEN_ID), headers=AUTH).json
    assert answer["updatedAt"] == "2025-12-01T09:30:45.778Z"


def test_put_may_change_the_type_when_data_fits(client):
    body = read_for_put(client, STRING_ID)
    body.update(type="basic-auth", data={"username": "marketing", "password": "s3cret"})
    response = client.put(item_url(STRING_ID), json=body, headers=AUTH)
    assert response.status_code == 200
    assert response.json["type"] == "basic-auth" and response.json["data"]["password"] == "<redacted>"
    row = next(r for r in list_all(client) if r["id"] == STRING_ID)
    assert (row["type"], row["authSchemeType"]) == ("basic-auth", "basic-auth")
    assert stored(client, STRING_ID)["data"] == {"username": "marketing", "password": "s3cret"}


def test_put_new_type_may_keep_a_secret_of_the_same_name(client):
    body = read_for_put(client, CLIENT_ID)
    body.update(type="oauth2-token")
    body["data"]["accessToken"] = "fresh-token"
    response = client.put(item_url(CLIENT_ID), json=body, headers=AUTH)
    assert response.status_code == 200 and response.json["type"] == "oauth2-token"
    assert stored(client, CLIENT_ID)["data"]["clientSecret"] == "9F2C7D1E5A8B3C6D0E4F7A2B5C8D1E3F"


def test_put_drops_stored_errors_since_the_data_is_unvalidated(client):
    body = read_for_put(client, BASIC_ID)
    assert body["errors"]
    body["data"]["password"] = "fixed-password"
    response = client.put(item_url(BASIC_ID), json=body, headers=AUTH)
    assert response.status_code == 200 and "errors" not in response.json
    assert "errors" not in client.get(item_url(BASIC_ID), headers=AUTH).json
    row = next(r for r in list_all(client) if r["id"] == BASIC_ID)
    assert "errors" not in row


@pytest.mark.parametrize("change,fields", [
    ({"id": NONE_ID}, ["id"]),
    ({"type": "basic-auth"}, ["data.password", "data.username", "data.value"]),  # data no longer fits
    ({"type": "basic-auth", "data": {"username": "u", "password": "<redacted>"}}, ["data.password"]),
    ({"type": "binary", "data": {"valueBase64": "***"}}, ["data.valueBase64"]),
    ({"createdAt": "yesterday"}, ["createdAt"]),
    ({"name": ""}, ["name"]),
    ({"usages": "none"}, ["usages"]),
])
def test_rejected_put_is_400_and_changes_nothing(client, change, fields):
    before = snapshot(client)
    body = {**read_for_put(client, STRING_ID), **change}
    response = client.put(item_url(STRING_ID), json=body, headers=AUTH)
    assert response.status_code == 400 and response.json["code"] == "bad_request"
    assert sorted(fields_of(response)) == fields
    assert snapshot(client) == before


def test_put_without_required_members_lists_them_all(client):
    response = client.put(item_url(STRING_ID), json={"name": "only a name"}, headers=AUTH)
    assert response.status_code == 400
    assert sorted(fields_of(response)) == ["createdAt", "data", "id", "type", "updatedAt"]


@pytest.mark.parametrize("url", [
    item_url(MISSING_ORG),
    item_url(GLOBEX_ID),
    item_url(STRING_ID, MISSING_ORG),
    item_url("nope"),
])
def test_put_unknown_or_foreign_credential_is_404(client, url):
    credential_id = url.rsplit("/", 1)[1]
    body = {**read_for_put(client, STRING_ID), "id": credential_id}
    before = snapshot(client)
    response = client.put(url, json=body, headers=AUTH)
    assert response.status_code == 404 and response.json["code"] == "not_found"
    assert snapshot(client) == before


def test_put_bad_bodies_get_4xx_in_the_api_format(client):
    url = item_url(STRING_ID)
    assert client.put(url, data=b"{", content_type="application/json", headers=AUTH).status_code == 400
    assert client.put(url, data=b"[1]", content_type="application/json", headers=AUTH).status_code == 400
    response = client.put(url, data=b"id=1", content_type="application/x-www-form-urlencoded", headers=AUTH)
    assert (response.status_code, response.json["code"]) == (415, "unsupported_media_type")


# --- delete -------------------------------------------------------------------------------------
def test_delete_then_gone(client):
    created = create(client).json["id"]
    response = client.delete(item_url(created), headers=AUTH)
    assert response.status_code == 204 and response.data == b""
    assert client.get(item_url(created), headers=AUTH).status_code == 404
    again = client.delete(item_url(created), headers=AUTH)
    assert (again.status_code, again.json["code"]) == (404, "not_found")
    assert client.get(collection_url(), headers=AUTH).json["totalCount"] == 10


def test_delete_of_a_used_credential_is_allowed(client):
    assert client.delete(item_url(CLIENT_ID), headers=AUTH).status_code == 204
    assert CLIENT_ID not in [r["id"] for r in list_all(client)]


def test_delete_in_another_organisation_is_404_and_keeps_it(client):
    response = client.delete(item_url(GLOBEX_ID), headers=AUTH)
    assert response.status_code == 404
    assert client.get(item_url(GLOBEX_ID, OTHER_ORG), headers=AUTH).status_code == 200


# --- auth ---------------------------------------------------------------------------------------
ALL_OPERATIONS = [
    ("get", collection_url(), None),
    ("post", collection_url(), {"name": "n", "type": "none", "data": {}}),
    ("get", item_url(STRING_ID), None),
    ("put", item_url(STRING_ID), {"name": "n"}),
    ("delete", item_url(STRING_ID), None),
]


@pytest.mark.parametrize("method,url,body", ALL_OPERATIONS)
def test_every_operation_needs_a_cookie_or_a_bearer_token(client, method, url, body):
    response = getattr(client, method)(url, json=body)
    assert response.status_code == 401
    assert response.json["code"] == "unauthenticated" and set(response.json) == {"code", "message"}
    assert violations(response)[0]["location"] == "cookie"
    assert client.get(item_url(STRING_ID), headers=AUTH).status_code == 200  # nothing deleted


@pytest.mark.parametrize("headers", [
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer "},
    {"Cookie": "session="},
])
def test_other_or_empty_credentials_are_401(client, headers):
    assert client.get(collection_url(), headers=headers).status_code == 401


def test_any_cookie_is_a_session(client):
    client.set_cookie("versori_session", "opaque-session-value")
    assert client.get(collection_url()).status_code == 200
    assert create(client, headers={}).status_code == 201


def test_bearer_api_key_works_for_every_operation(client):
    created = create(client, headers={"Authorization": "Bearer another-key"}).json
    assert client.get(item_url(created["id"]), headers=AUTH).status_code == 200
    assert client.put(item_url(created["id"]), json=created | {"data": {"value": "<redacted>"}},
                      headers=AUTH).status_code == 200
    assert client.delete(item_url(created["id"]), headers=AUTH).status_code == 204


# --- routing ------------------------------------------------------------------------------------
def test_unknown_paths_are_404_in_the_api_format(client):
    response = client.get(f"{BASE}/o/{ORG}/connections", headers=AUTH)
    assert response.status_code == 404 and response.json["code"] == "not_found"
    assert client.get(f"{collection_url()}/{STRING_ID}/extra", headers=AUTH).status_code == 404


@pytest.mark.parametrize("method,url,allow", [
    ("patch", collection_url(), "GET, HEAD, POST"),
    ("delete", collection_url(), "GET, HEAD, POST"),
    ("post", item_url(STRING_ID), "DELETE, GET, HEAD, PUT"),
    ("patch", item_url(STRING_ID), "DELETE, GET, HEAD, PUT"),
])
def test_wrong_method_is_405_with_allow(client, method, url, allow):
    response = getattr(client, method)(url, headers=AUTH)
    assert response.status_code == 405 and response.headers["Allow"] == allow
    assert response.json["code"] == "method_not_allowed"


def test_oversized_body_is_413(make_app):
    small = make_app(only=["versori"], max_body=256).test_client()
    response = create(small, data={"value": "x" * 1000})
    assert (response.status_code, response.json["code"]) == (413, "payload_too_large")


# --- steering -----------------------------------------------------------------------------------
@pytest.mark.parametrize("url,method,prefer,status,check", [
    (item_url(STRING_ID), "get", "code=404", 404, lambda b: b["code"] == "not_found"),
    (item_url(STRING_ID), "get", "code=401", 401, lambda b: b["code"] == "unauthenticated"),
    (item_url(STRING_ID), "get", "example=binary", 200, lambda b: b["type"] == "binary"),
    (collection_url(), "get", "example=lastPage", 200, lambda b: b["prev"] and "next" not in b),
    (collection_url(), "get", "code=400, example=unknownCursor", 400, lambda b: b["fields"][0]["field"] == "after"),
    (item_url(STRING_ID), "put", "code=400, example=idMismatch", 400, lambda b: b["fields"][0]["field"] == "id"),
    (item_url(STRING_ID), "delete", "code=204", 204, lambda b: b is None),
    (item_url(STRING_ID), "get", "code=418", 404, lambda b: "418" in b["message"]),
])
def test_prefer_steers_documented_responses(client, url, method, prefer, status, check):
    response = getattr(client, method)(url, headers={**AUTH, "Prefer": prefer})
    assert response.status_code == status
    assert check(response.json if response.data else None)


def test_prefer_skips_auth_and_touches_nothing(client):
    before = snapshot(client)
    response = create(client, headers={"Prefer": "code=201"})
    assert response.status_code == 201 and response.json["data"]["value"] == "<redacted>"
    assert client.delete(item_url(STRING_ID), headers={"Prefer": "code=204"}).status_code == 204
    assert snapshot(client) == before


@pytest.mark.parametrize("url", [collection_url(), item_url(STRING_ID)])
def test_prefer_dynamic_generates_bodies_within_the_contract(client, url):
    response = client.get(url, headers={**AUTH, "Prefer": "code=200, dynamic=true, seed=7"})
    assert response.status_code == 200  # strict mode would raise ContractDrift otherwise


# --- contract -----------------------------------------------------------------------------------
def test_a_secret_in_clear_breaks_the_contract(client, monkeypatch):
    monkeypatch.setattr(versori, "redact", lambda data: dict(data))
    with pytest.raises(ContractDrift, match="<redacted>"):
        client.get(item_url(STRING_ID), headers=AUTH)
    assert client.get(item_url(NONE_ID), headers=AUTH).status_code == 200  # nothing to leak there


def test_response_schema_forbids_anything_but_the_placeholder(api_cache):
    spec = api_cache(["versori"])["versori"].spec
    response = spec.operation("GetCredential").response_for(200)
    good = {"id": STRING_ID, "type": "string", "name": "n", "data": {"value": "<redacted>"},
            "createdAt": "2025-01-01T00:00:00.000Z", "updatedAt": "2025-01-01T00:00:00.000Z"}
    assert list(response.validator.iter_errors(good)) == []
    for data in ({"value": "in clear"}, {}, {"value": "<redacted>", "extra": 1}):
        assert list(response.validator.iter_errors({**good, "data": data}))
    assert list(response.validator.iter_errors({**good, "type": "basic-auth",
                                                "data": {"username": "u", "password": "p"}}))


# --- fixtures -----------------------------------------------------------------------------------
@pytest.mark.parametrize("credential,message", [
    ({"type": "binary", "data": {"valueBase64": "%%%"}}, "data.valueBase64"),
    ({"type": "string", "data": {"value": "<redacted>"}}, "data.value"),
    ({"type": "string", "data": {"value": "v"}, "createdAt": "2025-02-01T00:00:00Z",
      "updatedAt": "2025-01-01T00:00:00Z"}, "updatedAt"),
    ({"type": "string", "data": {}}, "data.value"),
    ({"type": "string", "data": {"value": "v"}, "organisationId": MISSING_ORG}, "organisationId"),
])
def test_fixture_problems_are_refused_with_the_field(make_app, tmp_path, credential, message):
    entity = {"organisationId": ORG, "name": "n", **credential}
    document = {"apis": {"versori": {"organisations": [{"id": ORG, "name": "Acme"}],
                                     "credentials": [entity]}}}
    path = tmp_path / "bad.yaml"
    import yaml
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(FixtureError, match=re.escape(message)):
        make_app(only=["versori"], fixtures=[path])


def test_fixture_fills_timestamps_and_usages(make_app, tmp_path):
    path = tmp_path / "minimal.yaml"
    path.write_text(f"apis:\n  versori:\n    organisations: [{{id: {ORG}, name: Acme}}]\n"
                    f"    credentials:\n"
                    f"      - {{organisationId: {ORG}, name: n, type: none, data: {{}}, "
                    f"createdAt: '2025-05-05T10:00:00+02:00'}}\n"
                    f"      - generate: {{count: 2}}\n")
    small = make_app(only=["versori"], fixtures=[path]).test_client()
    rows = list_all(small)
    assert len(rows) == 3
    written = next(r for r in rows if r["type"] == "none" and r["name"] == "n")
    body = small.get(item_url(written["id"]), headers=AUTH).json
    assert body["createdAt"] == body["updatedAt"] == "2025-05-05T08:00:00.000Z"
    assert body["usages"] == []


def test_ids_are_ulids_that_sort_by_creation(client, monkeypatch):
    moment = datetime(2026, 4, 1, tzinfo=timezone.utc)
    ids = []
    for offset in range(3):
        fixed_clock(monkeypatch, moment + timedelta(seconds=offset))
        ids.append(create(client).json["id"])
    assert ids == sorted(ids) and all(ULID.match(i) for i in ids)


@pytest.mark.parametrize("data_type,data", [
    ("string", {"value": {"s": "SUPERSECRET20"}}),
    ("binary", {"valueBase64": ["SUPERSECRET23"]}),
    ("basic-auth", {"username": "u", "password": 12345678901}),
    ("oauth2-client", {"clientId": "c", "clientSecret": ["SUPERSECRET21"], "authorizeUrl": "https://a.example/x",
                       "tokenUrl": "https://a.example/t"}),
])
def test_secrets_of_the_wrong_type_are_not_echoed(client, data_type, data):
    response = client.post(f"/versori/o/{ORG}/credentials", headers=AUTH,
                           json={"name": "leak check", "type": data_type, "data": data})
    assert response.status_code == 400
    everything = response.get_data(as_text=True) + str(dict(response.headers))
    for marker in ("SUPERSECRET", "12345678901"):
        assert marker not in everything


@pytest.mark.parametrize("data", ["STRDATA-LEAK17", ["DATALIST-LEAK38"]])
def test_data_of_the_wrong_shape_is_never_quoted(client, data):
    response = client.post(f"/versori/o/{ORG}/credentials", headers=AUTH,
                           json={"name": "n", "type": "string", "data": data})
    assert response.status_code == 400
    seen = response.get_data(as_text=True) + str(dict(response.headers))
    assert "LEAK" not in seen
