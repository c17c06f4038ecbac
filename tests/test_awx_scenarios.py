"""AWX under the shipped scenarios: strict auth with superusers and normal users, and what
the empty, edge-cases and large data sets serve.

Every app is the strict-mode one (see conftest): each response is checked against the spec.
"""

from __future__ import annotations

import base64
import json
import unicodedata
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from conftest import SEED, violations

from mockserver.app import create_app
from mockserver.data import fixture_dir
from mockserver.fixtures import FixtureError
from mockserver.runtime import MockConfig

FIXTURE_DIR = fixture_dir()  # the shipped scenarios, as the installed package has them

BASE = "/awx"
EDGE = FIXTURE_DIR / "edge-cases.yaml"
WWW_AUTHENTICATE = "Bearer realm=api authorization_url=/api/o/authorize/"
NOT_PROVIDED = {"detail": "Authentication credentials were not provided."}
INVALID_BASIC = {"detail": "Invalid username/password."}
DENIED = {"detail": "You do not have permission to perform this action."}


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# edge-cases.yaml: who may call
ADMIN = bearer("awx-edge-admin-token")  # superuser, user 1
JDOE = bearer("awx-edge-jdoe-token")  # normal user 2
ZOE = bearer("awx-edge-zoe-token")  # normal user 4, no credentials
MLOPEZ = bearer("awx-edge-mlopez-token")  # role "user", but user 5 is a superuser
ADMIN_BASIC = basic("admin", "admin-edge-pass")
JDOE_BASIC = basic("jdoe", "jdoe-edge-pass")
# edge-cases.yaml: what there is
ADMIN_ID, JDOE_ID, CI_BOT_ID, ZOE_ID, MLOPEZ_ID = 1, 2, 3, 4, 5
ADMIN_CREDENTIAL, JDOE_CREDENTIAL, CI_BOT_CREDENTIAL = 4, 13, 101
ENCRYPTED_KEY, ASK_EVERYTHING, VAULT_ASK, CUSTOM = 10, 11, 3, 9
MACHINE, AWS, CUSTOM_TYPE = 1, 4, 9


def credentials_url(user) -> str:
    return f"{BASE}/api/v2/users/{user}/credentials/"


def detail_url(credential) -> str:
    return f"{BASE}/api/v2/credentials/{credential}/"


def store_of(client):
    return client.application.extensions["mockserver"].store


def pages(client, user, headers=ADMIN, query="") -> list[dict]:
    """Every page of a user's list, following `next`."""
    out, url = [], credentials_url(user) + query
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.json
        out.append(response.json)
        url = response.json["next"]
    return out


@pytest.fixture
def edge(make_app):
    return make_app(only=["awx"], fixtures=[EDGE]).test_client()


# --- strict auth: who is refused ------------------------------------------------------------------
@pytest.mark.parametrize("headers", [bearer("any-token"), bearer("awx-edge-admin-token-x"),
                                     {"Authorization": "Bearer awx-edge-admin-pass"}])
def test_undeclared_token_is_401_not_provided(edge, headers):
    for response in (edge.get(credentials_url(1), headers=headers),
                     edge.post(credentials_url(1), json={"name": "x", "credential_type": 1}, headers=headers),
                     edge.get(detail_url(1), headers=headers),
                     edge.delete(detail_url(1), headers=headers),
                     edge.get(f"{BASE}/api/v2/credential_types/", headers=headers)):
        assert (response.status_code, response.json) == (401, NOT_PROVIDED)
        assert response.headers["WWW-Authenticate"] == WWW_AUTHENTICATE
        assert "/authorization" in [v["pointer"] for v in violations(response)]


@pytest.mark.parametrize("headers", [basic("admin", "wrong"), basic("jdoe", "admin-edge-pass"),
                                     basic("nobody", "jdoe-edge-pass"), basic("admin", "")])
def test_undeclared_basic_pair_is_401_invalid_username_password(edge, headers):
    before = store_of(edge).snapshot()
    for response in (edge.get(credentials_url(1), headers=headers),
                     edge.post(credentials_url(1), json={"name": "x", "credential_type": 1}, headers=headers),
                     edge.patch(detail_url(1), json={"name": "x"}, headers=headers),
                     edge.get(f"{BASE}/api/v2/credential_types/1/", headers=headers)):
        assert (response.status_code, response.json) == (401, INVALID_BASIC)
        assert response.headers["WWW-Authenticate"] == WWW_AUTHENTICATE
    assert store_of(edge).snapshot() == before


def test_missing_credential_is_still_401_not_provided(edge):
    response = edge.get(credentials_url(1))
    assert (response.status_code, response.json) == (401, NOT_PROVIDED)
    assert response.headers["WWW-Authenticate"] == WWW_AUTHENTICATE


@pytest.mark.parametrize("headers", [ADMIN, ADMIN_BASIC, JDOE, JDOE_BASIC, ZOE, MLOPEZ])
def test_every_declared_credential_is_accepted(edge, headers):
    assert edge.get(f"{BASE}/api/v2/credential_types/", headers=headers).status_code == 200


@pytest.mark.parametrize("grant", [
    {"token": "ghost-token", "role": "admin", "user": 99},
    {"token": "ghost-name-token", "role": "user", "user": "nobody"},
])
def test_a_grant_naming_a_user_that_does_not_exist_is_refused_at_load(make_app, tmp_path, grant):
    extra = tmp_path / "ghosts.yaml"
    extra.write_text(yaml.safe_dump({"apis": {"awx": {"auth": {"tokens": [grant]}}}}))
    with pytest.raises(FixtureError, match=r"ghosts.yaml: awx.auth: grant \d+ .*field user: no users entity with id or "
                                           r"username"):
        make_app(only=["awx"], fixtures=[EDGE, extra])


def test_a_basic_login_that_names_no_awx_user_is_refused_at_request_time(make_app, tmp_path):
    extra = tmp_path / "casper.yaml"
    extra.write_text(yaml.safe_dump({"apis": {"awx": {"auth": {
        "users": [{"username": "casper", "password": "boo", "role": "user"}]}}}}))
    client = make_app(only=["awx"], fixtures=[EDGE, extra]).test_client()
    response = client.get(f"{BASE}/api/v2/credential_types/", headers=basic("casper", "boo"))
    assert (response.status_code, response.json) == (401, INVALID_BASIC)


def test_a_grant_may_name_its_user_by_username_or_by_its_own_basic_name(make_app, tmp_path):
    extra = tmp_path / "named.yaml"
    extra.write_text(yaml.safe_dump({"apis": {"awx": {"auth": {
        "tokens": [{"token": "by-name", "role": "user", "user": "jdoe"},
                   {"token": "by-string-id", "role": "user", "user": "2"}],
        "users": [{"username": "ci-bot", "password": "beep", "role": "user"}]}}}}))
    client = make_app(only=["awx"], fixtures=[EDGE, extra]).test_client()
    for headers in (bearer("by-name"), bearer("by-string-id")):
        assert client.get(credentials_url(JDOE_ID), headers=headers).status_code == 200
        assert client.get(credentials_url(ADMIN_ID), headers=headers).status_code == 403
    robot = basic("ci-bot", "beep")
    assert client.get(credentials_url(CI_BOT_ID), headers=robot).json["count"] == 60
    assert client.get(credentials_url(JDOE_ID), headers=robot).status_code == 403


# --- a normal user: its own only ---------------------------------------------------------------------
@pytest.mark.parametrize("headers", [JDOE, JDOE_BASIC])
@pytest.mark.parametrize("user", [ADMIN_ID, CI_BOT_ID, ZOE_ID])
def test_normal_user_gets_403_on_another_users_list_and_create(edge, headers, user):
    before = store_of(edge).snapshot()
    listing = edge.get(credentials_url(user), headers=headers)
    assert (listing.status_code, listing.json) == (403, DENIED)
    assert "WWW-Authenticate" not in listing.headers
    body = {"name": "Sneaky", "credential_type": MACHINE}
    created = edge.post(credentials_url(user), json=body, headers=headers)
    assert (created.status_code, created.json) == (403, DENIED)
    assert store_of(edge).snapshot() == before


def test_create_checks_permission_after_the_user_and_before_the_body(edge):
    unknown = edge.post(credentials_url(999), json={"name": "x", "credential_type": 1}, headers=JDOE)
    assert (unknown.status_code, unknown.json) == (404, {"detail": "Not found."})
    for data, content_type in ((b"{oops", "application/json"), (b"name=x", "text/plain"),
                               (b"[1]", "application/json")):
        headers = {**JDOE, "Content-Type": content_type}
        response = edge.post(credentials_url(ADMIN_ID), data=data, headers=headers)
        assert (response.status_code, response.json) == (403, DENIED)
    response = edge.post(credentials_url(ADMIN_ID), json={}, headers=JDOE)
    assert (response.status_code, response.json) == (403, DENIED)
    assert edge.get(credentials_url(999), headers=JDOE).status_code == 404
    paged = edge.get(credentials_url(ADMIN_ID) + "?page=99", headers=JDOE)
    assert (paged.status_code, paged.json) == (403, DENIED)


@pytest.mark.parametrize("credential", [ADMIN_CREDENTIAL, CI_BOT_CREDENTIAL, CUSTOM])
def test_normal_user_gets_403_on_another_users_credential(edge, credential):
    before = store_of(edge).snapshot()
    body = {"name": "Mine now", "credential_type": MACHINE, "inputs": {"username": "jdoe"}}
    for response in (edge.get(detail_url(credential), headers=JDOE),
                     edge.patch(detail_url(credential), json={"name": "Mine now"}, headers=JDOE),
                     edge.put(detail_url(credential), json=body, headers=JDOE),
                     edge.delete(detail_url(credential), headers=JDOE),
                     edge.get(detail_url(credential), headers=JDOE_BASIC),
                     edge.delete(detail_url(credential), headers=ZOE)):
        assert (response.status_code, response.json) == (403, DENIED)
        assert violations(response)
    assert store_of(edge).snapshot() == before


def test_update_parses_the_body_before_the_permission_and_validates_it_after(edge):
    """AWX's check_put_permissions reads request.data: parse errors first, field errors after."""
    url = detail_url(ADMIN_CREDENTIAL)
    malformed = edge.patch(url, data=b'{"name": ', headers={**JDOE, "Content-Type": "application/json"})
    assert (malformed.status_code, malformed.json["detail"][:17]) == (400, "JSON parse error ")
    unsupported = edge.put(url, data=b"name=x", headers={**JDOE, "Content-Type": "text/plain"})
    assert unsupported.status_code == 415
    for body in ([1], {"name": ""}, {"credential_type": 99}):
        assert (edge.patch(url, json=body, headers=JDOE).json) == DENIED
    assert edge.put(url, json={}, headers=JDOE).json == DENIED
    missing = edge.patch(detail_url(9999), json={"name": "x"}, headers=JDOE)
    assert (missing.status_code, missing.json) == (404, {"detail": "Not found."})


def test_normal_user_works_on_its_own_credentials(edge):
    mine = [c for page in pages(edge, JDOE_ID, JDOE) for c in page["results"]]
    assert {c["id"] for c in mine} == set(range(10, 17))
    assert all(c["summary_fields"]["owners"][0]["id"] == JDOE_ID for c in mine)

    created = edge.post(credentials_url(JDOE_ID), json={"name": "Mine", "credential_type": AWS, "inputs": {
        "username": "AKIAJDOE", "password": "jdoe-secret"}}, headers=JDOE_BASIC)
    assert created.status_code == 201
    body = created.json
    assert body["summary_fields"]["created_by"]["username"] == "jdoe"
    assert body["summary_fields"]["modified_by"]["username"] == "jdoe"
    assert body["related"]["created_by"] == body["related"]["modified_by"] == f"{BASE}/api/v2/users/2/"
    assert body["summary_fields"]["owners"][0]["name"] == "jdoe"
    url = body["url"]

    assert edge.get(url, headers=JDOE).json == body
    patched = edge.patch(url, json={"description": "patched"}, headers=JDOE)
    assert patched.status_code == 200 and patched.json["description"] == "patched"
    put = edge.put(url, json={"name": "Mine (put)", "credential_type": AWS}, headers=JDOE)
    assert put.status_code == 200 and put.json["name"] == "Mine (put)"
    assert edge.delete(url, headers=JDOE).status_code == 204
    assert edge.get(url, headers=JDOE).status_code == 404


def test_superuser_may_do_everything_and_is_the_one_who_acts(edge):
    for headers in (ADMIN, ADMIN_BASIC, MLOPEZ):
        for user in (ADMIN_ID, JDOE_ID, CI_BOT_ID, ZOE_ID):
            assert edge.get(credentials_url(user), headers=headers).status_code == 200
        assert edge.get(detail_url(JDOE_CREDENTIAL), headers=headers).status_code == 200

    created = edge.post(credentials_url(JDOE_ID), json={"name": "From the admin", "credential_type": MACHINE},
                        headers=MLOPEZ)
    assert created.status_code == 201
    summary = created.json["summary_fields"]
    assert summary["created_by"]["username"] == "mlopez" and summary["owners"][0]["name"] == "jdoe"
    assert edge.get(created.json["url"], headers=JDOE).status_code == 200  # jdoe owns it

    patched = edge.patch(detail_url(JDOE_CREDENTIAL), json={"name": "Renamed by admin"}, headers=ADMIN)
    assert patched.status_code == 200
    assert patched.json["summary_fields"]["created_by"]["username"] == "jdoe"
    assert patched.json["summary_fields"]["modified_by"]["username"] == "admin"
    assert patched.json["related"]["modified_by"] == f"{BASE}/api/v2/users/1/"
    put = edge.put(detail_url(CI_BOT_CREDENTIAL), json={"name": "Put by admin", "credential_type": 2},
                   headers=ADMIN_BASIC)
    assert put.status_code == 200 and put.json["inputs"] == {}  # [awx] a PUT resets what it leaves out
    assert edge.delete(detail_url(CI_BOT_CREDENTIAL), headers=MLOPEZ).status_code == 204
    assert edge.delete(detail_url(JDOE_CREDENTIAL), headers=ADMIN).status_code == 204


def test_credential_types_are_readable_by_everyone(edge):
    for headers in (ADMIN, JDOE, ZOE, JDOE_BASIC):
        page = edge.get(f"{BASE}/api/v2/credential_types/", headers=headers).json
        assert page["count"] == 9
        assert edge.get(f"{BASE}/api/v2/credential_types/{CUSTOM_TYPE}/", headers=headers).status_code == 200
    custom = {True: edge.get(f"{BASE}/api/v2/credential_types/{CUSTOM_TYPE}/", headers=ADMIN).json,
              False: edge.get(f"{BASE}/api/v2/credential_types/{CUSTOM_TYPE}/", headers=JDOE).json}
    assert custom[True]["summary_fields"]["user_capabilities"] == {"edit": True, "delete": True}
    assert custom[False]["summary_fields"]["user_capabilities"] == {"edit": False, "delete": False}
    assert custom[True]["managed"] is False and custom[True]["namespace"] is None


def test_prefer_can_steer_the_documented_403(edge):
    response = edge.get(credentials_url(ADMIN_ID), headers={**ADMIN, "Prefer": "code=403"})
    assert (response.status_code, response.json) == (403, DENIED)


# --- edge-cases: what it serves -------------------------------------------------------------------
def test_sixty_credentials_page_by_25_in_code_point_order_with_ties_by_id(edge):
    walked = pages(edge, CI_BOT_ID)
    assert [len(p["results"]) for p in walked] == [25, 25, 10]
    assert [p["count"] for p in walked] == [60, 60, 60]
    assert walked[0]["next"] == f"{BASE}/api/v2/users/3/credentials/?page=2"
    assert walked[1]["previous"] == f"{BASE}/api/v2/users/3/credentials/?page=1"  # [awx] page=1 kept
    assert walked[2]["previous"] == f"{BASE}/api/v2/users/3/credentials/?page=2"
    rows = [c for p in walked for c in p["results"]]
    keys = [(c["name"], c["id"]) for c in rows]
    assert keys == sorted(keys) and len({c["id"] for c in rows}) == 60
    names = [c["name"] for c in rows]
    assert names[:3] == ["#hash", "%percent", "(parens)"] and names[-1] == "😀 emoji key"
    assert names.index("ALPHA") < names.index("Alpha") < names.index("Zulu") < names.index("alpha")
    assert names.index("cred-1") < names.index("cred-10") < names.index("cred-100") < names.index("cred-2")
    assert names.index("zulu") < names.index("Äpfel") < names.index("Ωmega") < names.index("日本のサーバー")
    # four "Duplicate"s across the page boundary, in id order
    assert [(c["name"], c["id"]) for c in walked[0]["results"][-2:]] == [("Duplicate", 101), ("Duplicate", 111)]
    assert [(c["name"], c["id"]) for c in walked[1]["results"][:2]] == [("Duplicate", 127), ("Duplicate", 141)]
    # two "naïve"s that look alike: decomposed (110) and composed (117)
    naive = {c["id"]: c["name"] for c in rows if unicodedata.normalize("NFC", c["name"]) == "naïve"}
    assert set(naive) == {110, 117} and naive[110] != naive[117]
    assert all(c["summary_fields"]["created_by"]["username"] == "ci-bot" for c in rows)


def test_sixty_credentials_with_other_page_sizes(edge):
    assert [len(p["results"]) for p in pages(edge, CI_BOT_ID, query="?page_size=7")] == [7] * 8 + [4]
    whole = edge.get(credentials_url(CI_BOT_ID) + "?page_size=60", headers=ADMIN).json
    assert whole["next"] is None and len(whole["results"]) == 60
    last = edge.get(credentials_url(CI_BOT_ID) + "?page=last", headers=ADMIN).json
    assert len(last["results"]) == 10 and last["next"] is None
    beyond = edge.get(credentials_url(CI_BOT_ID) + "?page=4", headers=ADMIN)
    assert (beyond.status_code, beyond.json) == (404, {"detail": "Invalid page."})


def test_every_credential_type_has_a_credential(edge):
    types = {t["id"]: t for t in edge.get(f"{BASE}/api/v2/credential_types/?page_size=50", headers=ADMIN)
             .json["results"]}
    used = {c["credential_type"] for user in (ADMIN_ID, JDOE_ID, CI_BOT_ID)
            for page in pages(edge, user) for c in page["results"]}
    assert used == set(types) == set(range(1, 10))
    admins = {c["credential_type"]: c for c in pages(edge, ADMIN_ID)[0]["results"]}
    assert set(admins) == set(types)  # user 1 alone holds one of each
    custom = admins[CUSTOM_TYPE]
    assert (custom["kind"], custom["cloud"], custom["kubernetes"]) == (None, True, False)
    assert custom["inputs"] == {"api_url": "https://deploy.acme.example.com/v1", "api_token": "$encrypted$",
                                "region": "eu-west-1", "dry_run": True}
    assert admins[6]["inputs"] == {"username": "netops", "password": "$encrypted$", "authorize": True,
                                   "authorize_password": "$encrypted$"}
    assert (admins[7]["kind"], admins[8]["kind"]) == ("registry", "galaxy_api_token")


def test_encrypted_keys_with_passphrases_and_ask_prompts(edge):
    stored = edge.get(detail_url(ENCRYPTED_KEY), headers=JDOE).json
    assert stored["inputs"] == {"username": "jdoe", "become_method": "sudo", "ssh_key_unlock": "$encrypted$",
                                "ssh_key_data": "$encrypted$"}
    asked = edge.get(detail_url(ASK_EVERYTHING), headers=JDOE).json
    assert asked["inputs"]["ssh_key_unlock"] == asked["inputs"]["password"] == "ASK"
    assert asked["inputs"]["become_password"] == "ASK" and asked["inputs"]["ssh_key_data"] == "$encrypted$"
    assert asked["summary_fields"]["created_by"]["username"] == "jdoe"
    assert asked["summary_fields"]["modified_by"]["username"] == "admin"
    assert edge.get(detail_url(VAULT_ASK), headers=ADMIN).json["inputs"] == {"vault_password": "ASK",
                                                                            "vault_id": "prod"}
    git = edge.get(detail_url(2), headers=ADMIN).json
    assert git["inputs"] == {"username": "git", "ssh_key_unlock": "$encrypted$", "ssh_key_data": "$encrypted$"}
    # the stored keys are really encrypted: without their passphrase they are refused
    for credential, headers, kind in ((ENCRYPTED_KEY, JDOE, MACHINE), (2, ADMIN, 2)):
        response = edge.put(detail_url(credential), json={"name": "n", "credential_type": kind, "inputs": {
            "username": "u", "ssh_key_data": "$encrypted$"}}, headers=headers)
        assert (response.status_code, response.json) == (
            400, {"inputs": {"ssh_key_unlock": ["must be set when SSH key is encrypted."]}})
    kept = edge.patch(detail_url(ENCRYPTED_KEY), json={"inputs": {
        "username": "jdoe", "ssh_key_data": "$encrypted$", "ssh_key_unlock": "$encrypted$"}}, headers=JDOE)
    assert kept.status_code == 200
    listed = edge.get(credentials_url(JDOE_ID), headers=JDOE)
    shown = json.dumps([c["inputs"] for c in listed.json["results"]], ensure_ascii=False)
    assert "correct horse" not in shown and "PRIVATE KEY" not in listed.get_data(as_text=True)


def test_unicode_names_and_users_come_back_intact(edge):
    mine = {c["id"]: c for c in pages(edge, JDOE_ID, JDOE)[0]["results"]}
    assert mine[12]["name"] == "本番サーバー（東京）" and mine[12]["description"] == "日本語の説明"
    assert mine[12]["inputs"] == {"username": "デプロイ", "password": "$encrypted$"}
    assert mine[13]["name"] == "Produktion – Datenbank (München) 🔐"
    assert mine[14]["name"] == "خوادم الإنتاج"
    assert mine[15]["inputs"] == {}
    created = edge.post(credentials_url(ZOE_ID), json={"name": "Zoë’s key ✓", "credential_type": MACHINE},
                        headers=ZOE)
    assert created.status_code == 201
    assert created.json["name"] == "Zoë’s key ✓"
    owner = created.json["summary_fields"]["owners"][0]
    assert (owner["name"], owner["description"]) == ("zoë", "Zoë Ångström-Øberg")


def test_a_user_without_credentials(edge):
    for headers in (ZOE, ADMIN):
        response = edge.get(credentials_url(ZOE_ID), headers=headers)
        assert response.json == {"count": 0, "next": None, "previous": None, "results": []}
    assert edge.get(credentials_url(ZOE_ID) + "?page=2", headers=ZOE).status_code == 404


# --- empty.yaml ---------------------------------------------------------------------------------------
def test_empty_has_users_and_types_but_no_credentials(make_app):
    client = make_app(only=["awx"], fixtures=[FIXTURE_DIR / "empty.yaml"]).test_client()
    headers = bearer("any-token")  # no auth block: any credential is user 1
    assert store_of(client).counts()["awx"] == {"users": 3, "organizations": 1, "teams": 0, "credential_types": 5, "credentials": 0,
                                              "sessions": 0, "tokens": 0}
    for user in (1, 2, 3):
        assert client.get(credentials_url(user), headers=headers).json["count"] == 0
    assert client.get(credentials_url(4), headers=headers).status_code == 404
    assert client.get(f"{BASE}/api/v2/credential_types/", headers=headers).json["count"] == 5
    created = client.post(credentials_url(2), json={"name": "First", "credential_type": 4, "inputs": {
        "username": "AKIA", "password": "s"}}, headers=basic("anyone", "anything"))
    assert created.status_code == 201 and created.json["id"] == 1
    assert created.json["summary_fields"]["created_by"]["username"] == "admin"


# --- large.yaml ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def large(api_cache):
    config = MockConfig(only=["awx"], fixtures=[FIXTURE_DIR / "large.yaml"], seed=SEED, check_responses=True)
    return create_app(config, apis=api_cache(["awx"])).test_client()


LARGE_COUNTS = {1: 400, 2: 900, 3: 250, 4: 150, 5: 150, 6: 150}


def test_large_has_2000_credentials_across_six_users(large):
    assert store_of(large).counts()["awx"] == {"users": 6, "organizations": 1, "teams": 1, "credential_types": 5,
                                             "credentials": 2000, "sessions": 0, "tokens": 0}
    headers = bearer("any-token")
    for user, count in LARGE_COUNTS.items():
        assert large.get(credentials_url(user) + "?page_size=1", headers=headers).json["count"] == count


def test_large_pages_the_busiest_user(large):
    headers = bearer("any-token")
    first = large.get(credentials_url(2), headers=headers).json
    assert len(first["results"]) == 25 and first["next"] == f"{BASE}/api/v2/users/2/credentials/?page=2"
    last = large.get(credentials_url(2) + "?page=36", headers=headers).json
    assert len(last["results"]) == 25 and last["next"] is None
    assert parse_qs(urlsplit(last["previous"]).query)["page"] == ["35"]
    assert large.get(credentials_url(2) + "?page=37", headers=headers).status_code == 404
    big = large.get(credentials_url(2) + "?page_size=500&page=5", headers=headers).json
    assert len(big["results"]) == 100
    assert big["previous"] == f"{BASE}/api/v2/users/2/credentials/?page=4&page_size=200"
    names = [(c["name"], c["id"]) for c in large.get(credentials_url(2) + "?page_size=200", headers=headers)
             .json["results"]]
    assert names == sorted(names)


def test_large_generated_credentials_are_realistic_and_masked(large):
    headers = bearer("any-token")
    rows = []
    for page in pages(large, 1, headers, "?page_size=200"):
        rows += page["results"]
        text = json.dumps(page)
        assert "PRIVATE KEY" not in text and "ghp_" not in text and "sha256~" not in text
    assert len(rows) == 400
    assert {c["kind"] for c in rows} == {"ssh", "scm", "vault", "aws", "kubernetes_bearer_token"}
    assert all(c["name"] and c["summary_fields"]["owners"][0]["id"] == 1 for c in rows)
    owners = large.get(credentials_url(5) + "?page_size=1", headers=headers).json["results"][0]
    assert owners["summary_fields"]["owners"][0]["description"].strip()  # a generated user with a name
