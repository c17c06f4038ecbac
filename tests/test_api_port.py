"""``mockserver run --api-port ID=PORT``: an API also at the root of a port of its own.

The same process, the same state: every API stays under its mount on the main port, and
the pinned API answers on its own port as if it were alone there (vendor clients such as
AWX's awxkit expect the API at the root of a host and follow the links it writes).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from servers import ROOT, cli_server, free_port, wait_healthy

from mockserver.app import PLANNED_FAULT
from mockserver.server import PINNED_API

AWX = str(Path(sys.executable).with_name("awx"))
TOKEN = {"Authorization": "Bearer t"}
CREDENTIAL = {"name": "x", "credential_type": 1, "inputs": {"username": "u"}}


# --- in the app: a pinned request is the API's, with no mount prefix -----------------------------
@pytest.fixture
def pinned(make_app):
    """(a client of every API under its mount, the same app's client as on AWX's own port)."""
    app = make_app()
    own = app.test_client()
    own.environ_base[PINNED_API] = "awx"  # what the bridge of AWX's own port adds to every request
    return app.test_client(), own


def test_a_pinned_request_links_from_the_root_and_a_mounted_one_under_the_mount(pinned):
    mounted, own = pinned
    assert own.get("/api/v2/users/?page_size=1", headers=TOKEN).json["next"] == "/api/v2/users/?page=2&page_size=1"
    assert mounted.get("/awx/api/v2/users/?page_size=1", headers=TOKEN).json["next"] == \
        "/awx/api/v2/users/?page=2&page_size=1"
    created = own.post("/api/v2/users/1/credentials/", headers=TOKEN, json=CREDENTIAL)
    assert created.status_code == 201 and created.headers["Location"] == created.json["url"]
    assert created.json["url"] == f"/api/v2/credentials/{created.json['id']}/"
    # The mount is no part of the pinned API's paths: /awx/... is AWX's own 404 there.
    assert own.get("/awx/api/v2/users/", headers=TOKEN).json == {"detail": "Not found."}


def test_the_control_api_keeps_its_paths_on_a_pinned_port(pinned):
    _, own = pinned
    assert own.get("/__mock/health").json["status"] == "ok"
    own.get("/api/v2/users/", headers=TOKEN)
    entry = own.get("/__mock/requests").json["requests"][-1]
    assert (entry["api"], entry["path"]) == ("awx", "/api/v2/users/")  # the path as received


def test_body_limits_and_faults_follow_the_pinned_api(make_app):
    mock = make_app().wsgi_app
    mock.runtime.faults.install({"api": "awx", "operation": "listUsers", "latency": 50})
    environ = {"PATH_INFO": "/api/v2/users/", "REQUEST_METHOD": "GET", PINNED_API: "awx"}
    assert mock.plan_fault(environ) == 0.05 and environ[PLANNED_FAULT][0] is not None
    assert mock.plan_fault({**environ, PINNED_API: None}) == 0.0  # unpinned, /api/v2/... is no API's
    assert mock.body_limit(environ) == mock.runtime.config.max_body


# --- a real `mockserver run --api-port awx=P`, every API served -------------------------------
@pytest.fixture(scope="module")
def ports():
    """(main base URL, AWX's own base URL) of one server process for the module."""
    own_port = free_port()
    with cli_server("--api-port", f"awx={own_port}") as (base, _):
        own = f"http://127.0.0.1:{own_port}"
        wait_healthy(own)  # the health endpoint answers on the API's own port too
        yield base, own


def test_awx_answers_its_resource_map_at_the_root_of_its_port(ports):
    base, own = ports
    resources = requests.get(f"{own}/api/v2/", timeout=10).json()
    assert resources["users"] == "/api/v2/users/" and resources["credentials"] == "/api/v2/credentials/"
    assert requests.get(f"{base}/awx/api/v2/", timeout=10).json()["users"] == "/awx/api/v2/users/"
    assert requests.get(f"{own}/__mock/health", timeout=10).json()["apis"] == \
        requests.get(f"{base}/__mock/health", timeout=10).json()["apis"]


def test_page_links_follow_the_way_the_request_came_in(ports):
    base, own = ports
    at_root = requests.get(f"{own}/api/v2/users/?page_size=1", headers=TOKEN, timeout=10).json()
    mounted = requests.get(f"{base}/awx/api/v2/users/?page_size=1", headers=TOKEN, timeout=10).json()
    assert at_root["next"] == "/api/v2/users/?page=2&page_size=1"
    assert mounted["next"] == "/awx/api/v2/users/?page=2&page_size=1"
    assert at_root["results"][0]["url"] == "/api/v2/users/1/" and mounted["results"][0]["url"] == "/awx/api/v2/users/1/"


def test_both_ports_share_one_state(ports):
    base, own = ports
    created = requests.post(f"{own}/api/v2/users/1/credentials/", headers=TOKEN, json=CREDENTIAL, timeout=10)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"/api/v2/credentials/{created.json()['id']}/"
    seen = requests.get(f"{base}/awx{created.headers['Location']}", headers=TOKEN, timeout=10)
    assert seen.status_code == 200 and seen.json()["name"] == "x"
    assert seen.json()["url"] == f"/awx/api/v2/credentials/{created.json()['id']}/"


def test_the_journal_records_the_api_and_the_path_as_received(ports):
    base, own = ports
    requests.get(f"{own}/api/v2/me/", headers=TOKEN, timeout=10)
    requests.get(f"{base}/awx/api/v2/me/", headers=TOKEN, timeout=10)
    entries = requests.get(f"{base}/__mock/requests?operation=listMe", timeout=10).json()["requests"][-2:]
    assert [(e["api"], e["path"]) for e in entries] == [("awx", "/api/v2/me/"), ("awx", "/awx/api/v2/me/")]


def test_the_awx_cli_pings_the_api_on_its_own_port(ports):
    _, own = ports
    result = subprocess.run([AWX, "--conf.host", own, "--conf.token", "any", "-f", "json", "ping"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert '"version": "24.6.1"' in result.stdout


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_every_listener_and_the_process_exits_0(signum):
    own_port = free_port()
    with cli_server("--api-port", f"pdnsmanager={own_port}") as (base, process):
        own = f"http://127.0.0.1:{own_port}"
        wait_healthy(own)
        assert requests.get(f"{own}/records/2/credentials", headers={"X-Authentication": "t"}).status_code == 200
        process.send_signal(signum)
        assert process.wait(timeout=10) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{own}/__mock/health", timeout=2)


# --- usage errors: one line, exit 2 -----------------------------------------------------------
def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mockserver", "run", "--quiet", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args,message", [
    (["--api-port", "nope=8052"], "--api-port nope=8052: no API nope; choose from "),
    (["--api-port", "awx"], "--api-port awx: write ID=PORT, e.g. --api-port awx=8052"),
    (["--api-port", "=8052"], "write ID=PORT"),
    (["--api-port", "awx=port"], "--api-port awx=port: the port must be a number from 1 to 65535"),
    (["--api-port", "awx=0"], "the port must be a number from 1 to 65535"),
    (["--api-port", "awx=65536"], "the port must be a number from 1 to 65535"),
    (["--api-port", "awx=8052", "--api-port", "versori=8052"], "port 8052 is given to awx already"),
    (["--api-port", "awx=8052", "--api-port", "awx=8053"], "awx has a port already (awx=8052)"),
    (["--port", "8052", "--api-port", "awx=8052"], "--api-port awx=8052: 8052 is the --port of all APIs"),
    (["--api", "pdnsmanager", "--api-port", "awx=8052"], "awx is not served with --api pdnsmanager"),
])
def test_bad_api_ports_are_one_line_and_exit_2(args, message):
    result = run(*args)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("Error: ") and message in result.stderr


def test_a_busy_api_port_is_a_one_line_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("--port", "0", "--api-port", f"awx={port}")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}: " in result.stderr and "--api-port awx" in result.stderr


def test_the_api_of_api_and_of_a_spec_may_have_a_port_of_its_own():
    """``--api X --api-port X=P``: X at the root of both ports; a --spec's API by its file stem."""
    own_port = free_port()
    with cli_server("--api", "awx", "--api-port", f"awx={own_port}") as (base, _):
        wait_healthy(f"http://127.0.0.1:{own_port}")
        for root in (base, f"http://127.0.0.1:{own_port}"):
            assert requests.get(f"{root}/api/v2/", timeout=10).json()["users"] == "/api/v2/users/"
    own_port = free_port()
    with cli_server("--spec", "tests/specs/petstore.yaml", "--api-port", f"petstore={own_port}") as (base, _):
        wait_healthy(f"http://127.0.0.1:{own_port}")
        assert requests.get(f"http://127.0.0.1:{own_port}/pets", headers={"X-API-Key": "k"}, timeout=10).ok
        assert requests.get(f"{base}/petstore/pets", headers={"X-API-Key": "k"}, timeout=10).ok


def test_the_start_up_message_names_the_extra_address_once_it_listens():
    own_port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "mockserver", "run", "--port", "0", "--quiet",
                                "--api-port", f"awx={own_port}"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("mockserver: awx also at"):
                break
        assert f"    also at http://127.0.0.1:{own_port}/ (at the root of its own port)\n" in lines
        assert lines[-1] == f"mockserver: awx also at http://127.0.0.1:{own_port}/  (at the root)\n"
        assert lines[-2].startswith("mockserver: listening on ")
        # announced, so already true: the port answers at once
        assert requests.get(f"http://127.0.0.1:{own_port}/__mock/health", timeout=10).status_code == 200
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
