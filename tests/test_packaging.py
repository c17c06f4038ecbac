"""The package as a user gets it: a wheel installed into a fresh venv, used from elsewhere.

The rest of the suite runs against the editable install in ``.venv``, where the source
tree is on hand. These tests build a wheel from a copy of the tree (so the checkout gets
no ``build/`` or ``*.egg-info``), install it into a venv of their own that cannot see
``.venv``, and drive the installed ``mockserver`` command and pytest plugin from
directories that have nothing to do with the checkout. They catch what only packaging
breaks: a subpackage or data file left out of the wheel, a path that reaches back into
the source tree, a broken install that crashes instead of saying what is missing.

The venv is built once for the module (about 15 s: the dependencies come from the pip
cache or the package index); every server started here binds a free port of 127.0.0.1
and is stopped on the way out, also when an assertion fails.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tomllib
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
import requests
from apis import API_IDS
from servers import ROOT, free_port, stop_process

ALL_APIS = list(API_IDS)  # the checkout's specs/, which the wheel must carry, in name order
SHIPPED_SCENARIOS = {"default", "empty", "edge-cases", "large"}
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
PDNS = {"X-Authentication": "t"}

# One PDNS domain, record and credential: with --fixtures it replaces the default data,
# so what the server lists is exactly this (ids chosen apart from the default data's).
MY_DATA = """\
description: Packaging test data
apis:
  pdnsmanager:
    domains:
      - {id: 7, name: packaging.example, type: MASTER}
    records:
      - {id: 70, domain: 7, name: www.packaging.example, type: A, content: 192.0.2.70}
    credentials:
      - {record: 70, description: Packaging test updater, type: password, password: s3cret-packaging}
"""

# Added to the shipped default data by the foreign project: no ids, so none can clash.
EXTRA_DATA = """\
apis:
  pdnsmanager:
    credentials:
      - {record: 2, description: From the foreign project, type: password, password: s3cret-extra}
"""

FOREIGN_INI = """\
[pytest]
mockserver_seed = 42
mockserver_apis = awx pdnsmanager
mockserver_fixtures = default extra.yaml
"""

FOREIGN_TESTS = '''\
import requests

AWX_CREATE = {"name": "AWS staging", "credential_type": 4,
              "inputs": {"username": "AKIAIOSFODNN7EXAMPLE", "password": "s3cret"}}


def create_aws_credential(mockserver):
    return requests.post(f"{mockserver.url_for('awx')}/api/v2/users/2/credentials/",
                         auth=("admin", "password"), json=AWX_CREATE, timeout=10)


def test_seed_and_apis_come_from_the_ini_file(mockserver):
    assert mockserver.seed == 42
    assert sorted(mockserver.apis) == ["awx", "pdnsmanager"]


def test_extra_data_is_served_next_to_the_default_data(mockserver):
    answer = requests.get(f"{mockserver.url_for('pdnsmanager')}/records/2/credentials",
                          headers={"X-Authentication": "t"}, timeout=10)
    assert answer.status_code == 200, answer.text
    descriptions = [c["description"] for c in answer.json()["results"]]
    assert "From the foreign project" in descriptions     # extra.yaml
    assert "Dynamic DNS updater" in descriptions           # the shipped default scenario


def test_sends_exactly_one_create(mockserver):
    assert create_aws_credential(mockserver).status_code == 201
    assert mockserver.count(api="awx", operation="createUserCredential", status=201) == 1
    assert mockserver.count(body={"name": "AWS staging", "credential_type": 4}) == 1


def test_the_journal_is_fresh_for_every_test(mockserver):
    assert mockserver.count(api="awx", operation="createUserCredential") == 0


def test_awx_down(mockserver):
    mockserver.fault(api="awx", operation="createUserCredential", status=503)
    assert create_aws_credential(mockserver).status_code == 503
'''
FOREIGN_TEST_COUNT = FOREIGN_TESTS.count("\ndef test_")


@dataclass
class Installed:
    """The wheel, the venv it is installed in, and where to run things from."""

    wheel: Path
    venv: Path
    source: Path    # the copied tree the wheel was built from
    elsewhere: Path  # an unrelated working directory
    env: dict

    def bin(self, name: str) -> str:
        """A program of the venv (``mockserver``, ``python``)."""
        return str(self.venv / "bin" / name)

    def run(self, *args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run the venv's ``mockserver`` with `args`, from the unrelated directory; output captured."""
        return subprocess.run([self.bin("mockserver"), *args], cwd=cwd or self.elsewhere, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def site_packages(self) -> Path:
        """The venv's site-packages (its python3.X name depends on the interpreter)."""
        (found,) = (self.venv / "lib").glob("python3.*/site-packages")
        return found


def copy_source_tree(destination: Path) -> Path:
    """Copy the files git knows of (tracked, or untracked but not ignored) to `destination`.

    Only those: ``.venv``, ``build/``, egg-info and caches must not reach the wheel, and
    the build must write its leftovers into the copy, never into the checkout.
    """
    listing = subprocess.run(["git", "-C", str(ROOT), "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                             capture_output=True, text=True, check=True, timeout=60).stdout
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if not source.is_file():  # tracked but deleted in the working tree (someone is editing)
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return destination


def base_python() -> str:
    """The interpreter .venv was made from: a venv of it sees none of .venv's packages."""
    candidate = getattr(sys, "_base_executable", None)
    if candidate and Path(candidate).is_file() and Path(candidate).resolve() != Path(sys.executable).resolve():
        return candidate
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(Path(sys.base_prefix) / "bin" / version)


def can_build_without_isolation() -> bool:
    """Can this interpreter's setuptools build a wheel by itself?

    setuptools before 70.1 needs the separate ``wheel`` package for ``bdist_wheel``, and
    ``--no-build-isolation`` installs nothing; .venv may have such a setuptools (the
    project only requires setuptools>=65). Then the build runs isolated instead, as a
    user's ``pip wheel .`` does, fetching setuptools from the pip cache or the index.
    """
    try:
        major, minor = (int(part) for part in metadata.version("setuptools").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
        return False
    if (major, minor) >= (70, 1):
        return True
    try:
        metadata.version("wheel")
        return True
    except metadata.PackageNotFoundError:
        return False


def user_env(venv: Path, cache: Path) -> dict:
    """The environment of a user who has only the venv: nothing that points at this checkout."""
    env = {name: value for name, value in os.environ.items()
           if name not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTEST_PLUGINS",
                           "MOCKSERVER_URL", "MOCKSERVER_ADMIN_TOKEN", "MOCKSERVER_VERIFY_TOKEN"}}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    env["PYTHONUNBUFFERED"] = "1"
    # A parse cache of this module's own: nothing lands in ~/.cache, nothing is shared.
    env["MOCKSERVER_CACHE_DIR"] = str(cache)
    return env


def checked(result: subprocess.CompletedProcess, what: str) -> subprocess.CompletedProcess:
    """`result`, or a failure showing its output when it did not exit 0."""
    assert result.returncode == 0, f"{what} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    """Build the wheel from a copy of the tree and install it (with pytest) into a fresh venv."""
    work = tmp_path_factory.mktemp("packaging")
    source = copy_source_tree(work / "source")
    dist = work / "dist"
    # Absolute paths only: pip reads a bare word such as "source" as a package name.
    build = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(source)]
    if can_build_without_isolation():
        build.insert(4, "--no-build-isolation")
    checked(subprocess.run(build, cwd=work, capture_output=True, text=True, timeout=300), "pip wheel")
    (wheel,) = dist.glob("mockserver-*.whl")

    venv = work / "venv"
    checked(subprocess.run([base_python(), "-m", "venv", str(venv)], capture_output=True, text=True, timeout=120),
            "python -m venv")
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    cache = work / "parse-cache"
    cache.mkdir(mode=0o700)
    env = user_env(venv, cache)
    checked(subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel),
                            "pytest==9.2.0"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600),
            "pip install")
    return Installed(wheel=wheel, venv=venv, source=source, elsewhere=elsewhere, env=env)


@contextmanager
def served(installed: Installed, *args: str, cwd: Path | None = None):
    """Run the venv's ``mockserver run`` on a free port until healthy; yields (base URL, process).

    Readiness is the installed ``mockserver wait``; meanwhile the server is watched, so
    one that exits at start-up fails at once, with its log, instead of after the timeout.
    The server is stopped on the way out (SIGTERM, then SIGKILL after 10 s).
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = (cwd or installed.elsewhere) / f"server-{port}.log"
    # The log goes to a file, not a pipe: an unread pipe fills up and blocks the server.
    with log_path.open("w+") as log:
        process = subprocess.Popen([installed.bin("mockserver"), "run", "--port", str(port), "--quiet", *args],
                                   cwd=cwd or installed.elsewhere, env=installed.env,
                                   stdout=log, stderr=subprocess.STDOUT, text=True)
        try:
            waiter = subprocess.Popen([installed.bin("mockserver"), "wait", f"{base}/__mock/health", "--timeout", "60"],
                                      cwd=cwd or installed.elsewhere, env=installed.env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            try:
                while waiter.poll() is None and process.poll() is None:
                    try:
                        waiter.wait(timeout=0.1)
                    except subprocess.TimeoutExpired:
                        pass
            finally:
                if waiter.poll() is None:
                    waiter.kill()
                waiter_error = waiter.communicate(timeout=10)[1]
            if process.poll() is not None or waiter.returncode != 0:
                raise AssertionError(f"mockserver run {' '.join(args)} did not become healthy "
                                     f"(exit {process.returncode}; wait: {waiter_error.strip()}):\n"
                                     f"{log_path.read_text()}")
            yield base, process
        finally:
            stop_process(process)


def one_error_line(result: subprocess.CompletedProcess) -> str:
    """The single ``Error:`` line of a refused command, after checking it is no crash."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


# --- the wheel ----------------------------------------------------------------------------
def test_the_wheel_holds_every_subpackage_and_data_file(installed):
    """Every package of the tree and every shipped spec and data file is in the wheel.

    A new subpackage must be listed in pyproject.toml's [tool.setuptools] packages;
    one left out imports fine from the checkout and breaks only installed copies.
    """
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    tree = installed.source
    for init in sorted((tree / "mockserver").rglob("__init__.py")):
        assert init.relative_to(tree).as_posix() in names, f"{init.parent.relative_to(tree)} is not in the wheel"
    shipped = {f"mockserver/data/{folder}/{path.name}"
               for folder in ("specs", "fixtures") for path in (tree / folder).glob("*.yaml")}
    assert {f"mockserver/data/specs/{api}.yaml" for api in ALL_APIS} <= shipped
    assert {f"mockserver/data/fixtures/{name}.yaml" for name in SHIPPED_SCENARIOS} <= shipped
    # The dashboard's files (/__mock/ui) too: package data, not Python.
    shipped |= {f"mockserver/ui/{path.name}" for path in (tree / "mockserver/ui").iterdir()
                if path.suffix in (".html", ".css", ".js")}
    assert {"mockserver/ui/index.html", "mockserver/ui/dashboard.js"} <= shipped
    assert shipped <= names, f"left out of the wheel: {sorted(shipped - names)}"
    # Nothing of the checkout's own leftovers or tests travels with it.
    assert not [name for name in names if name.startswith(("tests/", "bench/", ".venv/", "build/"))]


def test_version_and_data_come_from_the_venv(installed):
    result = checked(installed.run("--version"), "mockserver --version")
    assert result.stdout.strip() == f"mockserver, version {VERSION}"
    # The data is found through the installed package, not through this checkout.
    where = checked(subprocess.run(
        [installed.bin("python"), "-c",
         "import mockserver, mockserver.data as d; print(mockserver.__file__); print(d.spec_dir()); "
         "print(d.fixture_dir())"],
        cwd=installed.elsewhere, env=installed.env, capture_output=True, text=True, timeout=60), "import")
    site = installed.site_packages()
    for line in where.stdout.split():
        assert Path(line).is_relative_to(site), f"{line} is not inside {site}"


# --- the command line ---------------------------------------------------------------------
def test_run_serves_every_api_and_the_shipped_scenarios_then_stops_on_sigterm(installed):
    with served(installed) as (base, process):
        health = requests.get(f"{base}/__mock/health", timeout=10)
        assert health.status_code == 200 and health.json()["apis"] == ALL_APIS
        listing = requests.get(f"{base}/pdnsmanager/records/2/credentials", headers=PDNS, timeout=10)
        assert listing.status_code == 200 and listing.json()["results"], listing.text

        scenarios = requests.get(f"{base}/__mock/scenarios", timeout=10)
        assert scenarios.status_code == 200
        names = {scenario["name"] for scenario in scenarios.json()["scenarios"]}
        assert SHIPPED_SCENARIOS <= names, names

        # Loading a shipped scenario reads its file from the installed package: "empty"
        # keeps the records and drops every credential, which the API then shows.
        loaded = requests.post(f"{base}/__mock/scenarios/empty", timeout=30)
        assert loaded.status_code == 200 and loaded.json()["scenario"] == "empty", loaded.text
        listing = requests.get(f"{base}/pdnsmanager/records/2/credentials", headers=PDNS, timeout=10)
        assert listing.status_code == 200 and listing.json()["results"] == [], listing.text

        # The dashboard and the Swagger UI it renders the specs with come from the installed packages.
        for path in ("/__mock/ui", "/__mock/ui/dashboard.js", "/__mock/ui/swagger/swagger-ui-bundle.js"):
            assert requests.get(base + path, timeout=10).status_code == 200, path

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_run_with_a_data_file_of_ones_own(installed, tmp_path):
    project = tmp_path / "my-project"
    project.mkdir()
    (project / "MYDATA.yaml").write_text(MY_DATA, encoding="utf-8")
    check = checked(installed.run("fixtures", "check", "MYDATA.yaml", cwd=project), "mockserver fixtures check")
    assert "MYDATA.yaml: ok (pdnsmanager 3)" in check.stdout, check.stdout

    with served(installed, "--fixtures", "MYDATA.yaml", cwd=project) as (base, _):
        listing = requests.get(f"{base}/pdnsmanager/records/70/credentials", headers=PDNS, timeout=10)
        assert listing.status_code == 200, listing.text
        assert [c["description"] for c in listing.json()["results"]] == ["Packaging test updater"]
        # The file replaced the default data: its domain is the only one, and the default
        # credentials of record 2 are gone (an admin lists an unknown record as empty).
        state = requests.get(f"{base}/__mock/state", timeout=10).json()["apis"]["pdnsmanager"]
        assert [domain["name"] for domain in state["domains"]] == ["packaging.example"]
        other = requests.get(f"{base}/pdnsmanager/records/2/credentials", headers=PDNS, timeout=10)
        assert other.status_code == 200 and other.json()["results"] == [], other.text


def test_verify_against_a_mock_writes_a_junit_report(installed, tmp_path):
    result = installed.run("verify", "--api", "all", "--mock", "--junit", "report.xml", "--quiet", cwd=tmp_path)
    checked(result, "mockserver verify")
    assert re.search(r"\b(\d+) checks: \1 passed, 0 failed", result.stdout), result.stdout
    report = (tmp_path / "report.xml").read_text(encoding="utf-8")
    assert re.findall(r'<testsuite name="([a-z]+)"', report) == ALL_APIS
    assert "<failure" not in report and "<error" not in report


# --- the pytest plugin ----------------------------------------------------------------------
def test_the_pytest_plugin_in_a_foreign_project(installed, tmp_path):
    project = tmp_path / "foreign"
    project.mkdir()
    (project / "pytest.ini").write_text(FOREIGN_INI, encoding="utf-8")
    (project / "extra.yaml").write_text(EXTRA_DATA, encoding="utf-8")
    (project / "test_app.py").write_text(FOREIGN_TESTS, encoding="utf-8")
    # The plugin is found through its pytest11 entry point in the venv: no conftest, no import.
    result = subprocess.run([installed.bin("python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=project, env=installed.env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(rf"\b{FOREIGN_TEST_COUNT} passed\b", result.stdout), result.stdout
    assert "(seed 42)" in result.stdout, result.stdout  # the plugin's summary line


# --- bad input --------------------------------------------------------------------------------
def test_a_missing_data_file_is_one_error_line(installed):
    result = installed.run("run", "--port", str(free_port()), "--fixtures", "/no/such.yaml", timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [one_error_line(result)]  # no usage text around it
    assert "/no/such.yaml" in one_error_line(result)


def test_a_folder_without_specs_is_one_error_line(installed, tmp_path):
    empty = tmp_path / "no-specs-here"
    empty.mkdir()
    result = installed.run("run", "--port", str(free_port()), "--specs", str(empty), timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [one_error_line(result)]
    assert str(empty) in one_error_line(result)


# --- a plain install from the source folder -------------------------------------------------------
def test_a_plain_pip_install_of_the_source_folder(installed, tmp_path):
    """``pip install <folder>`` (not editable) also carries the data: served from elsewhere."""
    # A fresh copy: the wheel build left build/ in the first one, which could hide a gap.
    source = copy_source_tree(tmp_path / "source")
    # Built isolated, as a user's `pip install <folder>` is: the venv's own setuptools
    # (ensurepip's 65.x, without `wheel`) could not build it with --no-build-isolation.
    checked(subprocess.run([installed.bin("python"), "-m", "pip", "install", "--quiet", "--no-deps",
                            "--force-reinstall", str(source)],
                           cwd=installed.elsewhere, env=installed.env, capture_output=True, text=True, timeout=300),
            "pip install <folder>")
    shutil.rmtree(source)  # nothing may still point into the folder it was installed from
    with served(installed) as (base, _):
        assert requests.get(f"{base}/__mock/health", timeout=10).json()["apis"] == ALL_APIS
        assert requests.get(f"{base}/awx/api/v2/users/1/credentials/", headers={"Authorization": "Bearer t"},
                            timeout=10).status_code == 200


def test_pipx_install_of_the_source_folder_runs_from_anywhere(installed, tmp_path):
    """The README's ``pipx install .``: pipx's own venv, its own ``mockserver`` on PATH."""
    source = copy_source_tree(tmp_path / "source")
    tools = tmp_path / "tools"
    checked(subprocess.run([base_python(), "-m", "venv", str(tools)], capture_output=True, text=True, timeout=120),
            "python -m venv")
    checked(subprocess.run([str(tools / "bin" / "python"), "-m", "pip", "install", "--quiet", "pipx==1.18.4"],
                           env=installed.env, capture_output=True, text=True, timeout=300), "pip install pipx")
    env = {**installed.env, "PIPX_HOME": str(tmp_path / "pipx-home"), "PIPX_BIN_DIR": str(tmp_path / "bin"),
           "PIPX_MAN_DIR": str(tmp_path / "man")}
    checked(subprocess.run([str(tools / "bin" / "pipx"), "install", "."], cwd=source, env=env,
                           capture_output=True, text=True, timeout=600), "pipx install .")
    shutil.rmtree(source)
    mockserver = str(tmp_path / "bin" / "mockserver")
    version = subprocess.run([mockserver, "--version"], cwd=installed.elsewhere, env=env, capture_output=True,
                             text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.strip() == f"mockserver, version {VERSION}"
    port = free_port()
    server = subprocess.Popen([mockserver, "run", "--port", str(port), "--quiet"], cwd=installed.elsewhere,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        checked(subprocess.run([mockserver, "wait", f"http://127.0.0.1:{port}/__mock/health", "--timeout", "60"],
                               cwd=installed.elsewhere, env=env, capture_output=True, text=True, timeout=90),
                "mockserver wait")
        health = requests.get(f"http://127.0.0.1:{port}/__mock/health", timeout=10).json()
        assert health["apis"] == ALL_APIS
    finally:
        assert stop_process(server) == 0


# --- a broken install (last: it removes a file from the venv, and puts it back after) -------
RUN = ("run", "--quiet")
VERIFY = ("verify", "--api", "all", "--mock")


@pytest.mark.parametrize(("missing", "command"), [
    ("specs/cloudplans.yaml", RUN),
    ("specs/cloudplans.yaml", VERIFY),
    ("specs/awx.yaml", RUN),
    ("specs/awx.yaml", VERIFY),
], ids=["cloudplans-run", "cloudplans-verify", "awx-run", "awx-verify"])
def test_a_broken_install_names_the_missing_file(installed, missing, command):
    """With a shipped file gone, each command exits 2 with one line naming it, no traceback."""
    data = installed.site_packages() / "mockserver" / "data"
    victim = data / missing
    aside = victim.with_name(victim.name + ".aside")
    victim.rename(aside)
    try:
        args = [*command, "--port", str(free_port())] if command[0] == "run" else list(command)
        result = installed.run(*args, timeout=120)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Traceback" not in result.stderr, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(victim) in lines[0], result.stderr
    finally:
        aside.rename(victim)
