"""The control API calls the dashboard uses, and its files, without a browser.

(tests/test_dashboard_browser.py drives the page itself in chromium.)
"""

from __future__ import annotations

import json

import pytest
import yaml
from servers import ROOT

from mockserver.journal import Journal, Matcher
from mockserver.runtime import MockConfig

PDNS = {"X-Authentication": "t"}
AWX_AUTH = {"Authorization": "Basic YWRtaW46cGFzc3dvcmQ="}  # admin:password
VERSORI_ORG = "01J9ZK3B7Q8X2M4N6P0R5S1T3V"


@pytest.fixture
def client(make_app):
    return make_app(only=["pdnsmanager", "awx", "versori"]).test_client()


# --- the files -----------------------------------------------------------------------------
@pytest.mark.parametrize("path,kind", [
    ("/__mock/ui", "text/html"), ("/__mock/ui/", "text/html"), ("/__mock/ui/dashboard.js", "javascript"),
    ("/__mock/ui/dashboard.css", "text/css"), ("/__mock/ui/docs.html", "text/html"),
    ("/__mock/ui/swagger/swagger-ui-bundle.js", "javascript"), ("/__mock/ui/swagger/swagger-ui.css", "text/css"),
])
def test_the_dashboard_files_are_served_with_a_strict_policy(client, path, kind):
    answer = client.get(path)
    assert answer.status_code == 200 and kind in answer.content_type
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'self'" in policy
    assert answer.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_no_page_loads_anything_from_another_origin(client):
    for name in ("/__mock/ui", "/__mock/ui/docs.html", "/__mock/ui/dashboard.js", "/__mock/ui/docs.js"):
        text = client.get(name).get_data(as_text=True)
        assert "http://" not in text.replace("http://HOST", "") and "https://" not in text, name


@pytest.mark.parametrize("path", ["/__mock/ui/../control.py", "/__mock/ui/swagger/../__init__.py",
                                  "/__mock/ui/%2e%2e/control.py", "/__mock/ui/nothing.js"])
def test_no_file_outside_the_dashboards_folders(client, path):
    assert client.get(path).status_code == 404


def test_the_files_load_without_the_token_but_no_data_does(make_app):
    client = make_app(only=["pdnsmanager"], admin_token="s3cret-admin").test_client()
    assert client.get("/__mock/ui").status_code == 200
    assert client.get("/__mock/ui/config.json").json == {"admin_token_required": True}
    for path in ("/__mock/apis", "/__mock/requests/1", "/__mock/state/pdnsmanager/users"):
        assert client.get(path).status_code == 401, path
    assert client.post("/__mock/faults", json={"status": 503}).status_code == 401
    assert client.delete("/__mock/faults/fault-1").status_code == 401
    token = {"X-Mock-Admin-Token": "s3cret-admin"}
    assert client.get("/__mock/apis", headers=token).status_code == 200


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Host": "evil.example:8080"}])
def test_without_a_token_the_dashboard_is_for_this_machine_only(client, headers):
    for path in ("/__mock/ui", "/__mock/ui/dashboard.js", "/__mock/ui/config.json", "/__mock/apis"):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 403 and "Access-Control-Allow-Origin" not in answer.headers, path


def test_the_pages_own_calls_pass(client):
    same_origin = {"Origin": "http://127.0.0.1:8080", "Host": "127.0.0.1:8080"}
    assert client.get("/__mock/apis", headers=same_origin).status_code == 200
    assert client.post("/__mock/faults", headers=same_origin, json={"api": "awx", "status": 503}).status_code == 201


# --- GET / and the specs -------------------------------------------------------------------
def test_the_index_is_a_page_for_a_browser_and_json_for_tools(client):
    page = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.content_type.startswith("text/html") and 'href="/__mock/ui"' in page.get_data(as_text=True)
    assert client.get("/").json["apis"] and client.get("/", headers={"Accept": "*/*"}).is_json


@pytest.mark.parametrize("accept,query,kind", [
    ("application/json", "", "application/json"),
    ("application/json, */*", "", "application/json"),
    ("*/*", "?format=json", "application/json"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "", "text/plain; charset=utf-8"),
    ("*/*", "", "application/yaml"),
    (None, "", "application/yaml"),
    ("application/yaml", "", "application/yaml"),
    ("application/json", "?format=yaml", "application/yaml"),
])
def test_a_spec_comes_as_asked(client, accept, query, kind):
    answer = client.get(f"/__mock/specs/pdnsmanager{query}", headers={"Accept": accept} if accept else {})
    assert answer.status_code == 200 and answer.content_type == kind
    text = answer.get_data(as_text=True)
    parsed = json.loads(text) if "json" in kind else yaml.safe_load(text)
    assert parsed == yaml.safe_load((ROOT / "specs/pdnsmanager.yaml").read_text(encoding="utf-8"))


def test_a_bad_spec_format_is_a_400(client):
    answer = client.get("/__mock/specs/pdnsmanager?format=xml")
    assert answer.status_code == 400 and answer.json["error"] == "invalid_format"


def test_the_api_list_has_mounts_operations_and_counts(client):
    apis = {api["id"]: api for api in client.get("/__mock/apis").json["apis"]}
    assert set(apis) == {"pdnsmanager", "awx", "versori"}
    assert apis["awx"]["mount"] == "/awx" and apis["awx"]["spec"] == "/__mock/specs/awx"
    assert {"id": "createUserCredential", "method": "POST", "path": "/api/v2/users/{id}/credentials/"}.items() <= \
        next(op for op in apis["awx"]["operations"] if op["id"] == "createUserCredential").items()
    assert apis["pdnsmanager"]["collections"]["credentials"] == 5
    assert client.get("/__mock/apis").json["watch"] is None  # not started with --watch: nothing to poll
    client.application.extensions["mockserver"].watcher = object()  # as `run --watch` sets it
    assert client.get("/__mock/apis").json["watch"] == "/__mock/watch"


def test_one_api_at_the_root_keeps_the_control_api(make_app):
    client = make_app(api="pdnsmanager").test_client()
    assert client.get("/__mock/ui").status_code == 200
    (api,) = client.get("/__mock/apis").json["apis"]
    assert api["mount"] == ""


def test_a_spec_added_with_spec_is_listed():
    from mockserver.app import create_app

    config = MockConfig(extra_specs=[ROOT / "tests/specs/petstore.yaml"], seed=1)
    client = create_app(config).test_client()
    apis = {api["id"]: api for api in client.get("/__mock/apis").json["apis"]}
    assert apis["petstore"]["mount"] == "/petstore" and apis["petstore"]["operations"]
    assert client.get("/__mock/specs/petstore?format=json").json["openapi"].startswith("3.")


# --- the journal feed ----------------------------------------------------------------------
def test_the_summary_feed_leaves_out_headers_and_bodies(client):
    client.post("/pdnsmanager/records/2/credentials", headers=PDNS,
                json={"description": "x", "type": "bogus", "password": "never-shown"})
    (entry,) = client.get("/__mock/requests?summary=true").json["requests"]
    assert "request" not in entry and "response" not in entry
    assert entry["status"] == 400 and entry["violations"][0]["pointer"] == "/type"
    whole = client.get(f"/__mock/requests/{entry['id']}").json
    assert whole["request"]["body"]["password"] == "***" and {k.lower(): v for k, v in whole["request"]["headers"].items()}["x-authentication"] == "***"
    assert "never-shown" not in client.get(f"/__mock/requests/{entry['id']}").get_data(as_text=True)


@pytest.mark.parametrize("entry_id", ["999999", "abc", "-1"])
def test_an_unknown_entry_is_a_404(client, entry_id):
    answer = client.get(f"/__mock/requests/{entry_id}")
    assert answer.status_code == 404 and answer.json["error"] == "not_found"


def test_a_bad_summary_value_is_a_400(client):
    assert client.get("/__mock/requests?summary=maybe").status_code == 400


def test_since_reads_only_what_is_new(client):
    for record in (1, 2, 3):
        client.get(f"/pdnsmanager/records/{record}/credentials", headers=PDNS)
    first = client.get("/__mock/requests?summary=true").json["requests"]
    newer = client.get(f"/__mock/requests?summary=true&since={first[0]['id']}").json["requests"]
    assert [e["id"] for e in newer] == [e["id"] for e in first[1:]]
    assert client.get(f"/__mock/requests?since={first[-1]['id']}").json["requests"] == []


def test_a_since_poll_stops_at_the_last_seen_entry():
    journal = Journal(size=10)
    seen = []

    class Counting(Matcher):
        def __call__(self, entry):
            seen.append(entry.id)
            return super().__call__(entry)

    from test_journal import _entry as make_entry  # the journal tests' entry factory
    for _ in range(8):
        journal.record(make_entry(journal))
    assert [e.id for e in journal.select(Counting(since=6))] == [7, 8]
    assert seen == [7, 8]  # the six older entries were never looked at


def test_ids_rise_along_the_journal_even_when_entries_finish_out_of_order():
    from test_journal import _entry as make_entry

    journal = Journal(size=10)
    early, late = make_entry(journal), make_entry(journal)
    journal.record(late)
    journal.record(early)  # took its id first, finished second
    ids = [e.id for e in journal.select(Matcher())]
    assert ids == sorted(ids) and len(set(ids)) == 2


# --- faults --------------------------------------------------------------------------------
def test_a_rule_is_added_counted_and_removed_alone(client):
    client.put("/__mock/faults", json=[{"api": "pdnsmanager", "latency": 1}])
    client.get("/pdnsmanager/records/2/credentials", headers=PDNS)
    added = client.post("/__mock/faults", json={"api": "awx", "operation": "createUserCredential", "status": 503,
                                                "times": 1})
    assert added.status_code == 201 and added.json["id"] == "fault-2" and added.json["fired"] == 0
    assert client.post("/awx/api/v2/users/2/credentials/", headers=AWX_AUTH,
                       json={"name": "x", "credential_type": 1}).status_code == 503
    rules = client.get("/__mock/faults").json["rules"]
    assert [(r["id"], r["fired"]) for r in rules] == [("fault-1", 1), ("fault-2", 1)]  # the first kept its count
    assert client.delete("/__mock/faults/fault-1").status_code == 204
    assert [r["id"] for r in client.get("/__mock/faults").json["rules"]] == ["fault-2"]
    again = client.post("/__mock/faults", json={"api": "awx", "status": 500})
    assert again.json["id"] == "fault-1"  # the first free id


@pytest.mark.parametrize("body,words", [
    ({"api": "nope", "status": 503}, "no API 'nope'"),
    ({"api": "awx", "operation": "nothing", "status": 503}, "not an operationId"),
    ({"api": "awx"}, "needs latency, status or drop"),
    ([{"status": 503}], "one JSON rule"),
    ({"status": 503, "probability": 2}, "probability"),
])
def test_a_bad_rule_is_a_clear_400(client, body, words):
    client.post("/__mock/faults", json={"api": "awx", "status": 503})  # one installed: the new one is alone
    answer = client.post("/__mock/faults", json=body)
    assert answer.status_code == 400 and words in answer.json["message"]
    assert "rules[" not in answer.json["message"]  # one rule, named as such (a form has no list)


def test_a_duplicate_id_and_an_unknown_rule_are_refused(client):
    assert client.post("/__mock/faults", json={"id": "mine", "status": 503}).status_code == 201
    assert client.post("/__mock/faults", json={"id": "mine", "status": 500}).status_code == 400
    missing = client.delete("/__mock/faults/other")
    assert missing.status_code == 404 and "mine" in missing.json["message"]


# --- state, page by page, masked -----------------------------------------------------------
def test_the_state_pages_mask_every_secret_the_journal_masks(client):
    secrets = ["awx-inputs-s3cret", "pdns-password-s3cret", "versori-data-s3cret"]
    assert client.post("/awx/api/v2/users/2/credentials/", headers=AWX_AUTH, json={
        "name": "masked", "credential_type": 1, "inputs": {"username": "u", "password": secrets[0]}}).status_code == 201
    assert client.post("/pdnsmanager/records/2/credentials", headers=PDNS, json={
        "description": "masked", "type": "password", "password": secrets[1]}).status_code == 201
    assert client.post(f"/versori/o/{VERSORI_ORG}/credentials", headers={"Authorization": "Bearer t"}, json={
        "name": "masked", "type": "basic-auth", "data": {"username": "u", "password": secrets[2]}}).status_code == 201
    login = client.post("/pdnsmanager/sessions", json={"username": "admin", "password": "admin"})
    assert login.status_code == 201
    shown = ""
    for api in ("awx", "pdnsmanager", "versori"):
        for collection, count in client.get("/__mock/apis").json["apis"][
                [a["id"] for a in client.get("/__mock/apis").json["apis"]].index(api)]["collections"].items():
            page = client.get(f"/__mock/state/{api}/{collection}?size=200")
            assert page.status_code == 200 and page.json["total"] == count
            shown += page.get_data(as_text=True)
    for secret in [*secrets, login.json["token"]]:
        assert secret not in shown
    journal = client.get("/__mock/requests").get_data(as_text=True)
    assert not any(secret in journal for secret in secrets)  # the journal masks them too
    assert '"username": "u"' in shown.replace('"username":"u"', '"username": "u"')  # readable inside Versori data


def test_pages_are_counted_and_bounded(client):
    page = client.get("/__mock/state/pdnsmanager/credentials?page=2&size=2").json
    assert (page["total"], page["page"], page["size"], page["pages"], len(page["items"])) == (5, 2, 2, 3, 2)
    assert client.get("/__mock/state/pdnsmanager/credentials?page=9").json["items"] == []


@pytest.mark.parametrize("path,status", [
    ("/__mock/state/nope/credentials", 404), ("/__mock/state/pdnsmanager/nope", 404),
    ("/__mock/state/pdnsmanager/credentials?page=0", 400), ("/__mock/state/pdnsmanager/credentials?size=x", 400),
    ("/__mock/state/pdnsmanager/credentials?size=201", 400),
])
def test_bad_page_requests_are_clear_4xx(client, path, status):
    answer = client.get(path)
    assert answer.status_code == status and answer.is_json and answer.json["message"]


def test_scenarios_name_what_the_server_started_from(client):
    started = client.get("/__mock/scenarios").json["started_from"]
    assert len(started) == 1 and started[0].endswith("default.yaml")


def test_a_browsers_icon_request_is_no_journal_entry(client):
    assert client.get("/favicon.ico").status_code == 204
    assert client.get("/__mock/requests").json["count"] == 0
