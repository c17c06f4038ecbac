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


def awx(base: str, *args: str) -> dict:
    """Run the awx CLI with a token; its JSON answer (the command must succeed)."""
    result = subprocess.run([AWX, "--conf.host", base, "--conf.token", "any-token", "-f", "json", *args],
                            capture_output=True, text=True, timeout=60)
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
