"""Stopping the embedded server, hundreds of times, never aborts the process (``make stress``).

The abort this guards against (see mockserver/native_threads.py) struck at interpreter
exit in about 1 run in 20 of tests/shutdown_child.py, and in about half of the runs of
``mockserver verify --api all --mock`` on a busy machine: a few hundred runs make a miss
all but impossible. These tests take about three minutes, so they are marked ``stress``:
``make test`` leaves them out, ``make stress`` (which .ci/run calls) runs them.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from servers import ROOT, cli_server, free_port, wait_healthy

from mockserver.app import create_app
from mockserver.native_threads import ServerThreads
from mockserver.runtime import MockConfig
from mockserver.server import serving

pytestmark = pytest.mark.stress

CHILD = Path(__file__).with_name("shutdown_child.py")
PARALLEL = 2  # the CI machine's cores: runs overlap, as busy CI jobs do


def _run(command: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def _all_exit_0(commands: list[list[str]]) -> None:
    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(_run, commands))
    failed = [r for r in results if r.returncode != 0]
    assert not failed, (f"{len(failed)} of {len(results)} runs failed; first: status {failed[0].returncode}\n"
                        f"{failed[0].stdout[-1500:]}\n{failed[0].stderr[-1500:]}")


def test_200_in_process_stops_with_traffic_in_flight_leave_no_server_thread(monkeypatch):
    app = create_app(MockConfig(only=["pdnsmanager"], access_log=False))
    seen: list[ServerThreads] = []
    original = ServerThreads.__init__

    def remember(self):
        original(self)
        seen.append(self)

    monkeypatch.setattr(ServerThreads, "__init__", remember)
    for _ in range(200):
        stop = threading.Event()
        with serving(app) as base:
            session = requests.Session()

            def ask(session=session, base=base, stop=stop):
                while not stop.is_set():
                    try:
                        session.get(f"{base}/records/2/credentials", headers={"X-Authentication": "t"}, timeout=5)
                    except requests.RequestException:
                        return

            client = threading.Thread(target=ask, daemon=True)
            client.start()
            assert seen[-1].running()  # granian's threads carry the name: the check below is not blind
        # The block has ended: every thread the server started must have ended with it.
        assert seen[-1].running() == set()
        stop.set()
        client.join(5)
    assert len(seen) == 200


def test_200_processes_that_stop_a_server_with_traffic_in_flight_and_exit_all_exit_0():
    _all_exit_0([[sys.executable, str(CHILD), "1"] for _ in range(200)])


def test_verify_all_against_the_mock_exits_0_fifty_times_in_a_row():
    _all_exit_0([[sys.executable, "-m", "mockserver", "verify", "--api", "all", "--mock", "--quiet"]
                 for _ in range(50)])


@pytest.mark.parametrize("own_port", [False, True], ids=["one-port", "api-port"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_mockserver_run_stopped_by_a_signal_with_traffic_in_flight_exits_0(signum, own_port):
    """`own_port`: the API also on a port of its own (--api-port), with traffic on both."""
    for _ in range(10):
        port = free_port()
        with cli_server("--api", "pdnsmanager", *(["--api-port", f"pdnsmanager={port}"] if own_port else [])) \
                as (base, process):
            bases = [base, f"http://127.0.0.1:{port}"] if own_port else [base]
            for root in bases:
                wait_healthy(root)
            stop = threading.Event()

            def ask(root):
                session = requests.Session()
                while not stop.is_set():
                    try:
                        session.get(f"{root}/records/2/credentials", headers={"X-Authentication": "t"}, timeout=5)
                    except requests.RequestException:
                        return

            clients = [threading.Thread(target=ask, args=(root,), daemon=True) for root in bases for _ in range(3)]
            for client in clients:
                client.start()
            process.send_signal(signum)
            assert process.wait(timeout=10) == 0
            stop.set()


def test_mockserver_run_watch_stopped_while_it_reloads_exits_0(tmp_path):
    """--watch: a SIGTERM while the watcher reloads a spec (rewritten all along), with
    traffic in flight, still exits 0 at once: the watcher's thread is joined on the way out."""
    import random
    import shutil
    import time

    (tmp_path / "specs").mkdir()
    spec = tmp_path / "specs" / "pdnsmanager.yaml"
    shutil.copy(ROOT / "specs" / "pdnsmanager.yaml", spec)
    text = spec.read_text()
    reloaded = 0
    for round_ in range(20):
        with cli_server("--watch", "--api", "pdnsmanager", "--specs", str(spec.parent)) as (base, process):
            stop = threading.Event()

            def ask(root=base, stop=stop):
                session = requests.Session()
                while not stop.is_set():
                    try:
                        session.get(f"{root}/records/2/credentials", headers={"X-Authentication": "t"}, timeout=5)
                    except requests.RequestException:
                        return

            client = threading.Thread(target=ask, daemon=True)
            client.start()
            for edit in range(random.randint(2, 5)):  # each edit a new version: one reload after another
                spec.write_text(text + f"\n# round {round_}, edit {edit}\n")
                time.sleep(random.uniform(0.2, 0.6))
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0, process.log_path.read_text()[-2000:]
            log = process.log_path.read_text()
            assert "Traceback" not in log
            reloaded += "watch: reloaded" in log
            stop.set()
            client.join(5)
    assert reloaded, "the watcher reloaded in none of the rounds: the test is blind"
