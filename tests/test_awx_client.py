"""AWX's official client, awxkit 24.6.1, against the mock (issue 12): the real `awx` CLI
run as a user would, against `mockserver run --api awx` (AWX at the root of its port)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from servers import cli_server

AWX = str(Path(sys.executable).with_name("awx"))


@pytest.fixture(scope="module")
def awx_base():
    with cli_server("--api", "awx") as (base, _):
        yield base


TOKEN = ("--conf.token", "any-token")
PASSWORD = ("--conf.username", "admin", "--conf.password", "password")  # a session login (POST /api/login/)


def run_awx(base: str, *args: str, auth: tuple = TOKEN) -> subprocess.CompletedProcess:
    """The awx CLI as a user runs it (JSON output, no colours)."""
    return subprocess.run([AWX, "--conf.host", base, *auth, "--conf.color", "f", "-f", "json", *args],
                          capture_output=True, text=True, timeout=60)


def awx(base: str, *args: str, auth: tuple = TOKEN) -> dict:
    """Run the awx CLI; its JSON answer (the command must succeed)."""
    result = run_awx(base, *args, auth=auth)
    assert result.returncode == 0, f"awx {' '.join(args)}: {result.stdout}\n{result.stderr}"
    return json.loads(result.stdout)


def test_the_roots_need_no_credentials_and_link_as_the_request_came_in(awx_base):
    root = requests.get(f"{awx_base}/api/", timeout=10).json()
    assert root["available_versions"] == {"v2": "/api/v2/"} and root["current_version"] == "/api/v2/"
    resources = requests.get(f"{awx_base}/api/v2/", timeout=10).json()
    assert {"ping", "me", "users", "credentials", "credential_types"} <= set(resources)
    assert resources["users"] == "/api/v2/users/"
    assert requests.get(f"{awx_base}/api/v2/me/", timeout=10).status_code == 401


def test_awx_ping(awx_base):
    assert awx(awx_base, "ping")["version"] == "24.6.1"


def test_awx_me_is_the_user_the_token_acts_as(awx_base):
    me = awx(awx_base, "me")
    assert me["count"] == 1 and me["results"][0]["username"] == "admin" and me["results"][0]["is_superuser"]


def test_users_and_a_user_through_the_api(awx_base):
    headers = {"Authorization": "Bearer any-token"}
    users = requests.get(f"{awx_base}/api/v2/users/?page_size=2", headers=headers, timeout=10).json()
    assert users["count"] >= 3 and len(users["results"]) == 2 and users["next"] == "/api/v2/users/?page=2&page_size=2"
    names = [u["username"] for u in users["results"]]
    assert names == sorted(names)  # AWX orders users by username
    one = requests.get(f"{awx_base}/api/v2/users/2/", headers=headers, timeout=10).json()
    assert one["id"] == 2 and one["url"] == "/api/v2/users/2/" and one["type"] == "user"
    assert requests.get(f"{awx_base}/api/v2/users/999/", headers=headers, timeout=10).json() == {"detail": "Not found."}
    # The links a credential writes now resolve (related.user, owners[].url).
    credential = requests.get(f"{awx_base}/api/v2/users/2/credentials/", headers=headers, timeout=10).json()["results"][0]
    assert requests.get(awx_base + credential["related"]["user"], headers=headers, timeout=10).status_code == 200


def test_credential_types_list_by_name_finds_exactly_one(awx_base):
    listed = awx(awx_base, "credential_types", "list", "--name", "Machine")
    assert listed["count"] == 1 and listed["results"][0]["id"] == 1


@pytest.mark.parametrize("auth", [TOKEN, PASSWORD], ids=["token", "username-password"])
def test_credentials_create_list_get_modify_delete(awx_base, auth):
    name = f"awxkit {auth[0]}"
    created = awx(awx_base, "credentials", "create", "--name", name, "--credential_type", "1", "--user", "1",
                  "--inputs", '{"username": "u", "password": "p"}', auth=auth)
    assert created["inputs"] == {"username": "u", "password": "$encrypted$"} and created["name"] == name
    listed = awx(awx_base, "credentials", "list", "--name", name, auth=auth)
    assert [row["id"] for row in listed["results"]] == [created["id"]]
    got = awx(awx_base, "credentials", "get", str(created["id"]), auth=auth)
    assert (got["id"], got["name"], got["credential_type"]) == (created["id"], name, 1)
    modified = awx(awx_base, "credentials", "modify", str(created["id"]), "--name", name + " (M)", auth=auth)
    assert modified["name"] == name + " (M)"
    assert run_awx(awx_base, "credentials", "delete", str(created["id"]), auth=auth).returncode == 0
    gone = run_awx(awx_base, "credentials", "get", str(created["id"]), auth=auth)
    assert gone.returncode != 0 and "Not found." in gone.stdout + gone.stderr


def test_a_wrong_password_fails_the_command(tmp_path):
    scenario = tmp_path / "strict.yaml"
    scenario.write_text("apis:\n  awx:\n    auth:\n      users:\n"
                        "        - {username: admin, password: s3cret, role: admin, user: 1}\n")
    with cli_server("--api", "awx", "--fixtures", "default", "--fixtures", str(scenario)) as (base, _):
        assert awx(base, "me", auth=("--conf.username", "admin", "--conf.password", "s3cret"))["count"] == 1
        refused = run_awx(base, "me", auth=("--conf.username", "admin", "--conf.password", "wrong"))
        assert refused.returncode != 0


PYTHON_API = """
import sys
from awxkit import api, config
from awxkit.utils import PseudoNamespace
config.base_url = sys.argv[1]
config.credentials = PseudoNamespace({"default": {"username": "admin", "password": "password"}})
v2 = api.Api().load_session().get().available_versions.v2.get()
page = v2.credential_types.get(id=1)
print(page.count, page.results[0].id, page.results[0].name)
"""


def test_the_python_api_gets_a_credential_type_by_id(awx_base):
    result = subprocess.run([sys.executable, "-c", PYTHON_API, awx_base], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "1", "Machine"]


def test_users_organizations_and_teams_list(awx_base):
    # `awx users` first reads the object_roles of every role-holding kind (OPTIONS only for most)
    assert {"admin", "jdoe", "bsmith"} <= {u["username"] for u in awx(awx_base, "users", "list")["results"]}
    assert [o["name"] for o in awx(awx_base, "organizations", "list")["results"]] == ["Default"]
    assert awx(awx_base, "teams", "list")["results"][0]["organization"] == 1


def test_awx_login_gives_a_token_that_acts_as_that_user():
    from mockserver.data import fixture_dir

    with cli_server("--api", "awx", "--fixtures", str(fixture_dir() / "edge-cases.yaml")) as (base, _):
        token = awx(base, "login", auth=("--conf.username", "jdoe", "--conf.password", "jdoe-edge-pass"))["token"]
        me = awx(base, "me", auth=("--conf.token", token))
        assert me["results"][0]["username"] == "jdoe"
        refused = run_awx(base, "login", auth=("--conf.username", "jdoe", "--conf.password", "wrong"))
        assert "Error retrieving an OAuth2.0 token" in refused.stdout + refused.stderr
