"""Schemathesis fuzzes every spec against a running mock.

For each API, a bounded number of generated requests per operation (valid and invalid,
plus stateful sequences that follow the spec's links) must get no 5xx, only documented
status codes, the documented content type, and bodies that match their schemas. The
parent ids are fixed to entities of the default data, so the fuzzing reaches the APIs'
logic instead of stopping at "not found".
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from servers import ROOT, cli_server

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
AUTH = {
    "cloudplans": "Authorization: Bearer fuzz",
    "versori": "Authorization: Bearer fuzz",
    "pdnsmanager": "X-Authentication: fuzz",
    "awx": "Authorization: Bearer fuzz",
    "apinizer": "Authorization: fuzz",
}
PARENTS = {
    "versori": {"path.organisation_id": "01J9ZK3B7Q8X2M4N6P0R5S1T3V"},
    "pdnsmanager": {"path.recordId": 2},
    "apinizer": {"path.projectName": "petstore"},
}


@pytest.fixture(scope="module")
def mock():
    with cli_server("--seed", "7") as (base, _):
        yield base


@pytest.mark.parametrize("api_id", sorted(AUTH))
def test_schemathesis_finds_nothing(mock, api_id, tmp_path):
    st = Path(shutil.which("st", path=str(Path(sys.executable).parent)) or "st")
    config = tmp_path / "schemathesis.toml"
    parents = PARENTS.get(api_id, {})
    config.write_text("[parameters]\n" + "".join(f'"{k}" = {v!r}\n'.replace("'", '"') for k, v in parents.items())
                      if parents else "")
    result = subprocess.run(
        [str(st), "--config-file", str(config), "run", str(ROOT / "specs" / f"{api_id}.yaml"),
         "--url", f"{mock}/{api_id}", "--header", AUTH[api_id], "--checks", CHECKS,
         "--max-examples", "15", "--seed", "1", "--generation-database", "none", "--no-color",
         "--request-timeout", "10", "--workers", "1",
         # A health check of Schemathesis's own generator (it discards path values it
         # cannot send, such as "/" in a username), not a finding about the responses.
         "--suppress-health-check", "filter_too_much"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
