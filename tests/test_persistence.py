"""--state-file: every acknowledged write survives a SIGKILL at any moment."""

from __future__ import annotations

import json
import signal
import threading
import time

import requests
from servers import cli_server

from mockserver.persistence import StateFile

PDNS = {"X-Authentication": "t"}


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path):
    path = tmp_path / "state.json"
    state = StateFile(path)
    state.write({"apis": {"awx": {"users": [{"id": 1, "username": "é 🚀"}]}}})
    state.write({"apis": {}})
    assert json.loads(path.read_text()) == {"apis": {}}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
    (tmp_path / ".state.json.abc.tmp").write_text("half a write")
    StateFile(path)  # starting again clears what a killed server left
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_state_is_saved_after_a_change_and_loaded_at_start(tmp_path):
    path = tmp_path / "state.json"
    with cli_server("--state-file", str(path)) as (base, _):
        created = requests.post(f"{base}/pdnsmanager/records/3/credentials", headers=PDNS,
                                json={"description": "survivor", "type": "password", "password": "p"})
        assert created.status_code == 201
        scenario = requests.post(f"{base}/__mock/scenarios/edge-cases")
        assert scenario.status_code == 200
        assert requests.post(f"{base}/__mock/reset").status_code == 200
        again = requests.post(f"{base}/pdnsmanager/records/3/credentials", headers=PDNS,
                              json={"description": "after reset", "type": "password", "password": "p"})
        assert again.status_code == 201
    with cli_server("--state-file", str(path)) as (base, _):
        listed = requests.get(f"{base}/pdnsmanager/records/3/credentials", headers=PDNS).json()["results"]
        assert "after reset" in {c["description"] for c in listed}
        assert "survivor" not in {c["description"] for c in listed}  # the reset came after it


def test_no_acknowledged_write_is_lost_when_killed_mid_burst(tmp_path):
    path = tmp_path / "state.json"
    acknowledged: list[int] = []
    with cli_server("--state-file", str(path)) as (base, process):
        stop = threading.Event()

        def writer(n: int) -> None:
            session = requests.Session()
            i = 0
            while not stop.is_set():
                try:
                    response = session.post(f"{base}/pdnsmanager/records/2/credentials", headers=PDNS,
                                            json={"description": f"w{n}-{i}", "type": "password", "password": "p"},
                                            timeout=5)
                except requests.RequestException:
                    return  # the server is gone: this write was never acknowledged
                if response.status_code == 201:
                    acknowledged.append(response.json()["id"])
                i += 1

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 60 and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)  # mid-burst: writes are in flight right now
        process.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=10)
    assert len(acknowledged) >= 60
    json.loads(path.read_text())  # never half-written
    with cli_server("--state-file", str(path)) as (base, _):
        stored = {c["id"] for c in requests.get(f"{base}/pdnsmanager/records/2/credentials",
                                                headers=PDNS).json()["results"]}
    assert set(acknowledged) <= stored
