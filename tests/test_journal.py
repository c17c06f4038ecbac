"""The request journal: recorded, masked, filtered, counted, bounded."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mockserver.journal import Entry, Journal, Masking, Matcher, mask_fields

PDNS = {"X-Authentication": "pdns-secret-token"}


def create(client, **body):
    body = {"description": "d", "type": "password", "password": "hunter22", **body}
    return client.post("/pdnsmanager/records/2/credentials", headers=PDNS, json=body)


def test_requests_are_recorded_with_what_they_got(client):
    created = create(client)
    entries = client.get("/__mock/requests").json["requests"]
    (entry,) = entries
    assert entry["api"] == "pdnsmanager" and entry["operation"] == "createCredential"
    assert entry["method"] == "POST" and entry["path"] == "/pdnsmanager/records/2/credentials"
    assert entry["status"] == 201 and entry["durationMs"] >= 0
    assert entry["response"]["body"] == created.json
    assert entry["request"]["body"]["description"] == "d"


def test_secrets_are_masked_in_headers_and_bodies(client):
    create(client)
    client.post("/versori/o/01J9ZK3B7Q8X2M4N6P0R5S1T3V/credentials", headers={"Authorization": "Bearer key-1"},
                json={"name": "n", "type": "basic-auth", "data": {"username": "u", "password": "versori-pw"}})
    client.post("/pdnsmanager/records/2/credentials", headers=PDNS, data=b'{"password": "in broken json',
                content_type="application/json")
    dump = str(client.get("/__mock/requests").json)
    for secret in ("hunter22", "pdns-secret-token", "key-1", "versori-pw", "in broken json"):
        assert secret not in dump
    entries = client.get("/__mock/requests").json["requests"]
    assert entries[0]["request"]["body"]["password"] == "***"
    assert entries[0]["request"]["headers"]["x-authentication"] == "***"
    assert entries[1]["request"]["body"]["data"] == {"username": "u", "password": "***"}
    assert entries[2]["request"]["body"] == {"notJson": True, "bytes": 28, "contentType": "application/json"}


def test_filters_select_entries(client):
    create(client)
    create(client, description=5)  # a wrong type: 400
    client.get("/pdnsmanager/records/2/credentials", headers=PDNS)
    client.get("/awx/api/v2/users/1/credentials/", headers={"Authorization": "Bearer t"})

    def count(query):
        return client.get(f"/__mock/requests?{query}").json["count"]

    assert count("api=pdnsmanager") == 3 and count("api=awx") == 1
    assert count("operation=createCredential") == 2 and count("method=GET") == 2
    assert count("status=201") == 1 and count("status=4xx") == 1 and count("status=2xx") == 3
    assert count("path=/pdnsmanager/records/*/credentials") == 3
    assert count("api=pdnsmanager&method=POST&status=201") == 1
    first_id = client.get("/__mock/requests").json["requests"][0]["id"]
    assert count(f"since={first_id}") == 3
    assert count("since=2999-01-01T00:00:00Z") == 0 and count("since=2000-01-01T00:00:00Z") == 4
    assert len(client.get("/__mock/requests?limit=2").json["requests"]) == 2


@pytest.mark.parametrize("query", ["colour=red", "status=abc", "since=yesterday", "limit=x", "limit=-1", "limit=0",
                                   "since=0001-01-01T00:00:00%2B01:00", "since=9999-12-31T23:59:59-01:00",
                                   "matched=maybe"])
def test_bad_filters_are_400(client, query):
    response = client.get(f"/__mock/requests?{query}")
    assert response.status_code == 400 and response.json["error"] == "invalid_filter"


def test_count_verifies_what_the_app_sent(client):
    create(client, description="the one")
    create(client, description="another")
    count = client.post("/__mock/requests/count", json={"operation": "createCredential",
                                                         "body": {"description": "the one"}})
    assert count.json == {"count": 1}
    assert client.post("/__mock/requests/count", json={"method": "DELETE"}).json == {"count": 0}
    assert client.post("/__mock/requests/count", json={"nope": 1}).status_code == 400
    for wrong in ({"path": 5}, {"path": ["x"]}, {"method": 5}, {"since": True}, {"status": [201]},
                  {"matched": "perhaps"}, {"api": None, "operation": {"a": 1}}):
        response = client.post("/__mock/requests/count", json=wrong)
        assert response.status_code == 400 and response.json["error"] == "invalid_matcher", wrong
    assert client.post("/__mock/requests/count", data=b"[1]", content_type="application/json").status_code == 400


def test_clear_forgets_everything(client):
    create(client)
    assert client.delete("/__mock/requests").status_code == 204
    assert client.get("/__mock/requests").json["count"] == 0


def test_unmatched_requests_name_the_closest_operation(client):
    client.get("/pdnsmanager/records/2/credential", headers=PDNS)
    client.get("/pdnsmanger/records/2/credentials", headers=PDNS)
    entries = client.get("/__mock/requests?matched=false").json["requests"]
    typo, prefix = entries
    assert typo["status"] == 404 and typo["operation"] is None
    assert typo["unmatched"]["closest"] == "GET/POST /records/{recordId}/credentials"
    assert "'credential'" in typo["unmatched"]["why"]
    assert prefix["api"] is None and prefix["unmatched"]["closest"] == "/pdnsmanager/records/2/credentials"
    assert client.get("/__mock/requests?matched=true").json["count"] == 0


def test_the_journal_is_a_bounded_ring(make_app):
    client = make_app(only=["pdnsmanager"], journal_size=3).test_client()
    for i in range(5):
        create(client, description=f"c{i}")
    entries = client.get("/__mock/requests").json["requests"]
    assert [e["request"]["body"]["description"] for e in entries] == ["c2", "c3", "c4"]


def test_control_calls_are_not_recorded(client):
    client.get("/__mock/health")
    client.get("/__mock/requests")
    assert client.get("/__mock/requests").json["count"] == 0


def test_matcher_unit():
    moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
    entry = Entry(id=7, time=moment, method="POST", path="/awx/api/v2/users/1/credentials/", query={},
                  api="awx", operation="createUserCredential", status=201, duration_ms=1.0,
                  raw_request_headers={}, content_type="application/json",
                  raw_request_body=b'{"name": "n", "inputs": {"username": "u"}, "tags": [1, 2]}')
    assert Matcher.from_mapping({"body": {"inputs": {"username": "u"}}})(entry)
    assert Matcher.from_mapping({"body": {"tags": [2]}})(entry)
    assert not Matcher.from_mapping({"body": {"name": "other"}})(entry)
    assert Matcher.from_mapping({"since": (moment - timedelta(seconds=1)).isoformat()})(entry)
    assert not Matcher.from_mapping({"since": 7})(entry)
    assert Matcher.from_mapping({"method": "post", "status": "2XX", "matched": "true"})(entry)
    journal = Journal(0)
    journal.record(entry)
    assert len(journal) == 0 and not journal.enabled


def test_mask_fields_walks_nested_values_and_knows_secret_names_without_a_spec():
    masking = Masking.of(secret=["specific"], containers=["data"], safe_inside=["username"])
    assert mask_fields({"a": [{"Password": "x", "b": {"key": "y", "n": 1}}], "SPECIFIC": {"k": "v"},
                        "client_secret": "s", "X-Api-Key": "k", "data": {"username": "u", "other": "o"},
                        "name": "kept"}, masking) == \
        {"a": [{"Password": "***", "b": {"key": "***", "n": 1}}], "SPECIFIC": "***", "client_secret": "***",
         "X-Api-Key": "***", "data": {"username": "u", "other": "***"}, "name": "kept"}
    assert mask_fields({"data": "a string where an object belongs"}, masking) == {"data": "***"}


def test_a_session_token_in_a_response_is_masked(client):
    token = client.post("/pdnsmanager/sessions", json={"username": "admin", "password": "admin"}).json["token"]
    entry = client.get("/__mock/requests").json["requests"][-1]
    assert entry["response"]["body"] == {"username": "admin", "token": "***"}
    assert entry["request"]["body"]["password"] == "***"
    assert token not in str(client.get("/__mock/requests").json)


def test_a_request_to_a_mistyped_mount_is_masked_too(client):
    client.post("/pdnsmanagr/records/2/credentials", headers=PDNS,
                json={"description": "d", "type": "password", "password": "TYPOMOUNT-LEAK31"})
    assert "TYPOMOUNT-LEAK31" not in str(client.get("/__mock/requests").json)


def test_a_path_without_its_mount_is_pointed_at_the_api_that_has_it(client):
    response = client.get("/api/v2/users/1/credentials/")
    assert response.status_code == 404
    assert "did you mean /awx/api/v2/users/1/credentials/?" in response.json["message"]
    entry = client.get("/__mock/requests?matched=false").json["requests"][-1]
    assert entry["unmatched"]["closest"] == "/awx/api/v2/users/1/credentials/"


def test_a_body_filter_in_the_query_string_is_json(client):
    create(client, description="wanted")
    create(client, description="other")
    assert client.get('/__mock/requests?body={"description":"wanted"}').json["count"] == 1
    assert client.get("/__mock/requests?body=wanted").status_code == 400


def _entry(journal, body: bytes = b"", response_bytes: int = 0) -> Entry:
    from datetime import datetime, timezone

    return Entry(id=journal.next_id(), time=datetime.now(timezone.utc), method="POST", path="/x", query={},
                 api=None, operation=None, status=201, duration_ms=1.0, raw_request_headers={},
                 raw_request_body=body, content_type="application/json", raw_response_body={"ok": True},
                 response_bytes=response_bytes)


def test_the_journal_keeps_to_its_byte_budget_dropping_the_oldest():
    journal = Journal(size=1000, max_bytes=10 * 60_000)
    for n in range(50):
        journal.record(_entry(journal, b'{"n": %d, "pad": "%s"}' % (n, b"x" * 60_000)))
    assert journal.bytes <= journal.max_bytes
    kept = journal.select(Matcher())
    assert 5 <= len(kept) <= 10 and kept[-1].request_body["n"] == 49  # the newest stay
    journal.clear()
    assert journal.bytes == 0 and len(journal) == 0


def test_a_body_over_64_kib_is_kept_as_its_size_only():
    journal = Journal()
    big = b'{"password": "%s"}' % (b"s" * 100_000)
    journal.record(_entry(journal, big, response_bytes=200_000))
    (entry,) = journal.select(Matcher())
    assert entry.request_body["notKept"] is True and entry.request_body["bytes"] == len(big)
    assert entry.response_body["notKept"] is True and entry.response_body["bytes"] == 200_000
    assert entry.size < 2048 and journal.bytes == entry.size


def test_the_journal_pages_forward_with_first_and_next(client):
    for n in range(5):
        create(client, description=f"page {n}")
    first = client.get("/__mock/requests?first=2").json
    assert [e["request"]["body"]["description"] for e in first["requests"]] == ["page 0", "page 1"]
    second = client.get(f"/__mock/requests?first=2&since={first['next']}").json
    assert [e["request"]["body"]["description"] for e in second["requests"]] == ["page 2", "page 3"]
    last = client.get(f"/__mock/requests?first=2&since={second['next']}").json
    assert [e["request"]["body"]["description"] for e in last["requests"]] == ["page 4"] and "next" not in last
    assert client.get("/__mock/requests?first=0").status_code == 400
    assert client.get("/__mock/requests?first=2&limit=2").status_code == 400
