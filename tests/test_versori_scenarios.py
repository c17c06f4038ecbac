"""Versori under the shipped scenarios: strict auth with roles and scope, and what the empty,
edge-cases and large data sets serve.

Every app is the strict-mode one (see conftest): each response is checked against the spec.
"""

from __future__ import annotations

import pytest
import yaml
from conftest import violations

from mockserver.data import fixture_dir

FIXTURE_DIR = fixture_dir()  # the shipped scenarios, as the installed package has them

BASE = "/versori"

# edge-cases.yaml
ACME = "01J6PD01M08VCD1GDJFMGT83PX"  # 45 credentials; the scoped token's only organisation
GLOBEX = "01J6RZCRM0T891WB09B9Y73MY6"  # 2 credentials; hidden from the scoped token
INITECH = "01J6VHSFM03FCH26W14WMCHWYF"  # no credentials; hidden from the scoped token
MISSING = "01JZ2KDWJGM2FT2W5K70WJCC2S"  # no such organisation
ADMIN = {"Authorization": "Bearer versori-admin-token"}
SCOPED = {"Authorization": "Bearer versori-acme-token"}
SESSION = "versori-session-cookie"

GLOBEX_STRING = "01JZ0113M096Q14DR9GPQY77ZX"
GLOBEX_BASIC = "01JZAAKZM0YYK596NGYA1DQ91K"
EDGE_NONE = "01J93MXKM0M9S346Q3D25VT4F5"  # errors: []
EDGE_STRING_REVOKED = "01J967AAM0V37E3S3E28JT97KB"  # one error, one usage
EDGE_BINARY = "01J98SQ1M06CQ643DZVMXXQKFB"  # errors: [], two usages
EDGE_BASIC = "01JBXRTRM0F5KZNWJ47TAN9ZT2"  # two errors
EDGE_CLIENT = "01JGK3WEM04MNPZX45HY43KWJR"  # errors: [], one usage
EDGE_TOKEN = "01JKQHCFM0P1XPA7Z3DJ8FSSZ5"  # one error
EDGE_HMAC = "01JPCGG6M0AWSH8VHTPRE95B9E"  # authSchemeType override, unicode name
TIE_OLDER, TIE_NEWER = "01JS96T2M0E0ZBGJ09TQM83XSS", "01JW3AQ7M0SS6YS3C4DWA7N360"
EDGE_SECRETS = ["rk_live_51Hx9EdgeCaseRevokedKey000000", "MIIBszCCAVmgAwIBAgIU", "Pa55:with spaces",
                "hs-edge-client-secret-0001", "xero-edge-client-secret", "xero-edge-access-token",
                "xero-edge-refresh-token", "whsec_", "tie-secret-", "globex-hidden-secret",
                "globex-ftp-password"]

# empty.yaml / large.yaml
EMPTY_ORGS = ["01J9ZK3B7Q8X2M4N6P0R5S1T3V", "01JA54SW744TFF59TDWH9EDD1R"]
LARGE_ORGS = {"01K24EH4M05GQAPENECFSECZP1": 1000, "01K270XVM01HYGCPWPQ5E6EYCN": 600,
              "01K4282CM0DY0YP57RCYBVN5SX": 300, "01K44TF3M0S5AA819X9YP98106": 100}


def collection_url(org: str) -> str:
    return f"{BASE}/o/{org}/credentials"


def item_url(org: str, credential_id: str) -> str:
    return f"{collection_url(org)}/{credential_id}"


def update_body(credential_id: str) -> dict:
    return {"id": credential_id, "type": "string", "name": "renamed", "data": {"value": "new-secret"},
            "createdAt": "2025-01-01T00:00:00.000Z", "updatedAt": "2025-01-01T00:00:00.000Z"}


def operations(org: str, credential_id: str) -> list[tuple[str, str, dict | None]]:
    """One request of each operation, with a valid body, against `org`."""
    return [
        ("get", collection_url(org), None),
        ("post", collection_url(org), {"name": "n", "type": "string", "data": {"value": "v"}}),
        ("get", item_url(org, credential_id), None),
        ("put", item_url(org, credential_id), update_body(credential_id)),
        ("delete", item_url(org, credential_id), None),
    ]


OPERATION_NAMES = ["list", "create", "get", "update", "delete"]


@pytest.fixture
def edge(make_app):
    return make_app(only=["versori"], fixtures=[FIXTURE_DIR / "edge-cases.yaml"]).test_client()


def stored(client, credential_id: str) -> dict | None:
    return client.application.extensions["mockserver"].store.api("versori")["credentials"].get(credential_id)


def walk(client, org: str, headers, **query) -> list[dict]:
    """Every page of an organisation's list, following `next` from the first page."""
    pages, params = [], dict(query)
    while True:
        response = client.get(collection_url(org), headers=headers, query_string=params)
        assert response.status_code == 200
        pages.append(response.json)
        if "next" not in response.json:
            return pages
        params = {**query, "after": response.json["next"]}


# --- strict auth ------------------------------------------------------------------------------
@pytest.mark.parametrize("index", range(5), ids=OPERATION_NAMES)
@pytest.mark.parametrize("headers,cookie,location", [
    ({"Authorization": "Bearer vk_test_api_key"}, None, "header"),
    ({"Authorization": "Bearer versori-admin-token-but-longer"}, None, "header"),
    ({}, ("versori_session", "opaque-session-value"), "cookie"),
    ({}, ("versori_session", "Bearer versori-admin-token"), "cookie"),
], ids=["bearer", "near-miss-bearer", "cookie", "cookie-with-prefix"])
def test_undeclared_bearer_or_cookie_is_401_on_every_operation(edge, index, headers, cookie, location):
    if cookie:
        edge.set_cookie(*cookie)
    method, url, body = operations(ACME, EDGE_STRING_REVOKED)[index]
    response = getattr(edge, method)(url, json=body, headers=headers)
    assert response.status_code == 401
    assert response.json == {"code": "unauthenticated",
                             "message": "Authentication failed: the session cookie or API key is not valid"}
    assert violations(response)[0]["location"] == location
    assert stored(edge, EDGE_STRING_REVOKED)["name"] == "Stripe restricted key (revoked)"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}])
def test_missing_credentials_are_still_401(edge, headers):
    response = edge.get(collection_url(ACME), headers=headers)
    assert response.status_code == 401 and response.json["code"] == "unauthenticated"


def test_declared_admin_bearer_works_everywhere(edge):
    for org, total in ((ACME, 45), (GLOBEX, 2), (INITECH, 0)):
        assert edge.get(collection_url(org), headers=ADMIN).json["totalCount"] == total
    for index, (method, url, body) in enumerate(operations(GLOBEX, GLOBEX_STRING)):
        response = getattr(edge, method)(url, json=body, headers=ADMIN)
        assert response.status_code == (200, 201, 200, 200, 204)[index], (method, url, response.json)


@pytest.mark.parametrize("name,value", [
    ("versori_session", SESSION),  # the declared session, under any cookie name
    ("sid", SESSION),
    ("versori_session", "versori-admin-token"),  # a declared token is also good as a cookie
])
def test_declared_cookie_values_are_sessions(edge, name, value):
    edge.set_cookie(name, value)
    assert edge.get(collection_url(GLOBEX)).json["totalCount"] == 2
    created = edge.post(collection_url(GLOBEX), json={"name": "by cookie", "type": "none", "data": {}})
    assert created.status_code == 201


def test_a_declared_value_among_other_cookies_is_accepted(edge):
    edge.set_cookie("_ga", "GA1.2.345")
    edge.set_cookie("versori_session", SESSION)
    assert edge.get(collection_url(ACME)).status_code == 200


def test_the_scoped_token_as_a_cookie_keeps_its_scope(edge):
    edge.set_cookie("versori_session", "versori-acme-token")
    assert edge.get(collection_url(ACME)).json["totalCount"] == 45
    assert edge.get(collection_url(GLOBEX)).status_code == 404


# --- scope ------------------------------------------------------------------------------------
@pytest.mark.parametrize("index", range(5), ids=OPERATION_NAMES)
@pytest.mark.parametrize("org,credential_id", [
    (GLOBEX, GLOBEX_STRING), (GLOBEX, GLOBEX_BASIC), (INITECH, GLOBEX_STRING),
    (GLOBEX, EDGE_STRING_REVOKED),  # an id the token may see, under an organisation it may not
])
def test_scoped_token_gets_404_outside_its_scope_on_every_operation(edge, index, org, credential_id):
    method, url, body = operations(org, credential_id)[index]
    before = edge.get(collection_url(org), headers=ADMIN).json
    response = getattr(edge, method)(url, json=body, headers=SCOPED)
    assert response.status_code == 404
    assert response.json == {"code": "not_found", "message": f"Organisation {org} not found"}
    assert edge.get(collection_url(org), headers=ADMIN).json == before  # nothing changed
    assert stored(edge, credential_id)["name"] != "renamed"


@pytest.mark.parametrize("method,path,body", [
    ("get", "/credentials", None),
    ("get", "/credentials?first=5&after=" + GLOBEX_STRING, None),
    ("get", "/credentials?after=" + MISSING, None),
    ("post", "/credentials", {"name": "n", "type": "string", "data": {"value": "v"}}),
    ("post", "/credentials", {"name": "n", "type": "string", "data": {}}),  # a 400 before the organisation
    ("post", "/credentials", {"name": "n", "type": "binary", "data": {"valueBase64": "%%"}}),
    ("get", "/credentials/" + GLOBEX_STRING, None),
    ("put", "/credentials/" + GLOBEX_STRING, update_body(GLOBEX_STRING)),
    ("put", "/credentials/" + GLOBEX_STRING, update_body(GLOBEX_BASIC)),  # id mismatch: 400 first
    ("delete", "/credentials/" + GLOBEX_BASIC, None),
    ("patch", "/credentials/" + GLOBEX_BASIC, None),
])
def test_out_of_scope_answers_exactly_as_unknown(edge, method, path, body):
    """Nothing the scoped token can send tells a hidden organisation from a missing one."""
    hidden = getattr(edge, method)(f"{BASE}/o/{GLOBEX}{path}", json=body, headers=SCOPED)
    missing = getattr(edge, method)(f"{BASE}/o/{MISSING}{path}", json=body, headers=SCOPED)
    assert hidden.status_code == missing.status_code
    assert hidden.get_data(as_text=True).replace(GLOBEX, MISSING) == missing.get_data(as_text=True)
    assert hidden.status_code in (400, 404, 405)


def test_scoped_token_works_inside_its_scope(edge):
    assert edge.get(collection_url(ACME), headers=SCOPED).json["totalCount"] == 45
    created = edge.post(collection_url(ACME), headers=SCOPED,
                        json={"name": "scoped", "type": "basic-auth", "data": {"username": "u", "password": "p"}})
    assert created.status_code == 201
    new_id = created.json["id"]
    assert edge.get(item_url(ACME, new_id), headers=SCOPED).json["data"]["password"] == "<redacted>"
    body = {**created.json, "name": "scoped, renamed"}
    assert edge.put(item_url(ACME, new_id), json=body, headers=SCOPED).json["name"] == "scoped, renamed"
    assert edge.delete(item_url(ACME, new_id), headers=SCOPED).status_code == 204
    assert edge.get(item_url(ACME, EDGE_BASIC), headers=SCOPED).status_code == 200


def test_scoped_token_cannot_reach_a_hidden_credential_through_its_own_organisation(edge):
    for method in ("get", "delete"):
        response = getattr(edge, method)(item_url(ACME, GLOBEX_STRING), headers=SCOPED)
        assert response.status_code == 404
        assert response.json == {"code": "not_found", "message": f"Credential {GLOBEX_STRING} not found"}
    assert stored(edge, GLOBEX_STRING) is not None


def write_scenario(tmp_path, tokens: list[dict]):
    document = {"apis": {"versori": {
        "auth": {"tokens": tokens},
        "organisations": [{"id": ACME, "name": "Acme"}, {"id": GLOBEX, "name": "Globex"}]}}}
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_a_user_without_scope_sees_no_organisation_and_scope_ignores_case(make_app, tmp_path):
    path = write_scenario(tmp_path, [{"token": "unscoped", "role": "user"},
                                     {"token": "lower", "role": "user", "scope": [GLOBEX.lower()]},
                                     {"token": "both", "role": "user", "scope": [ACME, GLOBEX]}])
    client = make_app(only=["versori"], fixtures=[path]).test_client()
    status = lambda token, org: client.get(collection_url(org),  # noqa: E731
                                           headers={"Authorization": f"Bearer {token}"}).status_code
    assert [status("unscoped", ACME), status("unscoped", GLOBEX)] == [404, 404]
    assert [status("lower", ACME), status("lower", GLOBEX)] == [404, 200]
    assert [status("both", ACME), status("both", GLOBEX)] == [200, 200]
    assert status("nobody", ACME) == 401


def test_without_an_auth_block_any_credential_is_an_admin(make_app):
    client = make_app(only=["versori"], fixtures=[FIXTURE_DIR / "empty.yaml"]).test_client()
    for org in EMPTY_ORGS:
        assert client.get(collection_url(org), headers={"Authorization": "Bearer anything"}).status_code == 200
    client.set_cookie("whatever", "x")
    assert client.get(collection_url(EMPTY_ORGS[1])).status_code == 200


# --- empty ------------------------------------------------------------------------------------
def test_empty_scenario_has_organisations_and_no_credentials(make_app):
    client = make_app(only=["versori"], fixtures=[FIXTURE_DIR / "empty.yaml"]).test_client()
    headers = {"Authorization": "Bearer any-key"}
    for org in EMPTY_ORGS:
        response = client.get(collection_url(org), headers=headers)
        assert response.json == {"totalCount": 0, "credentials": []}
    assert client.get(collection_url(MISSING), headers=headers).status_code == 404
    created = client.post(collection_url(EMPTY_ORGS[0]), headers=headers,
                          json={"name": "first", "type": "none", "data": {}})
    assert created.status_code == 201
    assert client.get(collection_url(EMPTY_ORGS[0]), headers=headers).json["totalCount"] == 1


# --- edge-cases -------------------------------------------------------------------------------
def test_edge_cases_walk_every_page_forward_and_back(edge):
    pages = walk(edge, ACME, ADMIN)
    assert [len(p["credentials"]) for p in pages] == [20, 20, 5]
    assert all(p["totalCount"] == 45 for p in pages)
    assert "prev" not in pages[0] and all("prev" in p for p in pages[1:])
    assert all("next" in p for p in pages[:-1]) and "next" not in pages[-1]
    rows = [row for page in pages for row in page["credentials"]]
    ids = [row["id"] for row in rows]
    assert len(set(ids)) == 45
    keys = [(stored(edge, i)["updatedAt"], i) for i in ids]
    assert keys == sorted(keys, reverse=True)
    assert ids[:2] == [TIE_NEWER, TIE_OLDER]  # tied on updatedAt: the larger id first

    # Back from the last page with prev: the same pages, in reverse.
    back, cursor = [], pages[-1]["prev"]
    while cursor:
        page = edge.get(collection_url(ACME), headers=ADMIN, query_string={"before": cursor}).json
        back.append(page)
        cursor = page.get("prev")
    assert [p["credentials"] for p in back] == [p["credentials"] for p in reversed(pages[:-1])]


def test_edge_cases_walk_with_a_small_page_size_and_the_scoped_token(edge):
    pages = walk(edge, ACME, SCOPED, first=7)
    assert [len(p["credentials"]) for p in pages] == [7] * 6 + [3]
    assert [r["id"] for p in pages for r in p["credentials"]] == \
           [r["id"] for p in walk(edge, ACME, ADMIN) for r in p["credentials"]]


def test_edge_cases_summaries_show_errors_of_invalid_credentials_only(edge):
    rows = {r["id"]: r for p in walk(edge, ACME, ADMIN) for r in p["credentials"]}
    assert rows[EDGE_BASIC]["errors"] == ["GET https://erp.acme-edge.example.com/api/ping answered 401 Unauthorized",
                                          "the password expired on 2025-11-30"]
    assert rows[EDGE_STRING_REVOKED]["errors"][0].endswith("Expired API Key provided")
    assert rows[EDGE_TOKEN]["errors"][0].endswith("(refresh token expired)")
    invalid = {i for i, r in rows.items() if "errors" in r}
    assert {EDGE_BASIC, EDGE_STRING_REVOKED, EDGE_TOKEN} <= invalid
    for valid in (EDGE_NONE, EDGE_BINARY, EDGE_CLIENT):  # errors: [] is valid: no errors in the list
        assert "errors" not in rows[valid]
        assert edge.get(item_url(ACME, valid), headers=ADMIN).json["errors"] == []
    assert "errors" not in edge.get(item_url(ACME, EDGE_HMAC), headers=ADMIN).json  # never validated
    globex = edge.get(collection_url(GLOBEX), headers=ADMIN).json["credentials"]
    assert {r["id"]: "errors" in r for r in globex} == {GLOBEX_STRING: False, GLOBEX_BASIC: True}


def test_edge_cases_usages_types_and_auth_schemes(edge):
    rows = {r["id"]: r for p in walk(edge, ACME, ADMIN) for r in p["credentials"]}
    assert {r["type"] for r in rows.values()} == {"none", "string", "binary", "basic-auth",
                                                  "oauth2-client", "oauth2-token"}
    assert [u["environment"]["slug"] for u in rows[EDGE_BINARY]["usages"]] == ["production", "sandbox"]
    assert rows[EDGE_CLIENT]["usages"][0]["environment"]["connection"]["name"] == "HubSpot"
    assert rows[EDGE_NONE]["usages"] == []
    assert rows[EDGE_HMAC]["authSchemeType"] == "hmac"
    assert rows[EDGE_HMAC]["name"] == "Zahlungs-API 🔑 (Zürich) — HMAC signing secret"
    assert rows[EDGE_CLIENT]["authSchemeType"] == "oauth2" and rows[EDGE_BINARY]["authSchemeType"] == "api-key"
    one = edge.get(item_url(ACME, EDGE_STRING_REVOKED), headers=ADMIN).json
    assert one["usages"][0]["environment"]["name"] == "Production"
    assert one["data"] == {"value": "<redacted>"}
    token = edge.get(item_url(ACME, EDGE_TOKEN), headers=ADMIN).json["data"]
    assert token == {"scopes": []}  # an oauth2-token shows only its scopes (the vendor's document)


def test_edge_cases_never_show_a_secret(edge):
    texts = []
    for org in (ACME, GLOBEX):
        for page in walk(edge, org, ADMIN):
            for row in page["credentials"]:
                texts.append(edge.get(item_url(org, row["id"]), headers=ADMIN).get_data(as_text=True))
    everything = "\n".join(texts)
    assert len(texts) == 47
    for secret in EDGE_SECRETS:
        assert secret not in everything


def test_edge_cases_round_trip_of_a_redacted_get_keeps_the_secret(edge):
    body = edge.get(item_url(ACME, EDGE_TOKEN), headers=SCOPED).json
    # Only the scopes are visible: the client sends the rest it knows, secrets as the placeholder.
    body["data"] = {k: ("<redacted>" if k in ("clientSecret", "accessToken", "refreshToken") else v)
                    for k, v in stored(edge, EDGE_TOKEN)["data"].items()}
    updated = edge.put(item_url(ACME, EDGE_TOKEN), json=body, headers=SCOPED)
    assert updated.status_code == 200 and "errors" not in updated.json  # re-saved: not validated yet
    assert stored(edge, EDGE_TOKEN)["data"]["refreshToken"] == "xero-edge-refresh-token"


# --- large ------------------------------------------------------------------------------------
def test_large_scenario_serves_2000_credentials(make_app):
    client = make_app(only=["versori"], fixtures=[FIXTURE_DIR / "large.yaml"]).test_client()
    headers = {"Authorization": "Bearer any-key"}
    store = client.application.extensions["mockserver"].store.api("versori")
    assert len(store["credentials"]) == 2000
    for org, count in LARGE_ORGS.items():
        first = client.get(collection_url(org), headers=headers).json
        assert first["totalCount"] == count and len(first["credentials"]) == 20 and "next" in first
    smallest = next(org for org, count in LARGE_ORGS.items() if count == 100)
    pages = walk(client, smallest, headers, first=30)
    assert [len(p["credentials"]) for p in pages] == [30, 30, 30, 10]
    rows = [r for p in pages for r in p["credentials"]]
    assert len({r["id"] for r in rows}) == 100
    largest = next(org for org, count in LARGE_ORGS.items() if count == 1000)
    last = client.get(collection_url(largest), headers=headers, query_string={"first": 100}).json
    assert {r["type"] for r in last["credentials"]} == {"none", "string", "binary", "basic-auth",
                                                        "oauth2-client", "oauth2-token"}
    assert any(r["usages"] for r in last["credentials"]) and any(not r["usages"] for r in last["credentials"])
    some = last["credentials"][0]["id"]
    detail = client.get(item_url(largest, some), headers=headers)
    assert detail.status_code == 200 and detail.json["id"] == some


def test_a_stray_cookie_does_not_hide_a_declared_bearer_token(make_app):
    client = make_app(only=["versori"], fixtures=[FIXTURE_DIR / "edge-cases.yaml"]).test_client()
    client.set_cookie("_ga", "GA1.2.3456")
    response = client.get("/versori/o/01J6PD01M08VCD1GDJFMGT83PX/credentials",
                          headers={"Authorization": "Bearer versori-admin-token"})
    assert response.status_code == 200
    refused = client.get("/versori/o/01J6PD01M08VCD1GDJFMGT83PX/credentials",
                         headers={"Authorization": "Bearer not-declared"})
    assert refused.status_code == 401
