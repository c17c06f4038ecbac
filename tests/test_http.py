"""The mock over real HTTP (granian): CORS, headers, limits, the control API."""

from __future__ import annotations

import json

import pytest
import requests
from servers import threaded_server

PDNS = {"X-Authentication": "t"}


@pytest.fixture
def base(make_app):
    with threaded_server(make_app(only=["pdnsmanager"], check_responses=False)) as url:
        yield url


def test_health_and_index(base):
    health = requests.get(f"{base}/__mock/health").json()
    assert health["status"] == "ok" and health["apis"] == ["pdnsmanager"]
    index = requests.get(f"{base}/").json()
    assert index["apis"][0]["mount"] == "/pdnsmanager"


def test_cors_preflight_is_answered_before_any_api(base):
    response = requests.options(f"{base}/pdnsmanager/records/2/credentials", headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-authentication, content-type"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "x-authentication, content-type"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_every_response_allows_the_origin(base):
    ok = requests.get(f"{base}/pdnsmanager/records/2/credentials", headers={**PDNS, "Origin": "http://app.test"})
    assert ok.headers["Access-Control-Allow-Origin"] == "http://app.test"
    assert "X-Mock-Violations" in ok.headers["Access-Control-Expose-Headers"]
    denied = requests.get(f"{base}/pdnsmanager/records/2/credentials")
    assert denied.status_code == 403 and denied.headers["Access-Control-Allow-Origin"] == "*"
    control = requests.get(f"{base}/__mock/health", headers={"Origin": "http://localhost:5173"})
    assert control.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"


def test_violations_header_over_http(base):
    response = requests.post(f"{base}/pdnsmanager/records/2/credentials", headers=PDNS,
                             json={"description": "x", "type": "key"})
    assert response.status_code == 422
    assert json.loads(response.headers["X-Mock-Violations"])[0]["pointer"] == "/key"


def test_large_bodies_are_413_with_length_and_chunked(base):
    big = b'{"description": "' + b"x" * (1024 * 1024) + b'"}'
    url = f"{base}/pdnsmanager/records/2/credentials"
    sized = requests.post(url, data=big, headers={**PDNS, "Content-Type": "application/json"})
    assert sized.status_code == 413 and "error" in sized.json()
    chunked = requests.post(url, data=iter([big[i:i + 65536] for i in range(0, len(big), 65536)]),
                            headers={**PDNS, "Content-Type": "application/json"})
    assert chunked.status_code == 413 and "error" in chunked.json()


def test_state_persists_across_requests_and_reset_restores_it(base):
    url = f"{base}/pdnsmanager/records/2/credentials"
    before = requests.get(url, headers=PDNS).json()["results"]
    created = requests.post(url, headers=PDNS, json={"description": "kept", "type": "password", "password": "p"})
    assert created.status_code == 201
    assert len(requests.get(url, headers=PDNS).json()["results"]) == len(before) + 1
    reset = requests.post(f"{base}/__mock/reset")
    assert reset.status_code == 200 and reset.json()["status"] == "reset"
    assert requests.get(url, headers=PDNS).json()["results"] == before


def test_control_api_errors_are_json(base):
    response = requests.get(f"{base}/__mock/nothing")
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert requests.get(f"{base}/no-such-api/x").json()["error"] == "not_found"
    spec = requests.get(f"{base}/__mock/specs/pdnsmanager")
    assert spec.status_code == 200 and spec.text.startswith("openapi: 3.1")
    assert requests.get(f"{base}/__mock/specs/nope").status_code == 404


def test_lone_surrogates_round_trip_as_json_escapes(base):
    url = f"{base}/pdnsmanager/records/2/credentials"
    created = requests.post(url, headers={**PDNS, "Content-Type": "application/json"},
                            data=b'{"description": "odd \\ud800 text", "type": "password", "password": "p"}')
    assert created.status_code == 201
    assert created.json()["description"] == "odd \ud800 text"
    assert b"\\ud800" in requests.get(url, headers=PDNS).content
