"""The container image as a user runs it (``make image-test``; marked ``image``).

``make image-test`` builds the image with podman on a base made from Debian's packages
(container/build-base.sh), then runs these tests against it, named by
``MOCKSERVER_TEST_IMAGE``. Every container publishes its port on 127.0.0.1 only, and is
removed afterwards, also when a test fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from apis import API_IDS
from servers import ROOT, free_port

from mockserver.data import fixture_dir

pytestmark = pytest.mark.image

IMAGE = os.environ.get("MOCKSERVER_TEST_IMAGE", "")
TOKEN = "image-test-admin-token"
MOCKSERVER = str(Path(sys.executable).with_name("mockserver"))


@pytest.fixture(scope="module", autouse=True)
def image() -> str:
    """The image under test; `make image-test` builds it and names it."""
    if not IMAGE or shutil.which("podman") is None:
        pytest.fail("run these through `make image-test`: it builds the image and sets MOCKSERVER_TEST_IMAGE")
    return IMAGE


def podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    """Run podman; by default a failure fails the test with podman's own words."""
    result = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        pytest.fail(f"podman {' '.join(args)} -> {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


@contextmanager
def container(*run_args: str, port: int | None = None):
    """A detached container of the image (run options, then the image, then `mockserver run` options).

    Yields (name, base URL) once /__mock/health answers; removed on the way out.
    """
    name = f"mockserver-test-{uuid.uuid4().hex[:8]}"
    port = port or free_port()
    options, _, arguments = _split(run_args)
    podman("run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8080", *options, IMAGE, *arguments)
    base = f"http://127.0.0.1:{port}"
    try:
        waited = subprocess.run([MOCKSERVER, "wait", f"{base}/__mock/health", "--timeout", "60"],
                                capture_output=True, text=True, timeout=90)
        if waited.returncode != 0:
            pytest.fail(f"{waited.stderr}\n{podman('logs', name, check=False).stderr}")
        yield name, base
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


def _split(args: tuple[str, ...]) -> tuple[list[str], None, list[str]]:
    """("-e", "X", "--", "--seed", "7") -> (["-e", "X"], None, ["--seed", "7"])."""
    if "--" in args:
        at = args.index("--")
        return list(args[:at]), None, list(args[at + 1:])
    return list(args), None, []


def stop_with_sigterm(name: str) -> tuple[int, float]:
    """Send SIGTERM as `docker stop` does; (exit status, seconds until the container ended)."""
    started = time.monotonic()
    podman("kill", "--signal", "TERM", name)
    status = int(podman("wait", name, timeout=30).stdout.strip())
    return status, time.monotonic() - started


def test_the_image_runs_as_a_non_root_user_exposes_8080_and_has_a_health_check():
    inspected = json.loads(podman("image", "inspect", IMAGE).stdout)[0]
    config = inspected["Config"]
    assert config["User"] == "mock"
    assert "8080/tcp" in config["ExposedPorts"]
    # podman shows the health check beside Config, docker inside it; an OCI-format build drops it
    healthcheck = inspected.get("Healthcheck") or config.get("Healthcheck") or {}
    assert "mockserver wait" in " ".join(healthcheck.get("Test", []))
    size = int(podman("image", "inspect", "--format", "{{.Size}}", IMAGE).stdout)
    print(f"image size: {size / 1e6:.0f} MB")
    assert size < 250e6, f"{size / 1e6:.0f} MB: something large got into the image"


def test_it_refuses_to_start_without_an_admin_token_and_says_how_to_give_one():
    result = podman("run", "--rm", IMAGE, check=False)
    assert result.returncode == 2
    assert "-e MOCKSERVER_ADMIN_TOKEN=" in result.stderr and "Usage:" not in result.stderr


def test_other_commands_run_in_the_image_and_options_come_from_the_environment():
    version = podman("run", "--rm", IMAGE, "--version")
    assert version.stdout.strip().startswith("mockserver, version ")
    verify = podman("run", "--rm", IMAGE, "verify", "--api", "pdnsmanager", "--mock", "--quiet", timeout=300)
    assert "0 failed, 0 errors" in verify.stdout
    # A service container takes no arguments: MOCKSERVER_RUN_<OPTION> configures it.
    with container("-e", f"MOCKSERVER_ADMIN_TOKEN={TOKEN}", "-e", "MOCKSERVER_RUN_SEED=42",
                   "-e", "MOCKSERVER_RUN_FIXTURES=empty") as (_, base):
        assert requests.get(f"{base}/__mock/health", timeout=10).json()["seed"] == 42
        listed = requests.get(f"{base}/pdnsmanager/records/2/credentials", headers={"X-Authentication": "t"},
                              timeout=10)
        assert listed.json()["results"] == []  # the "empty" scenario, by name


def test_every_api_answers_the_control_api_wants_the_token_and_health_checks_pass():
    with container("-e", f"MOCKSERVER_ADMIN_TOKEN={TOKEN}") as (name, base):
        health = requests.get(f"{base}/__mock/health", timeout=10).json()
        assert health["apis"] == list(API_IDS)
        for command in readme_api_curls():  # the README's requests of "The five APIs"
            # (a trailing "# → NNN" says which status it answers; 200 otherwise)
            url, expected = re.search(r"'?(http://127\.0\.0\.1:8080/[^\s']+)'?(?:\s+#\s*→\s*(\d{3}))?\s*$",
                                      command).groups()
            headers = dict(h.split(": ", 1) for h in re.findall(r"-H '([^']+)'", command))
            auth = ("admin", "password") if " -u admin:password" in command else None
            answer = requests.get(url.replace("http://127.0.0.1:8080", base), headers=headers, auth=auth, timeout=10)
            assert answer.status_code == int(expected or 200), f"{command}\n{answer.status_code} {answer.text[:300]}"
        assert requests.get(f"{base}/__mock/state", timeout=10).status_code == 401
        state = requests.get(f"{base}/__mock/state", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert state.status_code == 200 and set(state.json()["apis"]) >= {"pdnsmanager", "awx"}
        assert podman("healthcheck", "run", name, check=False).returncode == 0
        assert podman("exec", name, "id", "-u").stdout.strip() == "10001"
        status, seconds = stop_with_sigterm(name)
        print(f"SIGTERM to exit: {seconds:.2f} s (podman included)")
        assert status == 0  # not 137: it ended on SIGTERM, before any SIGKILL


def test_a_mounted_data_file_and_a_state_file_on_a_volume_survive_a_restart(tmp_path):
    data = tmp_path / "my-data.yaml"
    data.write_text((fixture_dir() / "empty.yaml").read_text().replace(
        "      - {id: 5, domain: 2, name: api.example.org, type: CNAME, content: example.org, ttl: 300}\n",
        "      - {id: 5, domain: 2, name: api.example.org, type: CNAME, content: example.org, ttl: 300}\n"
        "    credentials:\n"
        "      - {record: 2, description: Mounted from the host, type: password, password: from-a-file}\n"))
    data.chmod(0o644)
    volume = f"mockserver-test-{uuid.uuid4().hex[:8]}"
    podman("volume", "create", volume)
    run = ("-e", f"MOCKSERVER_ADMIN_TOKEN={TOKEN}", "-v", f"{data}:/data/my-data.yaml:ro", "-v", f"{volume}:/state",
           "--", "--fixtures", "/data/my-data.yaml", "--state-file", "/state/state.json")
    pdns = {"X-Authentication": "t"}
    try:
        with container(*run) as (name, base):
            listed = requests.get(f"{base}/pdnsmanager/records/2/credentials", headers=pdns, timeout=10).json()
            assert [c["description"] for c in listed["results"]] == ["Mounted from the host"]
            created = requests.post(f"{base}/pdnsmanager/records/2/credentials", headers=pdns, timeout=10,
                                    json={"description": "Made in the container", "type": "password",
                                          "password": "kept-on-the-volume"})
            assert created.status_code == 201, created.text
            assert stop_with_sigterm(name)[0] == 0
        with container(*run) as (name, base):  # a new container, the same volume
            listed = requests.get(f"{base}/pdnsmanager/records/2/credentials", headers=pdns, timeout=10).json()
            assert sorted(c["description"] for c in listed["results"]) == ["Made in the container",
                                                                           "Mounted from the host"]
            # a state round trip through the control API
            auth = {"Authorization": f"Bearer {TOKEN}"}
            exported = requests.get(f"{base}/__mock/state", headers=auth, timeout=10)
            requests.post(f"{base}/__mock/scenarios/empty", headers=auth, timeout=10).raise_for_status()
            assert requests.get(f"{base}/pdnsmanager/records/2/credentials", headers=pdns,
                                timeout=10).json()["results"] == []
            loaded = requests.put(f"{base}/__mock/state", headers=auth, data=exported.content, timeout=10)
            assert loaded.status_code == 200, loaded.text
            assert len(requests.get(f"{base}/pdnsmanager/records/2/credentials", headers=pdns,
                                    timeout=10).json()["results"]) == 2
    finally:
        podman("volume", "rm", "-f", volume, check=False)


def readme_api_curls() -> list[str]:
    """The README's request for each API in "The five APIs" (one curl per API)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    # "## The five APIs" (however many there are), up to the next section
    section = re.split(r"\n## The \w+ APIs\n", text, maxsplit=1)[1].split("\n## ", 1)[0]
    return re.findall(r"^curl .+$", section, flags=re.M)


@pytest.fixture(scope="module")
def docker_api(tmp_path_factory):
    """podman's Docker-compatible API on a socket of its own, for Testcontainers."""
    socket_path = tmp_path_factory.mktemp("podman") / "podman.sock"
    service = subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{socket_path}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not socket_path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield f"unix://{socket_path}"
    finally:
        service.send_signal(signal.SIGTERM)
        try:
            service.wait(timeout=10)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()


def test_the_readme_testcontainers_example_runs_against_the_image(docker_api, tmp_path):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```python\n(# test_with_testcontainers\.py.*?)```", text, flags=re.S).group(1)
    script = tmp_path / "test_with_testcontainers.py"
    script.write_text(example.replace('"mockserver:latest"', repr(IMAGE)))
    env = {**os.environ, "DOCKER_HOST": docker_api,
           # Ryuk (the reaper container) would have to come from a registry: none is reachable here.
           "TESTCONTAINERS_RYUK_DISABLED": "true",
           # This machine is itself a container (/.dockerenv), which makes Testcontainers look
           # for a gateway address; the published port is on this host's loopback.
           "TESTCONTAINERS_CONNECTION_MODE": "docker_host", "TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(script)],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout


def readme_podman_commands() -> list[str]:
    """The `podman run` commands of the README's "Container image" section, as pasted."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Container image"):text.index("## In CI")]
    commands = []
    for block in re.findall(r"```\n(.*?)```", section, flags=re.S):
        commands += [line.strip() for line in block.replace("\\\n", " ").splitlines()
                     if line.startswith("podman run")]
    return commands


def test_the_readme_podman_commands_work_as_pasted(tmp_path):
    commands = readme_podman_commands()
    assert len(commands) == 6
    (tmp_path / "my-data.yaml").write_text((fixture_dir() / "empty.yaml").read_text())
    (tmp_path / "my-data.yaml").chmod(0o644)
    (tmp_path / "openapi").mkdir(mode=0o755)  # the README's own API spec, readable by the image's user
    (tmp_path / "openapi" / "billing.yaml").write_text((ROOT / "tests" / "specs" / "billing.json").read_text())
    (tmp_path / "openapi" / "billing.yaml").chmod(0o644)
    volume = f"mockserver-test-{uuid.uuid4().hex[:8]}"
    try:
        for command in commands:
            runnable = command.replace("mockserver:latest", IMAGE).replace("mock-state:", f"{volume}:")
            if "-p 127.0.0.1:8080:8080" not in command:  # a command that ends by itself
                result = subprocess.run(runnable, shell=True, cwd=tmp_path, capture_output=True, text=True,
                                        timeout=300)
                assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
                continue
            # A server: in the background, on a free port, until it answered and was stopped.
            port, awx_port, name = free_port(), free_port(), f"mockserver-test-{uuid.uuid4().hex[:8]}"
            runnable = runnable.replace("-p 127.0.0.1:8080:8080", f"-p 127.0.0.1:{port}:8080") \
                               .replace("-p 127.0.0.1:8052:8052", f"-p 127.0.0.1:{awx_port}:8052") \
                               .replace("podman run --rm", f"podman run -d --name {name}")
            subprocess.run(runnable, shell=True, cwd=tmp_path, check=True, capture_output=True, timeout=120)
            try:
                base = f"http://127.0.0.1:{port}"
                waited = subprocess.run([MOCKSERVER, "wait", f"{base}/__mock/health", "--timeout", "60"],
                                        capture_output=True, text=True, timeout=90)
                assert waited.returncode == 0, f"{command}\n{podman('logs', name, check=False).stderr}"
                state = requests.get(f"{base}/__mock/state", headers={"Authorization": "Bearer change-me"},
                                     timeout=10)  # the README's control call, with its token
                assert state.status_code == 200
                if "--api-port awx=8052" in command:  # AWX also at the root of its own published port
                    root = requests.get(f"http://127.0.0.1:{awx_port}/api/v2/", timeout=10)
                    assert root.status_code == 200 and root.json()["credentials"] == "/api/v2/credentials/"
                if "--spec /specs/billing.yaml" in command:  # the mounted spec is served at /billing
                    assert "billing" in state.json()["apis"]
                    listed = requests.get(f"{base}/billing/v1/customers", headers={"Stripe-Key": "k"}, timeout=10)
                    assert listed.status_code == 200 and listed.json()["object"] == "list"
                assert stop_with_sigterm(name)[0] == 0
            finally:
                podman("rm", "-f", "-t", "0", name, check=False)
    finally:
        podman("volume", "rm", "-f", volume, check=False)
