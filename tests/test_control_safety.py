"""The control API is open on loopback only; elsewhere it needs the admin token."""

from __future__ import annotations

import subprocess
import sys

import pytest
from servers import ROOT

from mockserver.origins import is_loopback


@pytest.fixture
def guarded(make_app):
    return make_app(only=["pdnsmanager"], admin_token="s3cret-admin").test_client()


@pytest.mark.parametrize("method,path", [
    ("POST", "/__mock/reset"), ("GET", "/__mock/state"), ("PUT", "/__mock/state"), ("GET", "/__mock/requests"),
    ("DELETE", "/__mock/requests"), ("PUT", "/__mock/faults"), ("POST", "/__mock/scenarios/empty"),
    ("GET", "/__mock/scenarios"), ("POST", "/__mock/requests/count"),
])
def test_every_control_call_needs_the_token(guarded, method, path):
    refused = guarded.open(path, method=method, json={})
    assert refused.status_code == 401 and refused.json["error"] == "unauthorized"
    wrong = guarded.open(path, method=method, json={}, headers={"X-Mock-Admin-Token": "guess"})
    assert wrong.status_code == 401


def test_the_token_opens_the_control_api_and_health_stays_open(guarded):
    assert guarded.get("/__mock/health").status_code == 200
    assert guarded.get("/__mock/state", headers={"X-Mock-Admin-Token": "s3cret-admin"}).status_code == 200
    assert guarded.get("/__mock/faults", headers={"Authorization": "Bearer s3cret-admin"}).status_code == 200


def test_the_apis_themselves_do_not_need_the_admin_token(guarded):
    assert guarded.get("/pdnsmanager/records/2/credentials", headers={"X-Authentication": "t"}).status_code == 200


@pytest.mark.parametrize("host,expected", [
    ("127.0.0.1", True), ("127.1.2.3", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("192.168.1.5", False), ("example.com", False), ("::", False),
])
def test_loopback_detection(host, expected):
    assert is_loopback(host) is expected


def test_binding_beyond_loopback_without_a_token_refuses_to_start():
    result = subprocess.run([sys.executable, "-m", "mockserver", "run", "--host", "0.0.0.0", "--port", "0"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--admin-token" in result.stderr


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Host": "evil.example:8080"},
    {"Host": "attacker.test"},
])
def test_without_a_token_only_this_machine_may_use_the_control_api(make_app, headers):
    client = make_app(only=["pdnsmanager"]).test_client()
    for method, path in (("GET", "/__mock/state"), ("POST", "/__mock/reset"), ("GET", "/__mock/requests")):
        response = client.open(path, method=method, headers=headers)
        assert response.status_code == 403, (method, path)
        assert "Access-Control-Allow-Origin" not in response.headers


def test_pages_of_this_machine_may_use_the_control_api(make_app):
    client = make_app(only=["pdnsmanager"]).test_client()
    local = client.get("/__mock/state", headers={"Origin": "http://localhost:3000"})
    assert local.status_code == 200 and local.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert client.get("/__mock/state", headers={"Host": "127.0.0.1:8080"}).status_code == 200
    assert client.get("/__mock/state", headers={"Host": "[::1]:8080"}).status_code == 200


def test_foreign_preflights_to_the_control_api_are_refused_but_apis_stay_open(make_app):
    client = make_app(only=["pdnsmanager"]).test_client()
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"}
    refused = client.options("/__mock/state", headers=preflight)
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers
    api = client.options("/pdnsmanager/records/2/credentials", headers=preflight)
    assert api.status_code == 204 and api.headers["Access-Control-Allow-Origin"] == "https://evil.example"
