"""Schemathesis fuzzes every spec against a running mock.

For each API, a bounded number of generated requests per operation (valid and invalid,
plus stateful sequences that follow the spec's links) must get no 5xx, only documented
status codes, the documented content type, and bodies that match their schemas. The
parent ids are fixed to entities of the default data, so the fuzzing reaches the APIs'
logic instead of stopping at "not found". Which APIs, their credentials and their parent
ids all come from the specs and the shipped default data (tests/apis.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from apis import API_IDS, auth_header_line, path_parameters_naming_parents, spec_path
from servers import cli_server

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def schemathesis_config(api_id: str) -> str:
    """Schemathesis's config: every path parameter that names a parent fixed to an entity
    of the default data (the busiest one: Versori's first organisation, PDNS record 2...)."""
    parents = path_parameters_naming_parents(api_id)
    return "[parameters]\n" + "".join(f'"path.{name}" = {json.dumps(value)}\n'
                                      for name, value in parents.items()) if parents else ""


@pytest.fixture(scope="module")
def mock():
    with cli_server("--seed", "7") as (base, _):
        yield base


@pytest.mark.parametrize("api_id", API_IDS)
def test_schemathesis_finds_nothing(mock, api_id, tmp_path):
    st = Path(shutil.which("st", path=str(Path(sys.executable).parent)) or "st")
    config = tmp_path / "schemathesis.toml"
    config.write_text(schemathesis_config(api_id))
    result = subprocess.run(
        [str(st), "--config-file", str(config), "run", str(spec_path(api_id)),
         "--url", f"{mock}/{api_id}", "--header", auth_header_line(api_id, "fuzz"), "--checks", CHECKS,
         "--max-examples", "15", "--seed", "1", "--generation-database", "none", "--no-color",
         "--request-timeout", "10", "--workers", "1",
         # A health check of Schemathesis's own generator (it discards path values it
         # cannot send, such as "/" in a username), not a finding about the responses.
         "--suppress-health-check", "filter_too_much"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
