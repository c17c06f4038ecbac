"""Bad input never crashes anything and never changes the store, on every API.

For one write operation per API, every kind of broken body gets a 4xx in that API's own
error format (the strict-mode app checks the body against the operation's spec, so a
wrong format fails the test), and the store is exactly as before. The APIs, their write
operations, parent ids and credentials come from the specs and the default data
(tests/apis.py).
"""

from __future__ import annotations

import json

import pytest
from apis import API_IDS, auth_headers, fill_path, write_operation

ONE_MIB = 1024 * 1024


def write_target(runtime, api_id: str) -> tuple[str, str, dict]:
    """(method, path, auth headers) of a body-taking operation of each API (its first POST
    that needs a credential), under the parents the default data gives it the most of."""
    op = write_operation(api_id)
    return op.method, fill_path(api_id, op, runtime.store.snapshot()[api_id]), auth_headers(api_id)


def body_fields(schema) -> set[str]:
    """The top-level member names a body schema documents (in every branch of a oneOf...)."""
    found = set((schema.get("properties") or {})) if isinstance(schema, dict) else set()
    for keyword in ("oneOf", "anyOf", "allOf"):
        for branch in (schema.get(keyword) or []) if isinstance(schema, dict) else []:
            found |= body_fields(branch)
    return found


# Every member any API's write operation documents, each of a type none of them takes.
WRONG_TYPES = {name: [1, {"a": None}]
               for name in sorted(set().union(*(body_fields(write_operation(a).body.schema()) for a in API_IDS)))}

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
    "wrong field types": (json.dumps(WRONG_TYPES).encode(), "application/json"),
    "NaN literal": (b'{"name": NaN}', "application/json"),
}


@pytest.fixture
def runtime(app):
    return app.extensions["mockserver"]


@pytest.mark.parametrize("api_id", API_IDS)
@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_body_is_a_4xx_in_the_apis_format_and_changes_nothing(client, runtime, api_id, case):
    method, path, headers = write_target(runtime, api_id)
    body, content_type = BAD_BODIES[case]
    before = runtime.store.snapshot()
    response = client.open(path, method=method, data=body, headers={**headers, "Content-Type": content_type})
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert response.is_json, response.get_data(as_text=True)
    assert runtime.store.snapshot() == before


@pytest.mark.parametrize("api_id", API_IDS)
def test_body_over_one_mib_is_413_in_the_apis_format(client, runtime, api_id):
    method, path, headers = write_target(runtime, api_id)
    before = runtime.store.snapshot()
    big = b'{"name": "' + b"x" * ONE_MIB + b'"}'
    response = client.open(path, method=method, data=big, headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 413 and response.is_json
    assert runtime.store.snapshot() == before


@pytest.mark.parametrize("api_id", API_IDS)
def test_rejections_say_why_in_x_mock_violations(client, runtime, api_id):
    method, path, headers = write_target(runtime, api_id)
    response = client.open(path, method=method, data=b"{oops", headers={**headers, "Content-Type": "application/json"})
    listed = json.loads(response.headers["X-Mock-Violations"])
    assert listed and {"location", "pointer", "message"} <= set(listed[0])


@pytest.mark.parametrize("api_id", API_IDS)
@pytest.mark.parametrize("path_suffix", ["/%00", "/..%2F..%2Fetc%2Fpasswd", "/" + "a" * 5000, "/%ff%fe"])
def test_odd_paths_are_4xx(client, api_id, path_suffix):
    response = client.get(f"/{api_id}{path_suffix}", headers=auth_headers(api_id))
    assert 400 <= response.status_code < 500 and response.is_json
