"""Apinizer API Manager: every operation and documented status, through the Flask test client.

Every response is also checked against the spec by the strict-mode app (see conftest).
Default data (fixtures/default.yaml): projects admin (global), petstore, banking; proxies
Calculator and Account Proxy Group in petstore, Payments in banking; credentials
partner-acme (petstore, granted Calculator), user1 (petstore), global-monitor (admin) and
teller-app (banking, granted Payments), plus three generated ones.
"""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import violations
from jsonschema import Draft202012Validator

from mockserver.fixtures import FixtureError
from mockserver.registry import load_apis
from mockserver.spec import dereference

BASE = "/apinizer/apiops/projects"
AUTH = {"Authorization": "eyJhbGciOiJIUzI1NiJ9.mock-token"}
UNAUTHORIZED = {"error": "unauthorized_client",
                "error_description": "Full authentication is required to access this resource"}
DOCUMENT_BODY = {
    "email": "mobile-team@example.com",
    "fullName": "Mobile Banking App",
    "description": "Credential of the mobile banking client",
    "username": "mobile-app",
    "password": "Ch4ngeMe!",
    "roleNameList": ["role1", "role2"],
    "enabled": "true",
    "ipList": ["90.0.182.75", "172.26.100.23"],
    "expireDate": "2023-08-14T00:00:00.000Z",
}
DOCUMENT_ACCESS = [{"name": "Calculator", "type": "API_PROXY"},
                   {"name": "Account Proxy Group", "type": "API_PROXY_GROUP"}]


@pytest.fixture
def client(make_app):
    """Apinizer alone, under its usual /apinizer prefix, with fresh default data."""
    return make_app(only=["apinizer"]).test_client()


# --- helpers -------------------------------------------------------------------------------
def credentials_url(project: str) -> str:
    return f"{BASE}/{project}/credentials/"


def credential_url(project: str, username: str) -> str:
    return f"{BASE}/{project}/credentials/{username}/"


def access_url(project: str, username: str) -> str:
    return f"{BASE}/{project}/credentials/{username}/access/"


def listing(client, project: str) -> dict[str, dict]:
    """The project's credential list, by username."""
    response = client.get(credentials_url(project), headers=AUTH)
    assert response.status_code == 200
    assert response.json["resultCount"] == len(response.json["resultList"])
    return {row["username"]: row for row in response.json["resultList"]}


def granted(client, project: str, username: str) -> list[dict]:
    response = client.get(access_url(project, username), headers=AUTH)
    assert response.status_code == 200
    assert response.json["resultCount"] == len(response.json["resultList"])
    return response.json["resultList"]


def stored(client, username: str) -> dict | None:
    """The stored entity itself (to see what no endpoint returns: password, project)."""
    store = client.application.extensions["mockserver"].store
    return store.api("apinizer")["credentials"].get(username)


def snapshot(client) -> list[dict]:
    """Every stored credential, to prove a rejected request changed nothing."""
    store = client.application.extensions["mockserver"].store
    return list(store.api("apinizer")["credentials"])


def bad_request(description: str) -> dict:
    return {"error": "bad_request", "error_description": description}


# --- list ---------------------------------------------------------------------------------
def test_list_of_a_project_shows_only_its_credentials(client):
    rows = listing(client, "petstore")
    assert {"partner-acme", "user1"} <= set(rows)
    assert "teller-app" not in rows and "global-monitor" not in rows
    assert all(stored(client, name)["project"] == "petstore" for name in rows)
    assert rows["user1"] == {"fullName": "user1", "username": "user1", "enabled": True,
                             "ipList": ["123.123.123", "98.98.15.12"]}


def test_list_returns_every_field_but_the_password(client):
    row = listing(client, "petstore")["partner-acme"]
    assert row == {
        "fullName": "ACME Corp Integration", "username": "partner-acme", "enabled": True,
        "ipList": ["203.0.113.10", "203.0.113.11"], "email": "integration@acme.example.com",
        "description": "Partner integration of ACME Corp", "roleNameList": ["partner"],
        "expireDate": "2027-06-30T00:00:00.000Z",
    }


def test_admin_project_lists_every_credential_of_every_project(client):
    everything = listing(client, "admin")
    assert {"partner-acme", "user1", "global-monitor", "teller-app"} <= set(everything)
    per_project = set(listing(client, "petstore")) | set(listing(client, "banking"))
    assert per_project < set(everything)
    assert len(everything) == len(snapshot(client))


def test_password_is_never_listed(client):
    assert client.post(credentials_url("petstore"), json=DOCUMENT_BODY, headers=AUTH).status_code == 200
    for project in ("admin", "petstore", "banking"):
        response = client.get(credentials_url(project), headers=AUTH)
        assert all("password" not in row for row in response.json["resultList"])
        text = response.get_data(as_text=True)
        for secret in ("Ch4ngeMe!", "acme-s3cret", "user1-pass", "m0nitor!", "t3ller-app"):
            assert secret not in text


def test_a_project_without_credentials_lists_empty(make_app, tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text(yaml.safe_dump({"apis": {"apinizer": {"projects": [{"name": "admin"}, {"name": "quiet"}]}}}))
    client = make_app(only=["apinizer"], fixtures=[path]).test_client()
    response = client.get(credentials_url("quiet"), headers=AUTH)
    assert response.json == {"status": "SUCCESS", "resultList": [], "resultCount": 0}


# --- auth ---------------------------------------------------------------------------------
@pytest.mark.parametrize("token", ["bare-token-123", "Bearer bare-token-123", "bearer abc"])
def test_bare_and_bearer_tokens_are_accepted(client, token):
    response = client.get(credentials_url("petstore"), headers={"Authorization": token})
    assert response.status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": ""}, {"Authorization": "Bearer"},
                                     {"Authorization": "Bearer   "}])
def test_missing_token_is_401_unauthorized_client(client, headers):
    response = client.get(credentials_url("petstore"), headers=headers)
    assert (response.status_code, response.json) == (401, UNAUTHORIZED)
    assert violations(response)[0]["pointer"] == "/authorization"


def test_every_operation_requires_a_token_and_writes_nothing_without(client):
    before = snapshot(client)
    calls = [
        ("POST", credentials_url("petstore"), DOCUMENT_BODY),
        ("PUT", credentials_url("petstore"), DOCUMENT_BODY),
        ("PATCH", credential_url("petstore", "user1"), {"password": "x"}),
        ("DELETE", credential_url("petstore", "user1"), None),
        ("GET", access_url("petstore", "user1"), None),
        ("PUT", access_url("petstore", "user1"), DOCUMENT_ACCESS),
        ("DELETE", access_url("petstore", "partner-acme"), DOCUMENT_ACCESS),
    ]
    for method, url, body in calls:
        response = client.open(url, method=method, json=body)
        assert (response.status_code, response.json) == (401, UNAUTHORIZED), (method, url)
    assert snapshot(client) == before


# --- unknown project -------------------------------------------------------------------------
@pytest.mark.parametrize("method,url,body", [
    ("GET", credentials_url("nowhere"), None),
    ("POST", credentials_url("nowhere"), DOCUMENT_BODY),
    ("PUT", credentials_url("nowhere"), DOCUMENT_BODY),
    ("PATCH", credential_url("nowhere", "user1"), {"password": "x"}),
    ("DELETE", credential_url("nowhere", "user1"), None),
    ("GET", access_url("nowhere", "user1"), None),
    ("PUT", access_url("nowhere", "user1"), DOCUMENT_ACCESS),
    ("DELETE", access_url("nowhere", "partner-acme"), DOCUMENT_ACCESS),
])
def test_unknown_project_is_404_not_found(client, method, url, body):
    before = snapshot(client)
    response = client.open(url, method=method, json=body, headers=AUTH)
    assert response.status_code == 404
    assert response.json == {"error": "not_found", "error_description":
                             "Project(nowhere) was not found or user does not have privilege to access it!"}
    assert snapshot(client) == before


def test_project_names_are_case_sensitive(client):
    assert client.get(credentials_url("PetStore"), headers=AUTH).status_code == 404


# --- create -------------------------------------------------------------------------------
def test_create_with_the_documents_body(client):
    response = client.post(credentials_url("petstore"), json=DOCUMENT_BODY, headers=AUTH)
    assert (response.status_code, response.json) == (200, {"status": "SUCCESS"})
    row = listing(client, "petstore")["mobile-app"]
    expected = {k: v for k, v in DOCUMENT_BODY.items() if k != "password"}
    assert row == {**expected, "enabled": True}  # the string "true" is stored as a boolean
    assert stored(client, "mobile-app")["password"] == "Ch4ngeMe!"
    assert "mobile-app" not in listing(client, "banking")
    assert "mobile-app" in listing(client, "admin")


@pytest.mark.parametrize("sent,kept", [("false", False), (False, False), ("true", True), (True, True)])
def test_enabled_is_a_boolean_or_its_string(client, sent, kept):
    body = {"username": "flag-user", "password": "pw", "enabled": sent}
    assert client.post(credentials_url("petstore"), json=body, headers=AUTH).status_code == 200
    assert listing(client, "petstore")["flag-user"]["enabled"] is kept


def test_create_minimal_defaults_enabled_and_leaves_the_rest_out(client):
    body = {"username": "bare", "password": "pw", "email": None, "ipList": None, "project": "banking"}
    assert client.post(credentials_url("petstore"), json=body, headers=AUTH).status_code == 200
    assert listing(client, "petstore")["bare"] == {"username": "bare", "enabled": True}
    assert stored(client, "bare")["project"] == "petstore"  # an unknown member is ignored


def test_create_in_admin_defines_a_global_credential(client):
    body = {"username": "global-ci", "password": "pw", "fullName": "CI pipeline"}
    assert client.post(credentials_url("admin"), json=body, headers=AUTH).status_code == 200
    assert stored(client, "global-ci")["project"] == "admin"
    assert "global-ci" in listing(client, "admin")
    assert "global-ci" not in listing(client, "petstore")


@pytest.mark.parametrize("project,username", [
    ("petstore", "user1"),  # same project
    ("petstore", "teller-app"),  # another project: usernames are unique everywhere
    ("banking", "global-monitor"),  # a global credential
    ("admin", "partner-acme"),
])
def test_create_a_taken_username_is_400_and_changes_nothing(client, project, username):
    before = snapshot(client)
    body = {"username": username, "password": "other", "fullName": "Impostor"}
    response = client.post(credentials_url(project), json=body, headers=AUTH)
    assert (response.status_code, response.json) == (400, bad_request("There is already a credential has this name!"))
    assert snapshot(client) == before


@pytest.mark.parametrize("body,description", [
    ({}, "Validation failed: password is required; username is required"),
    ({"username": "x"}, "Validation failed: password is required"),
    ({"password": "x"}, "Validation failed: username is required"),
    ({"username": "", "password": "x"}, "Validation failed: username: '' should be non-empty"),
    ({"username": "x", "password": "x", "enabled": "yes"},
     'Validation failed: enabled must be true or false (a boolean, or the string "true" or "false")'),
    ({"username": "x", "password": "x", "expireDate": "tomorrow"},
     "Validation failed: expireDate: 'tomorrow' is not a 'date-time'"),
    ({"username": "x", "password": "x", "ipList": "1.2.3.4"},
     "Validation failed: ipList: '1.2.3.4' is not of type 'array', 'null'"),
    ({"username": "x", "password": "x", "roleNameList": [1]},
     "Validation failed: roleNameList[0]: 1 is not of type 'string'"),
    ({"username": 7, "password": None}, "Validation failed: password: '<secret>' is not of type 'string'; "
                                        "username: 7 is not of type 'string'"),
])
def test_create_validation_names_the_fields(client, body, description):
    before = snapshot(client)
    response = client.post(credentials_url("petstore"), json=body, headers=AUTH)
    assert (response.status_code, response.json) == (400, bad_request(description))
    assert violations(response)
    assert snapshot(client) == before


def test_ip_list_items_are_not_checked_as_ipv4(client):
    body = {"username": "odd-ips", "password": "pw", "ipList": ["123.123.123", "2001:db8::1"]}
    assert client.post(credentials_url("petstore"), json=body, headers=AUTH).status_code == 200
    assert listing(client, "petstore")["odd-ips"]["ipList"] == ["123.123.123", "2001:db8::1"]


# --- bad input never crashes -----------------------------------------------------------------
@pytest.mark.parametrize("raw,content_type,status,error,start", [
    (b"{broken", "application/json", 400, "bad_request", "JSON parse error: Malformed JSON"),
    (b"\xff\xfe{}", "application/json", 400, "bad_request", "JSON parse error: Body is not valid UTF-8"),
    (b"", "application/json", 400, "bad_request", "Required request body is missing"),
    (b"[1, 2]", "application/json", 400, "bad_request", "Validation failed: [1, 2] is not of type 'object'"),
    (b'"text"', "application/json", 400, "bad_request", "Validation failed: 'text' is not of type 'object'"),
    (b"username=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type",
     "Content type 'application/x-www-form-urlencoded' not supported"),
    (b'{"username": "x"}', "text/plain", 415, "unsupported_media_type", "Content type 'text/plain' not supported"),
])
def test_bad_bodies_are_4xx_in_apinizers_format(client, raw, content_type, status, error, start):
    before = snapshot(client)
    for method in ("POST", "PUT"):
        response = client.open(credentials_url("petstore"), method=method, data=raw,
                               content_type=content_type, headers=AUTH)
        assert response.status_code == status
        assert response.json["error"] == error
        assert response.json["error_description"].startswith(start)
    assert snapshot(client) == before


def test_oversized_body_is_413(make_app):
    client = make_app(only=["apinizer"], max_body=200).test_client()
    body = {"username": "big", "password": "x" * 500}
    response = client.post(credentials_url("petstore"), json=body, headers=AUTH)
    assert (response.status_code, response.json) == (413, {"error": "payload_too_large",
                                                           "error_description": "Request body exceeds 200 bytes"})
    assert stored(client, "big") is None


def test_an_unexpected_failure_is_500_internal_error(make_app, monkeypatch):
    app = make_app(only=["apinizer"])
    behavior = app.extensions["mockserver"].apis["apinizer"].behavior

    def boom(ctx):
        raise RuntimeError("bug")

    monkeypatch.setitem(behavior._handlers, "listCredentials", boom)
    response = app.test_client().get(credentials_url("petstore"), headers=AUTH)
    assert (response.status_code, response.json) == (500, {"error": "internal_error",
                                                           "error_description": "An unexpected error occurred"})


# --- upsert -------------------------------------------------------------------------------
def test_put_updates_only_the_members_sent(client):
    before = stored(client, "partner-acme")
    body = {"username": "partner-acme", "enabled": "false", "description": "Suspended"}
    response = client.put(credentials_url("petstore"), json=body, headers=AUTH)
    assert (response.status_code, response.json) == (200, {"status": "SUCCESS"})
    after = stored(client, "partner-acme")
    assert after == {**before, "enabled": False, "description": "Suspended"}  # password, access kept
    assert listing(client, "petstore")["partner-acme"]["enabled"] is False


def test_put_can_change_the_password_and_null_clears_a_member(client):
    body = {"username": "partner-acme", "password": "rotated", "email": None, "ipList": []}
    assert client.put(credentials_url("petstore"), json=body, headers=AUTH).status_code == 200
    assert stored(client, "partner-acme")["password"] == "rotated"
    row = listing(client, "petstore")["partner-acme"]
    assert "email" not in row and row["ipList"] == []


def test_put_creates_when_absent(client):
    response = client.put(credentials_url("banking"), json=DOCUMENT_BODY, headers=AUTH)
    assert (response.status_code, response.json) == (200, {"status": "SUCCESS"})
    assert stored(client, "mobile-app")["project"] == "banking"
    assert listing(client, "banking")["mobile-app"]["enabled"] is True
    # the same PUT again updates instead of failing
    again = {**DOCUMENT_BODY, "fullName": "Mobile App v2"}
    assert client.put(credentials_url("banking"), json=again, headers=AUTH).status_code == 200
    assert listing(client, "banking")["mobile-app"]["fullName"] == "Mobile App v2"


@pytest.mark.parametrize("password", [None, "absent"])
def test_put_creating_needs_a_password(client, password):
    before = snapshot(client)
    body = {"username": "no-secret", "fullName": "No secret"}
    if password is None:
        body["password"] = None
    response = client.put(credentials_url("petstore"), json=body, headers=AUTH)
    assert (response.status_code, response.json) == (400, bad_request("Validation failed: password is required"))
    assert snapshot(client) == before


def test_put_in_admin_defines_a_global_credential(client):
    body = {"username": "global-new", "password": "pw"}
    assert client.put(credentials_url("admin"), json=body, headers=AUTH).status_code == 200
    assert stored(client, "global-new")["project"] == "admin"
    assert "global-new" not in listing(client, "petstore")


def test_put_from_admin_updates_any_credential_and_keeps_its_project(client):
    body = {"username": "teller-app", "enabled": True}
    assert client.put(credentials_url("admin"), json=body, headers=AUTH).status_code == 200
    assert stored(client, "teller-app")["project"] == "banking"
    assert listing(client, "banking")["teller-app"]["enabled"] is True


@pytest.mark.parametrize("project,username", [("petstore", "teller-app"), ("banking", "global-monitor")])
def test_put_on_a_credential_the_project_cannot_see_is_400(client, project, username):
    before = snapshot(client)
    body = {"username": username, "password": "hijack", "fullName": "Hijacked"}
    response = client.put(credentials_url(project), json=body, headers=AUTH)
    assert (response.status_code, response.json) == (400, bad_request("There is already a credential has this name!"))
    assert snapshot(client) == before


def test_put_validation_is_400_and_changes_nothing(client):
    before = snapshot(client)
    body = {"username": "partner-acme", "enabled": "maybe", "description": "should not stick"}
    response = client.put(credentials_url("petstore"), json=body, headers=AUTH)
    assert response.status_code == 400 and "enabled" in response.json["error_description"]
    missing = client.put(credentials_url("petstore"), json={"fullName": "x"}, headers=AUTH)
    assert missing.json == bad_request("Validation failed: username is required")
    assert snapshot(client) == before


# --- change password ------------------------------------------------------------------------
def test_patch_changes_the_password(client):
    response = client.patch(credential_url("petstore", "user1"), json={"password": "N3w-s3cret!"}, headers=AUTH)
    assert (response.status_code, response.json) == (200, {"status": "SUCCESS"})
    assert stored(client, "user1")["password"] == "N3w-s3cret!"
    assert listing(client, "petstore")["user1"]["fullName"] == "user1"  # nothing else changed


def test_admin_changes_the_password_of_any_credential(client):
    assert client.patch(credential_url("admin", "teller-app"), json={"password": "p"}, headers=AUTH).status_code == 200
    assert stored(client, "teller-app")["password"] == "p"


@pytest.mark.parametrize("project,username", [
    ("petstore", "ghost"), ("petstore", "teller-app"), ("petstore", "global-monitor"),
])
def test_patch_of_a_credential_the_project_cannot_see_is_400(client, project, username):
    before = snapshot(client)
    response = client.patch(credential_url(project, username), json={"password": "x"}, headers=AUTH)
    assert (response.status_code, response.json) == (
        400, bad_request(f"Credential (username: {username}) was not found!"))
    assert snapshot(client) == before


@pytest.mark.parametrize("body,description", [
    ({}, "Validation failed: password is required"),
    ({"password": ""}, "Validation failed: password: '<secret>' should be non-empty"),
    ({"password": 42}, "Validation failed: password: '<secret>' is not of type 'string'"),
])
def test_patch_needs_a_password(client, body, description):
    before = snapshot(client)
    response = client.patch(credential_url("petstore", "user1"), json=body, headers=AUTH)
    assert (response.status_code, response.json) == (400, bad_request(description))
    assert snapshot(client) == before


# --- delete -------------------------------------------------------------------------------
def test_delete_removes_the_credential(client):
    response = client.delete(credential_url("petstore", "partner-acme"), headers=AUTH)
    assert (response.status_code, response.json) == (200, {"status": "SUCCESS"})
    assert "partner-acme" not in listing(client, "petstore")
    assert "partner-acme" not in listing(client, "admin")
    again = client.delete(credential_url("petstore", "partner-acme"), headers=AUTH)
    assert (again.status_code, again.json) == (400, bad_request("Credential (username: partner-acme) was not found!"))
    # the username is free again
    body = {"username": "partner-acme", "password": "pw"}
    assert client.post(credentials_url("banking"), json=body, headers=AUTH).status_code == 200
    assert granted(client, "banking", "partner-acme") == []  # old grants went with it


def test_delete_from_another_project_is_400_and_keeps_it(client):
    response = client.delete(credential_url("banking", "user1"), headers=AUTH)
    assert (response.status_code, response.json) == (400, bad_request("Credential (username: user1) was not found!"))
    assert stored(client, "user1") is not None


def test_admin_deletes_a_global_credential(client):
    assert client.delete(credential_url("admin", "global-monitor"), headers=AUTH).status_code == 200
    assert stored(client, "global-monitor") is None


# --- access: list ---------------------------------------------------------------------------
def test_access_list_shows_the_grants(client):
    response = client.get(access_url("petstore", "partner-acme"), headers=AUTH)
    assert response.json == {"status": "SUCCESS", "resultList": [{"name": "Calculator", "type": "API_PROXY"}],
                             "resultCount": 1}
    assert granted(client, "admin", "partner-acme") == [{"name": "Calculator", "type": "API_PROXY"}]
    assert granted(client, "petstore", "user1") == []


@pytest.mark.parametrize("project,username", [("petstore", "ghost"), ("banking", "partner-acme")])
def test_access_list_of_a_credential_the_project_cannot_see_is_400(client, project, username):
    response = client.get(access_url(project, username), headers=AUTH)
    assert (response.status_code, response.json) == (
        400, bad_request(f"Credential (username: {username}) was not found!"))


# --- access: grant --------------------------------------------------------------------------
def test_grant_with_the_documents_bare_array(client):
    response = client.put(access_url("petstore", "user1"), json=DOCUMENT_ACCESS, headers=AUTH)
    assert (response.status_code, response.json) == (200, {"status": "SUCCESS"})
    assert granted(client, "petstore", "user1") == DOCUMENT_ACCESS


def test_grant_with_the_wrapped_form(client):
    body = {"credentialAccessList": [{"name": "Account Proxy Group", "type": "API_PROXY_GROUP"}]}
    assert client.put(access_url("petstore", "partner-acme"), json=body, headers=AUTH).status_code == 200
    assert granted(client, "petstore", "partner-acme") == [
        {"name": "Calculator", "type": "API_PROXY"}, {"name": "Account Proxy Group", "type": "API_PROXY_GROUP"}]


def test_grant_already_granted_is_400_and_grants_nothing(client):
    before = snapshot(client)
    body = [{"name": "Account Proxy Group", "type": "API_PROXY_GROUP"}, {"name": "Calculator", "type": "API_PROXY"}]
    response = client.put(access_url("petstore", "partner-acme"), json=body, headers=AUTH)
    assert (response.status_code, response.json) == (400, bad_request(
        "Credential (username:partner-acme) has already access to API Proxy (name:Calculator)!"))
    assert snapshot(client) == before  # all or nothing: the group was not granted either


def test_grant_the_same_item_twice_in_one_request_is_400(client):
    before = snapshot(client)
    group = {"name": "Account Proxy Group", "type": "API_PROXY_GROUP"}
    response = client.put(access_url("petstore", "user1"), json=[group, group], headers=AUTH)
    assert (response.status_code, response.json) == (400, bad_request(
        "Credential (username:user1) has already access to API Proxy Group (name:Account Proxy Group)!"))
    assert snapshot(client) == before


@pytest.mark.parametrize("item,description", [
    ({"name": "Weather", "type": "API_PROXY"},
     "API Proxy (name:Weather) is not found or user does not have privilege to access it!"),
    ({"name": "Calculator", "type": "API_PROXY_GROUP"},  # right name, wrong type
     "API Proxy Group (name:Calculator) is not found or user does not have privilege to access it!"),
    ({"name": "Payments", "type": "API_PROXY"},  # another project's proxy
     "API Proxy (name:Payments) is not found or user does not have privilege to access it!"),
])
def test_grant_an_unknown_proxy_is_400_and_grants_nothing(client, item, description):
    before = snapshot(client)
    body = [{"name": "Account Proxy Group", "type": "API_PROXY_GROUP"}, item]
    response = client.put(access_url("petstore", "user1"), json=body, headers=AUTH)
    assert (response.status_code, response.json) == (400, bad_request(description))
    assert snapshot(client) == before


def test_grant_from_admin_sees_every_projects_proxies(client):
    body = [{"name": "Payments", "type": "API_PROXY"}, {"name": "Calculator", "type": "API_PROXY"}]
    assert client.put(access_url("admin", "global-monitor"), json=body, headers=AUTH).status_code == 200
    assert granted(client, "admin", "global-monitor") == body


def test_grant_to_a_credential_the_project_cannot_see_is_400(client):
    before = snapshot(client)
    response = client.put(access_url("petstore", "teller-app"), json=DOCUMENT_ACCESS, headers=AUTH)
    assert (response.status_code, response.json) == (400, bad_request("Credential (username: teller-app) was not found!"))
    assert snapshot(client) == before


@pytest.mark.parametrize("body,description", [
    ([], "Validation failed: [] should be non-empty"),
    ({"credentialAccessList": []}, "Validation failed: credentialAccessList: [] should be non-empty"),
    ({"accessList": DOCUMENT_ACCESS}, "Validation failed: credentialAccessList is required"),
    ([{"name": "Calculator", "type": "SOAP"}],
     "Validation failed: [0].type: 'SOAP' is not one of ['API_PROXY', 'API_PROXY_GROUP']"),
    ({"credentialAccessList": [{"type": "API_PROXY"}]}, "Validation failed: credentialAccessList[0].name is required"),
    ([{"name": "", "type": "API_PROXY"}, "Calculator"],
     "Validation failed: [0].name: '' should be non-empty; [1]: 'Calculator' is not of type 'object'"),
    ("Calculator", "Validation failed: the body must be a JSON array of {name, type}, or an object "
                   "with credentialAccessList"),
])
def test_grant_validation_names_the_fields(client, body, description):
    before = snapshot(client)
    response = client.put(access_url("petstore", "user1"), json=body, headers=AUTH)
    assert (response.status_code, response.json) == (400, bad_request(description))
    assert violations(response)
    assert snapshot(client) == before


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_access_bodies_that_are_not_json(client, method):
    url = access_url("petstore", "partner-acme")
    cases = [(b"", "application/json", 400, "Required request body is missing"),
             (b"[{", "application/json", 400, "JSON parse error: Malformed JSON"),
             (b"\xc3\x28", "application/json", 400, "JSON parse error: Body is not valid UTF-8"),
             (b"[]", "text/plain", 415, "Content type 'text/plain' not supported")]
    before = snapshot(client)
    for raw, content_type, status, start in cases:
        response = client.open(url, method=method, data=raw, content_type=content_type, headers=AUTH)
        assert response.status_code == status
        assert response.json["error_description"].startswith(start)
    assert snapshot(client) == before


# --- access: revoke -------------------------------------------------------------------------
def test_revoke_with_the_bare_array(client):
    body = [{"name": "Calculator", "type": "API_PROXY"}]
    response = client.delete(access_url("petstore", "partner-acme"), json=body, headers=AUTH)
    assert (response.status_code, response.json) == (200, {"status": "SUCCESS"})
    assert granted(client, "petstore", "partner-acme") == []


def test_revoke_with_the_wrapped_form_keeps_the_rest(client):
    assert client.put(access_url("petstore", "user1"), json=DOCUMENT_ACCESS, headers=AUTH).status_code == 200
    body = {"credentialAccessList": [{"name": "Calculator", "type": "API_PROXY"}]}
    assert client.delete(access_url("petstore", "user1"), json=body, headers=AUTH).status_code == 200
    assert granted(client, "petstore", "user1") == [{"name": "Account Proxy Group", "type": "API_PROXY_GROUP"}]


def test_revoke_what_was_never_granted_succeeds_silently(client):
    before = snapshot(client)
    response = client.delete(access_url("petstore", "user1"), json=DOCUMENT_ACCESS, headers=AUTH)
    assert (response.status_code, response.json) == (200, {"status": "SUCCESS"})
    assert granted(client, "petstore", "user1") == []
    assert snapshot(client) == before


def test_revoke_an_unknown_proxy_is_400_and_revokes_nothing(client):
    before = snapshot(client)
    body = [{"name": "Calculator", "type": "API_PROXY"}, {"name": "Weather", "type": "API_PROXY"}]
    response = client.delete(access_url("petstore", "partner-acme"), json=body, headers=AUTH)
    assert (response.status_code, response.json) == (400, bad_request(
        "API Proxy (name:Weather) is not found or user does not have privilege to access it!"))
    assert snapshot(client) == before
    assert granted(client, "petstore", "partner-acme") == [{"name": "Calculator", "type": "API_PROXY"}]


def test_revoke_from_admin_and_from_an_unseen_credential(client):
    body = [{"name": "Payments", "type": "API_PROXY"}]
    denied = client.delete(access_url("petstore", "teller-app"), json=body, headers=AUTH)
    assert denied.json == bad_request("Credential (username: teller-app) was not found!")
    assert client.delete(access_url("admin", "teller-app"), json=body, headers=AUTH).status_code == 200
    assert granted(client, "banking", "teller-app") == []


def test_revoke_validation_is_400(client):
    response = client.delete(access_url("petstore", "partner-acme"), json=[{"name": "Calculator"}], headers=AUTH)
    assert (response.status_code, response.json) == (400, bad_request("Validation failed: [0].type is required"))
    assert granted(client, "petstore", "partner-acme") == [{"name": "Calculator", "type": "API_PROXY"}]


# --- routing ------------------------------------------------------------------------------
@pytest.mark.parametrize("method,slashed,bodies", [
    ("GET", credentials_url("petstore"), (None, None)),
    ("PATCH", credential_url("petstore", "user1"), ({"password": "x"}, {"password": "y"})),
    ("GET", access_url("petstore", "partner-acme"), (None, None)),
    # two different grants, since granting the same one twice is a 400
    ("PUT", access_url("petstore", "user1"), (DOCUMENT_ACCESS, [{"name": "Pet Store API", "type": "API_PROXY"}])),
])
def test_paths_work_with_and_without_the_trailing_slash(client, method, slashed, bodies):
    assert slashed.endswith("/")
    for url, body in zip((slashed, slashed.rstrip("/")), bodies):
        response = client.open(url, method=method, json=body, headers=AUTH)
        assert response.status_code == 200, url


def test_post_and_delete_without_the_trailing_slash(client):
    body = {"username": "no-slash", "password": "pw"}
    assert client.post(credentials_url("petstore").rstrip("/"), json=body, headers=AUTH).status_code == 200
    assert client.delete(credential_url("petstore", "no-slash").rstrip("/"), headers=AUTH).status_code == 200
    assert stored(client, "no-slash") is None


@pytest.mark.parametrize("url", [
    "/apinizer/apiops/projects/petstore/",
    "/apinizer/apiops/projects/petstore/credentials/user1/access/extra/",
    "/apinizer/apiops/projects/petstore/credential/",  # (credentials// is credentials/: slashes merge)
    "/apinizer/nothing-here",
])
def test_unknown_path_is_404_not_found(client, url):
    response = client.get(url, headers=AUTH)
    assert response.status_code == 404
    assert response.json["error"] == "not_found"
    assert response.json["error_description"] == f"No handler found for GET {url}"


@pytest.mark.parametrize("method,url,allowed", [
    ("DELETE", credentials_url("petstore"), "GET, HEAD, POST, PUT"),
    ("PATCH", credentials_url("petstore"), "GET, HEAD, POST, PUT"),
    ("GET, HEAD", credential_url("petstore", "user1"), "DELETE, PATCH"),
    ("PUT", credential_url("petstore", "user1"), "DELETE, PATCH"),
    ("POST", access_url("petstore", "user1"), "DELETE, GET, HEAD, PUT"),
])
def test_wrong_method_is_405_with_allow(client, method, url, allowed):
    before = snapshot(client)
    response = client.open(url, method=method, json={"username": "x", "password": "y"}, headers=AUTH)
    assert response.status_code == 405
    assert response.json == {"error": "method_not_allowed",
                             "error_description": f"Request method '{method}' not supported"}
    assert response.headers["Allow"] == allowed
    assert snapshot(client) == before


def test_url_encoded_username(client):
    body = {"username": "svc account@acme", "password": "pw"}
    assert client.post(credentials_url("petstore"), json=body, headers=AUTH).status_code == 200
    url = credential_url("petstore", "svc%20account%40acme")
    assert client.patch(url, json={"password": "p2"}, headers=AUTH).status_code == 200
    assert stored(client, "svc account@acme")["password"] == "p2"


# --- steering -----------------------------------------------------------------------------
@pytest.mark.parametrize("method,url,prefer,status,body", [
    ("GET", credentials_url("petstore"), "code=404", 404,
     {"error": "not_found",
      "error_description": "Project(nowhere) was not found or user does not have privilege to access it!"}),
    ("GET", credentials_url("petstore"), "code=401", 401, UNAUTHORIZED),
    ("GET", credentials_url("petstore"), "code=500", 500,
     {"error": "internal_error", "error_description": "An unexpected error occurred"}),
    ("POST", credentials_url("petstore"), "example=duplicateUsername", 400,
     bad_request("There is already a credential has this name!")),
    ("DELETE", credential_url("petstore", "user1"), "code=400", 400,
     bad_request("Credential (username: ghost) was not found!")),
    ("GET", access_url("petstore", "user1"), "example=document", 200,
     {"status": "SUCCESS", "resultList": [{"name": "Calculator", "type": "API_PROXY"}], "resultCount": 1}),
    ("PUT", access_url("petstore", "user1"), "example=alreadyGranted", 400, bad_request(
        "Credential (username:partner-acme) has already access to API Proxy (name:Calculator)!")),
    ("GET", credentials_url("nowhere"), "example=document", 200,
     {"status": "SUCCESS", "resultList": [{"fullName": "user1", "username": "user1", "enabled": True,
                                           "ipList": ["123.123.123", "98.98.15.12"]}], "resultCount": 1}),
])
def test_prefer_steers_documented_responses_without_auth(client, method, url, prefer, status, body):
    response = client.open(url, method=method, headers={"Prefer": prefer})
    assert (response.status_code, response.json) == (status, body)


def test_prefer_on_writes_stores_nothing(client):
    before = snapshot(client)
    headers = {**AUTH, "Prefer": "code=200"}
    for method, url, body in [("POST", credentials_url("petstore"), DOCUMENT_BODY),
                              ("PUT", credentials_url("petstore"), DOCUMENT_BODY),
                              ("DELETE", credential_url("petstore", "user1"), None),
                              ("PUT", access_url("petstore", "user1"), DOCUMENT_ACCESS)]:
        response = client.open(url, method=method, json=body, headers=headers)
        assert (response.status_code, response.json) == (200, {"status": "SUCCESS"})
    assert snapshot(client) == before


def test_prefer_dynamic_generates_a_valid_list(client):
    response = client.get(credentials_url("petstore"), headers={**AUTH, "Prefer": "code=200, dynamic=true, seed=3"})
    assert response.status_code == 200  # strict mode checked it against the schema
    assert all("password" not in row for row in response.json["resultList"])


def test_prefer_for_an_undocumented_status_is_404_in_apinizers_format(client):
    response = client.get(credentials_url("petstore"), headers={**AUTH, "Prefer": "code=418"})
    assert response.status_code == 404
    assert response.json["error"] == "not_found"
    assert "code=418" in response.json["error_description"]


# --- the spec itself --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spec():
    return load_apis(only=["apinizer"])["apinizer"].spec


def test_every_response_has_examples_that_meet_its_schema(spec):
    for op in spec.operations:
        assert "default" in op.responses, op.operation_id
        for status, response in op.responses.items():
            assert response.examples, (op.operation_id, status)
            for name, example in response.examples.items():
                errors = list(response.validator.iter_errors(example))
                assert not errors, (op.operation_id, status, name, errors[0].message)


def test_every_request_example_meets_its_schema(spec):
    raw = dereference(yaml.safe_load(spec.source.read_text()), spec.source)
    for op in spec.operations:
        if op.body is None:
            continue
        for media_type, media in raw["paths"][op.path][op.method.lower()]["requestBody"]["content"].items():
            examples = [e["value"] for e in (media.get("examples") or {}).values()]
            examples += [media["example"]] if "example" in media else []
            assert examples, op.operation_id
            for example in examples:
                assert not list(op.body.validators[media_type].iter_errors(example)), op.operation_id


def test_list_schema_forbids_the_password(spec):
    item = spec.operation("listCredentials").responses["200"].schema["properties"]["resultList"]["items"]
    validator = Draft202012Validator(item)
    assert validator.is_valid({"username": "u", "enabled": True})
    assert not validator.is_valid({"username": "u", "enabled": True, "password": "secret"})


# --- fixtures -----------------------------------------------------------------------------
def test_generated_data_is_valid_and_repeatable(make_app, tmp_path):
    path = tmp_path / "bulk.yaml"
    path.write_text(yaml.safe_dump({"apis": {"apinizer": {
        "projects": [{"name": "admin"}, {"generate": {"count": 3}}],
        "proxies": [{"generate": {"count": 6}}],
        "credentials": [{"generate": {"count": 40}}, {"generate": {"count": 2, "project": "admin"}}],
    }}}))
    first = make_app(only=["apinizer"], fixtures=[path]).test_client()
    second = make_app(only=["apinizer"], fixtures=[path]).test_client()
    assert snapshot(first) == snapshot(second)
    everything = listing(first, "admin")
    assert len(everything) == 42
    assert sum(1 for c in snapshot(first) if c["project"] == "admin") == 2
    store = first.application.extensions["mockserver"].store.api("apinizer")
    assert len(store["projects"]) == 4 and len(store["proxies"]) == 6
    assert all(c["project"] in store["projects"] for c in snapshot(first))


@pytest.mark.parametrize("credential,problem", [
    ({"username": "u", "password": "p", "project": "petstore", "access": [{"name": "Payments", "type": "API_PROXY"}]},
     "API Proxy (name:Payments) is not found"),
    ({"username": "u", "password": "p", "project": "petstore", "enabled": "true"}, "field enabled"),
    ({"username": "u", "password": "p", "project": "nowhere"}, "no projects entity with key 'nowhere'"),
    ({"username": "u", "project": "petstore"}, "field password"),
])
def test_fixture_entities_are_checked(make_app, tmp_path, credential, problem):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"apis": {"apinizer": {
        "projects": [{"name": "admin"}, {"name": "petstore"}, {"name": "banking"}],
        "proxies": [{"name": "Payments", "type": "API_PROXY", "project": "banking"}],
        "credentials": [credential],
    }}}))
    with pytest.raises(FixtureError, match=re.escape(problem)):
        make_app(only=["apinizer"], fixtures=[path])


def test_a_null_enabled_on_update_restores_the_default_and_the_list_stays_valid(client):
    assert client.post(credentials_url("petstore"), headers=AUTH,
                       json={"username": "flippy", "password": "p", "enabled": False}).status_code == 200
    assert client.put(credentials_url("petstore"), headers=AUTH,
                      json={"username": "flippy", "enabled": None}).status_code == 200
    listed = {c["username"]: c for c in client.get(credentials_url("petstore"), headers=AUTH).json["resultList"]}
    assert listed["flippy"]["enabled"] is True
