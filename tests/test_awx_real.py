"""AWX as 24.6.1 really behaves where its official client (awxkit) depends on it (issue 12,
../shared/docs/awx-real.md): the global credential list and its owners, OPTIONS metadata,
session login with Django's CSRF rules, and the rows where AWX differs from a plain reading
of the document (required inputs, empty inputs, PUT resets, vault_id, named URLs).

Every response is also checked against specs/awx.yaml by the strict-mode app (conftest).
"""

from __future__ import annotations

import time

import pytest
from conftest import violations

from mockserver.data import fixture_dir

BASE = "/awx"
ADMIN = {"Authorization": "Bearer any-token"}
MACHINE, SCM, VAULT, AWS = 1, 2, 3, 4
EDGE = fixture_dir() / "edge-cases.yaml"
JDOE = {"Authorization": "Bearer awx-edge-jdoe-token"}  # edge-cases: a normal user (2)


@pytest.fixture
def client(make_app):
    return make_app(only=["awx"]).test_client()


@pytest.fixture
def edge(make_app):
    return make_app(only=["awx"], fixtures=[EDGE]).test_client()


def post(client, body, headers=ADMIN):
    return client.post(f"{BASE}/api/v2/credentials/", json=body, headers=headers)


def machine(**owner):
    return {"name": "Owned", "credential_type": MACHINE, "inputs": {"username": "u", "password": "p"}, **owner}


# --- the global list and its owners ---------------------------------------------------------------
def test_create_with_a_user_owner_and_find_it_in_both_lists(client):
    response = post(client, machine(user=2))
    assert response.status_code == 201, response.json
    body = response.json
    assert response.headers["Location"] == body["url"] == f"{BASE}/api/v2/credentials/{body['id']}/"
    assert body["organization"] is None and body["inputs"] == {"username": "u", "password": "$encrypted$"}
    assert body["summary_fields"]["owners"] == [
        {"id": 2, "type": "user", "name": "jdoe", "description": "Jane Doe", "url": f"{BASE}/api/v2/users/2/"}]
    assert "organization" not in body["related"] and body["related"]["user"] == f"{BASE}/api/v2/users/2/"
    everything = client.get(f"{BASE}/api/v2/credentials/?page_size=200", headers=ADMIN).json["results"]
    assert body in everything
    assert body in client.get(f"{BASE}/api/v2/users/2/credentials/?page_size=200", headers=ADMIN).json["results"]


def test_an_organization_or_team_owns_a_credential(client):
    org = post(client, machine(organization=1)).json
    assert org["organization"] == 1 and org["related"]["organization"] == f"{BASE}/api/v2/organizations/1/"
    assert org["summary_fields"]["organization"] == {"id": 1, "name": "Default", "description": ""}
    assert [o["type"] for o in org["summary_fields"]["owners"]] == ["organization"]
    team = post(client, {**machine(team=1), "name": "The team's"}).json
    # [awx] a team's credential belongs to the team's organization too
    assert team["organization"] == 1
    assert [(o["type"], o["id"]) for o in team["summary_fields"]["owners"]] == [("team", 1), ("organization", 1)]
    for link in (org["related"]["organization"], team["summary_fields"]["owners"][0]["url"]):
        assert client.get(link, headers=ADMIN).status_code == 200
    assert client.get(f"{BASE}/api/v2/teams/1/", headers=ADMIN).json["organization"] == 1


@pytest.mark.parametrize("owners,detail", [
    ({}, ["Missing 'user', 'team', or 'organization'."]),
    ({"user": None, "team": ""}, ["Missing 'user', 'team', or 'organization'."]),
    ({"user": 1, "organization": 1},
     ["Only one of 'user', 'team', or 'organization' should be provided, received organization, user fields."]),
])
def test_exactly_one_owner(client, owners, detail):
    before = client.get(f"{BASE}/api/v2/credentials/", headers=ADMIN).json["count"]
    response = post(client, machine(**owners))
    assert (response.status_code, response.json) == (400, {"detail": detail})
    assert client.get(f"{BASE}/api/v2/credentials/", headers=ADMIN).json["count"] == before


def test_an_unknown_owner_is_a_field_error_with_the_others(client):
    response = post(client, {"credential_type": MACHINE, "user": 99, "team": "x"})
    assert (response.status_code, response.json) == (400, {
        "name": ["This field is required."], "user": ['Invalid pk "99" - object does not exist.'],
        "team": ["Incorrect type. Expected pk value, received str."]})


def test_a_normal_user_lists_and_creates_only_its_own(edge):
    listed = edge.get(f"{BASE}/api/v2/credentials/?page_size=200", headers=JDOE).json["results"]
    assert listed and {c["summary_fields"]["owners"][0]["id"] for c in listed} == {2}
    assert post(edge, machine(user=2), headers=JDOE).status_code == 201
    for owner in ({"user": 1}, {"organization": 1}, {"team": 1}, {}):
        response = post(edge, machine(**owner), headers=JDOE)
        assert (response.status_code, response.json) == \
            (403, {"detail": "You do not have permission to perform this action."})


# --- rows of awx-real.md ----------------------------------------------------------------------------
def test_required_inputs_are_not_enforced_on_save(client):
    """Row 8: AWX checks a type's required inputs when a job launches, not on save."""
    response = post(client, {"name": "AWS later", "credential_type": AWS, "user": 1})
    assert (response.status_code, response.json["inputs"]) == (201, {})
    # ... so a type change need not bring the new type's required inputs
    response = client.patch(response.json["url"], json={"credential_type": VAULT}, headers=ADMIN)
    assert response.status_code == 200 and response.json["kind"] == "vault"


def test_empty_inputs_take_their_field_defaults(client):
    """Row 10: null, "" (and false) become the field's default: "" or false, or the first choice."""
    response = post(client, machine(user=1, inputs={"username": None, "become_method": "", "password": None}))
    assert response.status_code == 201, response.json
    assert response.json["inputs"] == {"username": "", "become_method": ""}  # an empty secret is not stored
    response = client.post(f"{BASE}/api/v2/users/1/credentials/", headers=ADMIN, json={
        "name": "k8s", "credential_type": 5, "inputs": {"host": "https://k", "bearer_token": "t", "verify_ssl": ""}})
    assert response.status_code == 201 and response.json["inputs"]["verify_ssl"] is False


def test_a_vault_id_cannot_change(client):
    """Row 13: CredentialSerializer.validate_inputs."""
    created = post(client, {"name": "Vault", "credential_type": VAULT, "user": 1,
                            "inputs": {"vault_password": "pw", "vault_id": "prod"}}).json
    response = client.patch(created["url"], json={"inputs": {"vault_password": "$encrypted$", "vault_id": "dev"}},
                            headers=ADMIN)
    assert (response.status_code, response.json) == \
        (400, {"inputs": ["Vault IDs cannot be changed once they have been created."]})
    same = client.patch(created["url"], json={"inputs": {"vault_password": "new", "vault_id": "prod"}}, headers=ADMIN)
    assert same.status_code == 200
    renamed = client.patch(created["url"], json={"name": "Vault (renamed)"}, headers=ADMIN)  # inputs untouched
    assert renamed.status_code == 200


def test_named_url_and_object_roles(client):
    """Row 20: named_url is <name>++<type name>+<kind>++<organization>, escaped as AWX does."""
    body = post(client, {"name": "a+b/c", "credential_type": AWS, "organization": 1}).json
    assert body["related"]["named_url"] == f"{BASE}/api/v2/credentials/a[+]b%2Fc++Amazon Web Services+cloud++Default/"
    roles = body["summary_fields"]["object_roles"]
    assert set(roles) == {"admin_role", "use_role", "read_role"}
    assert len({role["id"] for role in roles.values()}) == 3 and roles["use_role"]["name"] == "Use"


@pytest.mark.parametrize("query", ["?page_size=0", "?page_size=-3"])
def test_a_page_size_that_is_not_positive_gives_the_default(client, query):
    response = client.get(f"{BASE}/api/v2/credential_types/{query}", headers=ADMIN)
    assert response.status_code == 200 and len(response.json["results"]) == 5


def test_a_numeric_description_becomes_text(client):
    response = post(client, {**machine(user=1), "name": 7, "description": 12.5})
    assert response.status_code == 201 and (response.json["name"], response.json["description"]) == ("7", "12.5")


# --- OPTIONS -------------------------------------------------------------------------------------------
def test_options_needs_credentials(client):
    response = client.options(f"{BASE}/api/v2/credentials/")
    assert (response.status_code, response.json) == (401, {"detail": "Authentication credentials were not provided."})


def test_options_of_the_credential_list_is_what_awxkit_builds_its_commands_from(client):
    response = client.options(f"{BASE}/api/v2/credentials/", headers=ADMIN)
    assert response.status_code == 200
    assert response.headers["Allow"] == "GET, POST, HEAD, OPTIONS"
    meta = response.json
    assert meta["name"] == "Credential List" and meta["types"] == ["credential"]
    assert meta["max_page_size"] == 200 and meta["object_roles"] == ["admin_role", "use_role", "read_role"]
    write = meta["actions"]["POST"]
    assert write["name"] == {"type": "string", "label": "Name", "help_text": "Name of this credential.",
                             "required": True, "max_length": 512}
    assert {name: write[name]["type"] for name in ("credential_type", "user", "team", "organization", "inputs")} == \
        {"credential_type": "id", "user": "id", "team": "id", "organization": "id", "inputs": "json"}
    assert write["credential_type"]["required"] and not write["user"]["required"]
    assert not {"id", "url", "related", "created"} & set(write)  # read-only fields are not writable
    read = meta["actions"]["GET"]
    assert read["created"]["type"] == "datetime" and read["related"]["type"] == "object"
    assert read["name"]["filterable"] and not read["url"]["filterable"]


def test_options_of_a_detail_says_which_methods_work(client):
    response = client.options(f"{BASE}/api/v2/credentials/1/", headers=ADMIN)
    assert response.headers["Allow"] == "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
    assert set(response.json["actions"]) == {"PUT", "GET"}
    types = client.options(f"{BASE}/api/v2/credential_types/1/", headers=ADMIN)
    assert types.headers["Allow"] == "GET, HEAD, OPTIONS" and set(types.json["actions"]) == {"GET"}
    assert client.options(f"{BASE}/api/v2/users/", headers=ADMIN).json["actions"]["GET"]["username"]["type"] == "string"


# --- session login ---------------------------------------------------------------------------------------
def csrf_from(response) -> str:
    cookies = [v for k, v in response.headers.items() if k.lower() == "set-cookie" and v.startswith("csrftoken=")]
    assert cookies, "no csrftoken cookie"
    return cookies[-1].split(";")[0].split("=", 1)[1]


def login(client, username="admin", password="password", token=None, next_="/api/"):
    if token is None:
        token = csrf_from(client.get(f"{BASE}/api/"))
    return client.post(f"{BASE}/api/login/", data={"username": username, "password": password, "next": next_},
                       headers={"X-CSRFToken": token})


def test_login_opens_a_session_that_authenticates_with_csrf_on_writes(client):
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"] == "/api/"
    assert response.headers["X-API-Session-Cookie-Name"] == "awx_sessionid"
    cookies = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("awx_sessionid="))
    assert "HttpOnly" in session and len(session.split(";")[0].split("=")[1]) == 32
    token = csrf_from(response)  # rotated on login
    me = client.get(f"{BASE}/api/v2/me/")  # the test client sends the cookies back
    assert me.status_code == 200 and me.json["results"][0]["username"] == "admin"
    refused = client.post(f"{BASE}/api/v2/credentials/", json=machine(user=1))
    assert (refused.status_code, refused.json) == (403, {"detail": "CSRF Failed: CSRF token missing."})
    wrong = client.post(f"{BASE}/api/v2/credentials/", json=machine(user=1), headers={"X-CSRFToken": "x" * 32})
    assert wrong.json == {"detail": "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect."}
    created = client.post(f"{BASE}/api/v2/credentials/", json=machine(user=1), headers={"X-CSRFToken": token})
    assert created.status_code == 201
    # a 64-character masked token carries the same secret
    assert client.delete(created.json["url"], headers={"X-CSRFToken": masked(token)}).status_code == 204


def masked(secret: str) -> str:
    import string
    chars = string.ascii_letters + string.digits
    mask = "abcdefghijABCDEFGHIJ0123456789xy"
    return mask + "".join(chars[(chars.index(s) + chars.index(m)) % len(chars)] for s, m in zip(secret, mask))


def test_login_needs_the_csrf_cookie_and_a_pair(client):
    no_cookie = client.post(f"{BASE}/api/login/", data={"username": "admin", "password": "x"})
    assert (no_cookie.status_code, no_cookie.json) == (403, {"detail": "CSRF Failed: CSRF cookie not set."})
    empty = login(client, password="")
    assert (empty.status_code, empty.json) == (401, {"detail": "Invalid username/password."})
    elsewhere = login(client, next_="https://evil.example/")
    assert elsewhere.headers["Location"] == "/api/"


def test_a_scenario_logs_in_only_its_declared_users(edge):
    assert login(edge, "jdoe", "wrong").status_code == 401
    assert login(edge, "jdoe", "jdoe-edge-pass").status_code == 302
    me = edge.get(f"{BASE}/api/v2/me/").json["results"][0]
    assert me["username"] == "jdoe"  # the session acts as that user, with its rights
    assert edge.get(f"{BASE}/api/v2/credentials/1/").status_code == 403


def test_an_expired_or_unknown_session_is_no_credential(make_app, monkeypatch):
    client = make_app(only=["awx"], session_timeout=60).test_client()
    assert login(client).status_code == 302
    assert client.get(f"{BASE}/api/v2/me/").status_code == 200
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get(f"{BASE}/api/v2/me/")
    assert (response.status_code, response.json) == (401, {"detail": "Authentication credentials were not provided."})
    stranger = make_app(only=["awx"]).test_client()
    stranger.set_cookie("awx_sessionid", "nosuchsession", domain="localhost")
    assert stranger.get(f"{BASE}/api/v2/me/").status_code == 401


def test_the_session_and_the_password_never_reach_the_journal(client):
    response = login(client, password="S3CRET-LOGIN-PASSWORD")
    session = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("awx_sessionid="))
    key = session.split(";")[0].split("=", 1)[1]
    client.get(f"{BASE}/api/v2/me/")
    journal = client.get("/__mock/requests").get_data(as_text=True)
    assert "S3CRET-LOGIN-PASSWORD" not in journal and key not in journal and csrf_from(response) not in journal
    assert violations(login(client, password="")) != []


def test_kinds_only_described_give_their_roles_and_no_list(client):
    response = client.options(f"{BASE}/api/v2/job_templates/", headers=ADMIN)
    assert response.status_code == 200
    assert response.json["object_roles"] == ["admin_role", "execute_role", "read_role"]
    listed = client.get(f"{BASE}/api/v2/job_templates/", headers=ADMIN)
    assert listed.status_code == 405 and listed.headers["Allow"] == "OPTIONS"


def test_an_organizations_credentials_of_one_type_have_distinct_names(client):
    first = post(client, machine(organization=1))
    assert first.status_code == 201
    again = post(client, machine(organization=1))
    assert (again.status_code, again.json) == \
        (400, {"__all__": ["Credential with this Organization, Name and Credential type already exists."]})
    assert post(client, {**machine(organization=1), "credential_type": SCM, "inputs": {}}).status_code == 201
    assert post(client, machine(user=1)).status_code == 201 and post(client, machine(user=1)).status_code == 201
    other = post(client, {**machine(organization=1), "name": "Other"}).json
    renamed = client.patch(other["url"], json={"name": "Owned"}, headers=ADMIN)
    assert renamed.status_code == 400 and client.get(other["url"], headers=ADMIN).json["name"] == "Other"


def test_the_journal_keeps_owner_ids_readable_and_inputs_masked(client):
    assert post(client, machine(user=2)).status_code == 201
    entry = client.get("/__mock/requests?limit=1").json
    entry = entry["requests"][-1] if isinstance(entry, dict) else entry[-1]
    assert entry["request"]["body"]["user"] == 2 and entry["request"]["body"]["inputs"] == "***"
    found = client.post("/__mock/requests/count", json={"api": "awx", "body": {"user": 2}})
    assert found.status_code == 200 and found.json["count"] == 1


def test_an_update_may_move_a_credential_to_an_organization(client, edge):
    created = post(client, machine(user=1)).json
    moved = client.patch(created["url"], json={"organization": 1}, headers=ADMIN)
    assert moved.status_code == 200 and moved.json["organization"] == 1
    assert [o["type"] for o in moved.json["summary_fields"]["owners"]] == ["user", "organization"]
    unknown = client.patch(created["url"], json={"organization": 9}, headers=ADMIN)
    assert unknown.json == {"organization": ['Invalid pk "9" - object does not exist.']}
    # a PUT without it sets null (the model default), as it resets description and inputs
    put = client.put(created["url"], json={"name": "n", "credential_type": MACHINE}, headers=ADMIN)
    assert put.json["organization"] is None
    mine = post(edge, machine(user=2), headers=JDOE).json
    refused = edge.patch(mine["url"], json={"organization": 1}, headers=JDOE)
    assert refused.status_code == 403 and edge.get(mine["url"], headers=JDOE).json["organization"] is None


# --- personal tokens (awx login) -------------------------------------------------------------------
def test_a_personal_token_acts_as_its_user_within_its_scope(edge):
    jdoe_basic = {"Authorization": "Basic amRvZTpqZG9lLWVkZ2UtcGFzcw=="}  # jdoe:jdoe-edge-pass
    made = edge.post(f"{BASE}/api/v2/users/jdoe/personal_tokens/", json={"description": "AWX CLI"},
                     headers=jdoe_basic)
    assert made.status_code == 201
    body = made.json
    assert (body["user"], body["scope"], body["type"], len(body["token"])) == (2, "write", "o_auth2_access_token", 30)
    token = {"Authorization": f"Bearer {body['token']}"}
    assert edge.get(f"{BASE}/api/v2/me/", headers=token).json["results"][0]["username"] == "jdoe"
    assert edge.get(f"{BASE}/api/v2/credentials/1/", headers=token).status_code == 403  # admin's
    reader = edge.post(f"{BASE}/api/v2/users/2/personal_tokens/", json={"scope": "read"}, headers=jdoe_basic).json
    read_only = {"Authorization": f"Bearer {reader['token']}"}
    assert edge.get(f"{BASE}/api/v2/credentials/", headers=read_only).status_code == 200
    assert post(edge, machine(user=2), headers=read_only).status_code == 403
    # only for itself; an unknown user is 404; a wrong scope 400
    assert edge.post(f"{BASE}/api/v2/users/admin/personal_tokens/", json={}, headers=jdoe_basic).status_code == 403
    assert edge.post(f"{BASE}/api/v2/users/nobody/personal_tokens/", json={}, headers=jdoe_basic).status_code == 404
    wrong = edge.post(f"{BASE}/api/v2/users/jdoe/personal_tokens/", json={"scope": "all"}, headers=jdoe_basic)
    assert wrong.json == {"scope": ["Must be a simple space-separated string with allowed scopes ['read', 'write']."]}
    # the token is shown once: never in the journal
    assert body["token"] not in edge.get("/__mock/requests").get_data(as_text=True)


def test_the_journal_keeps_the_response_headers_as_sent_masked(client):
    rejected = post(client, {"name": "x"})
    assert rejected.status_code == 400
    entry = client.get("/__mock/requests?limit=1").json
    headers = (entry["requests"] if isinstance(entry, dict) else entry)[-1]["response"]["headers"]
    assert headers["Content-Type"] == "application/json" and "X-Mock-Violations" in headers
    login(client)
    entry = client.get("/__mock/requests?limit=1").json
    headers = (entry["requests"] if isinstance(entry, dict) else entry)[-1]["response"]["headers"]
    assert headers["Location"] == "/api/" and headers["Set-Cookie"] == "***"
