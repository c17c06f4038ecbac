"""Apinizer under the shipped scenarios: declared tokens, roles and project scope.

fixtures/edge-cases.yaml declares two tokens: ``apinizer-admin-token`` (role admin, every
project) and ``apinizer-petstore-token`` (role user, scope [petstore]). With them
declared, any other token is a 401 "Invalid access token", and the scoped token meets
every project but petstore (the global ``admin`` included) as a 404, as if it did not
exist. fixtures/empty.yaml has projects and proxies but no credential;
fixtures/large.yaml has 2,000 generated credentials.
"""

from __future__ import annotations

import pytest
import yaml
from conftest import violations
from test_apinizer import access_url, credential_url, credentials_url

from mockserver.data import fixture_dir

FIXTURE_DIR = fixture_dir()  # the shipped scenarios, as the installed package has them

BASE = "/apinizer/apiops/projects"
ADMIN_TOKEN = "apinizer-admin-token"
PETSTORE_TOKEN = "apinizer-petstore-token"
ADMIN = {"Authorization": ADMIN_TOKEN}
PETSTORE = {"Authorization": PETSTORE_TOKEN}
INVALID_TOKEN = {"error": "unauthorized_client", "error_description": "Invalid access token"}
NO_TOKEN = {"error": "unauthorized_client",
            "error_description": "Full authentication is required to access this resource"}
NEW_CREDENTIAL = {"username": "new-client", "password": "N3w-client!", "fullName": "New Client"}


def operations(project: str, username: str, proxy: dict) -> list[tuple[str, str, object]]:
    """Every operation of the API on `project`, with a body that would succeed there."""
    return [
        ("GET", credentials_url(project), None),
        ("POST", credentials_url(project), NEW_CREDENTIAL),
        ("PUT", credentials_url(project), {"username": username, "fullName": "Renamed"}),
        ("PATCH", credential_url(project, username), {"password": "An0ther-pass"}),
        ("GET", access_url(project, username), None),
        ("PUT", access_url(project, username), [proxy]),
        ("DELETE", access_url(project, username), [proxy]),
        ("DELETE", credential_url(project, username), None),
    ]


def not_found(project: str) -> dict:
    return {"error": "not_found",
            "error_description": f"Project({project}) was not found or user does not have privilege to access it!"}


@pytest.fixture
def edge(make_app):
    return make_app(only=["apinizer"], fixtures=[FIXTURE_DIR / "edge-cases.yaml"]).test_client()


def snapshot(client) -> list[dict]:
    store = client.application.extensions["mockserver"].store
    return list(store.api("apinizer")["credentials"])


def listing(client, project: str, headers=ADMIN) -> dict[str, dict]:
    response = client.get(credentials_url(project), headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["resultCount"] == len(response.json["resultList"])
    return {row["username"]: row for row in response.json["resultList"]}


def granted(client, project: str, username: str, headers=ADMIN) -> list[dict]:
    response = client.get(access_url(project, username), headers=headers)
    assert response.status_code == 200, response.json
    return response.json["resultList"]


# --- strict auth ------------------------------------------------------------------------------
@pytest.mark.parametrize("token", ["some-other-token", "Bearer some-other-token", "bearer nope",
                                   "eyJhbGciOiJIUzI1NiJ9.mock-token", "APINIZER-ADMIN-TOKEN",
                                   "Bearer apinizer-admin-token-2", "Basic apinizer-admin-token"])
def test_an_undeclared_token_is_401_on_every_operation(edge, token):
    before = snapshot(edge)
    for method, url, body in operations("petstore", "disabled-app", {"name": "Calculator", "type": "API_PROXY"}):
        response = edge.open(url, method=method, json=body, headers={"Authorization": token})
        assert (response.status_code, response.json) == (401, INVALID_TOKEN), (method, url)
        assert violations(response)[0]["pointer"] == "/authorization"
    assert snapshot(edge) == before


@pytest.mark.parametrize("headers", [{}, {"Authorization": ""}, {"Authorization": "Bearer"}])
def test_a_missing_token_is_still_full_authentication_required(edge, headers):
    response = edge.get(credentials_url("petstore"), headers=headers)
    assert (response.status_code, response.json) == (401, NO_TOKEN)


@pytest.mark.parametrize("token", [ADMIN_TOKEN, PETSTORE_TOKEN])
@pytest.mark.parametrize("form", ["{}", "Bearer {}", "bearer {}", "Bearer   {}"])
def test_declared_tokens_work_bare_and_bearer(edge, token, form):
    response = edge.get(credentials_url("petstore"), headers={"Authorization": form.format(token)})
    assert response.status_code == 200
    assert "expired-partner" in {row["username"] for row in response.json["resultList"]}


# --- roles and scope ----------------------------------------------------------------------------
@pytest.mark.parametrize("project,username,proxy", [
    ("banking", "retired-teller", {"name": "Payments", "type": "API_PROXY"}),
    ("admin", "global-gateway", {"name": "Calculator", "type": "API_PROXY"}),
    ("admin", "disabled-app", {"name": "Calculator", "type": "API_PROXY"}),  # a petstore credential, via admin
    ("sandbox", "no-grants", {"name": "Payments", "type": "API_PROXY"}),
    ("nowhere", "no-grants", {"name": "Payments", "type": "API_PROXY"}),
])
def test_the_scoped_token_gets_404_outside_its_projects_on_every_operation(edge, project, username, proxy):
    before = snapshot(edge)
    for form in (PETSTORE_TOKEN, f"Bearer {PETSTORE_TOKEN}"):
        for method, url, body in operations(project, username, proxy):
            response = edge.open(url, method=method, json=body, headers={"Authorization": form})
            assert (response.status_code, response.json) == (404, not_found(project)), (method, url)
    assert snapshot(edge) == before


def test_the_same_calls_work_for_the_admin_token(edge):
    """What the scoped token was refused, the admin token may do (existing projects)."""
    for project, username, proxy in [("banking", "retired-teller", {"name": "Payments", "type": "API_PROXY"}),
                                     ("admin", "global-gateway", {"name": "Pet Store API", "type": "API_PROXY"})]:
        for method, url, body in operations(project, username, proxy):
            if method == "POST":
                body = {**NEW_CREDENTIAL, "username": f"new-in-{project}"}
            response = edge.open(url, method=method, json=body, headers=ADMIN)
            assert response.status_code == 200, (method, url, response.json)
            assert response.json["status"] == "SUCCESS"


def test_admin_token_lists_every_credential_from_the_admin_project(edge):
    rows = listing(edge, "admin")
    assert len(rows) == len(snapshot(edge)) == 13
    assert {"global-gateway", "arabic-app", "expired-partner", "retired-teller"} <= set(rows)


def test_the_scoped_token_does_everything_in_its_project(edge):
    calc = {"name": "Calculator", "type": "API_PROXY"}
    assert set(listing(edge, "petstore", PETSTORE)) == {"expired-partner", "disabled-app", "all-access-petstore",
                                                        "bare-minimum", "juergen-mueller", "open-ip"}
    for method, url, body in operations("petstore", "disabled-app", calc):
        response = edge.open(url, method=method, json=body, headers=PETSTORE)
        assert response.status_code == 200, (method, url, response.json)
    rows = listing(edge, "petstore", PETSTORE)
    assert "new-client" in rows and "disabled-app" not in rows
    stored = edge.application.extensions["mockserver"].store.api("apinizer")["credentials"]
    assert stored.get("new-client")["project"] == "petstore"


def test_inside_its_project_the_scoped_token_sees_what_the_project_sees(edge):
    """Global credentials and other projects' proxies stay out of sight, as for any petstore caller."""
    response = edge.get(access_url("petstore", "global-gateway"), headers=PETSTORE)
    assert (response.status_code, response.json["error_description"]) == (
        400, "Credential (username: global-gateway) was not found!")
    response = edge.put(access_url("petstore", "bare-minimum"), json=[{"name": "Payments", "type": "API_PROXY"}],
                        headers=PETSTORE)
    assert response.status_code == 400
    assert response.json["error_description"] == ("API Proxy (name:Payments) is not found or user does not have "
                                                   "privilege to access it!")
    response = edge.post(credentials_url("petstore"), json={"username": "retired-teller", "password": "x"},
                         headers=PETSTORE)  # usernames stay unique across projects, seen or not
    assert response.json == {"error": "bad_request", "error_description": "There is already a credential has this name!"}


def test_a_bad_body_outside_the_scope_is_still_a_400_first(edge):
    """Validation comes before the project, as for a project that does not exist."""
    response = edge.post(credentials_url("banking"), json={"password": "x"}, headers=PETSTORE)
    assert response.status_code == 400


def scoped_app(make_app, tmp_path, tokens: list[dict]):
    path = tmp_path / "scoped.yaml"
    path.write_text(yaml.safe_dump({"apis": {"apinizer": {
        "auth": {"tokens": tokens},
        "projects": [{"name": "admin"}, {"name": "petstore"}, {"name": "banking"}],
        "credentials": [{"username": "p1", "password": "pw", "project": "petstore"},
                        {"username": "b1", "password": "pw", "project": "banking"},
                        {"username": "g1", "password": "pw", "project": "admin"}]}}}))
    return make_app(only=["apinizer"], fixtures=[path]).test_client()


def test_a_scope_that_lists_admin_sees_everything_there_but_no_other_project(make_app, tmp_path):
    client = scoped_app(make_app, tmp_path, [{"token": "global-only", "role": "user", "scope": ["admin"]}])
    headers = {"Authorization": "Bearer global-only"}
    assert set(listing(client, "admin", headers)) == {"p1", "b1", "g1"}
    for project in ("petstore", "banking"):
        response = client.get(credentials_url(project), headers=headers)
        assert (response.status_code, response.json) == (404, not_found(project))


def test_a_user_token_without_scope_may_use_no_project(make_app, tmp_path):
    client = scoped_app(make_app, tmp_path, [{"token": "nothing", "role": "user"},
                                             {"token": "two", "role": "user", "scope": ["petstore", "banking"]}])
    for project in ("admin", "petstore", "banking"):
        response = client.get(credentials_url(project), headers={"Authorization": "nothing"})
        assert (response.status_code, response.json) == (404, not_found(project))
    assert set(listing(client, "petstore", {"Authorization": "two"})) == {"p1"}
    assert set(listing(client, "banking", {"Authorization": "two"})) == {"b1"}
    response = client.get(credentials_url("admin"), headers={"Authorization": "two"})
    assert (response.status_code, response.json) == (404, not_found("admin"))


def test_without_an_auth_block_any_token_is_an_admin(make_app):
    client = make_app(only=["apinizer"], fixtures=[FIXTURE_DIR / "empty.yaml"]).test_client()
    for token in ("anything", "Bearer apinizer-petstore-token"):
        assert client.get(credentials_url("admin"), headers={"Authorization": token}).status_code == 200


# --- the shipped scenarios ----------------------------------------------------------------------
def test_edge_cases_lists_expired_and_disabled_credentials_with_their_values(edge):
    petstore = listing(edge, "petstore")
    assert petstore["expired-partner"] == {"fullName": "Expired Partner", "username": "expired-partner",
                                           "enabled": True, "ipList": ["198.51.100.7"],
                                           "expireDate": "2023-08-14T00:00:00.000Z"}
    assert petstore["disabled-app"] == {"fullName": "Disabled App", "username": "disabled-app", "enabled": False,
                                        "description": "Switched off after a key leak"}
    assert listing(edge, "banking")["retired-teller"] == {
        "fullName": "Retired Teller", "username": "retired-teller", "enabled": False, "roleNameList": ["teller"],
        "expireDate": "2024-12-31T23:59:59.000Z"}
    assert petstore["bare-minimum"] == {"username": "bare-minimum", "enabled": True}


def test_edge_cases_grants_of_both_types_and_none(edge):
    assert granted(edge, "petstore", "all-access-petstore") == [
        {"name": "Calculator", "type": "API_PROXY"}, {"name": "Account Proxy Group", "type": "API_PROXY_GROUP"},
        {"name": "Pet Store API", "type": "API_PROXY"}, {"name": "Inventory Proxy Group", "type": "API_PROXY_GROUP"}]
    assert granted(edge, "admin", "global-gateway") == [
        {"name": "Calculator", "type": "API_PROXY"}, {"name": "Payments", "type": "API_PROXY"},
        {"name": "Core Banking Group", "type": "API_PROXY_GROUP"}]
    assert granted(edge, "banking", "no-grants") == []
    assert granted(edge, "petstore", "bare-minimum", PETSTORE) == []
    # Revoking one of many keeps the others, in order.
    response = edge.delete(access_url("petstore", "all-access-petstore"),
                           json=[{"name": "Account Proxy Group", "type": "API_PROXY_GROUP"}], headers=PETSTORE)
    assert response.status_code == 200
    assert [g["name"] for g in granted(edge, "petstore", "all-access-petstore")] == [
        "Calculator", "Pet Store API", "Inventory Proxy Group"]


def test_edge_cases_unicode_empty_lists_and_roles(edge):
    everything = listing(edge, "admin")
    assert everything["juergen-mueller"]["fullName"] == "Jürgen Müller-Øberg"
    assert everything["juergen-mueller"]["description"] == "Größere Änderungen nur nach Rücksprache"
    assert everything["li-xiaolong"]["fullName"] == "李小龙 支付客户端"
    assert everything["nandu-pagos"]["fullName"] == "Ñandú Pagos S.A. 🚀"
    assert everything["arabic-app"]["fullName"] == "تطبيق الدفع"
    assert everything["open-ip"] == {"fullName": "Any Address", "username": "open-ip", "enabled": True,
                                     "ipList": [], "roleNameList": []}
    assert everything["many-roles"]["roleNameList"] == ["consumer", "partner", "internal", "reporting", "auditor"]
    assert everything["many-roles"]["expireDate"] == "2099-12-31T23:59:59.999Z"
    assert all("password" not in row for row in everything.values())
    assert listing(edge, "sandbox") == {}


def test_empty_scenario_has_projects_and_proxies_but_no_credential(make_app):
    client = make_app(only=["apinizer"], fixtures=[FIXTURE_DIR / "empty.yaml"]).test_client()
    headers = {"Authorization": "any-token"}
    for project in ("admin", "petstore", "banking"):
        response = client.get(credentials_url(project), headers=headers)
        assert response.json == {"status": "SUCCESS", "resultList": [], "resultCount": 0}
    # The proxies are there to grant once a credential exists.
    assert client.post(credentials_url("petstore"), json=NEW_CREDENTIAL, headers=headers).status_code == 200
    response = client.put(access_url("petstore", "new-client"),
                          json=[{"name": "Calculator", "type": "API_PROXY"},
                                {"name": "Account Proxy Group", "type": "API_PROXY_GROUP"}], headers=headers)
    assert response.status_code == 200
    assert len(granted(client, "petstore", "new-client", headers)) == 2
    response = client.put(access_url("petstore", "new-client"), json=[{"name": "Payments", "type": "API_PROXY"}],
                          headers=headers)
    assert response.status_code == 400  # a banking proxy, not visible from petstore


@pytest.fixture(scope="module")
def large_rows(api_cache):
    """The large scenario's admin listing, built once (2,000 credentials)."""
    from mockserver.app import create_app
    from mockserver.runtime import MockConfig

    config = MockConfig(only=["apinizer"], fixtures=[FIXTURE_DIR / "large.yaml"], seed=1234,
                        check_responses=True)
    client = create_app(config, apis=api_cache(["apinizer"])).test_client()
    rows = client.get(credentials_url("admin"), headers={"Authorization": "t"}).json["resultList"]
    store = client.application.extensions["mockserver"].store.api("apinizer")
    return client, rows, store


def test_large_scenario_has_2000_credentials_across_projects(large_rows):
    client, rows, store = large_rows
    assert len(rows) == 2000 == len({row["username"] for row in rows})
    projects = [p["name"] for p in store["projects"]]
    counts = {p: len(listing(client, p, {"Authorization": "t"})) for p in projects if p != "admin"}
    assert len(counts) == 8 and all(n > 0 for n in counts.values())
    assert sum(counts.values()) == 1800
    assert sum(1 for c in store["credentials"] if c["project"] == "admin") == 200
    with_calculator = [c for c in store["credentials"] if c.get("access")]
    assert len(with_calculator) == 100
    assert all(c["project"] == "petstore" and c["access"] == [{"name": "Calculator", "type": "API_PROXY"}]
               for c in with_calculator)
    assert len({id(c["access"]) for c in with_calculator}) == 100  # no list shared between entities


def test_large_scenario_is_realistic_and_repeatable(large_rows, make_app):
    _, rows, _ = large_rows
    assert any(not row["enabled"] for row in rows) and any("expireDate" in row for row in rows)
    assert all("@" in row["email"] and row["fullName"] for row in rows)
    again = make_app(only=["apinizer"], fixtures=[FIXTURE_DIR / "large.yaml"]).test_client()
    assert again.get(credentials_url("admin"), headers={"Authorization": "t"}).json["resultList"] == rows


def test_a_large_credential_can_be_granted_and_revoked(make_app):
    client = make_app(only=["apinizer"], fixtures=[FIXTURE_DIR / "large.yaml"]).test_client()
    store = client.application.extensions["mockserver"].store.api("apinizer")
    victim = next(c for c in store["credentials"] if c["project"] == "petstore" and c.get("access"))
    url = access_url("petstore", victim["username"])
    assert client.delete(url, json=[{"name": "Calculator", "type": "API_PROXY"}],
                         headers={"Authorization": "t"}).status_code == 200
    assert granted(client, "petstore", victim["username"], {"Authorization": "t"}) == []
    others = [c for c in store["credentials"] if c.get("access")]
    assert len(others) == 99


# --- token login (issue 12) -----------------------------------------------------------------
TOKEN_URL = "/apinizer/apiops/auth/token"


def client_login(client, client_id: str, secret: str):
    return client.post(TOKEN_URL, data={"grant_type": "client_credentials", "client_id": client_id,
                                        "client_secret": secret})


@pytest.fixture
def clients(make_app, tmp_path):
    """The edge-cases data plus two declared clients: an admin one and one scoped to petstore."""
    document = yaml.safe_load((FIXTURE_DIR / "edge-cases.yaml").read_text(encoding="utf-8"))
    document["apis"]["apinizer"]["auth"]["users"] = [
        {"username": "ops-console", "password": "0ps-s3cret", "role": "admin"},
        {"username": "petstore-app", "password": "p3t-s3cret", "role": "user", "scope": ["petstore"]}]
    path = tmp_path / "clients.yaml"
    path.write_text(yaml.safe_dump({"apis": {"apinizer": document["apis"]["apinizer"]}}), encoding="utf-8")
    return make_app(only=["apinizer"], fixtures=[path]).test_client()


def test_any_client_gets_a_bearer_token_by_default(make_app):
    client = make_app(only=["apinizer"]).test_client()
    issued = client_login(client, "my-app", "anything")
    assert issued.status_code == 200 and issued.json["token_type"] == "Bearer"
    assert issued.json["expires_in"] == 3600 and len(issued.json["access_token"]) >= 32
    bearer = {"Authorization": f"Bearer {issued.json['access_token']}"}
    assert client.get(credentials_url("petstore"), headers=bearer).status_code == 200


def test_only_declared_clients_log_in_and_their_token_acts_as_their_grant(clients):
    refused = client_login(clients, "stranger", "guess")
    assert (refused.status_code, refused.json) == (401, {"error": "invalid_client",
                                                         "error_description": "Bad client credentials"})
    assert client_login(clients, "petstore-app", "wrong").status_code == 401
    scoped = {"Authorization": f"Bearer {client_login(clients, 'petstore-app', 'p3t-s3cret').json['access_token']}"}
    assert clients.get(credentials_url("petstore"), headers=scoped).status_code == 200
    assert clients.get(credentials_url("banking"), headers=scoped).json == not_found("banking")
    admin = {"Authorization": client_login(clients, "ops-console", "0ps-s3cret").json["access_token"]}  # bare
    assert clients.get(credentials_url("banking"), headers=admin).status_code == 200
    assert clients.get(credentials_url("petstore"), headers={"Authorization": "Bearer made-up"}).json == \
        INVALID_TOKEN


def test_an_issued_token_expires(clients, monkeypatch):
    from mockserver.behaviors import apinizer

    token = {"Authorization": f"Bearer {client_login(clients, 'ops-console', '0ps-s3cret').json['access_token']}"}
    now = apinizer.time.time()
    monkeypatch.setattr(apinizer.time, "time", lambda: now + 3601)
    assert clients.get(credentials_url("petstore"), headers=token).json == INVALID_TOKEN


def test_a_bad_login_form_is_a_400_and_no_secret_is_kept(make_app):
    client = make_app(only=["apinizer"]).test_client()
    bad = client.post(TOKEN_URL, data={"grant_type": "password", "client_id": "my-app", "client_secret": "s3cr3t-x"})
    assert bad.status_code == 400 and bad.json["error"] == "bad_request"
    assert "s3cr3t-x" not in bad.get_data(as_text=True) + bad.headers.get("X-Mock-Violations", "")
    token = client_login(client, "my-app", "t0p-s3cret").json["access_token"]
    journal = client.get("/__mock/requests").get_data(as_text=True)
    assert "t0p-s3cret" not in journal and "s3cr3t-x" not in journal and token not in journal
    assert '"client_id": "my-app"' in journal or '"client_id":"my-app"' in journal
