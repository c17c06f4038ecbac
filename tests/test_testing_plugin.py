"""The pytest plugin (mockserver.testing), run the way a user runs it.

Each test writes a small test project with pytester and runs pytest on it in a
subprocess, where the plugin is loaded from its ``pytest11`` entry point exactly as in a
user's project. The inner runs serve few APIs where they can, to stay fast.
"""

from __future__ import annotations

import json
import socket

# pytester gives sys.modules back as it was before each test: a module first imported
# during one (the mock imports Flask, its control API and jsonschema only when first
# needed) would be imported anew by a later test while the old copy is still in use, and
# two copies of Flask keep two request contexts: "Working outside of application context".
import flask  # noqa: F401
import jsonschema  # noqa: F401
import pytest
import requests

import mockserver.control  # noqa: F401
from apis import API_IDS
from servers import ROOT
from mockserver.runtime import MockConfig
from mockserver.testing import MockServer, MockServerError, running_mockserver

pytest_plugins = ["pytester"]

PDNS_CREATE = '''
import requests

HEADERS = {"X-Authentication": "any-token"}


def create(mockserver, description="made in a test"):
    """What an app under test would send: one PDNS password credential on record 2."""
    return requests.post(f"{mockserver.url_for('pdnsmanager')}/records/2/credentials", headers=HEADERS,
                         json={"description": description, "type": "password", "password": "s3cret"},
                         timeout=10)


def descriptions(mockserver, record=2):
    answer = requests.get(f"{mockserver.url_for('pdnsmanager')}/records/{record}/credentials",
                          headers=HEADERS, timeout=10)
    assert answer.status_code == 200, answer.text
    return [c["description"] for c in answer.json()["results"]]
'''

# Runs in the inner pytest after the session fixture is torn down: is the port closed
# while the test process still lives?
CONFTEST_PORT_PROBE = '''
import socket
from pathlib import Path


def pytest_unconfigure(config):
    port_file = Path("port.txt")
    if not port_file.exists():
        return
    try:
        socket.create_connection(("127.0.0.1", int(port_file.read_text())), timeout=2).close()
        verdict = "open"
    except ConnectionRefusedError:
        verdict = "refused"
    Path("after-session.txt").write_text(verdict)
'''

MAIN_TESTS = '''
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from helpers import create, descriptions
from mockserver.testing import MockServerError

ALL_APIS = __ALL_APIS__  # the shipped specs, as this (outer) test file finds them


def test_the_fixture_serves_every_api(mockserver):
    Path("port.txt").write_text(str(urlsplit(mockserver.url).port))
    assert mockserver.url.startswith("http://127.0.0.1:")
    assert mockserver.url_for("awx") == mockserver.url + "/awx"
    assert mockserver.apis == ALL_APIS
    assert "Dynamic DNS updater" in descriptions(mockserver)
    answer = requests.get(f"{mockserver.url_for('awx')}/api/v2/users/1/credentials/", auth=("admin", "pw"),
                          timeout=10)
    assert answer.status_code == 200


def test_count_verifies_exactly_one_create(mockserver):
    assert create(mockserver).status_code == 201
    assert mockserver.count(api="pdnsmanager", operation="createCredential", status=201) == 1
    assert mockserver.count(operation="createCredential", body={"description": "made in a test"}) == 1
    assert mockserver.count(operation="createCredential", body={"description": "something else"}) == 0
    [entry] = mockserver.requests(method="POST", status="2xx")
    assert entry["request"]["body"] == {"description": "made in a test", "type": "password", "password": "***"}
    assert mockserver.requests(body={"type": "password"}) == [entry]
    assert "made in a test" in descriptions(mockserver)
    assert create(mockserver).status_code == 201
    assert mockserver.count(operation="createCredential") == 2  # a second create is seen
    mockserver.clear_requests()
    assert mockserver.requests() == []


def test_data_and_journal_are_fresh_in_the_next_test(mockserver):
    assert mockserver.count() == 0
    assert "made in a test" not in descriptions(mockserver)


def test_a_fault_fires(mockserver):
    rule = mockserver.fault(api="pdnsmanager", operation="createCredential", status=503)
    assert rule["status"] == 503
    assert create(mockserver).status_code == 503
    assert mockserver.fault_rules()[0]["fired"] == 1


def test_the_fault_is_gone_in_the_next_test(mockserver):
    assert mockserver.fault_rules() == []
    assert create(mockserver).status_code == 201


def test_several_faults_and_clearing_them(mockserver):
    rules = mockserver.faults([{"method": "POST", "path": "/pdnsmanager/*", "status": 500, "times": 1},
                               {"method": "POST", "path": "/pdnsmanager/*", "status": 503}])
    assert [r["id"] for r in rules] == ["fault-1", "fault-2"]
    assert [create(mockserver).status_code for _ in range(2)] == [500, 503]
    mockserver.clear_faults()
    assert create(mockserver).status_code == 201


def test_load_scenario_empty(mockserver):
    assert descriptions(mockserver)
    mockserver.load_scenario("empty")
    assert descriptions(mockserver) == []
    assert mockserver.state()["apis"]["pdnsmanager"]["credentials"] == []
    mockserver.reset()
    assert descriptions(mockserver)


def test_state_round_trip(mockserver):
    document = mockserver.state()
    document["apis"]["pdnsmanager"]["credentials"] = [
        {"record": 3, "description": "from a document", "type": "password", "password": "x"}]
    mockserver.load_state(document)
    assert descriptions(mockserver, record=3) == ["from a document"]
    assert descriptions(mockserver, record=2) == []
    mockserver.load_state(yaml.safe_dump(mockserver.state()))  # YAML text works too
    assert descriptions(mockserver, record=3) == ["from a document"]


def test_control_api_errors_carry_its_message(mockserver):
    with pytest.raises(MockServerError, match="No scenario named 'nope'") as caught:
        mockserver.load_scenario("nope")
    assert (caught.value.status, caught.value.error) == (404, "not_found")
    with pytest.raises(MockServerError, match=r"unknown field\\(s\\) \\['colour'\\]"):
        mockserver.fault(api="awx", colour="red", status=500)
    with pytest.raises(MockServerError, match="'nope' is not an operationId"):
        mockserver.fault(operation="nope", status=500)
    with pytest.raises(MockServerError, match="unknown matcher field"):
        mockserver.count(colour="red")
    with pytest.raises(MockServerError, match="invalid_state"):
        mockserver.load_state({"apis": {"pdnsmanager": {"records": [{"id": 1, "domain": 99}]}}})
    with pytest.raises(MockServerError, match="'nope' is not served"):
        mockserver.url_for("nope")
'''


# Other plugins this venv installs (Schemathesis, Hypothesis, Faker, AnyIO) have their
# modules assertion-rewritten on every start, about 2 s per inner run without a bytecode
# cache; they play no part here. The mockserver plugin still loads from its entry point.
UNRELATED_PLUGINS = ("-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:faker", "-p", "no:anyio")


@pytest.fixture(autouse=True)
def no_outside_mock(monkeypatch: pytest.MonkeyPatch):
    """Inner runs start their own mock even when whoever runs this suite set MOCKSERVER_URL."""
    monkeypatch.delenv("MOCKSERVER_URL", raising=False)
    monkeypatch.delenv("MOCKSERVER_ADMIN_TOKEN", raising=False)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run pytest on the test project in a subprocess, as a user would."""
    return pytester.runpytest_subprocess(*UNRELATED_PLUGINS, *args)


def refuses(port: int) -> bool:
    """True when nothing listens on this loopback port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def write_helpers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(helpers=PDNS_CREATE)
    pytester.syspathinsert()


def test_fixture_serves_resets_and_stops(pytester: pytest.Pytester):
    """One session over all APIs: reset between tests, scenarios, count, faults, and a stop at the end."""
    write_helpers(pytester)
    pytester.makeconftest(CONFTEST_PORT_PROBE)
    pytester.makepyfile(test_app=MAIN_TESTS.replace("__ALL_APIS__", repr(list(API_IDS))))
    result = run(pytester)
    result.assert_outcomes(passed=9)
    result.stdout.fnmatch_lines(["mockserver: served at http://127.0.0.1:* (seed *)"])
    port = int((pytester.path / "port.txt").read_text())
    assert (pytester.path / "after-session.txt").read_text() == "refused"  # stopped by the plugin itself
    assert refuses(port), f"port {port} still accepts connections after the inner run"


def test_seed_ini_option_repeats_the_data(pytester: pytest.Pytester):
    pytester.makeini("[pytest]\nmockserver_seed = 4242\nmockserver_apis = awx\n")
    pytester.makepyfile(test_seed='''
        import json
        from pathlib import Path

        def test_dump(mockserver):
            assert mockserver.apis == ["awx"]
            runs = len(list(Path(".").glob("run-*.json")))
            Path(f"run-{runs + 1}.json").write_text(json.dumps({"seed": mockserver.seed,
                                                                "state": mockserver.state()}))
    ''')
    for _ in range(2):
        run(pytester).assert_outcomes(passed=1)
    first, second = (json.loads((pytester.path / f"run-{n}.json").read_text()) for n in (1, 2))
    assert first["seed"] == second["seed"] == 4242
    assert first["state"]["apis"]["awx"]["credentials"]
    assert first["state"] == second["state"]  # generated data included


def test_fixtures_and_seed_from_ini_and_from_the_command_line(pytester: pytest.Pytester):
    write_helpers(pytester)
    pytester.makefile(".yaml", mine='''
        apis:
          pdnsmanager:
            domains: [{id: 1, name: example.net, type: MASTER}]
            records: [{id: 2, domain: 1, name: www.example.net, type: A, content: 192.0.2.1}]
            credentials: [{record: 2, description: Only mine, type: password, password: s3cret}]
    ''', extra='''
        apis:
          pdnsmanager:
            credentials: [{record: 2, description: Extra, type: password, password: s3cret}]
    ''')
    pytester.makeini("[pytest]\nmockserver_fixtures = mine.yaml\nmockserver_apis = pdnsmanager\n"
                     "mockserver_seed = 4242\n")
    pytester.makepyfile(test_data='''
        import json
        from pathlib import Path
        from helpers import create, descriptions

        def test_dump(mockserver):
            Path("seen.json").write_text(json.dumps(descriptions(mockserver)))
            Path("seed.txt").write_text(str(mockserver.seed))
            assert create(mockserver).status_code == 201

        def test_reset_returns_to_the_files(mockserver):
            assert json.loads(Path("seen.json").read_text()) == descriptions(mockserver)
    ''')
    run(pytester).assert_outcomes(passed=2)
    assert json.loads((pytester.path / "seen.json").read_text()) == ["Only mine"]
    assert (pytester.path / "seed.txt").read_text() == "4242"
    # A shipped scenario by name, then a file adding to it; both replace the ini's list.
    run(pytester, "--mockserver-fixtures", "default", "--mockserver-fixtures", "extra.yaml",
        "--mockserver-seed", "7").assert_outcomes(passed=2)
    assert (pytester.path / "seed.txt").read_text() == "7"
    seen = json.loads((pytester.path / "seen.json").read_text())
    assert seen[:2] == ["Deploy key for the web server", "Dynamic DNS updater"] and seen[-1] == "Extra"


def test_bad_configuration_is_reported_clearly(pytester: pytest.Pytester):
    pytester.makepyfile(test_nothing="def test_it(mockserver):\n    pass\n")
    pytester.makeini("[pytest]\nmockserver_apis = awx nope\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*mockserver_apis: unknown API id(s) nope; choose from {', '.join(API_IDS)}*"])
    pytester.makeini("[pytest]\nmockserver_apis = awx\nmockserver_fixtures = missing.yaml\n")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*MockServerError: the mock cannot start: *missing.yaml: cannot read*"])


def test_a_spec_of_your_own_is_served_from_the_ini(pytester: pytest.Pytester):
    (pytester.path / "openapi").mkdir()
    (pytester.path / "openapi" / "pets.yaml").write_text(
        (ROOT / "tests" / "specs" / "petstore.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    pytester.makeini("[pytest]\nmockserver_apis = awx\nmockserver_specs = openapi/pets.yaml\n")
    pytester.makepyfile(test_pets='''
        import requests

        def test_create_then_list(mockserver):
            assert mockserver.apis == ["awx", "pets"]
            url = mockserver.url_for("pets") + "/pets"
            made = requests.post(url, json={"name": "Rex"}, headers={"X-API-Key": "k"}, timeout=10)
            assert made.status_code == 201
            assert made.json() in requests.get(url, headers={"X-API-Key": "k"}, timeout=10).json()
            assert mockserver.count(api="pets", operation="createPet", status=201) == 1

        def test_the_next_test_starts_fresh(mockserver):
            url = mockserver.url_for("pets") + "/pets"
            assert [p["name"] for p in requests.get(url, headers={"X-API-Key": "k"}, timeout=10).json()
                    if p["name"] == "Rex"] == []
    ''')
    run(pytester).assert_outcomes(passed=2)
    pytester.makeini("[pytest]\nmockserver_specs = openapi/missing.yaml\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*mockserver_specs: no such file*missing.yaml*"])


def test_mockserver_url_uses_a_running_mock(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """With MOCKSERVER_URL the plugin starts nothing: it resets and drives the mock given."""
    write_helpers(pytester)
    pytester.makeini("[pytest]\nmockserver_seed = 1\n")
    pytester.makepyfile(test_remote='''
        import os
        from helpers import create, descriptions

        def test_uses_the_running_mock(mockserver):
            assert mockserver.url == os.environ["MOCKSERVER_URL"].rstrip("/")
            assert "left over" not in descriptions(mockserver)
            assert create(mockserver).status_code == 201
            assert mockserver.count(operation="createCredential") == 1
    ''')
    with running_mockserver(MockConfig(seed=5, only=["pdnsmanager"])) as outer:
        left_over = {"description": "left over", "type": "password", "password": "x"}
        assert requests.post(f"{outer.url_for('pdnsmanager')}/records/2/credentials", json=left_over,
                             headers={"X-Authentication": "t"}, timeout=10).status_code == 201
        outer.fault(method="GET", path="/nowhere/*", latency=1)
        monkeypatch.setenv("MOCKSERVER_URL", outer.url + "/")
        result = run(pytester)
        result.assert_outcomes(passed=1, warnings=1)
        result.stdout.fnmatch_lines(["*runs with seed 5, not the configured 1*",
                                     f"mockserver: using {outer.url} (seed 5)"])
        assert outer.count(operation="createCredential", body={"description": "made in a test"}) == 1
        assert outer.fault_rules() == []  # the fixture cleared the faults before the test
        port = int(outer.url.rsplit(":", 1)[1])
    assert refuses(port), f"port {port} still accepts connections after running_mockserver ended"


def test_handle_reports_an_unreachable_mock():
    with running_mockserver(MockConfig(seed=1, only=["awx"])) as server:
        url = server.url
    with pytest.raises(MockServerError, match="cannot reach the mock"):
        MockServer(url, timeout=2).health()


def test_the_readme_example_passes_as_written(pytester):
    """The plugin section of the README, pasted into a project, passes."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Testing your app with the pytest plugin", 1)[1]
    example = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    ini = re.search(r"```ini\n(.*?)```", section, flags=re.S).group(1)
    pytester.makepyfile(test_readme_example=example)
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "mock-data.yaml").write_text("description: nothing more\napis: {}\n")
    for spec in re.findall(r"^mockserver_specs = (.+)$", ini, flags=re.M)[0].split():  # the project's own API
        (pytester.path / spec).parent.mkdir(parents=True, exist_ok=True)
        (pytester.path / spec).write_text((ROOT / "tests" / "specs" / "billing.json").read_text(encoding="utf-8"))
    pytester.makeini(ini)
    result = run(pytester, "-q")
    result.assert_outcomes(passed=2)
