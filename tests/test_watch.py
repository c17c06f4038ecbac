"""``mockserver run --watch`` (a real process reloading the files it serves), ``GET
/__mock/watch``, and the access log line that names a rejection's first violation."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import pytest
import requests

from mockserver.app import first_violation
from mockserver.validation import Violation
from mockserver.watch import Watcher
from servers import ROOT, cli_server, stop_process

WAIT = 10.0  # seconds a change may take to be served (the watcher looks every 0.5 s)
PET = {"X-API-Key": "any"}
PDNS = {"X-Authentication": "my-token"}

PING = """paths:
  /ping:
    get:
      operationId: ping
      summary: Added while the server ran
      responses:
        '200':
          description: pong
          content:
            application/json:
              schema: {type: object}
              example: {pong: true}
"""


def eventually(check, timeout: float = WAIT):
    """Poll `check()` until it returns something truthy; fail with its last value after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s; last: {value!r}")
        time.sleep(0.05)


class Files:
    """The copies a watched server serves, and edits of them that wait to be seen."""

    def __init__(self, folder: Path):
        self.spec = folder / "petstore.yaml"
        self.builtin = folder / "specs" / "pdnsmanager.yaml"
        self.data = folder / "data.yaml"
        self.builtin.parent.mkdir()
        shutil.copy(ROOT / "tests" / "specs" / "petstore.yaml", self.spec)
        shutil.copy(ROOT / "specs" / "pdnsmanager.yaml", self.builtin)
        shutil.copy(ROOT / "fixtures" / "default.yaml", self.data)
        self.originals = {path: path.read_text() for path in (self.spec, self.builtin, self.data)}

    def edit(self, path: Path, old: str, new: str) -> None:
        text = self.originals[path]
        assert old in text
        path.write_text(text.replace(old, new, 1))

    def restore(self) -> None:
        for path, text in self.originals.items():
            if path.read_text() != text:
                path.write_text(text)


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    """One ``mockserver run --watch`` for the module: (base URL, process, files)."""
    files = Files(tmp_path_factory.mktemp("watched"))
    with cli_server("--watch", "--seed", "1", "--specs", str(files.builtin.parent), "--spec", str(files.spec),
                    "--fixtures", str(files.data)) as (base, process):
        yield base, process, files


@pytest.fixture
def server(watched):
    """The watched server, its files as they were at start (and served so) after the test."""
    base, process, files = watched
    yield base, process, files
    files.restore()
    eventually(lambda: watch(base)["errors"] == [] and requests.get(f"{base}/petstore/ping", headers=PET)
               .status_code == 404)


def watch(base: str) -> dict:
    answer = requests.get(f"{base}/__mock/watch", timeout=5)
    assert answer.status_code == 200
    return answer.json()


def ping(base: str) -> int:
    return requests.get(f"{base}/petstore/ping", headers=PET, timeout=5).status_code


def errors_for(base: str, path: Path) -> list[dict]:
    return [error for error in watch(base)["errors"] if error["file"] == str(path)]


def test_watch_lists_the_files_it_watches(server):
    base, _, files = server
    status = watch(base)
    assert status["watching"] is True and status["errors"] == []
    assert {str(files.spec), str(files.builtin), str(files.data)} <= set(status["files"])
    assert sorted(status) == ["errors", "files", "last_reload", "watching"]


def test_a_changed_spec_is_served_and_the_data_stays(server):
    base, _, files = server
    created = requests.post(f"{base}/petstore/pets", json={"name": "Made before"}, headers=PET)
    assert created.status_code == 201 and ping(base) == 404
    files.edit(files.spec, "paths:\n", PING)
    eventually(lambda: ping(base) == 200)
    assert requests.get(f"{base}/petstore/ping", headers=PET).json() == {"pong": True}
    assert requests.get(f"{base}/petstore/pets/{created.json()['id']}", headers=PET).status_code == 200
    assert watch(base)["last_reload"].endswith("Z")


def test_a_broken_spec_keeps_the_last_good_version_and_says_why(server):
    base, process, files = server
    files.edit(files.spec, "paths:\n", PING)
    eventually(lambda: ping(base) == 200)

    files.edit(files.spec, "paths:\n", PING + "  bad: [\n")  # not YAML
    error = eventually(lambda: errors_for(base, files.spec))[0]
    assert "cannot read spec" in error["message"] and "line" in error["message"] and error["at"].endswith("Z")
    assert "\n" not in error["message"]
    assert ping(base) == 200  # the last good version
    line = eventually(lambda: [line for line in process.log_path.read_text().splitlines()
                               if str(files.spec) in line and "cannot read spec" in line])
    assert len(line) == 1 and "still served" in line[0]
    # the spec the control API sends is the version served, not the broken file on disk
    for query in ("", "?format=json"):
        served = requests.get(f"{base}/__mock/specs/petstore{query}", timeout=10)
        assert served.status_code == 200 and "bad: [" not in served.text and "/ping" in served.text

    files.edit(files.spec, "paths:\n", "x-mock-bogus: 1\n" + PING)  # YAML, but not the x-mock vocabulary
    eventually(lambda: any("x-mock-bogus" in e["message"] for e in errors_for(base, files.spec)))
    assert ping(base) == 200
    eventually(lambda: "x-mock-bogus: unknown key" in process.log_path.read_text())

    files.edit(files.builtin, "operationId: listCredentials", "operationId: listCredentialz")  # no handler
    eventually(lambda: any("no handler" in e["message"] for e in errors_for(base, files.builtin)))
    listing = requests.get(f"{base}/pdnsmanager/records/2/credentials", headers=PDNS)
    assert listing.status_code == 200  # still served by the last good version

    files.restore()
    eventually(lambda: watch(base)["errors"] == [])
    assert ping(base) == 404


def test_a_changed_data_file_replaces_the_data_as_a_reset_and_keeps_logins(server):
    base, _, files = server
    login = requests.post(f"{base}/pdnsmanager/sessions", json={"username": "operator", "password": "operator"})
    operator = {"X-Authentication": login.json()["token"]}
    made = requests.post(f"{base}/pdnsmanager/records/2/credentials", headers=PDNS,
                         json={"description": "made at run time", "type": "password", "password": "x"})
    assert made.status_code == 201

    def descriptions():
        listing = requests.get(f"{base}/pdnsmanager/records/2/credentials?pagesize=100", headers=PDNS)
        return [c["description"] for c in listing.json()["results"]]

    files.edit(files.data, "Dynamic DNS updater", "Edited while running")
    eventually(lambda: "Edited while running" in descriptions())
    assert "made at run time" not in descriptions()  # replaced, as POST /__mock/reset does
    # The operator's login survived: its token still acts as the operator (an unknown token acts as admin).
    assert requests.get(f"{base}/pdnsmanager/records/4/credentials", headers=operator).status_code == 403

    files.edit(files.data, "Dynamic DNS updater", "Edited again\n  bad: [")  # not YAML
    eventually(lambda: errors_for(base, files.data))
    assert "Edited while running" in descriptions()  # the last good data stays
    files.restore()
    eventually(lambda: watch(base)["errors"] == [] and "Dynamic DNS updater" in descriptions())


def test_sigterm_stops_a_watching_server_cleanly(watched):
    _, process, _ = watched
    assert stop_process(process) == 0
    log = process.log_path.read_text()
    assert "Traceback" not in log and "panic" not in log


def test_without_watch_nothing_is_watched(make_app):
    client = make_app(only=["pdnsmanager"]).test_client()
    assert client.get("/__mock/watch").json == {"watching": False, "files": [], "last_reload": None, "errors": []}
    assert client.get("/__mock/watch", headers={"Origin": "https://evil.example"}).status_code == 403


def test_a_spec_its_data_no_longer_fits_restarts_that_api_from_its_start_up_data(tmp_path):
    from mockserver.app import create_app
    from mockserver.runtime import MockConfig

    (tmp_path / "specs").mkdir()
    spec = tmp_path / "specs" / "pdnsmanager.yaml"
    shutil.copy(ROOT / "specs" / "pdnsmanager.yaml", spec)
    app = create_app(MockConfig(spec_dir=tmp_path / "specs", only=["pdnsmanager", "petstore"], seed=1,
                                extra_specs=[ROOT / "tests" / "specs" / "petstore.yaml"]))
    watcher = Watcher(app.extensions["mockserver"])
    client = app.test_client()
    pet = client.post("/petstore/pets", json={"name": "Kept"}, headers=PET)
    assert pet.status_code == 201

    def descriptions():
        listing = client.get("/pdnsmanager/records/2/credentials?pagesize=100", headers=PDNS)
        return [c["description"] for c in listing.json["results"]]

    for description in ("fits", "will not fit"):
        made = client.post("/pdnsmanager/records/2/credentials", headers=PDNS,
                           json={"description": description, "type": "password", "password": "x"})
        assert made.status_code == 201
    text = spec.read_text()
    stored = "        description: {type: string}\n"
    assert stored in text
    spec.write_text(text.replace(stored, '        description: {type: string, not: {const: will not fit}}\n'))
    assert watcher.poll()
    assert watcher.status()["errors"] == [] and watcher.status()["last_reload"]
    assert "fits" not in descriptions() and "Dynamic DNS updater" in descriptions()  # its start-up data
    assert client.get(f"/petstore/pets/{pet.json['id']}", headers=PET).status_code == 200  # the others' stay

    client.post("/pdnsmanager/records/2/credentials", headers=PDNS,
                json={"description": "kept this time", "type": "password", "password": "x"})
    spec.write_text(text)  # the data fits: it stays
    assert watcher.poll() and watcher.status()["errors"] == []
    assert "kept this time" in descriptions()


def test_a_spec_no_data_fits_waits_for_the_data_file_that_fits_it(tmp_path):
    from mockserver.app import create_app
    from mockserver.runtime import MockConfig

    (tmp_path / "specs").mkdir()
    spec, data = tmp_path / "specs" / "pdnsmanager.yaml", tmp_path / "data.yaml"
    shutil.copy(ROOT / "specs" / "pdnsmanager.yaml", spec)
    shutil.copy(ROOT / "fixtures" / "default.yaml", data)
    app = create_app(MockConfig(spec_dir=spec.parent, only=["pdnsmanager"], fixtures=[data], seed=1))
    watcher = Watcher(app.extensions["mockserver"])
    client = app.test_client()

    def descriptions():
        listing = client.get("/pdnsmanager/records/2/credentials?pagesize=100", headers=PDNS)
        return [c["description"] for c in listing.json["results"]]

    stored = "        description: {type: string}\n"
    spec.write_text(spec.read_text().replace(stored, "        description: {type: string, not: {const: Dynamic DNS "
                                                     "updater}}\n"))
    assert watcher.poll()
    [error] = watcher.status()["errors"]  # neither the data nor the start-up data fits it
    assert error["file"] == str(spec) and "data does not fit" in error["message"]
    assert "Dynamic DNS updater" in descriptions()  # the old spec and data serve
    data.write_text(data.read_text().replace("Dynamic DNS updater", "Dynamic DNS client"))
    assert watcher.poll()  # the data file loads, then the spec is tried again: now it fits
    assert watcher.status()["errors"] == []
    assert "Dynamic DNS client" in descriptions() and "Dynamic DNS updater" not in descriptions()
    assert "Dynamic DNS updater" in str(watcher.runtime.apis["pdnsmanager"].spec.collections["credentials"].schema)


# --- the access log line names the first violation ---------------------------------------------

def test_a_rejections_log_line_names_its_first_violation(make_app, caplog):
    client = make_app(only=["pdnsmanager"], access_log=True).test_client()
    caplog.set_level("INFO", logger="mockserver.access")
    answer = client.post("/pdnsmanager/records/2/credentials", headers=PDNS,
                         json={"description": "no key", "type": "key"})
    assert answer.status_code == 422
    [line] = [r.getMessage() for r in caplog.records if r.name == "mockserver.access"]
    assert line.startswith("POST /pdnsmanager/records/2/credentials -> 422 (")
    assert line.endswith(" ms) body /key: 'key' is a required property")
    caplog.clear()
    assert client.get("/pdnsmanager/records/2/credentials", headers=PDNS).status_code == 200
    assert caplog.records[-1].getMessage().endswith(" ms)")  # a success names nothing


def test_the_log_line_never_shows_a_secret(make_app, caplog):
    client = make_app(only=["pdnsmanager"], access_log=True).test_client()
    caplog.set_level("INFO", logger="mockserver.access")
    answer = client.post("/pdnsmanager/records/2/credentials", headers=PDNS,
                         json={"description": "x", "type": "password", "password": 918273645})
    assert answer.status_code in (400, 422)
    line = caplog.records[-1].getMessage()
    assert "918273645" not in line and "918273645" not in answer.headers["X-Mock-Violations"]
    assert "/password" in line


def test_the_first_violation_is_one_short_line():
    long = Violation("body", "/name", "x" * 1000 + "\nnext line\x1b[31m", "type")
    text = first_violation([long])
    assert text.startswith(" body /name: xxx") and len(text) == 201 and text.endswith("…")
    assert first_violation([Violation("body", "/a", "bad\r\nline\x1b", "type")]) == r" body /a: bad\r\nline\x1b"
    assert first_violation([Violation("request", "", "No such record", "rejected")]) == " request: No such record"
    assert first_violation([]) == ""


def test_an_unrouted_request_names_the_closest_operation(make_app, caplog):
    client = make_app(only=["pdnsmanager"], access_log=True).test_client()
    caplog.set_level(logging.INFO, logger="mockserver.access")
    assert client.get("/pdnsmanager/records/2/credential", headers=PDNS).status_code == 404
    assert "-> 404 (" in caplog.records[-1].getMessage() and "closest operation" in caplog.records[-1].getMessage()
