"""Scenarios through the control API: list, load, export, import, round trip."""

from __future__ import annotations

import json

import pytest
import yaml
from apis import (API_IDS, auth_headers, credential_collection, fill_path, header_requirements, list_operations,
                  refused_status)

from mockserver.scenarios import catalogue, read_scenario


def credential_count(runtime) -> int:
    """The credentials of every API together."""
    counts = runtime.store.counts()
    return sum(counts[api_id][credential_collection(api_id)] for api_id in API_IDS)


@pytest.fixture
def runtime(app):
    return app.extensions["mockserver"]


def test_the_shipped_scenarios_are_listed_with_descriptions(client):
    listed = {s["name"]: s["description"] for s in client.get("/__mock/scenarios").json["scenarios"]}
    assert {"default", "empty", "large", "edge-cases"} <= set(listed)
    assert all(listed[name] for name in ("default", "empty", "large", "edge-cases"))


def test_empty_has_parents_but_no_credentials(client, runtime):
    response = client.post("/__mock/scenarios/empty")
    assert response.status_code == 200 and response.json["scenario"] == "empty"
    assert credential_count(runtime) == 0
    assert client.get("/awx/api/v2/users/1/credentials/", headers={"Authorization": "Bearer t"}).json["count"] == 0
    assert client.get("/pdnsmanager/records/1/credentials", headers={"X-Authentication": "t"}).status_code == 200


def credentials_written_in(scenario: str) -> int:
    """The credentials a scenario file holds, written out or generated (``generate: {count}``)."""
    _, document = read_scenario(scenario)
    total = 0
    for api_id in API_IDS:
        for item in (document["apis"].get(api_id) or {}).get(credential_collection(api_id)) or []:
            total += item["generate"]["count"] if "generate" in item else 1
    return total


def test_large_holds_ten_thousand_credentials(client, runtime):
    assert client.post("/__mock/scenarios/large").status_code == 200
    assert credential_count(runtime) == credentials_written_in("large") >= 10_000  # 2,000 per API
    on_record_1 = runtime.store.api("pdnsmanager")["credentials"].count_where("record", 1)
    assert on_record_1 >= 1000  # a block of 1,000 of its own, and some of the spread ones
    page = client.get("/pdnsmanager/records/1/credentials?page=3&pagesize=25", headers={"X-Authentication": "t"})
    assert page.json["paging"]["total"] == -(-on_record_1 // 25) and len(page.json["results"]) == 25


def test_edge_cases_declares_credentials_every_api_enforces(client):
    assert client.post("/__mock/scenarios/edge-cases").status_code == 200
    # Each API's first list, of a parent the scenario holds, with a made-up credential in each
    # form it takes in headers (AWX: Basic and Bearer): refused as the operation documents
    # it (401, or 403 where it documents no 401: PDNS answers every refusal 403).
    lists = {api_id: list_operations(api_id)[0] for api_id in API_IDS}
    refused, expected = {}, {}
    for api_id, op in lists.items():
        for requirement in header_requirements(api_id):
            sent = f"{api_id} {'+'.join(requirement)}"
            refused[sent] = client.get(fill_path(api_id, op, scenario="edge-cases"),
                                       headers=auth_headers(api_id, "made-up", requirement)).status_code
            expected[sent] = refused_status(op)
    assert refused == expected and {sent.split()[0] for sent in refused} == set(API_IDS)
    operator = {"X-Authentication": "pdns-operator-token"}
    assert client.get("/pdnsmanager/records/1/credentials", headers=operator).status_code == 200
    assert client.get("/pdnsmanager/records/4/credentials", headers=operator).status_code == 403


def test_unknown_scenario_is_404_and_names_the_shipped_ones(client, runtime):
    before = runtime.store.snapshot()
    response = client.post("/__mock/scenarios/nope")
    assert response.status_code == 404 and "edge-cases" in response.json["message"]
    for name in ("..", "..%2F..%2Fetc%2Fpasswd", "default.yaml", "%2E%2E", "DEFAULT"):
        assert client.post(f"/__mock/scenarios/{name}").status_code == 404, name
    assert runtime.store.snapshot() == before


@pytest.mark.parametrize("scenario", sorted(catalogue()))
def test_export_loads_back_to_the_same_state(make_app, scenario):
    first = make_app()
    client = first.test_client()
    assert client.post(f"/__mock/scenarios/{scenario}").status_code == 200
    exported = client.get("/__mock/state").json
    second = make_app(seed=99)  # another app, other generated data: the document alone decides
    other = second.test_client()
    assert other.put("/__mock/state", json=exported).status_code == 200
    assert other.get("/__mock/state").json == exported
    assert second.extensions["mockserver"].store.snapshot() == first.extensions["mockserver"].store.snapshot()


def test_state_round_trips_as_yaml_too(client, runtime):
    client.post("/pdnsmanager/records/2/credentials", headers={"X-Authentication": "t"},
                json={"description": "made before export", "type": "password", "password": "p"})
    exported = client.get("/__mock/state", headers={"Accept": "application/yaml"})
    assert exported.mimetype == "application/yaml"
    before = runtime.store.snapshot()
    client.post("/__mock/reset")
    assert runtime.store.snapshot() != before
    assert client.put("/__mock/state", data=exported.data, content_type="application/yaml").status_code == 200
    assert runtime.store.snapshot() == before


def test_the_export_keeps_declared_auth(client):
    client.post("/__mock/scenarios/edge-cases")
    exported = client.get("/__mock/state").json
    assert {"token": "pdns-operator-token", "role": "admin", "user": "operator"} in \
        exported["apis"]["pdnsmanager"]["auth"]["tokens"]


@pytest.mark.parametrize("body,message", [
    (b"{not yaml: [", "not a JSON or YAML document"),
    (b"[1, 2]", "a fixture must be a mapping"),
    (json.dumps({"apis": {"pdnsmanager": {"records": [{"id": 1, "domain": 9, "name": "x", "type": "A",
                                                       "content": "c"}]}}}).encode(),
     "PUT /__mock/state: pdnsmanager.records[0]: field domain: no domains entity with key 9"),
    (json.dumps({"apis": {"nope": {}}}).encode(), "unknown API 'nope'"),
])
def test_a_bad_state_document_is_refused_whole(client, runtime, body, message):
    before = runtime.store.snapshot()
    response = client.put("/__mock/state", data=body, content_type="application/json")
    assert response.status_code == 400 and message in response.json["message"]
    assert runtime.store.snapshot() == before


def test_unsafe_yaml_is_refused(client, runtime):
    before = runtime.store.snapshot()
    body = yaml.dump({"apis": {}}) + "evil: !!python/object/apply:os.system ['true']\n"
    response = client.put("/__mock/state", data=body, content_type="application/yaml")
    assert response.status_code == 400
    assert runtime.store.snapshot() == before
