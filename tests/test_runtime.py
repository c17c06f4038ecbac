"""Reset: the same data comes back, but no id handed out before is ever reused."""

from __future__ import annotations

PDNS = {"X-Authentication": "t"}
CLOUDPLANS = {"Authorization": "Bearer t"}


def create_pdns(client) -> int:
    response = client.post("/pdnsmanager/records/2/credentials", headers=PDNS,
                           json={"description": "d", "type": "password", "password": "p"})
    return response.json["id"]


def cloudplans_ids(client) -> set[str]:
    url = "/cloudplans/v1/organizations/credentials/list?org_id=org-7f3c1e2a"
    return {c["id"] for c in client.get(url, headers=CLOUDPLANS).json["credentials"]}


def create_cloudplans(client) -> str:
    before = cloudplans_ids(client)
    client.post("/cloudplans/v1/organizations/credentials/create", headers=CLOUDPLANS, json={
        "org_id": "org-7f3c1e2a", "type": "gcp", "name": "n", "specific": {"project": "p"}})
    (new,) = cloudplans_ids(client) - before
    return new


def test_reset_restores_the_start_data_exactly(app):
    runtime = app.extensions["mockserver"]
    start = runtime.store.snapshot()
    client = app.test_client()
    create_pdns(client)
    create_cloudplans(client)
    assert runtime.store.snapshot() != start
    client.post("/__mock/reset")
    assert runtime.store.snapshot() == start


def test_ids_are_not_reused_after_reset(app):
    client = app.test_client()
    first_int, first_uuid = create_pdns(client), create_cloudplans(client)
    client.post("/__mock/reset")
    assert create_pdns(client) > first_int
    assert create_cloudplans(client) != first_uuid


def test_same_seed_same_ids_after_restart(make_app):
    first = create_cloudplans(make_app(only=["cloudplans"], seed=5).test_client())
    again = create_cloudplans(make_app(only=["cloudplans"], seed=5).test_client())
    assert first == again
