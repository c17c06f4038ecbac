"""Any OpenAPI spec, no code: `mockserver run --spec PATH` serves it statefully (issue 11).

The specs in tests/specs/ were written for these tests in the styles of public CRUD APIs:
OpenAPI 3.0 and 3.1, YAML and JSON, ids as integers, UUIDs, slugs and SKUs, page, cursor
and offset paging, nested resources, path/query/header parameters, `$ref`s, `allOf`,
`readOnly` and `writeOnly`. Each is driven through real HTTP, then fuzzed by Schemathesis.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from servers import ROOT, cli_server, free_port, stop_process, wait_healthy

SPECS = ROOT / "tests" / "specs"
FILES = {"petstore": "petstore.yaml", "projects": "projects.json", "notes": "notes.yaml",
         "inventory": "inventory.yaml", "tracker": "tracker.yaml", "billing": "billing.json"}
AUTH = {"petstore": {"X-API-Key": "k"}, "projects": {"Authorization": "Bearer t"},
        "notes": {"Authorization": "Bearer t"},
        "inventory": {"Authorization": "Basic " + base64.b64encode(b"clerk:pw").decode()},
        "tracker": {"Authorization": "Bearer t"}, "billing": {"Stripe-Key": "sk_test"}}
SPEC_ARGS = [arg for name in FILES.values() for arg in ("--spec", str(SPECS / name))]


@pytest.fixture(scope="module")
def mock():
    with cli_server("--seed", "5", *SPEC_ARGS) as (base, _):
        yield base


def call(mock, api, method, path, **kwargs):
    headers = {**AUTH[api], **kwargs.pop("headers", {})}
    return requests.request(method, f"{mock}/{api}{path}", headers=headers, timeout=10, **kwargs)


def test_start_up_names_each_spec_and_what_it_serves_from_examples():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "mockserver", "run", "--port", str(port), "--quiet",
                                *SPEC_ARGS], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
    finally:
        stop_process(process)
    banner = process.stdout.read()
    for title in ("Swagger Petstore", "GitLab-style Projects API", "Notes Service", "Warehouse Inventory API"):
        assert title in banner, banner
    assert f"http://127.0.0.1:{port}/petstore" in banner
    assert "notes: archiveNote: served from examples (a POST to a path with no list or items: an action" in banner
    assert "inventory: getHealth: served from examples (a GET whose response holds no list)" in banner
    assert "petstore:" not in banner.replace(f"{port}/petstore", "")  # every petstore operation is inferred


def test_a_30_spec_with_integer_ids_keeps_what_is_created(mock):
    listed = call(mock, "petstore", "GET", "/pets").json()
    assert len(listed) == 3 and all(isinstance(pet["id"], int) for pet in listed)  # seeded, plausible
    created = call(mock, "petstore", "POST", "/pets", json={"name": "Rex", "tag": None, "id": 999})
    assert created.status_code == 201
    pet = created.json()
    assert pet["name"] == "Rex" and pet["tag"] is None and pet["status"] == "available"  # the default
    assert pet["id"] != 999  # readOnly: the server makes the id
    assert call(mock, "petstore", "GET", f"/pets/{pet['id']}").json() == pet
    assert pet in call(mock, "petstore", "GET", "/pets", params={"limit": 100}).json()
    assert [p["name"] for p in call(mock, "petstore", "GET", "/pets", params={"tag": "nothing-so"}).json()] == []
    replaced = call(mock, "petstore", "PUT", f"/pets/{pet['id']}", json={"name": "Rex II", "status": "sold"})
    assert replaced.status_code == 200 and replaced.json() == {"id": pet["id"], "name": "Rex II", "status": "sold"}
    assert call(mock, "petstore", "DELETE", f"/pets/{pet['id']}").status_code == 204
    gone = call(mock, "petstore", "GET", f"/pets/{pet['id']}")
    assert gone.status_code == 404 and set(gone.json()) == {"code", "message"} and gone.json()["code"] == 404


def test_paging_by_page_and_limit(mock):
    for n in range(4):
        call(mock, "petstore", "POST", "/pets", json={"name": f"paged-{n}"})
    everything = call(mock, "petstore", "GET", "/pets", params={"limit": 100}).json()
    first = call(mock, "petstore", "GET", "/pets", params={"limit": 2, "page": 1}).json()
    second = call(mock, "petstore", "GET", "/pets", params={"limit": 2, "page": 2}).json()
    assert first + second == everything[:4]


@pytest.mark.parametrize("api,path,body,error_keys", [
    ("petstore", "/pets", {"name": ""}, {"code", "message"}),
    ("projects", "/projects", {"name": 5}, {"message"}),
    ("notes", "/notes", {"title": "t", "surprise": 1}, None),
    ("inventory", "/items", {"sku": "bad", "name": "n", "quantity": 1, "price": 1}, None),
])
def test_invalid_input_is_a_400_in_the_documented_shape_and_no_credential_a_401(mock, api, path, body, error_keys):
    refused = call(mock, api, "POST", path, json=body)
    assert refused.status_code == 400, refused.text
    assert json.loads(refused.headers["X-Mock-Violations"])
    if error_keys:
        assert set(refused.json()) == error_keys
    anonymous = requests.post(f"{mock}/{api}{path}", json=body, timeout=10)
    assert anonymous.status_code == 401


def test_nested_resources_belong_to_their_parent(mock):
    projects = call(mock, "projects", "GET", "/projects").json()
    first, second = projects[0]["id"], projects[1]["id"]
    made = call(mock, "projects", "POST", f"/projects/{first}/deploy_tokens",
                json={"name": "ci", "scopes": ["read_repository"], "password": "a-long-secret"})
    assert made.status_code == 201
    token = made.json()
    assert "password" not in token  # writeOnly: never returned
    assert isinstance(token["id"], int) and token["token"]  # readOnly members made by the server
    assert token in call(mock, "projects", "GET", f"/projects/{first}/deploy_tokens").json()
    assert token not in call(mock, "projects", "GET", f"/projects/{second}/deploy_tokens").json()
    assert call(mock, "projects", "GET", f"/projects/{second}/deploy_tokens/{token['id']}").status_code == 404
    unknown = "00000000-0000-4000-8000-000000000000"
    assert call(mock, "projects", "GET", f"/projects/{unknown}/deploy_tokens").status_code == 404
    assert call(mock, "projects", "POST", f"/projects/{unknown}/deploy_tokens",
                json={"name": "x", "scopes": ["read_repository"]}).status_code == 404
    # A deleted parent takes its children along.
    assert call(mock, "projects", "DELETE", f"/projects/{first}").status_code == 204
    assert call(mock, "projects", "GET", f"/projects/{first}/deploy_tokens").status_code == 404


def test_patch_merges_and_null_clears(mock):
    project = call(mock, "projects", "POST", "/projects", json={"name": "Merged", "path": "merged"}).json()
    patched = call(mock, "projects", "PATCH", f"/projects/{project['id']}", json={"description": "now described"})
    assert patched.status_code == 200
    assert patched.json()["name"] == "Merged" and patched.json()["description"] == "now described"
    note = call(mock, "notes", "POST", "/notes", json={"title": "Tagged", "body": "b", "tags": ["home"],
                                                        "author": {"name": "Ada", "email": "ada@example.org"}})
    assert note.status_code == 201, note.text
    note_id = note.json()["id"]
    cleared = call(mock, "notes", "PATCH", f"/notes/{note_id}", data=json.dumps({"tags": None}),
                   headers={"Content-Type": "application/merge-patch+json"})
    assert cleared.status_code == 200 and "tags" not in cleared.json()
    assert cleared.json()["author"] == {"name": "Ada", "email": "ada@example.org"}


def test_cursor_paging_in_an_envelope(mock):
    for n in range(3):
        call(mock, "notes", "POST", "/notes", json={"title": f"n{n}", "body": "b",
                                                     "author": {"name": "A", "email": "a@example.org"}})
    seen, cursor = [], None
    for _ in range(50):
        page = call(mock, "notes", "GET", "/notes", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200
        body = page.json()
        seen += [note["id"] for note in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == body["total"]
    assert call(mock, "notes", "GET", "/notes", params={"cursor": "not-ours"}).status_code == 400


def test_offset_paging_client_keys_and_a_conflict(mock):
    item = {"sku": "ABC-1234", "name": "Widget", "quantity": 5, "price": 1.5}
    assert call(mock, "inventory", "POST", "/items", json=item).status_code == 201
    again = call(mock, "inventory", "POST", "/items", json=item)
    assert again.status_code == 409
    assert call(mock, "inventory", "GET", "/items/ABC-1234").json()["name"] == "Widget"
    everything = call(mock, "inventory", "GET", "/items", params={"limit": 100}).json()
    window = call(mock, "inventory", "GET", "/items", params={"limit": 2, "offset": 1}).json()
    assert window["items"] == everything["items"][1:3] and window["count"] == everything["count"]
    assert requests.get(f"{mock}/inventory/health", timeout=10).json() == {"status": "ok"}  # from its example


def test_github_style_issues_are_addressed_by_number_under_every_ancestor(mock):
    issue = call(mock, "tracker", "POST", "/repos/1/issues", json={"title": "Bug"})
    assert issue.status_code == 201
    number = issue.json()["number"]  # the key the path names ({issue_number}), not a hidden id
    assert "id" not in issue.json() and issue.headers["Location"].endswith(f"/repos/1/issues/{number}")
    assert issue.json()["state"] == "open" and issue.json()["locked"] is False  # server-made: initial values
    assert call(mock, "tracker", "GET", f"/repos/1/issues/{number}").status_code == 200
    assert call(mock, "tracker", "GET", f"/repos/2/issues/{number}").status_code == 404  # another repo's
    # Three levels: every ancestor must exist and own the next one.
    assert call(mock, "tracker", "GET", f"/repos/1/issues/{number}/comments").status_code == 200
    assert call(mock, "tracker", "GET", f"/repos/2/issues/{number}/comments").status_code == 404
    assert call(mock, "tracker", "GET", "/repos/999/issues/1/comments").status_code == 404
    # Only 422 documented for bad input: bad input is a 422, in the documented shape.
    bad = call(mock, "tracker", "POST", "/repos/1/issues", json={"title": 5})
    assert bad.status_code == 422 and set(bad.json()) <= {"message", "errors", "documentation_url"}
    # A page size over the maximum, on a list that documents no answer to invalid input:
    # clamped, as a lenient server does, and said in X-Mock-Violations.
    clamped = call(mock, "tracker", "GET", f"/repos/1/issues/{number}/comments", params={"per_page": 101})
    assert clamped.status_code == 200 and "per_page" in clamped.headers["X-Mock-Violations"]
    # A filter value the entities never hold (state=all) filters nothing.
    everything = call(mock, "tracker", "GET", "/repos/1/issues", params={"per_page": 100}).json()
    assert call(mock, "tracker", "GET", "/repos/1/issues", params={"state": "all", "per_page": 100}).json() == \
        everything


def test_stripe_style_lists_updates_and_deletes_keep_their_shapes(mock):
    first = call(mock, "billing", "GET", "/v1/customers", params={"limit": 2}).json()
    assert first["object"] == "list" and first["url"] == "/billing/v1/customers" and first["has_more"] is True
    after = call(mock, "billing", "GET", "/v1/customers", params={"limit": 2,
                                                                   "starting_after": first["data"][-1]["id"]}).json()
    before = call(mock, "billing", "GET", "/v1/customers", params={"limit": 2,
                                                                    "ending_before": after["data"][0]["id"]}).json()
    assert after["data"] and after["data"][0]["id"] not in [c["id"] for c in first["data"]]
    assert before["data"] == first["data"]  # back to the page before
    made = call(mock, "billing", "POST", "/v1/customers", json={"email": "a@example.org", "name": "A"}).json()
    assert made["object"] == "customer" and isinstance(made["created"], int) and made["livemode"] is False
    changed = call(mock, "billing", "POST", f"/v1/customers/{made['id']}", json={"name": "Renamed"})
    assert changed.status_code == 200 and changed.json()["name"] == "Renamed" and changed.json()["id"] == made["id"]
    assert call(mock, "billing", "GET", f"/v1/customers/{made['id']}").json()["name"] == "Renamed"
    deleted = call(mock, "billing", "DELETE", f"/v1/customers/{made['id']}")
    assert deleted.json() == {"id": made["id"], "object": "customer", "deleted": True}
    refused = requests.get(f"{mock}/billing/v1/customers", timeout=10)
    assert refused.status_code == 401 and refused.json()["error"]["message"] == "Unauthorized"
    assert refused.headers["WWW-Authenticate"].startswith("Basic")


def test_the_control_api_works_for_a_spec_served_without_code(mock):
    call(mock, "petstore", "POST", "/pets", json={"name": "Journaled"})
    entries = requests.get(f"{mock}/__mock/requests", params={"path": "/petstore/pets", "method": "POST"},
                           timeout=10).json()["requests"]
    assert entries and entries[-1]["operation"] == "createPet"
    steered = call(mock, "petstore", "GET", "/pets/1", headers={"Prefer": "code=404"})
    assert steered.status_code == 404
    state = requests.get(f"{mock}/__mock/state", timeout=10).json()
    assert any(p["name"] == "Journaled" for p in state["apis"]["petstore"]["pets"])
    fault = requests.put(f"{mock}/__mock/faults", json={"api": "petstore", "operation": "listPets",
                                                         "status": 503, "times": 1}, timeout=10)
    assert fault.status_code == 200, fault.text
    assert call(mock, "petstore", "GET", "/pets").status_code == 503
    assert call(mock, "petstore", "GET", "/pets").status_code == 200


def test_a_scenario_can_hold_data_for_a_spec_api(tmp_path):
    scenario = tmp_path / "pets.yaml"
    scenario.write_text("description: two pets\napis:\n  petstore:\n    pets:\n"
                        "      - {id: 7, name: Seven}\n      - {name: Eight}\n", encoding="utf-8")
    with cli_server("--spec", str(SPECS / "petstore.yaml"), "--api", "petstore", "--fixtures", str(scenario)) \
            as (base, _):
        pets = requests.get(f"{base}/pets", headers=AUTH["petstore"], timeout=10).json()
        assert [(p["id"], p["name"]) for p in pets] == [(7, "Seven"), (8, "Eight")]
        assert requests.post(f"{base}/__mock/reset", timeout=10).status_code in (200, 204)
        assert len(requests.get(f"{base}/pets", headers=AUTH["petstore"], timeout=10).json()) == 2


def test_fixtures_check_knows_a_spec_api_when_told(tmp_path):
    scenario = tmp_path / "pets.yaml"
    scenario.write_text("apis:\n  petstore:\n    pets:\n      - {id: 7, name: Seven}\n", encoding="utf-8")
    command = [sys.executable, "-m", "mockserver", "fixtures", "check", str(scenario)]
    told = subprocess.run([*command, "--spec", str(SPECS / "petstore.yaml")], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert told.returncode == 0 and "ok (petstore 1)" in told.stdout, told.stdout + told.stderr
    untold = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert untold.returncode == 1 and "unknown API 'petstore'" in untold.stderr


@pytest.mark.parametrize("args,message", [
    (["--spec", "nowhere.yaml"], "no such file"),
    (["--spec", str(ROOT / "specs" / "awx.yaml")], "awx is a built-in API"),
    (["--api", "nope"], "unknown API id"),
])
def test_bad_spec_options_are_one_line_and_exit_2(args, message):
    result = subprocess.run([sys.executable, "-m", "mockserver", "run", "--port", "0", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


@pytest.mark.parametrize("api", sorted(FILES))
def test_schemathesis_finds_nothing(mock, api, tmp_path):
    st = Path(shutil.which("st", path=str(Path(sys.executable).parent)) or "st")
    header = "; ".join(f"{k}: {v}" for k, v in AUTH[api].items())
    result = subprocess.run(
        [str(st), "run", str(SPECS / FILES[api]), "--url", f"{mock}/{api}", "--header", header,
         "--checks", CHECKS, "--max-examples", "20", "--seed", "1", "--generation-database", "none",
         "--no-color", "--request-timeout", "10", "--workers", "1", "--suppress-health-check", "filter_too_much"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_the_readme_verifies_an_api_of_its_own_from_its_spec(tmp_path):
    from test_readme import readme_commands

    commands = [c for c in readme_commands(".venv/bin/mockserver verify") if "--spec" in c]
    assert commands, "the README shows verify --spec"
    for command in commands:
        # (as pasted in a checkout: from its root, where the README's relative paths lead)
        result = subprocess.run(f"{command} --json {tmp_path}/report.json", shell=True, cwd=ROOT,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
        report = json.loads((tmp_path / "report.json").read_text())
        names = [check["name"] for check in report["checks"]]
        # the flow derived from the spec, for the nested resource too, and the negative checks
        for expected in ("create answers 201", "the list shows the new one", "get returns it as created",
                         "delete, then it is gone", "no credentials is refused", "an unknown id is"):
            assert any(expected in name for name in names), (expected, names)
        assert any(name.startswith("deploy_tokens: find a parent in projects") for name in names)


@pytest.mark.parametrize("api", sorted(FILES))
def test_a_derived_flow_catches_a_server_that_forgets(api, tmp_path):
    """The derived flow is not blind: it passes against the mock, and fails against a mock
    whose deletes do nothing (started by the same command, with that one method broken)."""
    result = subprocess.run([sys.executable, "-m", "mockserver", "verify", "--api", api, "--spec",
                             str(SPECS / FILES[api]), "--mock", "--quiet"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    broken = tmp_path / "broken.py"
    broken.write_text(
        "import sys\n"
        "from mockserver.crud.behavior import CrudBehavior\n"
        "CrudBehavior._remove_with_children = lambda self, data, resource, key: None  # deletes forget\n"
        "from mockserver.cli import main\n"
        "sys.exit(main())\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(broken), "verify", "--api", api, "--spec", str(SPECS / FILES[api]),
                             "--mock", "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "write not persisted" in result.stdout, result.stdout[-3000:]


@pytest.mark.parametrize("args,message", [
    (["--api", "pdnsmanager", "--parent", "nope=1"], "--parent nope: pdnsmanager takes record"),
    (["--api", "versori", "--api", "awx", "--parent", "org=1"], "versori takes organisation; awx takes user"),
    (["--api", "pdnsmanager", "--record", "2"], "No such option '--record'"),  # no parent is fixed in the CLI
    (["--api", "pdnsmanager", "--parent", "record"], "write NAME=VALUE"),
    (["--api", "projects", "--spec", str(SPECS / "projects.json"), "--parent", "record=2"],
     "projects takes projectId"),
    (["--api", "petstore"], "unknown API petstore"),
])
def test_verify_parents_are_declared_by_each_api(args, message):
    result = subprocess.run([sys.executable, "-m", "mockserver", "verify", "--mock", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_a_body_of_the_wrong_type_is_a_documented_400_where_no_415_is_documented(mock):
    form = call(mock, "petstore", "POST", "/pets", data="name=Rex",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 400 and set(form.json()) == {"code", "message"}


def test_only_an_api_served_from_a_spec_alone_is_seeded():
    """A shipped API's data is in the scenarios, even one the generic engine serves."""
    from mockserver.data import spec_dir
    from mockserver.fixtures import build_store, default_fixture
    from mockserver.registry import mount
    from mockserver.spec import load_spec

    shipped = mount(load_spec(spec_dir() / "pdnsmanager.yaml", "pdnsmanager"), generic=True)
    extra = mount(load_spec(SPECS / "petstore.yaml", "petstore"), generic=True)
    default = [(str(default_fixture()), {"apis": {}})]  # the default data, naming neither API
    counts = build_store({"pdnsmanager": shipped, "petstore": extra}, default, seed=1).counts()
    assert sum(counts["pdnsmanager"].values()) == 0
    assert counts["petstore"]["pets"] == 3
