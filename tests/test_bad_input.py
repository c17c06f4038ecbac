"""Bad input never crashes anything and never changes the store, on every API.

For one write operation per API, every kind of broken body gets a 4xx in that API's own
error format (the strict-mode app checks the body against the operation's spec, so a
wrong format fails the test), and the store is exactly as before.
"""

from __future__ import annotations

import json

import pytest

ONE_MIB = 1024 * 1024


def write_target(runtime, api_id: str) -> tuple[str, str, dict]:
    """(method, path, auth headers) of a body-taking operation of each API."""
    if api_id == "cloudplans":
        return "POST", "/cloudplans/v1/organizations/credentials/create", {"Authorization": "Bearer t"}
    if api_id == "versori":
        org = next(iter(runtime.store.api("versori")["organisations"]))["id"]
        return "POST", f"/versori/o/{org}/credentials", {"Authorization": "Bearer t"}
    if api_id == "pdnsmanager":
        return "POST", "/pdnsmanager/records/2/credentials", {"X-Authentication": "t"}
    if api_id == "awx":
        return "POST", "/awx/api/v2/users/1/credentials/", {"Authorization": "Bearer t"}
    return "POST", "/apinizer/apiops/projects/admin/credentials/", {"Authorization": "t"}


BAD_BODIES = {
    "malformed JSON": (b'{"name": ', "application/json"),
    "truncated JSON": (b'{"name": "x"', "application/json"),
    "JSON array": (b"[1, 2, 3]", "application/json"),
    "JSON string": (b'"just a string"', "application/json"),
    "JSON number": (b"42", "application/json"),
    "JSON null": (b"null", "application/json"),
    "empty object": (b"{}", "application/json"),
    "empty body": (b"", "application/json"),
    "invalid UTF-8": (b'{"name": "\xff\xfe"}', "application/json"),
    "deeply nested": (b"[" * 50000 + b"]" * 50000, "application/json"),
    "wrong content type": (b'{"name": "x"}', "text/plain"),
    "form content type": (b"name=x", "application/x-www-form-urlencoded"),
    "no content type": (b'{"name": "x"}', ""),
    "wrong field types": (json.dumps({k: [1, {"a": None}] for k in (
        "name", "type", "data", "description", "username", "password", "org_id", "specific",
        "credential_type", "inputs", "enabled", "ipList", "key")}).encode(), "application/json"),
    "NaN literal": (b'{"name": NaN}', "application/json"),
}


@pytest.fixture
def runtime(app):
    return app.extensions["mockserver"]


@pytest.mark.parametrize("api_id", ["cloudplans", "versori", "pdnsmanager", "awx", "apinizer"])
@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_body_is_a_4xx_in_the_apis_format_and_changes_nothing(client, runtime, api_id, case):
    method, path, headers = write_target(runtime, api_id)
    body, content_type = BAD_BODIES[case]
    before = runtime.store.snapshot()
    response = client.open(path, method=method, data=body, headers={**headers, "Content-Type": content_type})
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert response.is_json, response.get_data(as_text=True)
    assert runtime.store.snapshot() == before


@pytest.mark.parametrize("api_id", ["cloudplans", "versori", "pdnsmanager", "awx", "apinizer"])
def test_body_over_one_mib_is_413_in_the_apis_format(client, runtime, api_id):
    method, path, headers = write_target(runtime, api_id)
    before = runtime.store.snapshot()
    big = b'{"name": "' + b"x" * ONE_MIB + b'"}'
    response = client.open(path, method=method, data=big, headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 413 and response.is_json
    assert runtime.store.snapshot() == before


@pytest.mark.parametrize("api_id", ["cloudplans", "versori", "pdnsmanager", "awx", "apinizer"])
def test_rejections_say_why_in_x_mock_violations(client, runtime, api_id):
    method, path, headers = write_target(runtime, api_id)
    response = client.open(path, method=method, data=b"{oops", headers={**headers, "Content-Type": "application/json"})
    listed = json.loads(response.headers["X-Mock-Violations"])
    assert listed and {"location", "pointer", "message"} <= set(listed[0])


@pytest.mark.parametrize("api_id", ["cloudplans", "versori", "pdnsmanager", "awx", "apinizer"])
@pytest.mark.parametrize("path_suffix", ["/%00", "/..%2F..%2Fetc%2Fpasswd", "/" + "a" * 5000, "/%ff%fe"])
def test_odd_paths_are_4xx(client, api_id, path_suffix):
    response = client.get(f"/{api_id}{path_suffix}", headers={"Authorization": "Bearer t", "X-Authentication": "t"})
    assert 400 <= response.status_code < 500 and response.is_json
