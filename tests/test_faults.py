"""Fault injection: latency, forced statuses, dropped connections, probability and times."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests
from servers import cli_server, threaded_server

from mockserver.faults import FaultError, Faults, parse_latency

PDNS = {"X-Authentication": "t"}
CREATE = "/pdnsmanager/records/2/credentials"
BODY = {"description": "d", "type": "password", "password": "p"}


@pytest.mark.parametrize("value,expected", [
    (50, (50.0, 50.0)), ("50-200", (50.0, 200.0)), ("75", (75.0, 75.0)), ({"min": 1, "max": 2}, (1.0, 2.0)),
])
def test_latency_forms(value, expected):
    assert parse_latency(value) == expected


@pytest.mark.parametrize("value", ["fast", "200-50", -1, True, {"max": 3}, "1-", 10**9])
def test_bad_latencies(value):
    with pytest.raises(FaultError):
        parse_latency(value)


@pytest.mark.parametrize("rules,message", [
    ({"api": "awx"}, "needs latency, status or drop"),
    ({"status": 99}, "status"),
    ({"status": 500, "drop": True}, "exclude each other"),
    ({"drop": "yes"}, "drop"),
    ({"latency": 5, "probability": 2}, "probability"),
    ({"latency": 5, "times": 0}, "times"),
    ({"latency": 5, "colour": "red"}, "unknown field"),
    ([{"id": "a", "latency": 1}, {"id": "a", "latency": 1}], "unique"),
    ("drop everything", "send a rule"),
])
def test_bad_rules_are_refused(rules, message):
    with pytest.raises(FaultError, match=message):
        Faults().install(rules)


def test_times_and_probability():
    faults = Faults(seed=1)
    faults.install([{"id": "twice", "path": "/x", "status": 500, "times": 2},
                    {"id": "never", "path": "/y", "status": 500, "probability": 0}])
    fired = [faults.pick("api", None, "GET", "/x") for _ in range(3)]
    assert [r.id if r else None for r in fired] == ["twice", "twice", None]
    spent = faults.rules()[0].as_dict()
    assert (spent["id"], spent["times"], spent["fired"], spent["remaining"]) == ("twice", 2, 2, 0)
    assert all(faults.pick("api", None, "GET", "/y") is None for _ in range(50))
    half = Faults(seed=1)
    half.install({"path": "/z", "status": 500, "probability": 0.5})
    hits = sum(half.pick("api", None, "GET", "/z") is not None for _ in range(400))
    assert 120 < hits < 280  # seeded: the same count on every run


def test_a_forced_documented_status_answers_its_example(client):
    client.put("/__mock/faults", json={"api": "pdnsmanager", "operation": "createCredential", "status": 404})
    response = client.post(CREATE, headers=PDNS, json=BODY)
    assert (response.status_code, response.json) == (404, {"error": "The provided record does not exist."})
    assert client.get(CREATE, headers=PDNS).status_code == 200  # other operations are untouched


def test_an_undocumented_status_answers_in_the_apis_own_format(client):
    client.put("/__mock/faults", json={"method": "GET", "path": "/awx/*", "status": 503, "times": 1})
    first = client.get("/awx/api/v2/users/1/credentials/", headers={"Authorization": "Bearer t"})
    assert first.status_code == 503 and set(first.json) == {"detail"}
    again = client.get("/awx/api/v2/users/1/credentials/", headers={"Authorization": "Bearer t"})
    assert again.status_code == 200
    (rule,) = client.get("/__mock/faults").json["rules"]
    assert (rule["fired"], rule["remaining"]) == (1, 0)


def test_faults_change_no_data_and_show_in_the_journal(client, app):
    runtime = app.extensions["mockserver"]
    before = runtime.store.snapshot()
    client.put("/__mock/faults", json={"rules": [{"id": "boom", "path": CREATE, "method": "POST", "status": 500}]})
    assert client.post(CREATE, headers=PDNS, json=BODY).status_code == 500
    assert runtime.store.snapshot() == before
    entry = client.get("/__mock/requests").json["requests"][-1]
    assert entry["fault"]["id"] == "boom" and entry["status"] == 500


def test_rules_can_be_listed_replaced_and_cleared(client):
    installed = client.put("/__mock/faults", json=[{"latency": "10-20", "api": "awx"}])
    assert installed.status_code == 200
    rule = installed.json["rules"][0]
    assert rule["latency"] == {"min": 10.0, "max": 20.0} and rule["api"] == "awx" and rule["id"]
    refused = client.put("/__mock/faults", json={"status": 1})
    assert refused.status_code == 400 and refused.json["error"] == "invalid_faults"
    assert client.get("/__mock/faults").json["rules"][0]["api"] == "awx"  # a bad PUT installs nothing
    cleared = client.delete("/__mock/faults")
    assert cleared.status_code == 204 and "Content-Type" not in cleared.headers  # no body, no type
    assert client.get("/__mock/faults").json == {"rules": [], "latency": None}


def test_dropped_connection_and_latency_over_http(make_app):
    with threaded_server(make_app(only=["pdnsmanager"], check_responses=False)) as base:
        requests.put(f"{base}/__mock/faults", json=[
            {"id": "drop", "method": "POST", "path": CREATE, "drop": True, "times": 1},
            {"id": "slow", "method": "GET", "path": CREATE, "latency": 150},
        ])
        with pytest.raises(requests.ConnectionError):
            requests.post(base + CREATE, headers=PDNS, json=BODY, timeout=10)
        assert requests.post(base + CREATE, headers=PDNS, json=BODY).status_code == 201
        started = time.perf_counter()
        assert requests.get(base + CREATE, headers=PDNS).status_code == 200
        assert time.perf_counter() - started >= 0.15  # a lower bound: the wait really happened
        waited = requests.get(f"{base}/__mock/requests?method=GET").json()["requests"]
        assert waited[0]["durationMs"] >= 150  # the journal's duration includes the fault's wait
        journal = requests.get(f"{base}/__mock/requests?method=POST").json()["requests"]
        assert journal[0]["status"] is None and journal[0]["fault"]["drop"] is True
        assert journal[0]["operation"] == "createCredential"
        assert requests.get(f"{base}/__mock/health").status_code == 200  # the server lives on


def test_a_dropped_connection_sends_not_a_single_byte(make_app):
    with threaded_server(make_app(only=["pdnsmanager"], check_responses=False)) as base:
        requests.put(f"{base}/__mock/faults", json={"method": "GET", "path": CREATE, "drop": True, "latency": 120})
        address = urlsplit(base)
        with socket.create_connection((address.hostname, address.port), timeout=10) as raw:
            raw.sendall(f"GET {CREATE} HTTP/1.1\r\nHost: x\r\nX-Authentication: t\r\n\r\n".encode())
            received = b""
            while chunk := raw.recv(4096):
                received += chunk
        assert received == b""
        dropped = requests.get(f"{base}/__mock/requests?method=GET").json()["requests"][0]
        assert dropped["status"] is None and dropped["durationMs"] >= 120  # the wait before the drop counts
        requests.delete(f"{base}/__mock/faults")
        assert requests.get(base + CREATE, headers=PDNS).status_code == 200


def test_a_delayed_request_holds_back_no_other_request(make_app):
    """Latency overlaps: while slow requests wait, other requests are answered."""
    with threaded_server(make_app(only=["pdnsmanager"], check_responses=False)) as base:
        requests.put(f"{base}/__mock/faults", json={"method": "GET", "path": CREATE, "latency": 1500})
        finished: list[str] = []

        def slow(n):
            requests.get(base + CREATE, headers=PDNS, timeout=30)
            finished.append(f"slow-{n}")

        waiting = [threading.Thread(target=slow, args=(n,)) for n in range(12)]  # more than any pool
        for thread in waiting:
            thread.start()
        time.sleep(0.3)  # the slow ones are in flight
        assert requests.post(base + CREATE, headers=PDNS, json=BODY, timeout=30).status_code == 201
        finished.append("fast")
        assert requests.get(f"{base}/__mock/faults", timeout=30).status_code == 200
        finished.append("control")
        for thread in waiting:
            thread.join()
        assert finished[:2] == ["fast", "control"] and len(finished) == 14


def test_stopping_the_server_answers_requests_still_waiting_for_a_latency_fault():
    import signal

    with cli_server() as (base, process):
        requests.put(f"{base}/__mock/faults", json={"method": "GET", "path": CREATE, "latency": 600000})
        answers: list = []
        waiting = threading.Thread(target=lambda: answers.append(
            requests.get(base + CREATE, headers=PDNS, timeout=60).status_code))
        waiting.start()
        time.sleep(0.5)  # in flight, ten minutes to go
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        waiting.join(20)
        assert answers == [200]


def test_latency_option_slows_api_requests_not_the_control_api():
    with cli_server("--latency", "200") as (base, _):
        started = time.perf_counter()
        assert requests.get(base + CREATE, headers=PDNS).status_code == 200
        assert time.perf_counter() - started >= 0.2
        assert requests.get(f"{base}/__mock/faults").json()["latency"] == {"min": 200.0, "max": 200.0}


@pytest.mark.parametrize("rule,message", [
    ({"api": "awxx", "status": 503}, "rules[0].api: no API 'awxx'"),
    ({"operation": "createCredentialz", "status": 503}, "rules[0].operation: 'createCredentialz'"),
    ({"api": "awx", "operation": "createSession", "status": 503}, "is not an operationId of awx"),
    ({"method": "FETCH", "status": 503}, "rules[0].method: 'FETCH'"),
    ({"path": "awx/api", "status": 503}, "rules[0].path"),
])
def test_rules_that_could_never_fire_are_refused(client, rule, message):
    response = client.put("/__mock/faults", json=rule)
    assert response.status_code == 400 and message in response.json["message"]
