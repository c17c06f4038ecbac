"""``mockserver run`` as a user starts it: a real process on a free port."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import requests
from apis import API_IDS
from servers import ROOT, cli_server


def test_serves_every_api_under_its_prefix():
    with cli_server() as (base, _):
        health = requests.get(f"{base}/__mock/health").json()
        assert health["apis"] == list(API_IDS)  # every shipped spec, in name order
        response = requests.get(f"{base}/pdnsmanager/records/2/credentials", headers={"X-Authentication": "t"})
        assert response.status_code == 200


def test_single_api_is_served_at_the_root():
    with cli_server("--api", "pdnsmanager") as (base, _):
        assert requests.get(f"{base}/records/2/credentials", headers={"X-Authentication": "t"}).status_code == 200
        assert requests.get(f"{base}/__mock/health").json()["apis"] == ["pdnsmanager"]


def test_seed_gives_the_same_data_on_every_start():
    def listing():
        with cli_server("--api", "pdnsmanager", "--seed", "42") as (base, _):
            return [requests.get(f"{base}/records/{r}/credentials", headers={"X-Authentication": "t"}).json()
                    for r in range(1, 6)]

    assert listing() == listing()


def test_bad_fixture_stops_start_up_with_a_clear_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apis:\n  pdnsmanager:\n    records:\n      - {id: 1, domain: 99, name: x, type: A, content: c}\n")
    result = subprocess.run([sys.executable, "-m", "mockserver", "run", "--port", "0", "--fixtures", str(bad)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert f"{bad}: pdnsmanager.records[0]: field domain: no domains entity with key 99" in result.stderr


def test_help_lists_the_options():
    result = subprocess.run([sys.executable, "-m", "mockserver", "run", "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for option in ("--host", "--port", "--api", "--seed", "--fixtures"):
        assert option in result.stdout


def test_a_busy_port_is_a_one_line_error():
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "mockserver", "run", "--port", str(port), "--quiet"],
                                cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr


def mockserver(*args: str, cwd=ROOT, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mockserver", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("args,message", [
    (["run", "--fixtures", "nope.yaml"], "nope.yaml: no such file (nor a shipped scenario of that name"),
    (["run", "--fixtures", "/"], "/: is a folder, not a data file"),
    (["run", "--specs", "README.md"], "--specs README.md: is a file, not a folder"),
    (["run", "--specs", "no-such-folder"], "--specs no-such-folder: no such folder"),
    (["run", "--state-file", "tests"], "--state-file tests: is a folder, not a file"),
    (["run", "--host", "0.0.0.0"], "set a secret token in the MOCKSERVER_ADMIN_TOKEN environment variable"),
    (["verify", "--api", "awx", "--mock", "--junit", "tests"], "--junit tests: is a folder, not a file"),
    (["fixtures", "check", "no-such.yaml"], "no-such.yaml: no such file"),
])
def test_bad_paths_and_settings_are_one_line_and_exit_2(args, message):
    result = mockserver(*args)
    assert result.returncode == 2, result.stderr
    # one line, no usage text around it
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr


def test_shipped_scenarios_are_taken_by_name_and_options_from_the_environment(tmp_path):
    checked = mockserver("fixtures", "check", "empty", "edge-cases")
    assert checked.returncode == 0 and checked.stdout.count(": ok (") == 2, checked.stderr
    extra = tmp_path / "extra.yaml"
    extra.write_text("apis:\n  pdnsmanager:\n    credentials:\n"
                     "      - {record: 2, description: From the environment, type: password, password: p}\n")
    env = {**os.environ, "MOCKSERVER_RUN_SEED": "42", "MOCKSERVER_RUN_FIXTURES": f"empty:{extra}"}
    with cli_server(env=env) as (base, _):
        assert requests.get(f"{base}/__mock/health").json()["seed"] == 42
        listed = requests.get(f"{base}/pdnsmanager/records/2/credentials", headers={"X-Authentication": "t"})
        assert [c["description"] for c in listed.json()["results"]] == ["From the environment"]


def test_every_option_reads_the_variable_its_flag_names():
    """MOCKSERVER_<COMMAND>_<OPTION>, after the flag (--api: MOCKSERVER_RUN_API), never after
    the name the code gives the parameter (single_api)."""
    import click

    from mockserver.cli import main

    def commands(group, scope):
        for name, command in group.commands.items():
            here = f"{scope}_{name.upper().replace('-', '_')}"
            yield from commands(command, here) if isinstance(command, click.Group) else [(here, command)]

    checked = 0
    for scope, command in commands(main, "MOCKSERVER"):
        for param in command.params:
            flags = [flag for flag in getattr(param, "opts", ()) if flag.startswith("--")]
            if isinstance(param, click.Option) and flags:
                expected = f"{scope}_{flags[0][2:].upper().replace('-', '_')}"
                own = {"--admin-token": "MOCKSERVER_ADMIN_TOKEN", "--token": "MOCKSERVER_VERIFY_TOKEN",
                       "--password": "MOCKSERVER_VERIFY_PASSWORD"}  # documented variables of their own
                assert param.envvar == own.get(flags[0], expected), (scope, flags[0], param.envvar)
                checked += 1
    assert checked >= 27  # every option of every command was reached


def test_a_spec_of_your_own_from_the_environment():
    env = {**os.environ, "MOCKSERVER_RUN_SPEC": f"{ROOT}/tests/specs/petstore.yaml:{ROOT}/tests/specs/notes.yaml"}
    with cli_server(env=env) as (base, _):
        assert {"petstore", "notes"} <= set(requests.get(f"{base}/__mock/health").json()["apis"])
        assert requests.get(f"{base}/petstore/pets", headers={"X-API-Key": "k"}).status_code == 200
    with cli_server(env={**env, "MOCKSERVER_RUN_SPEC": f"{ROOT}/tests/specs/petstore.yaml",
                         "MOCKSERVER_RUN_API": "petstore"}) as (base, _):
        assert requests.get(f"{base}/__mock/health").json()["apis"] == ["petstore"]
        assert requests.get(f"{base}/pets", headers={"X-API-Key": "k"}).status_code == 200


def test_a_spec_that_api_would_not_serve_is_a_usage_error():
    result = subprocess.run([sys.executable, "-m", "mockserver", "run", "--spec", "tests/specs/notes.yaml",
                             "--api", "pdnsmanager", "--port", "0"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2 and "--spec tests/specs/notes.yaml is not served with --api pdnsmanager" \
        in result.stderr


def test_fixtures_check_accepts_the_shipped_scenarios_and_names_what_is_wrong(tmp_path):
    shipped = [str(ROOT / "fixtures" / f"{name}.yaml") for name in ("default", "empty", "edge-cases")]
    ok = subprocess.run([sys.executable, "-m", "mockserver", "fixtures", "check", *shipped],
                        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and ok.stdout.count(": ok (") == 3
    bad = tmp_path / "bad.yaml"
    bad.write_text("apis:\n  awx:\n    credentials:\n      - {name: x, credential_type: 999, user: 1}\n")
    result = subprocess.run([sys.executable, "-m", "mockserver", "fixtures", "check", str(bad)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and f"{bad}: awx.credentials[0]" in result.stderr


def test_sigterm_and_ctrl_c_stop_the_server_cleanly():
    import signal

    for signum in (signal.SIGTERM, signal.SIGINT):
        with cli_server() as (base, process):
            assert requests.get(f"{base}/pdnsmanager/records/2/credentials",
                                headers={"X-Authentication": "t"}).status_code == 200
            process.send_signal(signum)
            assert process.wait(timeout=10) == 0


def test_port_zero_picks_a_free_port_and_says_which():
    process = subprocess.Popen([sys.executable, "-m", "mockserver", "run", "--port", "0", "--quiet"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in process.stdout:
            if line.startswith("mockserver: listening on "):
                base = line.split()[3].rstrip("/")
                break
        assert not base.endswith(":0")
        assert requests.get(f"{base}/__mock/health", timeout=10).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
