"""Every `curl` in the README works as pasted, against a freshly started server.

The commands run in order on one server (so "create, then see it" is tested as a
reader would do it), with the README's port replaced by a free one. A command that
ends with a ``# → NNN`` comment must answer that status; any other must succeed.
"""

from __future__ import annotations

import re
import subprocess

from apis import API_IDS
from servers import ROOT, cli_server

EXPECTED = re.compile(r"\s+#\s*→\s*(\d{3})\s*$")


def readme_commands(prefix: str) -> list[str]:
    """The commands of the README's ``sh`` code blocks that start with `prefix`, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.startswith(prefix):
                commands.append(line)
    return commands


def readme_curls(port: int = 8080) -> list[str]:
    """The curl commands of the README to a server on `port` (the built-in APIs: 8080), in order."""
    return [c for c in readme_commands("curl ") if f"127.0.0.1:{port}" in c or "127.0.0.1:" not in c]


def run_curls(commands: list[str], readme_port: int, port: str, cwd) -> None:
    """Run README curls against the server on `port`, checking each answer (see the module docstring)."""
    for command in commands:
        match = EXPECTED.search(command)
        expected = match.group(1) if match else None
        runnable = EXPECTED.sub("", command).replace(f"127.0.0.1:{readme_port}", f"127.0.0.1:{port}")
        if " -o " not in runnable:
            runnable += " -o /dev/null"
        result = subprocess.run(runnable + " -w '%{http_code}'", shell=True, cwd=cwd,
                                capture_output=True, text=True, timeout=30)
        status = result.stdout.strip()[-3:]
        if expected == "000":  # the connection is dropped on purpose: curl fails, no status
            assert status == "000" and result.returncode != 0, f"{command}\nanswered {status}"
            continue
        assert result.returncode == 0, f"{command}\n{result.stderr}"
        if expected:
            assert status == expected, f"{command}\nanswered {status}"
        else:
            assert status.startswith("2"), f"{command}\nanswered {status}"


def test_the_readme_shows_the_two_commands_and_a_curl_per_api():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in text and "make test" in text
    commands = readme_curls()
    for api_id in API_IDS:  # every shipped spec: a new one needs its curl in the README
        assert any(f"127.0.0.1:8080/{api_id}/" in c for c in commands), api_id


def test_every_readme_curl_works_as_pasted(tmp_path):
    # curl ships with the machine image; if it were missing this fails rather than skips.
    with cli_server() as (base, _):
        run_curls(readme_curls(), 8080, base.rsplit(":", 1)[1], tmp_path)


def test_the_any_spec_section_works_as_pasted(tmp_path):
    run = [c for c in readme_commands(".venv/bin/mockserver run") if "--spec" in c]
    assert len(run) == 1, "the README shows how to serve any spec"
    options = run[0].split()[2:]
    options = [o for i, o in enumerate(options) if o != "--port" and (i == 0 or options[i - 1] != "--port")]
    curls = readme_curls(8081)
    assert curls and all("127.0.0.1:8081" in c for c in curls)
    with cli_server(*options) as (base, _):
        run_curls(curls, 8081, base.rsplit(":", 1)[1], tmp_path)


def test_every_readme_verify_command_holds_against_a_live_mock(tmp_path):
    commands = [c for c in readme_commands(".venv/bin/mockserver verify") if "127.0.0.1:8080" in c]
    assert commands, "the README shows how to verify a server"
    with cli_server() as (base, _):
        port = base.rsplit(":", 1)[1]
        for command in commands:
            runnable = str(ROOT) + "/" + command.split("#")[0].replace("127.0.0.1:8080", f"127.0.0.1:{port}")
            result = subprocess.run(runnable, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}{result.stderr[-2000:]}"


def _ci_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text[text.index("## In CI"):text.index("## Data files")]


def _mockserver_commands(node) -> list[str]:
    """Every `mockserver ...` command in a parsed CI file: run steps, scripts, health checks."""
    if isinstance(node, dict):
        return [c for value in node.values() for c in _mockserver_commands(value)]
    if isinstance(node, list):
        return [c for value in node for c in _mockserver_commands(value)]
    if isinstance(node, str):
        found = re.findall(r'--health-cmd "([^"]+)"', node)
        return found + ([node.strip()] if node.strip().startswith("mockserver ") else [])
    return []


def test_the_ci_recipes_parse_and_their_mockserver_commands_work(tmp_path):
    import yaml

    blocks = re.findall(r"```yaml\n(.*?)```", _ci_section(), flags=re.S)
    assert len(blocks) == 3, "GitHub service container, GitHub pip-installed, GitLab service"
    commands = []
    for block in blocks:
        document = yaml.safe_load(block)
        assert isinstance(document, (dict, list)), block
        commands += _mockserver_commands(document)
    started = [c for c in commands if c.startswith("mockserver run ")]
    assert started and any("--health-cmd" in b for b in blocks)
    # The recipe's own start-up options, on a free port (the server's output goes to a file there).
    options = started[0].split(">")[0].split()[2:]
    with cli_server(*options) as (base, _):
        port = base.rsplit(":", 1)[1]
        for command in commands:
            if command.startswith("mockserver run "):
                continue
            runnable = re.sub(r"(127\.0\.0\.1|localhost|mockserver):8080", f"127.0.0.1:{port}", command)
            result = subprocess.run(f"{ROOT}/.venv/bin/{runnable}", shell=True, cwd=tmp_path,
                                    capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, f"{command}\n{result.stdout[-1500:]}{result.stderr[-1500:]}"
    assert {c.split()[1] for c in commands} >= {"run", "wait", "verify"}


def test_the_awx_client_commands_work_as_pasted(tmp_path):
    """The README's awxkit commands, in order, against `--api-port awx=PORT` as it shows."""
    from servers import free_port

    run = [c for c in readme_commands(".venv/bin/mockserver run") if "--api-port awx=8052" in c]
    commands = readme_commands(".venv/bin/awx ")
    assert run and len(commands) >= 7
    assert any("--conf.username" in c for c in commands) and any("credentials create" in c for c in commands)
    port = free_port()
    with cli_server("--api-port", f"awx={port}"):
        for command in commands:
            result = subprocess.run(command.replace("127.0.0.1:8052", f"127.0.0.1:{port}"), shell=True, cwd=ROOT,
                                    capture_output=True, text=True, timeout=60)
            assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
            assert "Machine" in result.stdout or "credential_types list" not in command


def test_the_dashboard_section_shows_a_small_screenshot_and_how_to_open_it():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Dashboard"):text.index("## For QA")]
    assert "make run" in section and "http://127.0.0.1:8080/__mock/ui" in section
    picture = re.search(r"!\[[^\]]+\]\((docs/[\w.-]+\.png)\)", section)
    assert picture, "the section shows a screenshot"
    png = ROOT / picture.group(1)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size < 150 * 1024


def test_the_dashboard_opens_where_the_readme_says(tmp_path):
    import requests

    with cli_server() as (base, _):
        page = requests.get(f"{base}/__mock/ui", timeout=10)
        assert page.status_code == 200 and "dashboard.js" in page.text
        index = requests.get(base + "/", headers={"Accept": "text/html"}, timeout=10)
        assert 'href="/__mock/ui"' in index.text
