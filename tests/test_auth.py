"""Unit tests of mockserver.auth: finding the credential a request presents."""

from __future__ import annotations

import base64

from tiny import TINY_SPEC, tiny_spec_file

from mockserver.auth import find_credential
from mockserver.messages import MockRequest
from mockserver.spec import load_spec

SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer"},
    "basic": {"type": "http", "scheme": "basic"},
    "key": {"type": "apiKey", "in": "header", "name": "X-Authentication"},
    "session": {"type": "apiKey", "in": "cookie", "name": "sid"},
    "anycookie": {"type": "apiKey", "in": "cookie", "name": "cookie", "x-mock-any-cookie": True},
    "query": {"type": "apiKey", "in": "query", "name": "api_key"},
}


def operation(tmp_path, security):
    path = tiny_spec_file(tmp_path)
    path.write_text(TINY_SPEC.replace("security:\n  - bearer: []", "security: " + security))
    return load_spec(path, "tiny").operation("listThings")


def request(headers=None, cookies=None, query=None):
    return MockRequest("GET", "/things", headers={k.lower(): v for k, v in (headers or {}).items()},
                       cookies=cookies or {}, query=query or {})


def test_bearer(tmp_path):
    op = operation(tmp_path, "[{bearer: []}]")
    found = find_credential(op, SCHEMES, request({"Authorization": "Bearer abc"}))
    assert found.required and found.credential.token == "abc" and found.credential.kind == "bearer"
    for header in ("", "Bearer ", "Basic abc", "abc"):
        outcome = find_credential(op, SCHEMES, request({"Authorization": header} if header else {}))
        assert outcome.credential is None and outcome.problem
        assert (outcome.location, outcome.pointer) == ("header", "/authorization")


def test_basic_decodes_user_and_password(tmp_path):
    op = operation(tmp_path, "[{basic: []}]")
    token = base64.b64encode(b"admin:pa:ss").decode()
    found = find_credential(op, SCHEMES, request({"Authorization": f"Basic {token}"})).credential
    assert (found.username, found.password) == ("admin", "pa:ss")
    assert find_credential(op, SCHEMES, request({"Authorization": "Basic !!!"})).credential is None
    no_colon = base64.b64encode(b"admin").decode()
    assert find_credential(op, SCHEMES, request({"Authorization": f"Basic {no_colon}"})).credential is None


def test_api_key_in_header_cookie_and_query(tmp_path):
    assert find_credential(operation(tmp_path, "[{key: []}]"), SCHEMES,
                           request({"X-Authentication": "t"})).credential.token == "t"
    missing = find_credential(operation(tmp_path, "[{key: []}]"), SCHEMES, request())
    assert missing.pointer == "/x-authentication"
    assert find_credential(operation(tmp_path, "[{session: []}]"), SCHEMES,
                           request(cookies={"sid": "s1"})).credential.token == "s1"
    assert find_credential(operation(tmp_path, "[{session: []}]"), SCHEMES,
                           request(cookies={"other": "s1"})).credential is None
    assert find_credential(operation(tmp_path, "[{anycookie: []}]"), SCHEMES,
                           request(cookies={"whatever": "v"})).credential is not None
    assert find_credential(operation(tmp_path, "[{query: []}]"), SCHEMES,
                           request(query={"api_key": ["k"]})).credential.token == "k"


def test_alternatives_and_anonymous(tmp_path):
    op = operation(tmp_path, "[{session: []}, {bearer: []}]")
    assert find_credential(op, SCHEMES, request({"Authorization": "Bearer x"})).credential.scheme == "bearer"
    assert not find_credential(operation(tmp_path, "[{}, {bearer: []}]"), SCHEMES, request()).required
    assert not find_credential(operation(tmp_path, "[]"), SCHEMES, request()).required


def test_every_satisfied_alternative_is_kept_in_order(tmp_path):
    op = operation(tmp_path, "[{session: []}, {bearer: []}]")
    found = find_credential(op, SCHEMES, request({"Authorization": "Bearer x"}, cookies={"sid": "s"}))
    assert found.credential.scheme == "session" and [c.scheme for c in found.others] == ["bearer"]
