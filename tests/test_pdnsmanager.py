"""PDNS Manager: every operation and documented status, through the Flask test client.

Every response is also checked against the spec by the strict-mode app (see conftest).
"""

from __future__ import annotations

import re

import pytest
from conftest import violations
from test_formats import certificate

BASE = "/pdnsmanager"
ADMIN = {"X-Authentication": "any-token"}


@pytest.fixture
def client(make_app):
    """PDNS Manager alone, under its usual /pdnsmanager prefix."""
    return make_app(only=["pdnsmanager"]).test_client()


PEM_KEY = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAA6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n"
    "-----END PUBLIC KEY-----\n"
)


def login(client, username: str) -> dict:
    """Headers carrying a session token for a user of the default data set."""
    response = client.post(f"{BASE}/sessions", json={"username": username, "password": username})
    assert response.status_code == 201
    return {"X-Authentication": response.json["token"]}


def create(client, record=2, headers=ADMIN, **body):
    body.setdefault("description", "Created in a test")
    body.setdefault("type", "password")
    if body["type"] == "password":
        body.setdefault("password", "hunter22")
    return client.post(f"{BASE}/records/{record}/credentials", json=body, headers=headers)


# --- sessions ------------------------------------------------------------------------------
def test_session_issues_a_token_for_the_user(client):
    response = client.post(f"{BASE}/sessions", json={"username": "admin", "password": "admin"})
    assert response.status_code == 201
    assert response.json["username"] == "admin"
    # As the real backend's: base64url of 64 random bytes, without padding.
    assert re.fullmatch(r"[A-Za-z0-9_-]{86}", response.json["token"])


def test_logout_ends_the_session_and_its_token_is_then_an_invalid_session(make_app, caplog):
    client = make_app(only=["pdnsmanager"], access_log=True).test_client()
    caplog.set_level("INFO", logger="mockserver.access")
    session = login(client, "admin")
    assert client.get(f"{BASE}/records/2/credentials", headers=session).status_code == 200
    token = session["X-Authentication"]
    ended = client.delete(f"{BASE}/sessions/{token}", headers=session)
    assert ended.status_code == 204 and ended.get_data() == b""
    # Any other token is accepted by default; a logged-out one never again.
    refused = client.get(f"{BASE}/records/2/credentials", headers=session)
    assert (refused.status_code, refused.json) == (403, {"error": "No valid authentication token suplied",
                                                         "code": "invalid_session"})
    assert client.get(f"{BASE}/records/2/credentials", headers=ADMIN).status_code == 200
    again = client.delete(f"{BASE}/sessions/{token}", headers=ADMIN)
    assert (again.status_code, again.json) == (404, {"error": "Session not found"})
    unknown = client.delete(f"{BASE}/sessions/no-such-token", headers=ADMIN)
    assert (unknown.status_code, unknown.json) == (404, {"error": "Session not found"})
    assert client.delete(f"{BASE}/sessions/{token}").status_code == 403  # logging out needs a session too
    # The journal never shows the token, not even in the path.
    journal = client.get("/__mock/requests").get_data(as_text=True)
    assert token not in journal and f"{BASE}/sessions/***" in journal
    # ... nor does the access log (one line per request)
    assert token not in caplog.text and f"DELETE {BASE}/sessions/*** -> 204" in caplog.text


def test_a_session_expires_after_the_timeout(make_app, monkeypatch):
    from mockserver.behaviors import pdnsmanager

    client = make_app(session_timeout=60).test_client()
    session = login(client, "admin")
    now = pdnsmanager.time.time()
    monkeypatch.setattr(pdnsmanager.time, "time", lambda: now + 59)
    assert client.get(f"{BASE}/records/2/credentials", headers=session).status_code == 200
    monkeypatch.setattr(pdnsmanager.time, "time", lambda: now + 61)
    expired = client.get(f"{BASE}/records/2/credentials", headers=session)
    assert (expired.status_code, expired.json["code"]) == (403, "invalid_session")


@pytest.mark.parametrize("body,status,message", [
    ({}, 400, "The supplied body was empty"),
    ({"username": "admin"}, 422, "One of the required fields is missing"),
])
def test_session_rejects_empty_and_incomplete_bodies(client, body, status, message):
    response = client.post(f"{BASE}/sessions", json=body)
    assert (response.status_code, response.json) == (status, {"error": message})


# --- list ---------------------------------------------------------------------------------
def test_list_without_pagesize_returns_everything_on_one_page(client):
    response = client.get(f"{BASE}/records/2/credentials", headers=ADMIN)
    assert response.status_code == 200
    assert response.json["paging"] == {"page": 1, "total": 1}
    ids = [c["id"] for c in response.json["results"]]
    assert ids == sorted(ids) and {1, 2} <= set(ids)
    for row in response.json["results"]:
        assert set(row) == {"id", "description", "type"}


def test_list_paging_total_counts_pages(client):
    for i in range(5):
        assert create(client, record=5, description=f"c{i}").status_code == 201
    everything = client.get(f"{BASE}/records/5/credentials", headers=ADMIN).json["results"]
    pages = -(-len(everything) // 2)
    response = client.get(f"{BASE}/records/5/credentials?page=2&pagesize=2", headers=ADMIN)
    assert response.json["paging"] == {"page": 2, "total": pages, "pagesize": 2}
    assert response.json["results"] == everything[2:4]
    beyond = client.get(f"{BASE}/records/5/credentials?page={pages + 1}&pagesize=2", headers=ADMIN)
    assert beyond.status_code == 200 and beyond.json["results"] == []
    assert beyond.json["paging"]["total"] == pages


def test_list_rejects_a_page_that_is_not_positive(client):
    response = client.get(f"{BASE}/records/2/credentials?page=0&pagesize=2", headers=ADMIN)
    assert response.status_code == 400
    assert "page" in response.json["error"]
    assert violations(response)[0]["pointer"] == "/page"


def test_list_without_token_is_403_invalid_session(client):
    response = client.get(f"{BASE}/records/2/credentials")
    assert response.status_code == 403
    assert response.json == {"error": "No valid authentication token suplied", "code": "invalid_session"}
    assert violations(response)[0]["pointer"] == "/x-authentication"


def test_non_admin_sees_only_permitted_records(client):
    operator = login(client, "operator")  # permission for domain 1 (records 1-3) only
    assert client.get(f"{BASE}/records/2/credentials", headers=operator).status_code == 200
    denied = client.get(f"{BASE}/records/4/credentials", headers=operator)
    assert denied.status_code == 403
    assert denied.json == {"error": "You have no permissions for the given record."}
    missing = client.get(f"{BASE}/records/999/credentials", headers=operator)
    assert missing.status_code == 403  # for non-admins a missing record is a 403


def test_admin_lists_a_missing_record_as_empty(client):
    response = client.get(f"{BASE}/records/999/credentials", headers=ADMIN)
    assert response.status_code == 200 and response.json["results"] == []


# --- create -------------------------------------------------------------------------------
def test_create_password_credential_never_returns_the_password(client):
    response = create(client, description="Updater", password="s3cret")
    assert response.status_code == 201
    assert response.json == {"id": response.json["id"], "description": "Updater", "type": "password"}
    fetched = client.get(f"{BASE}/records/2/credentials/{response.json['id']}", headers=ADMIN)
    assert "password" not in fetched.json and "s3cret" not in fetched.get_data(as_text=True)


def test_create_key_credential_returns_the_key_and_is_listed(client):
    response = create(client, record=3, type="key", key=PEM_KEY, description="Deploy")
    assert response.status_code == 201
    assert response.json["key"] == PEM_KEY and isinstance(response.json["id"], int)
    listed = client.get(f"{BASE}/records/3/credentials", headers=ADMIN).json["results"]
    assert {"id": response.json["id"], "description": "Deploy", "type": "key"} in listed


def test_create_accepts_a_pem_certificate_as_key(client):
    pem = certificate()  # a fresh self-signed certificate (test_formats)
    assert create(client, type="key", key=pem).status_code == 201


@pytest.mark.parametrize("body,message", [
    ({"type": "key", "key": "not a key"}, "The provided key is invalid."),
    ({"type": "token", "key": "x"}, "The type is invalid."),
])
def test_create_rejects_bad_type_and_bad_key_with_400(client, body, message):
    response = create(client, **body)
    assert (response.status_code, response.json) == (400, {"error": message})


def test_create_missing_field_is_422(client):
    response = create(client, type="key")  # no key
    assert (response.status_code, response.json) == (422, {"error": "One of the required fields is missing"})
    assert violations(response)[0]["pointer"] == "/key"


def test_create_on_a_missing_record_is_404(client):
    response = create(client, record=999)
    assert (response.status_code, response.json) == (404, {"error": "The provided record does not exist."})


def test_create_empty_body_is_400_before_anything_else(client):
    for raw in (b"{}", b"", b"{broken", b"[]", b"\xff\xfe"):
        response = client.post(f"{BASE}/records/999/credentials", data=raw,
                               content_type="application/json", headers=ADMIN)
        assert (response.status_code, response.json) == (400, {"error": "The supplied body was empty"})


def test_create_checks_in_the_backends_order(client):
    operator = login(client, "operator")
    # 422 (missing field) comes before 403 (no permission on record 4)
    assert create(client, record=4, headers=operator, type="key").status_code == 422
    # 403 comes before 400 (bad type)
    assert create(client, record=4, headers=operator, type="token", key="x").status_code == 403
    # 400 (bad key) comes before 404 (missing record), for an admin
    response = create(client, record=999, type="key", key="nope")
    assert (response.status_code, response.json["error"]) == (400, "The provided key is invalid.")


def test_non_admin_creates_on_permitted_record(client):
    operator = login(client, "operator")
    assert create(client, record=1, headers=operator).status_code == 201


# --- get ----------------------------------------------------------------------------------
def test_get_key_credential_shows_key(client):
    response = client.get(f"{BASE}/records/2/credentials/1", headers=ADMIN)
    assert response.status_code == 200
    assert response.json["type"] == "key" and "BEGIN PUBLIC KEY" in response.json["key"]


def test_get_credential_of_another_record_is_404(client):
    response = client.get(f"{BASE}/records/3/credentials/1", headers=ADMIN)
    assert (response.status_code, response.json) == (404, {"error": "No matching credential found."})


@pytest.mark.parametrize("body", [
    {"username": "operator", "password": "wrong"},
    {"username": "nobody", "password": "nobody"},
    {"username": "operator", "password": ["operator"]},
])
def test_login_needs_a_known_user_and_the_right_password(client, body):
    response = client.post(f"{BASE}/sessions", json=body)
    assert (response.status_code, response.json) == (403, {"error": "Username or password is invalid"})


def test_a_token_not_issued_by_sessions_acts_as_administrator(client):
    response = client.get(f"{BASE}/records/4/credentials", headers={"X-Authentication": "made-up"})
    assert response.status_code == 200


def test_sessions_survive_reset_and_keep_their_user(app):
    client = app.test_client()
    operator = login(client, "operator")
    assert client.get(f"{BASE}/records/4/credentials", headers=operator).status_code == 403
    assert client.post("/__mock/reset").status_code == 200
    assert client.get(f"{BASE}/records/4/credentials", headers=operator).status_code == 403


def test_a_session_whose_user_is_gone_is_invalid(app):
    client = app.test_client()
    operator = login(client, "operator")
    app.extensions["mockserver"].store.api("pdnsmanager")["users"].remove(2)
    response = client.get(f"{BASE}/records/1/credentials", headers=operator)
    assert (response.status_code, response.json["code"]) == (403, "invalid_session")


def test_get_without_permission_is_403(client):
    created = create(client, record=4).json["id"]
    denied = client.get(f"{BASE}/records/4/credentials/{created}", headers=login(client, "operator"))
    assert denied.status_code == 403


# --- update -------------------------------------------------------------------------------
def test_update_changes_are_visible_and_answer_204(client):
    response = client.put(f"{BASE}/records/2/credentials/2", json={"description": "Renamed"}, headers=ADMIN)
    assert response.status_code == 204 and response.data == b""
    fetched = client.get(f"{BASE}/records/2/credentials/2", headers=ADMIN).json
    assert fetched == {"id": 2, "description": "Renamed", "type": "password"}


def test_update_switching_to_key_requires_and_stores_the_key(client):
    url = f"{BASE}/records/2/credentials/2"
    assert client.put(url, json={"type": "key"}, headers=ADMIN).status_code == 422
    assert client.put(url, json={"type": "key", "key": "bad"}, headers=ADMIN).status_code == 400
    assert client.put(url, json={"type": "key", "key": PEM_KEY}, headers=ADMIN).status_code == 204
    assert client.get(url, headers=ADMIN).json["key"] == PEM_KEY


@pytest.mark.parametrize("url,body,status,message", [
    ("/records/2/credentials/2", {}, 400, "The supplied body was empty"),
    ("/records/2/credentials/2", {"type": "token"}, 400, "The type is invalid."),
    ("/records/2/credentials/2", {"type": "password"}, 422, "One of the required fields is missing"),
    ("/records/2/credentials/999", {"description": "x"}, 404, "No matching credential found."),
    ("/records/3/credentials/2", {"description": "x"}, 404, "No matching credential found."),
])
def test_update_rejections(client, url, body, status, message):
    response = client.put(BASE + url, json=body, headers=ADMIN)
    assert (response.status_code, response.json) == (status, {"error": message})


def test_update_without_permission_is_403(client):
    created = create(client, record=4).json["id"]
    response = client.put(f"{BASE}/records/4/credentials/{created}", json={"description": "x"},
                          headers=login(client, "operator"))
    assert response.status_code == 403


def test_rejected_update_changes_nothing(client):
    url = f"{BASE}/records/2/credentials/1"
    before = client.get(url, headers=ADMIN).json
    client.put(url, json={"type": "key", "key": "garbage", "description": "should not stick"}, headers=ADMIN)
    assert client.get(url, headers=ADMIN).json == before


# --- delete -------------------------------------------------------------------------------
def test_delete_then_gone(client):
    created = create(client).json["id"]
    url = f"{BASE}/records/2/credentials/{created}"
    response = client.delete(url, headers=ADMIN)
    assert response.status_code == 204 and response.data == b""
    assert client.get(url, headers=ADMIN).status_code == 404
    again = client.delete(url, headers=ADMIN)
    assert (again.status_code, again.json) == (404, {"error": f"No credential found for id {created}"})


def test_delete_without_permission_is_403(client):
    created = create(client, record=4).json["id"]
    response = client.delete(f"{BASE}/records/4/credentials/{created}", headers=login(client, "operator"))
    assert (response.status_code, response.json) == (403, {"error": "You have no permission for this record"})


# --- routing ------------------------------------------------------------------------------
def test_unknown_path_and_wrong_method(client):
    assert client.get(f"{BASE}/records/abc/credentials", headers=ADMIN).status_code == 404
    unknown = client.get(f"{BASE}/nothing-here", headers=ADMIN)
    assert unknown.status_code == 404 and "/nothing-here" in unknown.json["error"]
    response = client.patch(f"{BASE}/records/2/credentials", headers=ADMIN)
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD, POST"


# --- steering -----------------------------------------------------------------------------
@pytest.mark.parametrize("prefer,status,body", [
    ("code=404", 404, {"error": "No matching credential found."}),
    ("code=403, example=invalidSession", 403, {"error": "No valid authentication token suplied",
                                               "code": "invalid_session"}),
    ("example=key", 200, None),
])
def test_prefer_steers_get(client, prefer, status, body):
    response = client.get(f"{BASE}/records/2/credentials/1", headers={**ADMIN, "Prefer": prefer})
    assert response.status_code == status
    if body is not None:
        assert response.json == body
    else:
        assert response.json["type"] == "key"


def test_prefer_on_create_does_not_store(client):
    before = client.get(f"{BASE}/records/2/credentials", headers=ADMIN).json["results"]
    response = create(client, headers={**ADMIN, "Prefer": "code=201"})
    assert response.status_code == 201
    assert client.get(f"{BASE}/records/2/credentials", headers=ADMIN).json["results"] == before


def test_update_keeps_the_list_ordered_by_id(client):
    client.put(f"{BASE}/records/2/credentials/1", json={"description": "Edited"}, headers=ADMIN)
    ids = [c["id"] for c in client.get(f"{BASE}/records/2/credentials", headers=ADMIN).json["results"]]
    assert ids == sorted(ids)


def test_repeated_query_parameter_takes_the_last_value_as_php_does(client):
    response = client.get(f"{BASE}/records/2/credentials?pagesize=9&pagesize=1", headers=ADMIN)
    assert response.json["paging"]["pagesize"] == 1


def test_huge_page_numbers_and_sizes_answer_like_any_page_past_the_end(client):
    far = client.get(f"{BASE}/records/5/credentials?page=4611686018427387904&pagesize=4", headers=ADMIN)
    assert far.status_code == 200 and far.json["results"] == []
    wide = client.get(f"{BASE}/records/2/credentials?page=1&pagesize=9223372036854775808", headers=ADMIN)
    assert wide.status_code == 200 and wide.json["paging"]["total"] == 1
