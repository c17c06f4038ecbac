"""CloudPlans under the shipped scenarios: declared tokens, roles and scope, and the data
each of empty, edge-cases and large serves.

Every app is in strict mode (see conftest), so each response is also checked against the
spec: a 401 or 404 outside the envelope fails the test that caused it.
"""

from __future__ import annotations

import re

import pytest
from conftest import violations

from mockserver.data import fixture_dir

FIXTURE_DIR = fixture_dir()  # the shipped scenarios, as the installed package has them

BASE = "/cloudplans/v1/organizations/credentials"
ACME = "org-7f3c1e2a"
GLOBEX = "org-2b9d4f61"
INITECH = "org-5e8a0c37"
UNKNOWN = "org-00000000"

ADMIN = {"Authorization": "Bearer cp-admin-token"}
ACME_ONLY = {"Authorization": "Bearer cp-acme-only-token"}
NO_SCOPE = {"Authorization": "Bearer cp-no-scope-token"}
UNDECLARED = {"Authorization": "Bearer any-token"}

EDGE_ACME_IDS = [f"e1a0c001-0000-4000-8000-00000000000{n}" for n in range(1, 6)]
EDGE_GLOBEX_IDS = [f"e1a0c001-0000-4000-8000-00000000010{n}" for n in range(1, 4)]
NEVER_SCANNED, AT_LIMIT, UNICODE, MULTILINE, DUPLICATE = EDGE_ACME_IDS
GLOBEX_AWS = EDGE_GLOBEX_IDS[0]

ORG_NOT_FOUND = {"status": 404, "response": "Organization not found"}
UNAUTHORIZED = {"status": 401, "response": "Unauthorized"}
LAST_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def scenario_client(make_app, name: str, **options):
    return make_app(only=["cloudplans"], fixtures=[FIXTURE_DIR / f"{name}.yaml"], **options).test_client()


@pytest.fixture
def edge(make_app):
    """CloudPlans with the edge-cases scenario: only the declared tokens are accepted."""
    return scenario_client(make_app, "edge-cases")


def credentials(client):
    """CloudPlans' stored credentials, by id."""
    data = client.application.extensions["mockserver"].store.api("cloudplans")
    return {c["id"]: c for c in data["credentials"]}


def list_(client, org, headers):
    return client.get(f"{BASE}/list?org_id={org}", headers=headers)


def create(client, org, headers, **extra):
    body = {"org_id": org, "type": "gcp", "name": "Created in a test", "specific": {"project": "p-1"}, **extra}
    return client.post(f"{BASE}/create", json=body, headers=headers)


def update(client, org, credential_id, headers, **data):
    data = data or {"name": "Renamed in a test"}
    return client.post(f"{BASE}/update", json={"org_id": org, "credential_id": credential_id, "data": data},
                       headers=headers)


def remove(client, org, credential_id, headers):
    return client.post(f"{BASE}/delete", json={"org_id": org, "credential_id": credential_id}, headers=headers)


def every_operation(client, org, credential_id, headers):
    """One request of each operation against `org`, as (name, response)."""
    return [("list", list_(client, org, headers)),
            ("create", create(client, org, headers)),
            ("update", update(client, org, credential_id, headers)),
            ("delete", remove(client, org, credential_id, headers))]


# --- strict auth -------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [UNDECLARED, {"Authorization": "Bearer cp-admin-token-x"},
                                     {"Authorization": "Bearer CP-ADMIN-TOKEN"}])
def test_an_undeclared_token_is_a_401_on_every_operation_and_changes_nothing(edge, headers):
    before = credentials(edge)
    for name, response in every_operation(edge, ACME, NEVER_SCANNED, headers):
        assert (response.status_code, response.json) == (401, UNAUTHORIZED), name
        assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"', name
        assert violations(response)[0]["pointer"] == "/authorization", name
    assert credentials(edge) == before


def test_no_token_is_still_the_plain_401_challenge(edge):
    for headers in ({}, {"Authorization": "Basic Y3AtYWRtaW4tdG9rZW46"}, {"Authorization": "Bearer "}):
        response = list_(edge, ACME, headers)
        assert (response.status_code, response.json) == (401, UNAUTHORIZED)
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_without_an_auth_block_any_token_is_an_admin(make_app):
    client = scenario_client(make_app, "empty")
    for org in (ACME, GLOBEX):
        assert list_(client, org, UNDECLARED).json == {"status": 200, "credentials": []}


def test_the_admin_token_sees_and_changes_every_organization(edge):
    assert [c["id"] for c in list_(edge, ACME, ADMIN).json["credentials"]] == EDGE_ACME_IDS
    assert [c["id"] for c in list_(edge, GLOBEX, ADMIN).json["credentials"]] == EDGE_GLOBEX_IDS
    assert list_(edge, INITECH, ADMIN).json == {"status": 200, "credentials": []}

    assert create(edge, INITECH, ADMIN).json == {"status": 200, "response": "Credential created"}
    assert [c["name"] for c in list_(edge, INITECH, ADMIN).json["credentials"]] == ["Created in a test"]
    assert update(edge, GLOBEX, GLOBEX_AWS, ADMIN, comments="by the admin").status_code == 200
    assert credentials(edge)[GLOBEX_AWS]["comments"] == "by the admin"
    assert remove(edge, GLOBEX, GLOBEX_AWS, ADMIN).json == {"status": 200, "response": "Credential removed"}
    assert GLOBEX_AWS not in credentials(edge)
    assert list_(edge, UNKNOWN, ADMIN).json == ORG_NOT_FOUND


def test_the_scoped_token_works_in_its_organization(edge):
    listed = list_(edge, ACME, ACME_ONLY)
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json["credentials"]] == EDGE_ACME_IDS

    assert create(edge, ACME, ACME_ONLY, name="Mine").status_code == 200
    assert "Mine" in [c["name"] for c in list_(edge, ACME, ACME_ONLY).json["credentials"]]
    assert update(edge, ACME, MULTILINE, ACME_ONLY, name="Renamed").status_code == 200
    assert credentials(edge)[MULTILINE]["name"] == "Renamed"
    assert remove(edge, ACME, DUPLICATE, ACME_ONLY).status_code == 200
    assert DUPLICATE not in credentials(edge)


@pytest.mark.parametrize("org", [GLOBEX, INITECH])
def test_the_scoped_token_gets_404_for_any_other_organization_on_every_operation(edge, org):
    before = credentials(edge)
    hidden = every_operation(edge, org, GLOBEX_AWS, ACME_ONLY)
    unknown = every_operation(edge, UNKNOWN, GLOBEX_AWS, ACME_ONLY)
    for (name, response), (_, reference) in zip(hidden, unknown):
        assert (response.status_code, response.json) == (404, ORG_NOT_FOUND), name
        # Nothing tells a hidden organization from one that does not exist.
        assert (response.status_code, response.json) == (reference.status_code, reference.json), name
        assert violations(response) == violations(reference), name
        assert "WWW-Authenticate" not in response.headers, name
    assert credentials(edge) == before


def test_the_scoped_token_cannot_reach_a_hidden_credential_through_its_own_organization(edge):
    before = dict(credentials(edge)[GLOBEX_AWS])
    assert update(edge, ACME, GLOBEX_AWS, ACME_ONLY).json == {"status": 404, "response": "Credential not found"}
    assert remove(edge, ACME, GLOBEX_AWS, ACME_ONLY).json == {"status": 404, "response": "Credential not found"}
    assert credentials(edge)[GLOBEX_AWS] == before


def test_a_hidden_organization_fails_validation_like_an_unknown_one(edge):
    """Validation comes before the organization check, for hidden and unknown alike."""
    bad = {"type": "gap", "name": "x", "specific": {"project": "p"}}
    hidden = edge.post(f"{BASE}/create", json={"org_id": GLOBEX, **bad}, headers=ACME_ONLY)
    unknown = edge.post(f"{BASE}/create", json={"org_id": UNKNOWN, **bad}, headers=ACME_ONLY)
    assert hidden.status_code == unknown.status_code == 400
    assert hidden.json == unknown.json


def test_a_user_token_without_scope_sees_no_organization(edge):
    for org in (ACME, GLOBEX, INITECH):
        for name, response in every_operation(edge, org, NEVER_SCANNED, NO_SCOPE):
            assert (response.status_code, response.json) == (404, ORG_NOT_FOUND), (org, name)
    assert NEVER_SCANNED in credentials(edge)


def test_a_numeric_scope_matches_the_string_organization_id(make_app, tmp_path):
    scenario = tmp_path / "numeric.yaml"
    scenario.write_text(
        "apis:\n"
        "  cloudplans:\n"
        "    auth:\n"
        "      tokens:\n"
        "        - {token: t-numeric, role: user, scope: [42]}\n"
        "    organizations:\n"
        "      - {id: '42', name: The Answer}\n"
        "      - {id: '43', name: The Next One}\n", encoding="utf-8")
    client = make_app(only=["cloudplans"], fixtures=[scenario]).test_client()
    headers = {"Authorization": "Bearer t-numeric"}
    assert list_(client, "42", headers).json == {"status": 200, "credentials": []}
    assert list_(client, "43", headers).json == ORG_NOT_FOUND


def test_declared_tokens_survive_a_reset(edge):
    assert remove(edge, ACME, NEVER_SCANNED, ACME_ONLY).status_code == 200
    assert edge.post("/__mock/reset").status_code == 200
    assert NEVER_SCANNED in credentials(edge)
    assert list_(edge, ACME, UNDECLARED).status_code == 401
    assert list_(edge, GLOBEX, ACME_ONLY).json == ORG_NOT_FOUND
    assert list_(edge, GLOBEX, ADMIN).status_code == 200


# --- the shipped scenarios ---------------------------------------------------------------------
def test_empty_has_the_organizations_and_no_credentials(make_app):
    client = scenario_client(make_app, "empty")
    for org in (ACME, GLOBEX):
        assert list_(client, org, UNDECLARED).json == {"status": 200, "credentials": []}
    assert list_(client, INITECH, UNDECLARED).json == ORG_NOT_FOUND
    assert credentials(client) == {}
    # The organizations are real: a credential can be created and listed.
    assert create(client, ACME, UNDECLARED).status_code == 200
    assert [c["name"] for c in list_(client, ACME, UNDECLARED).json["credentials"]] == ["Created in a test"]


def test_edge_cases_serve_the_corner_values(edge):
    listed = {c["id"]: c for c in list_(edge, ACME, ADMIN).json["credentials"]}
    assert listed[NEVER_SCANNED] == {"type": "aws", "id": NEVER_SCANNED, "name": "AWS never scanned",
                                     "comments": "", "resources": 0, "last_time": ""}
    assert (listed[AT_LIMIT]["type"], listed[AT_LIMIT]["resources"]) == ("azure", 1000)
    assert listed[UNICODE]["name"] == "GCP Données — 東京リージョン 🚀"
    assert listed[UNICODE]["comments"] == "Ünïcödé: ñ, ß, Ελληνικά, עברית, 日本語 🌍"
    assert (listed[UNICODE]["type"], listed[UNICODE]["resources"]) == ("gcp", 1)
    assert listed[MULTILINE]["comments"] == "First line\nSecond line, after a newline\n\tand a tab"
    assert listed[MULTILINE]["name"] == listed[DUPLICATE]["name"] == "AWS production"
    assert all("specific" not in c for c in listed.values())

    globex = list_(edge, GLOBEX, ADMIN).json["credentials"]
    assert {c["type"] for c in globex} == {"aws", "azure", "gcp"}
    assert sorted(c["resources"] for c in globex) == [0, 968, 1000]
    assert [c["last_time"] for c in globex if c["type"] == "azure"] == [""]
    # The secrets are stored (update merges into them) but never listed.
    assert credentials(edge)[AT_LIMIT]["specific"]["key"] == 'Qx8~"quoted"\\back\\slash-s3cr3t'


def test_edge_cases_unicode_round_trips_through_update(edge):
    name = "Ανανεωμένο 名前 ✓"
    assert update(edge, ACME, AT_LIMIT, ADMIN, name=name, specific={"clientId": "c-2", "key": "k-2"}).status_code == 200
    listed = {c["id"]: c for c in list_(edge, ACME, ADMIN).json["credentials"]}
    assert listed[AT_LIMIT]["name"] == name
    stored = credentials(edge)[AT_LIMIT]["specific"]
    assert stored == {"tenant": "4c1d2e3f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "clientId": "c-2", "key": "k-2"}


def test_large_serves_2000_valid_credentials_across_four_organizations(make_app):
    client = scenario_client(make_app, "large")  # how fast it loads is `make bench`'s business

    orgs = ["org-7f3c1e2a", "org-2b9d4f61", "org-5e8a0c37", "org-91d4b7e2"]
    lists = {org: list_(client, org, UNDECLARED).json["credentials"] for org in orgs}
    assert sum(len(rows) for rows in lists.values()) == 2000
    assert all(len(rows) >= 100 for rows in lists.values()), {org: len(r) for org, r in lists.items()}
    rows = [row for org_rows in lists.values() for row in org_rows]
    assert len({row["id"] for row in rows}) == 2000
    assert {row["type"] for row in rows} == {"aws", "azure", "gcp"}
    assert all(0 <= row["resources"] <= 1000 for row in rows)
    assert all(LAST_TIME.match(row["last_time"]) for row in rows)
    assert all(row["name"] for row in rows)


def test_large_is_the_same_on_every_load_with_the_same_seed(make_app):
    def names(client):
        return [(c["type"], c["name"], c["comments"], c["resources"])
                for c in list_(client, ACME, UNDECLARED).json["credentials"]]

    first = names(scenario_client(make_app, "large", seed=7))
    assert first == names(scenario_client(make_app, "large", seed=7))
    assert first != names(scenario_client(make_app, "large", seed=8))
