"""`mockserver verify`: holds on the mock, names every drift of a broken provider."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import requests
from apis import API_IDS, scenario_data
from drifting_provider import DRIFTS, DriftingProvider
from servers import ROOT, cli_server, free_port, threaded_server


def verify(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "mockserver", "verify", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def provider(make_app):
    """Start the drifting provider with a given drift; yields its base URL."""
    servers = []

    def start(drift):
        mock = make_app(only=["pdnsmanager"], check_responses=False)
        context = threaded_server(DriftingProvider(mock, drift))
        servers.append(context)
        base = context.__enter__()
        start.store = mock.extensions["mockserver"].store  # what the provider really holds
        return base

    yield start
    for context in servers:
        context.__exit__(None, None, None)


def test_every_api_of_the_mock_holds_its_contract(tmp_path):
    junit, report = tmp_path / "contract.xml", tmp_path / "contract.json"
    result = verify("--api", "all", "--mock", "--junit", str(junit), "--json", str(report))
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(report.read_text())
    assert document["summary"]["failed"] == 0 and document["summary"]["checks"] >= 80
    assert {c["api"] for c in document["checks"]} == set(API_IDS)
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == list(API_IDS)
    assert all(s.get("failures") == "0" for s in suites)
    assert "PASS  pdnsmanager credentials: create answers 201" in result.stdout  # the derived flow
    assert "checks:" in result.stdout.splitlines()[-1]


def test_a_clean_provider_passes(provider, tmp_path):
    base = provider(None)
    result = verify("--api", "pdnsmanager", "--base-url", f"{base}/pdnsmanager")
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("drift", DRIFTS)
def test_each_drift_is_reported_by_name(provider, tmp_path, drift):
    base = provider(drift)
    report, junit = tmp_path / "report.json", tmp_path / "report.xml"
    result = verify("--api", "pdnsmanager", "--base-url", f"{base}/pdnsmanager", "--json", str(report),
                    "--junit", str(junit))
    assert result.returncode == 1, result.stdout
    assert drift in json.loads(report.read_text())["drifts"], result.stdout
    assert drift in result.stdout
    failures = [f.get("message") for f in ET.parse(junit).getroot().iter("failure")]
    assert any(drift in message for message in failures)


@pytest.mark.parametrize("drift", ["missing required field", "wrong type", "wrong status code"])
def test_what_a_run_creates_is_deleted_even_when_checks_fail(provider, drift):
    base = provider(drift)  # checks fail midway, after the create
    before = provider.store.snapshot()["pdnsmanager"]["credentials"]
    result = verify("--api", "pdnsmanager", "--base-url", f"{base}/pdnsmanager", "--parent", "record=3")
    assert result.returncode == 1 and "FAIL" in result.stdout
    assert provider.store.snapshot()["pdnsmanager"]["credentials"] == before
    assert "NOT CLEANED UP" not in result.stdout


def test_an_unreachable_target_exits_2_and_still_writes_both_reports(tmp_path):
    junit, report = tmp_path / "out" / "contract.xml", tmp_path / "contract.json"
    junit.parent.mkdir()
    result = verify("--api", "all", "--base-url", f"http://127.0.0.1:{free_port()}", "--junit", str(junit),
                    "--json", str(report))
    assert result.returncode == 2 and "cannot reach" in result.stderr and "Connection refused" in result.stderr
    assert "PASS" not in result.stdout  # nothing was answered, so nothing passed
    assert f"ERROR {API_IDS[0]}" in result.stdout and "Traceback" not in result.stderr  # the first API checked
    checks = json.loads(report.read_text())["checks"]
    assert [c["status"] for c in checks] == ["error"] and "cannot reach" in checks[0]["note"]
    errors = list(ET.parse(junit).getroot().iter("error"))
    assert len(errors) == 1 and "Connection refused" in errors[0].get("message")


def test_a_target_that_goes_away_between_checks_is_an_error_check_not_a_pass():
    from mockserver.verify.flow import CheckResult
    from mockserver.verify.runner import Outcome

    outcome, printed = Outcome(), []
    outcome.results.append(CheckResult(api="awx", name="list credentials"))
    outcome.record_stop("awx", "reach the server", "cannot reach http://x/awx: refused", printed.append)
    assert [r.status for r in outcome.results] == ["pass", "error"] and not outcome.passed
    assert printed[0].name == "reach the server" and "refused" in printed[0].note


@pytest.mark.parametrize("args,message", [
    (["--api", "awx"], "--base-url URL or --mock"),
    (["--api", "nope", "--mock"], "unknown API nope"),
    (["--api", "awx", "--base-url", "ftp://x"], "must be an http(s) URL"),
])
def test_wrong_arguments_exit_2(args, message):
    result = verify(*args)
    assert result.returncode == 2 and message in result.stderr


def test_report_folders_are_made_and_a_report_that_cannot_be_written_spares_the_other(tmp_path):
    ok = verify("--api", "pdnsmanager", "--mock", "--quiet", "--junit", str(tmp_path / "reports" / "junit.xml"))
    assert ok.returncode == 0 and (tmp_path / "reports" / "junit.xml").exists()
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    result = verify("--api", "pdnsmanager", "--mock", "--quiet", "--junit", str(blocked / "junit.xml"),
                    "--json", str(tmp_path / "report.json"))
    assert result.returncode == 2 and f"cannot write the report {blocked / 'junit.xml'}" in result.stderr
    assert json.loads((tmp_path / "report.json").read_text())["summary"]["failed"] == 0


@pytest.mark.parametrize("signum,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_run_cleans_up_writes_its_reports_and_exits_with_the_signal_status(tmp_path, signum, status):
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"
    with cli_server("--latency", "50") as (base, _):  # slow enough to be stopped midway
        before = requests.get(f"{base}/__mock/state").json()
        # (SIGINT reset: a runner that was itself started in the background ignores it, and
        # its children would inherit that.)
        run = subprocess.Popen([sys.executable, "-m", "mockserver", "verify", "--api", "all", "--base-url", base,
                                "--junit", str(junit), "--json", str(report)], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        try:
            for line in run.stdout:  # stop it once it has created something and checked a few things
                if line.startswith("PASS  versori"):
                    break
            run.send_signal(signum)
            out, err = run.communicate(timeout=120)
        finally:
            if run.poll() is None:
                run.kill()
        assert run.returncode == status, out + err
        assert "interrupted: the run was stopped by" in err
        checks = json.loads(report.read_text())["checks"]
        assert checks[-1]["status"] == "error" and checks[-1]["note"].startswith("interrupted")
        assert all(c["status"] == "pass" for c in checks[:-1])
        assert list(ET.parse(junit).getroot().iter("error"))
        after = requests.get(f"{base}/__mock/state").json()
        assert after["apis"] == before["apis"]  # what the run created was deleted again


def test_an_interrupt_during_clean_up_still_undoes_the_rest_and_names_what_it_could_not():
    from mockserver.verify.flow import Flow

    flow, undone = Flow("awx", spec=None, target=None, options={}), []

    def interrupted():
        raise KeyboardInterrupt

    flow.cleanup("credential 1", lambda: undone.append(1))
    flow.cleanup("credential 2", interrupted)
    flow.cleanup("credential 3", lambda: undone.append(3))
    leftovers, was_interrupted = flow.run_cleanups()
    assert undone == [3, 1] and was_interrupted
    assert leftovers == ["credential 2: interrupted before it was undone"]


# --- parents: declared by the spec, not by a flow module or the CLI --------------------------
def test_each_shipped_api_takes_the_parents_its_spec_declares_and_they_exist_in_the_default_data():
    from mockserver.verify.runner import load_flow

    taken = {}
    for api_id in API_IDS:
        _, checks = load_flow(api_id)
        taken[api_id] = checks.parents.defaults()
        assert checks.parent_names() == sorted(taken[api_id]), api_id  # every parent has its example
        for parent in checks.parents.declared():  # each example names an entity of the default data
            keys = {entity.get(checks.spec.collections[parent.collection].key)
                    for entity in scenario_data(api_id)[parent.collection]}
            assert parent.example in keys, (api_id, parent)
    # the singular of the collection each parameter's x-mock-names declares (README, --parent)
    assert taken == {"apinizer": {"project": "petstore"}, "awx": {"user": 1},
                     "cloudplans": {"organization": "org-7f3c1e2a"}, "pdnsmanager": {"record": 2},
                     "versori": {"organisation": "01J9ZK3B7Q8X2M4N6P0R5S1T3V"}}


def test_a_flow_module_cannot_declare_parents_any_more():
    import types

    from mockserver.verify.runner import ApiFlow, load_flow

    spec, _ = load_flow("pdnsmanager")
    stale = types.ModuleType("stale_flow")
    stale.DEFAULTS = {"record": 3}
    with pytest.raises(TypeError, match="stale_flow.DEFAULTS: no longer read"):
        ApiFlow(spec, stale)


TEAMS = """
openapi: 3.1.0
info: {title: Teams, version: "1"}
security: [{key: []}]
paths:
  /teams:
    get:
      operationId: listTeams
      responses:
        '200':
          description: The teams
          content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Team'}}}}
        default: {$ref: '#/components/responses/Error'}
  /teams/{teamId}/members:
    parameters: [{$ref: '#/components/parameters/teamId'}]
    get:
      operationId: listMembers
      responses:
        '200':
          description: The team's members
          content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Member'}}}}
        default: {$ref: '#/components/responses/Error'}
    post:
      operationId: addMember
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/Member'}}}
      responses:
        '201':
          description: Added
          content: {application/json: {schema: {$ref: '#/components/schemas/Member'}}}
        default: {$ref: '#/components/responses/Error'}
  /teams/{teamId}/members/{memberId}:
    parameters:
      - {$ref: '#/components/parameters/teamId'}
      - {name: memberId, in: path, required: true, schema: {type: integer}}
    get:
      operationId: getMember
      responses:
        '200':
          description: The member
          content: {application/json: {schema: {$ref: '#/components/schemas/Member'}}}
        '404': {$ref: '#/components/responses/Error'}
        default: {$ref: '#/components/responses/Error'}
    delete:
      operationId: removeMember
      responses:
        '204': {description: Removed}
        '404': {$ref: '#/components/responses/Error'}
        default: {$ref: '#/components/responses/Error'}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-API-Key}
  parameters:
    teamId:
      name: teamId
      in: path
      required: true
      schema: {type: integer, minimum: 1}
      example: 2
      x-mock-names: teams
  responses:
    Error:
      description: An error
      content: {application/json: {schema: {type: object, required: [message], properties: {message: {type: string}}}}}
  schemas:
    Team:
      type: object
      required: [id, name]
      properties: {id: {type: integer, readOnly: true}, name: {type: string}}
    Member:
      type: object
      required: [email]
      properties: {id: {type: integer, readOnly: true}, email: {type: string}, role: {type: string}}
"""


def _member_paths(base: str) -> set[str]:
    """The team ids the members requests of the journal went to."""
    journal = requests.get(f"{base}/__mock/requests", params={"api": "teams"}, timeout=10).json()["requests"]
    return {entry["path"].split("/")[3] for entry in journal if "/members" in entry["path"]}


def test_a_parent_is_named_after_the_collection_its_spec_declares_and_defaults_to_its_example(tmp_path):
    spec = tmp_path / "teams.yaml"
    spec.write_text(TEAMS, encoding="utf-8")
    with cli_server("--spec", str(spec)) as (base, _):
        def run(*args):
            return verify("--api", "teams", "--spec", str(spec), "--base-url", f"{base}/teams",
                          "--json", str(tmp_path / "report.json"), *args)

        result = run()  # no --parent: the example (team 2), not the first team listed
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
        names = [c["name"] for c in json.loads((tmp_path / "report.json").read_text())["checks"]]
        assert "members: create answers 201" in names and not any("find a parent" in n for n in names)
        assert _member_paths(base) == {"2"}

        requests.delete(f"{base}/__mock/requests", timeout=10)
        result = run("--parent", "team=3")  # the singular of x-mock-names: teams
        assert result.returncode == 0, result.stdout[-3000:]
        assert _member_paths(base) == {"3"}

        result = run("--parent", "teamId=3")  # the parameter's own name is not the option's
        assert result.returncode == 2 and "--parent teamId: teams takes team" in result.stderr


def test_without_an_example_the_parent_is_found_by_listing_and_keeps_its_declared_name(tmp_path):
    spec = tmp_path / "teams.yaml"
    spec.write_text(TEAMS.replace("      example: 2\n", ""), encoding="utf-8")
    result = verify("--api", "teams", "--spec", str(spec), "--mock", "--json", str(tmp_path / "report.json"))
    assert result.returncode == 0, result.stdout[-3000:]
    names = [c["name"] for c in json.loads((tmp_path / "report.json").read_text())["checks"]]
    assert "members: find a parent in teams to work under" in names
    refused = verify("--api", "teams", "--spec", str(spec), "--mock", "--parent", "nope=1")
    assert refused.returncode == 2 and "teams takes team" in refused.stderr
