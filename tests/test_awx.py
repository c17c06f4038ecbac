"""Ansible AWX API v2 user credentials: every operation and documented status, through Flask.

Covers the user's credential list and create, the credential detail (GET, PATCH, PUT,
DELETE at the `url` a credential carries), credential types, and that no error message
repeats a secret input.

Every response is also checked against specs/awx.yaml by the strict-mode app (conftest).
The default data set has users 1 (admin) to 3, credential types 1 (Machine) to 5, and
credentials for users 1 and 2 (user 3 has none).
"""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from conftest import violations
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mockserver.fixtures import FixtureError, default_fixture

BASE = "/awx"
ADMIN = {"Authorization": "Bearer any-token"}
MACHINE, SCM, VAULT, AWS, KUBERNETES = 1, 2, 3, 4, 5
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
WWW_AUTHENTICATE = "Bearer realm=api authorization_url=/api/o/authorize/"


@pytest.fixture
def client(make_app):
    """AWX alone, under its usual /awx prefix, with the default data set."""
    return make_app(only=["awx"]).test_client()


def credentials_url(user) -> str:
    return f"{BASE}/api/v2/users/{user}/credentials/"


def create(client, user=2, headers=ADMIN, **body):
    body.setdefault("name", "Created in a test")
    body.setdefault("credential_type", MACHINE)
    return client.post(credentials_url(user), json=body, headers=headers)


def listing(client, user=1, query="") -> dict:
    response = client.get(credentials_url(user) + query, headers=ADMIN)
    assert response.status_code == 200, response.json
    return response.json


def everything(client, user) -> list[dict]:
    return listing(client, user, "?page_size=200")["results"]


def store_of(client):
    return client.application.extensions["mockserver"].store


def pointers(response) -> list[str]:
    """The pointers X-Mock-Violations names (searched, never indexed: the engine may add a reason)."""
    return [v["pointer"] for v in violations(response)]


def basic(user: str, password: str) -> dict:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def allowed(response) -> set[str]:
    return set(response.headers["Allow"].replace(" ", "").split(","))


def ec_key(encrypted: bool, fmt=serialization.PrivateFormat.TraditionalOpenSSL) -> str:
    """A PEM EC private key, passphrase-protected or not."""
    key = ec.generate_private_key(ec.SECP256R1())
    encryption = serialization.BestAvailableEncryption(b"pass") if encrypted else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption).decode()


# --- authentication ---------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Token abc"},
    {"Authorization": "Bearer "},
    {"Authorization": "Basic not-base64!"},
])
def test_missing_or_unusable_credential_is_401_with_www_authenticate(client, headers):
    for response in (client.get(credentials_url(1), headers=headers),
                     client.post(credentials_url(1), json={"name": "x", "credential_type": 1}, headers=headers),
                     client.get(f"{BASE}/api/v2/credential_types/", headers=headers)):
        assert response.status_code == 401
        assert response.json == {"detail": "Authentication credentials were not provided."}
        assert response.headers["WWW-Authenticate"] == WWW_AUTHENTICATE
        assert "/authorization" in pointers(response)


def test_basic_and_bearer_are_accepted_and_act_as_admin(client):
    assert client.get(credentials_url(1), headers=basic("admin", "password")).status_code == 200
    response = create(client, headers=basic("jdoe", "whatever"))
    assert response.status_code == 201
    assert response.json["summary_fields"]["created_by"]["username"] == "admin"
    assert response.json["related"]["created_by"] == f"{BASE}/api/v2/users/1/"


# --- list -------------------------------------------------------------------------------------
def test_list_gives_full_objects_ordered_by_name_with_secrets_masked(client):
    response = client.get(credentials_url(1), headers=ADMIN)
    page = response.json
    names = [(c["name"], c["id"]) for c in page["results"]]
    assert names == sorted(names) and page["count"] == len(names) >= 7
    assert page["next"] is None and page["previous"] is None
    by_name = {c["name"]: c for c in page["results"]}
    assert by_name["Demo Credential"]["inputs"] == {"username": "admin"}
    assert by_name["AWS production"]["inputs"] == {"username": "AKIAIOSFODNN7EXAMPLE", "password": "$encrypted$"}
    assert by_name["Web servers (deploy key)"]["inputs"]["ssh_key_data"] == "$encrypted$"
    assert by_name["Database hosts"]["inputs"]["become_password"] == "ASK"  # a prompt, not a secret
    text = response.get_data(as_text=True)
    assert "wJalrXUtnFEMI" not in text and "PRIVATE KEY" not in text and "Tr0ub4dor" not in text
    for credential in page["results"]:
        assert credential["summary_fields"]["owners"][0]["name"] == "admin"
        assert "user" not in credential


def test_list_shows_only_the_users_own_credentials(client):
    mine = {c["id"] for c in everything(client, 2)}
    assert len(mine) == 2
    assert not mine & {c["id"] for c in everything(client, 1)}
    assert listing(client, 3) == {"count": 0, "next": None, "previous": None, "results": []}


def test_list_pages_with_relative_links_that_keep_other_parameters(client):
    all_rows = everything(client, 1)
    # (a reserved parameter, and a filter that keeps every row: any other one filters)
    first = listing(client, 1, "?page_size=2&not__name=zeta&format=json")
    assert first["results"] == all_rows[:2] and first["previous"] is None
    assert first["next"] == f"{BASE}/api/v2/users/1/credentials/?format=json&not__name=zeta&page=2&page_size=2"
    second = client.get(first["next"], headers=ADMIN).json
    assert second["results"] == all_rows[2:4]
    assert second["previous"] == f"{BASE}/api/v2/users/1/credentials/?format=json&not__name=zeta&page=1&page_size=2"  # [awx] page=1 kept
    last = listing(client, 1, "?page_size=2&page=last")
    assert last["next"] is None and last["results"] == all_rows[-(len(all_rows) % 2 or 2):]
    assert parse_qs(urlsplit(last["previous"]).query)["page"] == [str(-(-len(all_rows) // 2) - 1)]


def test_single_api_mount_builds_links_without_prefix(make_app):
    client = make_app(api="awx").test_client()
    page = client.get("/api/v2/users/1/credentials/?page_size=1", headers=ADMIN).json
    assert page["next"] == "/api/v2/users/1/credentials/?page=2&page_size=1"
    assert page["results"][0]["url"].startswith("/api/v2/credentials/")


@pytest.fixture
def crowded(make_app, tmp_path):
    """The default data set plus 230 credentials for user 3."""
    extra = tmp_path / "crowd.yaml"
    extra.write_text(yaml.safe_dump({"apis": {"awx": {"credentials": [{"generate": {"count": 230, "user": 3}}]}}}))
    return make_app(only=["awx"], fixtures=[default_fixture(), extra]).test_client()


def test_page_size_defaults_to_25_and_is_capped_at_200(crowded):
    default = listing(crowded, 3)
    assert default["count"] == 230 and len(default["results"]) == 25
    assert default["next"] == f"{BASE}/api/v2/users/3/credentials/?page=2"
    capped = listing(crowded, 3, "?page_size=500")
    assert len(capped["results"]) == 200
    assert capped["next"] == f"{BASE}/api/v2/users/3/credentials/?page=2&page_size=200"
    tail = crowded.get(capped["next"], headers=ADMIN).json
    assert len(tail["results"]) == 30 and tail["next"] is None
    assert tail["previous"] == f"{BASE}/api/v2/users/3/credentials/?page=1&page_size=200"


@pytest.mark.parametrize("size", ["abc", "0", "-5", "", "2.5"])
def test_unusable_page_size_falls_back_to_25(crowded, size):
    page = listing(crowded, 3, f"?page_size={size}")
    assert len(page["results"]) == 25
    assert parse_qs(urlsplit(page["next"]).query, keep_blank_values=True)["page"] == ["2"]


@pytest.mark.parametrize("query", ["?page=0", "?page=-1", "?page=abc", "?page=2.0", "?page=99",
                                   "?page=4&page_size=3"])
def test_page_out_of_range_or_not_an_integer_is_404(client, query):
    response = client.get(credentials_url(1) + query, headers=ADMIN)
    assert (response.status_code, response.json) == (404, {"detail": "Invalid page."})
    assert "/page" in pointers(response)


def test_first_page_of_an_empty_list_is_fine_but_not_the_second(client):
    assert listing(client, 3, "?page=1")["results"] == []
    assert listing(client, 3, "?page=")["count"] == 0
    assert listing(client, 3, "?page=last")["results"] == []
    assert client.get(credentials_url(3) + "?page=2", headers=ADMIN).status_code == 404


@pytest.mark.parametrize("user", ["999", "0", "abc"])
def test_list_of_unknown_user_is_404(client, user):
    response = client.get(credentials_url(user), headers=ADMIN)
    assert (response.status_code, response.json) == (404, {"detail": "Not found."})


# --- create -----------------------------------------------------------------------------------
def test_create_answers_201_with_location_and_the_full_object(client):
    response = create(client, name="Web servers", description="Deploy user",
                      inputs={"username": "deploy", "password": "s3cret", "become_method": "sudo"})
    assert response.status_code == 201
    body = response.json
    url = f"{BASE}/api/v2/credentials/{body['id']}/"
    assert response.headers["Location"] == url == body["url"]
    assert body["type"] == "credential" and body["name"] == "Web servers" and body["description"] == "Deploy user"
    assert body["inputs"] == {"username": "deploy", "password": "$encrypted$", "become_method": "sudo"}
    assert (body["kind"], body["cloud"], body["kubernetes"], body["managed"]) == ("ssh", False, False, False)
    assert TIMESTAMP.match(body["created"]) and body["created"] == body["modified"]
    assert body["related"]["credential_type"] == f"{BASE}/api/v2/credential_types/1/"
    assert body["related"]["copy"] == f"{url}copy/" and body["related"]["user"] == f"{BASE}/api/v2/users/2/"
    summary = body["summary_fields"]
    assert summary["credential_type"] == {"id": 1, "name": "Machine", "description": ""}
    assert summary["owners"] == [{"id": 2, "type": "user", "name": "jdoe", "description": "Jane Doe",
                                  "url": f"{BASE}/api/v2/users/2/"}]
    assert summary["user_capabilities"] == {"edit": True, "delete": True, "copy": True, "use": True}
    assert "user" not in body and "s3cret" not in response.get_data(as_text=True)
    assert body in everything(client, 2)


@pytest.mark.parametrize("type_id,inputs,kind,cloud,kubernetes", [
    (AWS, {"username": "AKIAIOSFODNN7EXAMPLE", "password": "secret", "security_token": "sts"}, "aws", True, False),
    (KUBERNETES, {"host": "https://api.ocp.example.com:6443", "bearer_token": "sha256~x", "verify_ssl": False},
     "kubernetes_bearer_token", False, True),
    (SCM, {"username": "git", "password": "ghp_token"}, "scm", False, False),
    (VAULT, {"vault_password": "v", "vault_id": "prod"}, "vault", False, False),
])
def test_create_each_kind_of_type(client, type_id, inputs, kind, cloud, kubernetes):
    body = create(client, credential_type=type_id, inputs=inputs).json
    assert (body["kind"], body["cloud"], body["kubernetes"]) == (kind, cloud, kubernetes)
    secrets = {"password", "security_token", "bearer_token", "vault_password"}
    assert body["inputs"] == {k: ("$encrypted$" if k in secrets else v) for k, v in inputs.items()}


def test_the_user_in_the_path_wins_over_the_body(client):
    body = {"name": "Mine", "credential_type": MACHINE, "user": 2}
    response = client.post(credentials_url(3), json=body, headers=ADMIN)
    assert response.status_code == 201
    assert response.json["summary_fields"]["owners"][0]["id"] == 3
    assert [c["id"] for c in everything(client, 3)] == [response.json["id"]]
    assert not any(c["name"] == "Mine" for c in everything(client, 2))
    body["user"] = 999  # an unknown user in the body is ignored too
    assert client.post(credentials_url(3), json=body, headers=ADMIN).status_code == 201


def test_names_need_not_be_unique(client):
    assert create(client, name="Same").status_code == 201
    assert create(client, name="Same").status_code == 201


def test_drf_char_field_rules(client):
    padded = create(client, name="  Padded  ", description=" d ").json
    assert (padded["name"], padded["description"]) == ("Padded", "d")
    assert create(client, name=12345).json["name"] == "12345"
    assert create(client, name="x" * 512).status_code == 201
    numeric_string = create(client, credential_type="4", inputs={"username": "a", "password": "b"})
    assert numeric_string.json["credential_type"] == 4


@pytest.mark.parametrize("body,errors", [
    ({}, {"name": ["This field is required."], "credential_type": ["This field is required."]}),
    ({"name": "", "credential_type": None}, {"name": ["This field may not be blank."],
                                             "credential_type": ["This field may not be null."]}),
    ({"name": "   ", "credential_type": 1, "description": None}, {"name": ["This field may not be blank."]}),
    ({"name": None, "credential_type": 99}, {"name": ["This field cannot be blank."],  # [awx] CharNullField
                                             "credential_type": ['Invalid pk "99" - object does not exist.']}),
    ({"name": "x" * 513, "credential_type": "abc"}, {
        "name": ["Ensure this field has no more than 512 characters."],
        "credential_type": ["Incorrect type. Expected pk value, received str."]}),
    ({"name": ["x"], "credential_type": True}, {
        "name": ["Not a valid string."],
        "credential_type": ["Incorrect type. Expected pk value, received bool."]}),
    ({"name": "a\u0000b", "credential_type": [1]}, {
        "name": ["Null characters are not allowed."],
        "credential_type": ["Incorrect type. Expected pk value, received list."]}),
    ({"name": "ok", "credential_type": 1, "inputs": None}, {"inputs": ["This field may not be null."]}),
    ({"name": "ok", "credential_type": 1, "inputs": [1]}, {"inputs": ["list provided, expected dict"]}),
    ({"name": "ok", "credential_type": 1, "inputs": 5}, {"inputs": ["int provided, expected dict"]}),
])
def test_field_errors_come_back_together_in_drf_format(client, body, errors):
    response = client.post(credentials_url(2), json=body, headers=ADMIN)
    assert (response.status_code, response.json) == (400, errors)
    assert {v["pointer"] for v in violations(response)} == {f"/{field}" for field in errors}


def test_lone_surrogates_are_refused_not_crashed_on(client):
    raw = b'{"name": "bad \\ud800", "credential_type": 1, "inputs": {"username": "\\udfff"}}'
    response = client.post(credentials_url(2), data=raw, content_type="application/json", headers=ADMIN)
    assert response.status_code == 400
    assert response.json == {"name": ["Surrogate characters are not allowed: U+D800."]}
    raw = b'{"name": "ok", "credential_type": 1, "inputs": {"username": "\\udfff"}}'
    response = client.post(credentials_url(2), data=raw, content_type="application/json", headers=ADMIN)
    assert response.json == {"inputs": {"username": ["Surrogate characters are not allowed: U+DFFF."]}}


# --- inputs -----------------------------------------------------------------------------------
def test_inputs_may_be_a_yaml_string(client):
    text = "username: AKIAIOSFODNN7EXAMPLE\npassword: wJalrXUtnFEMI/K7MDENG\n"
    response = create(client, credential_type=AWS, inputs=text)
    assert response.status_code == 201
    assert response.json["inputs"] == {"username": "AKIAIOSFODNN7EXAMPLE", "password": "$encrypted$"}
    assert store_of(client).api("awx")["credentials"].get(response.json["id"])["inputs"]["password"] \
        == "wJalrXUtnFEMI/K7MDENG"


def test_inputs_may_be_a_json_string_or_empty(client):
    assert create(client, inputs='{"username": "root"}').json["inputs"] == {"username": "root"}
    assert create(client, inputs="---").json["inputs"] == {}
    assert create(client, inputs="").json["inputs"] == {}
    assert create(client, inputs='""').json["inputs"] == {}


@pytest.mark.parametrize("text,message", [
    ("just words", "Cannot parse as JSON (error: Expecting value: line 1 column 1 (char 0)) or YAML "
                   "(error: Input type `str` is not a dictionary)."),
    ("[1, 2]", "Cannot parse as JSON (error: Input type `list` is not a dictionary) or YAML "
               "(error: Input type `list` is not a dictionary)."),
    ("username: [unclosed", None),
    ("username: 2024-01-01", "Variables not compatible with JSON standard (error: Object of type date is not "
                             "JSON serializable)"),
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
     "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n", None),
])
def test_inputs_strings_that_are_no_mapping_are_400(client, text, message):
    response = create(client, inputs=text)
    assert response.status_code == 400 and list(response.json) == ["inputs"]
    [got] = response.json["inputs"]
    if message is not None:
        assert got == message
    else:
        assert got.startswith("Cannot parse as JSON (error: ")


def test_unknown_input_key_is_one_message_that_hides_field_errors(client):
    response = create(client, inputs={"username": 5, "x": 1})
    assert response.json == {"inputs": ["Additional properties are not allowed ('x' was unexpected)"]}
    response = create(client, inputs={"x": 1, "y": 2})
    assert response.json == {"inputs": ["Additional properties are not allowed ('x', 'y' were unexpected)"]}


@pytest.mark.parametrize("type_id,inputs,errors", [
    (MACHINE, {"username": 5, "password": None}, {"username": ["5 is not of type 'string'"]}),  # null: ""
    (KUBERNETES, {"host": "h", "bearer_token": "t", "verify_ssl": "yes"},
     {"verify_ssl": ["'yes' is not of type 'boolean'"]}),
    (VAULT, {"vault_id": "prod@team"}, {"vault_id": ["@ is not an allowed character"]}),
    (MACHINE, {"ssh_key_data": "not a key"},
     {"ssh_key_data": ["Invalid certificate or key: no PEM header (-----BEGIN ...-----) found."]}),
    (MACHINE, {"ssh_key_data": "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n"},
     {"ssh_key_data": ["Invalid certificate or key: no -----END RSA PRIVATE KEY----- footer found."]}),
    (SCM, {"ssh_key_data": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"},
     {"ssh_key_data": ['Unsupported PEM object type: "PUBLIC KEY"']}),
    (MACHINE, {"ssh_key_data": "-----BEGIN FOO PRIVATE KEY-----\nAAAA\n-----END FOO PRIVATE KEY-----"},
     {"ssh_key_data": ['Invalid private key: unsupported type "FOO"']}),
    (MACHINE, {"ssh_key_data": "-----BEGIN RSA PRIVATE KEY-----\n\n-----END RSA PRIVATE KEY-----"},
     {"ssh_key_data": ["Invalid base64-encoded data"]}),
])
def test_inputs_are_checked_per_field_against_the_type(client, type_id, inputs, errors):
    response = create(client, credential_type=type_id, inputs=inputs)
    assert (response.status_code, response.json) == (400, {"inputs": errors})
    assert {v["pointer"] for v in violations(response)} == {f"/inputs/{field}" for field in errors}


def test_encrypted_is_reserved_for_secret_inputs(client):
    response = create(client, inputs={"username": "joe", "password": "$encrypted$"})
    assert response.json == {"inputs": ["$encrypted$ is a reserved keyword, and cannot be used for password."]}
    # it wins even over an unknown key, as AWX checks it first
    response = create(client, credential_type=AWS, inputs={"x": 1, "password": "$encrypted$"})
    assert response.json == {"inputs": ["$encrypted$ is a reserved keyword, and cannot be used for password."]}
    # a field that is not secret may hold the text
    assert create(client, inputs={"username": "$encrypted$"}).status_code == 201


def test_empty_secrets_are_dropped_and_ask_is_kept(client):
    body = create(client, inputs={"username": "u", "password": "", "become_password": "ASK"}).json
    assert body["inputs"] == {"username": "u", "become_password": "ASK"}
    assert create(client, credential_type=VAULT, inputs={"vault_password": "ASK"}).json["inputs"] == \
        {"vault_password": "ASK"}
    aws = create(client, credential_type=AWS, inputs={"username": "a", "password": "ASK"}).json
    assert aws["inputs"]["password"] == "$encrypted$"  # AWS fields are not prompt-on-launch


@pytest.mark.parametrize("key", [
    ec_key(True),
    ec_key(True, serialization.PrivateFormat.PKCS8),
])
def test_encrypted_key_needs_its_passphrase(client, key):
    response = create(client, inputs={"username": "u", "ssh_key_data": key})
    assert response.json == {"inputs": {"ssh_key_unlock": ["must be set when SSH key is encrypted."]}}
    response = create(client, inputs={"username": "u", "ssh_key_data": key, "ssh_key_unlock": "pass"})
    assert response.status_code == 201
    assert response.json["inputs"] == {"username": "u", "ssh_key_data": "$encrypted$",
                                       "ssh_key_unlock": "$encrypted$"}


def test_plain_key_refuses_a_passphrase(client):
    key = ec_key(False)
    response = create(client, credential_type=SCM, inputs={"ssh_key_data": key, "ssh_key_unlock": "pass"})
    assert response.json == {"inputs": {"ssh_key_unlock": ["should not be set when SSH key is not encrypted."]}}
    assert create(client, credential_type=SCM, inputs={"ssh_key_data": key}).status_code == 201


def test_generated_fixture_keys_are_real_openssh_keys(client):
    stored = store_of(client).api("awx")["credentials"]
    keys = [c["inputs"]["ssh_key_data"] for c in stored if "ssh_key_data" in c["inputs"]]
    assert keys
    for key in keys:
        assert serialization.load_ssh_private_key(key.encode(), None) is not None


# --- create: order of checks and bad bodies ---------------------------------------------------
def test_unknown_user_is_404_before_the_body_is_read(client):
    bodies = ((b"{broken", "application/json"), (b"x", "text/plain"), (b"{}", "application/json"))
    for data, content_type in bodies:
        response = client.post(credentials_url(999), data=data, content_type=content_type, headers=ADMIN)
        assert (response.status_code, response.json) == (404, {"detail": "Not found."})


@pytest.mark.parametrize("data,content_type,status,body", [
    (b'{"name": "x"}', "text/plain", 415, {"detail": 'Unsupported media type "text/plain" in request.'}),
    (b'{"name": "x"}', "application/x-www-form-urlencoded; charset=utf-8", 415,
     {"detail": 'Unsupported media type "application/x-www-form-urlencoded; charset=utf-8" in request.'}),
    (b'{"name": ', "application/json", 400,
     {"detail": "JSON parse error - Expecting value: line 1 column 10 (char 9)"}),
    (b'{"name": "\xff"}', "application/json", 400, None),
    (b'{"name": NaN, "credential_type": 1}', "application/json", 400, None),
    (b"[1]", "application/json", 400, {"detail": "JSON parse error - not a JSON object"}),  # [awx] JSONParser
    (b"[1, 2]", "application/json", 400, {"detail": "JSON parse error - not a JSON object"}),
    (b'"text"', "application/json", 400, {"detail": "JSON parse error - not a JSON object"}),
    (b"null", "application/json", 400, {"__all__": ["No data provided"]}),
    (b"", "application/json", 400, {"name": ["This field is required."],
                                    "credential_type": ["This field is required."]}),
])
def test_bad_bodies_get_drf_answers(client, data, content_type, status, body):
    response = client.post(credentials_url(2), data=data, headers={**ADMIN, "Content-Type": content_type})
    assert response.status_code == status
    if body is not None:
        assert response.json == body
    else:
        assert response.json["detail"].startswith("JSON parse error - ")
    assert violations(response)


def test_rejected_writes_change_nothing(client):
    store = store_of(client)
    before = store.snapshot()
    rejected = [
        create(client, inputs={"x": 1}),
        create(client, credential_type=AWS, inputs={"username": 5}),
        create(client, user=999),
        create(client, name=""),
        create(client, inputs={"password": "$encrypted$"}),
        create(client, inputs={"ssh_key_data": ec_key(True)}),
        client.post(credentials_url(2), data=b"{oops", content_type="application/json", headers=ADMIN),
        client.post(credentials_url(2), data=b"name=x", content_type="text/plain", headers=ADMIN),
        client.delete(credentials_url(2), headers=ADMIN),
        create(client, headers={}),
    ]
    assert all(400 <= r.status_code < 500 for r in rejected)
    assert store.snapshot() == before
    highest = max(c["id"] for c in store.api("awx")["credentials"])
    assert create(client).json["id"] == highest + 1  # no id was used up either


def test_oversized_body_is_413_and_stores_nothing(client):
    store = store_of(client)
    before = store.snapshot()
    big = json.dumps({"name": "x" * (1024 * 1024), "credential_type": 1}).encode()
    response = client.post(credentials_url(2), data=big, content_type="application/json", headers=ADMIN)
    assert response.status_code == 413 and set(response.json) == {"detail"}
    assert store.snapshot() == before


def test_every_request_example_of_the_spec_is_accepted(client):
    spec = yaml.safe_load(client.application.extensions["mockserver"].apis["awx"].spec.source.read_text())
    media = spec["paths"]["/api/v2/users/{id}/credentials/"]["post"]["requestBody"]["content"]["application/json"]
    for name, example in media["examples"].items():
        response = client.post(credentials_url(2), json=example["value"], headers=ADMIN)
        assert response.status_code == 201, (name, response.json)


# --- secrets never appear in error messages ----------------------------------------------------
def leaks(response, marker: str) -> bool:
    """True when `marker` shows anywhere in the response: body or any header."""
    text = response.get_data(as_text=True)
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return marker in text or marker in headers


@pytest.mark.parametrize("type_id,inputs,marker", [
    (AWS, {"username": "u", "password": {"x": "SUPERSECRET22"}}, "SUPERSECRET22"),
    (KUBERNETES, {"host": "https://h", "bearer_token": ["SUPERSECRET5"]}, "SUPERSECRET5"),
    (MACHINE, {"username": "u", "password": 918273645}, "918273645"),
    (MACHINE, {"username": "u", "become_password": {"nested": ["SUPERSECRET31"]}}, "SUPERSECRET31"),
    (MACHINE, {"ssh_key_data": "SUPERSECRETKEY is no PEM"}, "SUPERSECRETKEY"),
    (MACHINE, {"ssh_key_data": "-----BEGIN RSA PRIVATE KEY-----\nSUPERSECRETPEM\n"}, "SUPERSECRETPEM"),
    (AWS, "password: [SUPERSECRET8", "SUPERSECRET8"),
    (AWS, '{"username": "u", "password": "SUPERSECRET9', "SUPERSECRET9"),
    (AWS, "password: !SUPERSECRETTAG x", "SUPERSECRETTAG"),
    (AWS, "password: *SUPERSECRETALIAS", "SUPERSECRETALIAS"),
    (AWS, "password: !!int SUPERSECRETINT", "SUPERSECRETINT"),
    (AWS, 'password: "SUPERSECRET\\qESC"', "SUPERSECRET"),
    (AWS, "password: SUPERSECRETCTRL\x01", "SUPERSECRETCTRL"),
    (AWS, ["SUPERSECRETLIST"], "SUPERSECRETLIST"),
])
def test_secret_values_never_appear_in_errors(client, type_id, inputs, marker):
    response = create(client, credential_type=type_id, inputs=inputs)
    assert response.status_code == 400 and list(response.json) == ["inputs"]
    assert not leaks(response, marker), response.get_data(as_text=True)
    assert violations(response)  # the header still says what is wrong


def test_a_secret_type_error_names_the_field_not_the_value(client):
    response = create(client, credential_type=AWS, inputs={"username": "u", "password": {"x": "SUPERSECRET22"}})
    assert response.json == {"inputs": {"password": ["'<secret>' is not of type 'string'"]}}
    assert "/inputs/password" in pointers(response)
    # a field that is not secret still shows its value
    response = create(client, inputs={"username": 5, "password": None})
    assert response.json == {"inputs": {"username": ["5 is not of type 'string'"]}}


@pytest.mark.parametrize("body,marker", [
    (b'[{"password": "SUPERSECRETBODY"}]', "SUPERSECRETBODY"),
    (b'"SUPERSECRETSTR"', "SUPERSECRETSTR"),
    (b'{"name": "x", "credential_type": 4, "inputs": {"password": "SUPERSECRETRAW\x01"}}', "SUPERSECRETRAW"),
    (b'{"name": "x", "credential_type": 4, "inputs": {"password": "SUPERSECRETUTF\xff"}}', "SUPERSECRETUTF"),
])
def test_bodies_that_are_not_objects_or_not_json_do_not_echo_their_text(client, body, marker):
    for url, method in ((credentials_url(2), client.post), (detail_url(3), client.patch),
                        (detail_url(3), client.put)):
        response = method(url, data=body, content_type="application/json", headers=ADMIN)
        assert response.status_code == 400
        assert not leaks(response, marker)


def test_a_bad_path_does_not_echo_the_body(client):
    body = {"name": "x", "credential_type": 4, "inputs": ["SUPERSECRETPATH"]}
    for response in (client.post(credentials_url("abc"), json=body, headers=ADMIN),
                     client.patch(detail_url("abc"), json=body, headers=ADMIN)):
        assert (response.status_code, response.json) == (404, {"detail": "Not found."})
        assert not leaks(response, "SUPERSECRETPATH")
        assert "/id" in pointers(response)


def test_yaml_errors_give_line_and_column_without_the_source(client):
    response = create(client, credential_type=AWS, inputs="password: [SUPERSECRET8")
    assert response.json == {"inputs": [
        "Cannot parse as JSON (error: Expecting value: line 1 column 1 (char 0)) or YAML (error: while parsing "
        "a flow sequence at line 1, column 11: expected ',' or ']', but got '<stream end>' at line 1, "
        "column 24)."]}
    response = create(client, credential_type=AWS, inputs="username: u\npassword: !SECRETTAG x\n")
    [message] = response.json["inputs"]
    assert "line 2, column 11" in message and "SECRETTAG" not in message
    response = create(client, credential_type=AWS, inputs="username: u\npassword: a\x01b\n")
    [message] = response.json["inputs"]
    assert "line 2, column 12" in message


def test_an_update_names_a_non_string_secret_by_type_only(client):
    response = client.patch(detail_url(3), json={"inputs": {"username": "u", "password": {"x": "SUPERSECRET44"}}},
                            headers=ADMIN)
    assert (response.status_code, response.json) == \
        (400, {"inputs": ["secret values must be of type string, not dict"]})
    assert not leaks(response, "SUPERSECRET44")


# --- one credential: /api/v2/credentials/{id}/ ------------------------------------------------------
def detail_url(credential) -> str:
    return f"{BASE}/api/v2/credentials/{credential}/"


def stored(client, credential) -> dict:
    return store_of(client).api("awx")["credentials"].get(credential)


def test_get_gives_the_object_the_list_shows(client):
    for credential in everything(client, 1) + everything(client, 2):
        response = client.get(credential["url"], headers=ADMIN)
        assert (response.status_code, response.json) == (200, credential)
    assert client.get(detail_url(3), headers=ADMIN).json["inputs"]["password"] == "$encrypted$"


def test_created_credential_is_served_at_its_location(client):
    created = create(client, credential_type=AWS, inputs={"username": "a", "password": "SUPERSECRET61"})
    response = client.get(created.headers["Location"], headers=ADMIN)
    assert (response.status_code, response.json) == (200, created.json)
    assert not leaks(response, "SUPERSECRET61")


@pytest.mark.parametrize("credential", ["999", "0", "-1", "abc", "1.5"])
def test_unknown_or_malformed_id_is_404_for_every_method(client, credential):
    before = store_of(client).snapshot()
    url = detail_url(credential)
    for response in (client.get(url, headers=ADMIN), client.delete(url, headers=ADMIN),
                     client.patch(url, json={"name": "x"}, headers=ADMIN),
                     client.put(url, json={"name": "x", "credential_type": 1}, headers=ADMIN)):
        assert (response.status_code, response.json) == (404, {"detail": "Not found."})
        assert "/id" in pointers(response)
    assert store_of(client).snapshot() == before


def test_detail_needs_a_credential_like_everything_else(client):
    before = store_of(client).snapshot()
    url = detail_url(3)
    for response in (client.get(url), client.delete(url), client.patch(url, json={"name": "x"}),
                     client.put(url, json={"name": "x", "credential_type": 1}, headers={"Authorization": "Bearer "})):
        assert response.status_code == 401
        assert response.json == {"detail": "Authentication credentials were not provided."}
        assert response.headers["WWW-Authenticate"] == WWW_AUTHENTICATE
    assert store_of(client).snapshot() == before


def test_post_on_the_detail_is_405(client):
    response = client.post(detail_url(3), json={"name": "x", "credential_type": 1}, headers=ADMIN)
    assert (response.status_code, response.json) == (405, {"detail": 'Method "POST" not allowed.'})
    assert {"GET", "PUT", "PATCH", "DELETE"} <= allowed(response) and "POST" not in allowed(response)


def test_patch_sets_what_is_sent_and_keeps_the_rest(client):
    before = client.get(detail_url(4), headers=ADMIN).json
    secrets = dict(stored(client, 4)["inputs"])
    response = client.patch(detail_url(4), json={"name": "  Database hosts (renamed) ", "user": 2, "id": 99,
                                                  "kind": "aws"}, headers=ADMIN)
    assert response.status_code == 200
    after = response.json
    assert after["name"] == "Database hosts (renamed)" and after["modified"] > before["modified"]
    unchanged = {k: v for k, v in after.items() if k not in ("name", "modified", "related")}
    assert unchanged == {k: v for k, v in before.items() if k not in ("name", "modified", "related")}
    # [awx] the named URL follows the name: <name>++<type name>+<kind>++<organization>
    assert after["related"] == {**before["related"],
                                "named_url": f"{BASE}/api/v2/credentials/Database hosts (renamed)++Machine+ssh++/"}
    assert stored(client, 4)["inputs"] == secrets and stored(client, 4)["user"] == 1
    assert client.get(detail_url(4), headers=ADMIN).json == after
    assert after in everything(client, 1)


def test_patch_with_an_empty_body_changes_only_modified(client):
    before = client.get(detail_url(1), headers=ADMIN).json
    after = client.patch(detail_url(1), headers=ADMIN).json
    assert after["modified"] > before["modified"]
    assert {**after, "modified": None} == {**before, "modified": None}


def test_patch_inputs_replace_the_stored_ones(client):
    response = client.patch(detail_url(4), json={"inputs": {"username": "other"}}, headers=ADMIN)
    assert response.json["inputs"] == {"username": "other"}
    assert stored(client, 4)["inputs"] == {"username": "other"}
    # a YAML string works as on create
    response = client.patch(detail_url(4), json={"inputs": "username: third\npassword: n3w\n"}, headers=ADMIN)
    assert response.json["inputs"] == {"username": "third", "password": "$encrypted$"}
    assert stored(client, 4)["inputs"]["password"] == "n3w"


@pytest.mark.parametrize("credential", [2, 3, 4])
def test_encrypted_round_trip_keeps_the_secrets(client, credential):
    secrets = dict(stored(client, credential)["inputs"])
    shown = client.get(detail_url(credential), headers=ADMIN).json
    assert "$encrypted$" in shown["inputs"].values()
    response = client.patch(detail_url(credential), json={"inputs": shown["inputs"]}, headers=ADMIN)
    assert response.status_code == 200 and response.json["inputs"] == shown["inputs"]
    assert stored(client, credential)["inputs"] == secrets
    # PUT back the whole object a GET gave, read-only fields and all
    response = client.put(detail_url(credential), json=shown, headers=ADMIN)
    assert response.status_code == 200
    assert {**response.json, "modified": None} == {**shown, "modified": None}
    assert stored(client, credential)["inputs"] == secrets


def test_a_new_secret_replaces_the_stored_one_and_others_are_kept(client):
    response = client.patch(detail_url(3), json={"inputs": {"username": "AKIANEW", "password": "$encrypted$",
                                                            "security_token": "sts-token"}}, headers=ADMIN)
    assert response.json["inputs"] == {"username": "AKIANEW", "password": "$encrypted$",
                                       "security_token": "$encrypted$"}
    assert stored(client, 3)["inputs"] == {"username": "AKIANEW",
                                           "password": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                           "security_token": "sts-token"}


def test_encrypted_for_a_secret_with_nothing_stored_is_refused(client):
    response = client.patch(detail_url(1), json={"inputs": {"username": "admin", "password": "$encrypted$"}},
                            headers=ADMIN)
    assert (response.status_code, response.json) == \
        (400, {"inputs": ["$encrypted$ is a reserved keyword, and cannot be used for password."]})


def test_put_requires_name_and_type_and_resets_what_it_leaves_out(client):
    response = client.put(detail_url(4), json={}, headers=ADMIN)
    assert (response.status_code, response.json) == \
        (400, {"name": ["This field is required."], "credential_type": ["This field is required."]})
    response = client.put(detail_url(4), headers=ADMIN)
    assert response.status_code == 400 and set(response.json) == {"name", "credential_type"}
    assert client.get(detail_url(4), headers=ADMIN).json["description"] != ""
    response = client.put(detail_url(4), json={"name": "Replaced", "credential_type": "1"}, headers=ADMIN)
    assert response.status_code == 200
    # [awx] row 12: the model defaults: description "" and inputs {} (the secrets are gone)
    assert (response.json["name"], response.json["description"], response.json["inputs"]) == ("Replaced", "", {})
    assert stored(client, 4)["inputs"] == {}


def test_changing_the_type_checks_the_inputs_against_the_new_type(client):
    response = client.patch(detail_url(1), json={"credential_type": VAULT}, headers=ADMIN)
    assert (response.status_code, response.json) == \
        (400, {"inputs": ["Additional properties are not allowed ('username' was unexpected)"]})
    response = client.patch(detail_url(4), json={"credential_type": SCM}, headers=ADMIN)
    assert response.json == {"inputs": ["Additional properties are not allowed ('become_method', 'become_password' "
                                        "were unexpected)"]}
    response = client.patch(detail_url(1), json={"credential_type": AWS, "inputs": {"username": "AKIA",
                                                                                    "password": "k"}}, headers=ADMIN)
    assert response.status_code == 200
    body = response.json
    assert (body["credential_type"], body["kind"], body["cloud"]) == (AWS, "aws", True)
    assert body["summary_fields"]["credential_type"]["name"] == "Amazon Web Services"
    assert body["related"]["credential_type"] == f"{BASE}/api/v2/credential_types/4/"
    # a secret of the old type sent as $encrypted$ is kept under the new type
    response = client.patch(detail_url(4), json={"credential_type": SCM, "inputs": {
        "username": "dbadmin", "password": "$encrypted$"}}, headers=ADMIN)
    assert response.status_code == 200
    assert stored(client, 4)["inputs"] == {"username": "dbadmin", "password": "Tr0ub4dor-and-3"}


@pytest.mark.parametrize("body,errors", [
    ({"name": ""}, {"name": ["This field may not be blank."]}),
    ({"name": None, "description": None}, {"name": ["This field cannot be blank."]}),  # description: ""
    ({"name": "x" * 513}, {"name": ["Ensure this field has no more than 512 characters."]}),
    ({"credential_type": 99}, {"credential_type": ['Invalid pk "99" - object does not exist.']}),
    ({"credential_type": "abc"}, {"credential_type": ["Incorrect type. Expected pk value, received str."]}),
    ({"inputs": None}, {"inputs": ["This field may not be null."]}),
    ({"inputs": [1]}, {"inputs": ["list provided, expected dict"]}),
    ({"inputs": {"username": "u", "x": 1}},
     {"inputs": ["Additional properties are not allowed ('x' was unexpected)"]}),
    ({"inputs": {"username": 5}}, {"inputs": {"username": ["5 is not of type 'string'"]}}),
    ({"inputs": {"ssh_key_data": ec_key(True)}},
     {"inputs": {"ssh_key_unlock": ["must be set when SSH key is encrypted."]}}),
])
def test_updates_get_the_field_errors_of_create(client, body, errors):
    response = client.patch(detail_url(1), json=body, headers=ADMIN)
    assert (response.status_code, response.json) == (400, errors)
    response = client.put(detail_url(1), json={"name": "n", "credential_type": MACHINE, **body}, headers=ADMIN)
    assert (response.status_code, response.json) == (400, errors)


@pytest.mark.parametrize("data,content_type,status,body", [
    (b"[1]", "application/json", 400, {"detail": "JSON parse error - not a JSON object"}),  # [awx] test_invalid_json_body
    (b"null", "application/json", 400, {"__all__": ["No data provided"]}),
    (b'{"name": ', "application/json", 400,
     {"detail": "JSON parse error - Expecting value: line 1 column 10 (char 9)"}),
    (b'{"name": "x"}', "text/plain", 415, {"detail": 'Unsupported media type "text/plain" in request.'}),
])
def test_updates_get_the_bad_body_answers_of_create(client, data, content_type, status, body):
    for method in (client.patch, client.put):
        response = method(detail_url(1), data=data, headers={**ADMIN, "Content-Type": content_type})
        assert (response.status_code, response.json) == (status, body)
        assert violations(response)


def test_modified_moves_forward_even_when_the_clock_does_not(client, monkeypatch):
    from datetime import datetime, timezone

    from mockserver.behaviors.base import OperationContext

    monkeypatch.setattr(OperationContext, "now", lambda self: datetime(2020, 1, 1, tzinfo=timezone.utc))
    before = stored(client, 3)["modified"]
    first = client.patch(detail_url(3), json={"description": "one"}, headers=ADMIN).json["modified"]
    second = client.patch(detail_url(3), json={"description": "two"}, headers=ADMIN).json["modified"]
    assert before < first < second and TIMESTAMP.match(second)


def test_rejected_updates_change_nothing(client):
    store = store_of(client)
    before = store.snapshot()
    rejected = [
        client.patch(detail_url(1), json={"name": ""}, headers=ADMIN),
        client.patch(detail_url(1), json={"credential_type": VAULT}, headers=ADMIN),
        client.patch(detail_url(1), json={"name": "ok", "inputs": {"x": 1}}, headers=ADMIN),
        client.patch(detail_url(1), json={"inputs": {"password": "$encrypted$"}}, headers=ADMIN),
        client.patch(detail_url(3), json={"description": "ok", "inputs": {"password": {"a": 1}}}, headers=ADMIN),
        client.patch(detail_url(4), json={"name": "ok", "inputs": {"ssh_key_data": ec_key(True)}}, headers=ADMIN),
        client.put(detail_url(3), json={"name": "only a name"}, headers=ADMIN),
        client.put(detail_url(3), json={"name": "ok", "credential_type": 99}, headers=ADMIN),
        client.patch(detail_url(3), data=b"{oops", content_type="application/json", headers=ADMIN),
        client.patch(detail_url(3), data=b"name=x", content_type="text/plain", headers=ADMIN),
        client.patch(detail_url(3), json={"name": "x"}),
        client.delete(detail_url(3)),
        client.delete(detail_url(999), headers=ADMIN),
        client.post(detail_url(3), json={"name": "x", "credential_type": 1}, headers=ADMIN),
        client.patch(detail_url(3), json={"name": "x"}, headers={**ADMIN, "Prefer": "code=200"}),
        client.delete(detail_url(3), headers={**ADMIN, "Prefer": "code=204"}),
    ]
    assert [r.status_code for r in rejected] == [400] * 9 + [415, 401, 401, 404, 405, 200, 204]
    assert store.snapshot() == before


def test_delete_removes_the_credential_everywhere(client):
    mine = {c["id"] for c in everything(client, 1)}
    response = client.delete(detail_url(3), headers=ADMIN)
    assert response.status_code == 204 and response.get_data() == b""
    assert "Content-Type" not in response.headers
    assert {c["id"] for c in everything(client, 1)} == mine - {3}
    for again in (client.get(detail_url(3), headers=ADMIN), client.delete(detail_url(3), headers=ADMIN),
                  client.patch(detail_url(3), json={"name": "x"}, headers=ADMIN)):
        assert (again.status_code, again.json) == (404, {"detail": "Not found."})
    assert stored(client, 3) is None
    highest = max(c["id"] for c in store_of(client).api("awx")["credentials"])
    assert create(client).json["id"] == highest + 1


def test_every_update_example_of_the_spec_is_accepted(client):
    spec = yaml.safe_load(client.application.extensions["mockserver"].apis["awx"].spec.source.read_text())
    item = spec["paths"]["/api/v2/credentials/{id}/"]
    targets = {"rename": 1, "newPassword": 2, "putBack": 4}
    for method in ("patch", "put"):
        for name, example in item[method]["requestBody"]["content"]["application/json"]["examples"].items():
            response = getattr(client, method)(detail_url(targets[name]), json=example["value"], headers=ADMIN)
            assert response.status_code == 200, (name, response.json)


@pytest.mark.parametrize("method,prefer,status,body", [
    ("get", "code=404", 404, {"detail": "Not found."}),
    ("patch", "example=secretNotAString", 400, {"inputs": ["secret values must be of type string, not dict"]}),
    ("put", "code=415", 415, {"detail": 'Unsupported media type "text/plain" in request.'}),
    ("delete", "code=204", 204, None),
])
def test_prefer_steers_the_detail_without_touching_data(client, method, prefer, status, body):
    before = store_of(client).snapshot()
    response = getattr(client, method)(detail_url(3), headers={**ADMIN, "Prefer": prefer})
    assert response.status_code == status
    assert (response.json if body is not None else response.get_data()) == (body if body is not None else b"")
    assert store_of(client).snapshot() == before


# --- credential types ---------------------------------------------------------------------------
def test_credential_types_are_listed_by_kind_then_name(client):
    page = client.get(f"{BASE}/api/v2/credential_types/", headers=ADMIN).json
    assert page["count"] == 5
    assert [t["kind"] for t in page["results"]] == ["cloud", "kubernetes", "scm", "ssh", "vault"]
    machine = next(t for t in page["results"] if t["name"] == "Machine")
    assert machine["managed"] is True and machine["namespace"] == "ssh"
    assert machine["summary_fields"]["user_capabilities"] == {"edit": False, "delete": False}
    fields = {f["id"]: f for f in machine["inputs"]["fields"]}
    assert {"username", "password", "ssh_key_data", "ssh_public_key_data", "ssh_key_unlock", "become_method",
            "become_username", "become_password"} == set(fields)
    assert fields["ssh_key_data"]["secret"] and fields["ssh_key_data"]["multiline"]
    assert machine["url"] == f"{BASE}/api/v2/credential_types/1/"


def test_credential_types_page_like_every_list(client):
    url = f"{BASE}/api/v2/credential_types/"
    third = client.get(url + "?page_size=2&page=3", headers=ADMIN).json
    assert len(third["results"]) == 1 and third["next"] is None
    assert third["previous"] == f"{url}?page=2&page_size=2"
    response = client.get(url + "?page=4&page_size=2", headers=ADMIN)
    assert (response.status_code, response.json) == (404, {"detail": "Invalid page."})


def test_get_one_credential_type(client):
    response = client.get(f"{BASE}/api/v2/credential_types/4/", headers=ADMIN)
    assert response.status_code == 200
    assert response.json["name"] == "Amazon Web Services"
    assert response.json["inputs"]["required"] == ["username", "password"]
    for missing in ("99", "abc"):
        response = client.get(f"{BASE}/api/v2/credential_types/{missing}/", headers=ADMIN)
        assert (response.status_code, response.json) == (404, {"detail": "Not found."})


# --- routing --------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/v2/nothing/", "/api/v2/users/1/credentials", "/api/v2/hosts/"])  # (users/1/ is served)
def test_unknown_path_is_404_not_found(client, path):
    response = client.get(BASE + path, headers=ADMIN)
    assert (response.status_code, response.json) == (404, {"detail": "Not found."})


def test_wrong_method_is_405_with_allow(client):
    response = client.delete(credentials_url(1), headers=ADMIN)
    assert (response.status_code, response.json) == (405, {"detail": 'Method "DELETE" not allowed.'})
    assert {"GET", "POST"} <= allowed(response) <= {"GET", "HEAD", "POST", "OPTIONS"}
    response = client.put(f"{BASE}/api/v2/credential_types/1/", headers=ADMIN)
    assert response.status_code == 405 and "GET" in allowed(response) and "PUT" not in allowed(response)


# --- Prefer steering -------------------------------------------------------------------------------
@pytest.mark.parametrize("url,prefer,status,body", [
    ("/api/v2/users/1/credentials/", "code=404, example=invalidPage", 404, {"detail": "Invalid page."}),
    ("/api/v2/users/1/credentials/", "example=empty", 200, {"count": 0, "next": None, "previous": None,
                                                            "results": []}),
    ("/api/v2/credential_types/1/", "code=404", 404, {"detail": "Not found."}),
])
def test_prefer_steers_reads(client, url, prefer, status, body):
    response = client.get(BASE + url, headers={**ADMIN, "Prefer": prefer})
    assert (response.status_code, response.json) == (status, body)


def test_prefer_401_carries_the_header_even_with_a_good_credential(client):
    response = client.get(credentials_url(1), headers={**ADMIN, "Prefer": "code=401"})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == WWW_AUTHENTICATE


def test_prefer_on_create_answers_the_example_and_stores_nothing(client):
    before = store_of(client).snapshot()
    response = create(client, headers={**ADMIN, "Prefer": "example=keyNeedsPassphrase"})
    assert response.status_code == 400
    assert response.json == {"inputs": {"ssh_key_unlock": ["must be set when SSH key is encrypted."]}}
    created = create(client, headers={**ADMIN, "Prefer": "code=201"})
    assert created.status_code == 201 and created.headers["Location"] == "/awx/api/v2/credentials/7/"
    assert store_of(client).snapshot() == before


def test_prefer_for_an_undocumented_status_is_404_in_drf_format(client):
    response = client.get(credentials_url(1), headers={**ADMIN, "Prefer": "code=418"})
    assert response.status_code == 404 and "418" in response.json["detail"]


# --- data set -------------------------------------------------------------------------------------
def test_same_seed_gives_the_same_data(make_app):
    first = make_app(only=["awx"], seed=7).test_client()
    second = make_app(only=["awx"], seed=7).test_client()
    assert everything(first, 1) == everything(second, 1)
    assert store_of(first).snapshot()["awx"] == store_of(second).snapshot()["awx"]


def test_fixture_with_inputs_the_type_refuses_does_not_load(make_app, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"apis": {"awx": {"credentials": [
        {"name": "Broken", "credential_type": 4, "user": 1, "inputs": {"username": 5}}]}}}))
    with pytest.raises(FixtureError, match="field inputs"):
        make_app(only=["awx"], fixtures=[default_fixture(), bad])


def test_generic_rejections_keep_drf_shapes(api_cache):
    """The engine's own validation answers (used by no AWX operation today) are DRF-shaped too."""
    from mockserver.validation import Violation

    api = api_cache(["awx"])["awx"]
    operation = api.spec.operation("createUserCredential")
    reject = api.behavior.reject
    error = reject(operation, [Violation("body", "/name", "5 is not of type 'string'", "type"),
                               Violation("body", "", "Unsupported content type 'text/plain'", "content-type")])
    assert (error.status, error.body) == (415, {"detail": "Unsupported content type 'text/plain'"})
    error = reject(operation, [Violation("body", "/name", "5 is not of type 'string'", "type"),
                               Violation("body", "", "'x' is a required property", "required")])
    assert (error.status, error.body) == (400, {"name": ["5 is not of type 'string'"],
                                                "__all__": ["'x' is a required property"]})
    error = reject(operation, [Violation("path", "/id", "0 is less than the minimum of 1", "minimum")])
    assert (error.status, error.body) == (404, {"detail": "Not found."})


def test_generated_users_and_their_credentials_are_served(make_app, tmp_path):
    extra = tmp_path / "people.yaml"
    extra.write_text(yaml.safe_dump({"apis": {"awx": {
        "users": [{"generate": {"count": 2}}],
        "credentials": [{"generate": {"count": 4, "user": 4}}]}}}))
    client = make_app(only=["awx"], fixtures=[default_fixture(), extra]).test_client()
    page = listing(client, 4)
    assert page["count"] == 4
    owner = page["results"][0]["summary_fields"]["owners"][0]
    assert owner["id"] == 4 and owner["name"] and owner["description"].strip()
    assert listing(client, 5)["count"] == 0


def test_a_signed_ssh_certificate_is_a_secret_as_in_awx(client):
    """[awx 24.6.1] The Machine type marks ssh_public_key_data secret: it comes back encrypted."""
    made = create(client, inputs={"username": "deploy", "ssh_public_key_data": "ssh-ed25519-cert-v01 AAAA..."})
    assert made.status_code == 201 and made.json["inputs"]["ssh_public_key_data"] == "$encrypted$"
    assert "ssh-ed25519-cert-v01" not in made.get_data(as_text=True)
