"""Named formats (mockserver.formats): a spec declares ``format: <name>`` and every request
body, data-file entity and generated entity is checked by it (issue 11)."""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import violations

from mockserver import formats, keys
from mockserver.app import create_app
from mockserver.fixtures import FixtureError
from mockserver.registry import load_apis
from mockserver.runtime import MockConfig
from mockserver.spec import compile_schema

SPEC = """openapi: 3.1.0
info: {title: Formats, version: '1'}
x-mock-collections:
  items: {key: id, ids: integer, schema: {$ref: '#/components/schemas/Item'}}
paths:
  /items:
    get:
      operationId: listItems
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Item'}}}}}
    post:
      operationId: createItem
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/Item'}}}
      responses:
        '201': {description: made, content: {application/json: {schema: {$ref: '#/components/schemas/Item'}}}}
        '400': {description: invalid, content: {application/json: {schema: {type: object}}}}
  /items/{id}:
    parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
    get:
      operationId: getItem
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Item'}}}}
components:
  schemas:
    Item:
      type: object
      properties:
        id: {type: integer, readOnly: true}
        blob: {type: string, format: base64}
        cert: {type: string, format: pem-public-key}
        key: {type: string, format: pem-private-key, writeOnly: true}
        home: {type: string, format: url}
        hook: {type: string, format: url, writeOnly: true}
"""

PUBLIC_KEY = ("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAA6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n"
              "-----END PUBLIC KEY-----\n")
PRIVATE_KEY = keys.openssh_ed25519_key(bytes(range(32)), 7, "test@example.com")


def certificate() -> str:
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def pkcs8_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


GOOD = [
    ("blob", "aGVsbG8="), ("blob", ""), ("blob", "AAECAwQFBgcICQ=="),
    ("cert", PUBLIC_KEY), ("cert", "certificate"),
    ("key", PRIVATE_KEY), ("key", "pkcs8"),
    ("home", "https://example.com/x"), ("home", "ftp://files.example.com"),
]
BAD = [
    ("blob", "aGVsbG8", "not valid standard base64"),  # padding missing
    ("blob", "not base64!", "not valid standard base64"),
    ("blob", "aGVs-G8_", "not valid standard base64"),  # the URL-safe alphabet is another format
    ("cert", "not a key", "not a PEM public key or certificate"),
    ("cert", PUBLIC_KEY.replace("MCow", "MCox"), "not a PEM public key or certificate"),
    ("cert", PRIVATE_KEY, "not a PEM public key or certificate"),
    ("key", "not a key", "Invalid certificate or key: no PEM header (-----BEGIN ...-----) found."),
    ("key", PUBLIC_KEY, 'Unsupported PEM object type: "PUBLIC KEY"'),
    ("key", "-----BEGIN RSA PRIVATE KEY-----\n\n-----END RSA PRIVATE KEY-----", "Invalid base64-encoded data"),
    ("home", "example.com/x", "Invalid URL: Missing url scheme (http, https, etc.)"),
    ("home", "http:example.com", "Invalid URL: http:example.com"),
    ("home", "http://[::1", "Invalid IPv6 URL"),
]


def value_of(text: str) -> str:
    return {"certificate": certificate, "pkcs8": pkcs8_key}.get(text, lambda: text)()


@pytest.fixture(scope="module")
def apis(tmp_path_factory):
    spec = tmp_path_factory.mktemp("spec") / "formats.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    return spec, load_apis(only=["formats"], extra_specs=[spec])


def app_with(apis, tmp_path, items: list | None = None):
    spec, loaded = apis
    fixtures = []
    if items is not None:
        fixtures.append(tmp_path / "data.yaml")
        fixtures[0].write_text(yaml.safe_dump({"apis": {"formats": {"items": items}}}), encoding="utf-8")
    config = MockConfig(extra_specs=[spec], only=["formats"], fixtures=fixtures, seed=3, check_responses=True)
    return create_app(config, apis=loaded)


@pytest.fixture
def client(apis, tmp_path):
    return app_with(apis, tmp_path).test_client()


@pytest.mark.parametrize("member,value", GOOD)
def test_a_value_of_the_format_is_accepted(client, member, value):
    response = client.post("/formats/items", json={member: value_of(value)})
    assert response.status_code == 201, violations(response)


@pytest.mark.parametrize("member,value,reason", BAD)
def test_a_value_not_of_the_format_is_refused_with_the_reason(client, member, value, reason):
    response = client.post("/formats/items", json={member: value})
    assert response.status_code == 400
    assert violations(response) == [{"location": "body", "pointer": f"/{member}", "message": reason}]


def test_a_format_says_nothing_about_other_types(client):
    response = client.post("/formats/items", json={"blob": 5})
    assert response.status_code == 400
    assert [v["message"] for v in violations(response)] == ["5 is not of type 'string'"]


@pytest.mark.parametrize("member,value", [("key", "-----BEGIN FOO-----\nSECRET-PART\n-----END FOO-----"),
                                          ("key", "SECRET-PART"), ("hook", "https:SECRET-PART")])
def test_a_secret_member_is_never_quoted(client, member, value):
    response = client.post("/formats/items", json={member: value})
    assert response.status_code == 400 and violations(response)[0]["pointer"] == f"/{member}"
    assert "SECRET-PART" not in response.get_data(as_text=True) + str(dict(response.headers))


def test_generated_entities_are_of_their_formats(client):
    items = client.get("/formats/items").json
    assert items
    for item in items:
        formats.check_base64(item["blob"])
        formats.check_public_key(item["cert"])
        formats.check_url(item["home"])


def test_generated_private_keys_are_of_their_format():
    from mockserver.fake import Fake

    formats.check_private_key(Fake(5).from_schema({"type": "string", "format": "pem-private-key"}))


@pytest.mark.parametrize("member,value,reason", [b for b in BAD if b[0] in ("blob", "cert", "home")])
def test_a_data_file_entity_is_checked_by_the_format(apis, tmp_path, member, value, reason):
    with pytest.raises(FixtureError, match=re.escape(f"formats.items[0]: field {member}: {reason}")):
        app_with(apis, tmp_path, [{"id": 1, member: value}])


def test_a_data_file_entity_of_the_formats_loads(apis, tmp_path):
    item = app_with(apis, tmp_path, [{"id": 1, "blob": "aGk=", "cert": PUBLIC_KEY}]).test_client() \
        .get("/formats/items/1").json
    assert item == {"id": 1, "blob": "aGk=", "cert": PUBLIC_KEY}


@pytest.mark.parametrize("name,member", [("base64", "blob"), ("pem-public-key", "cert"),
                                         ("pem-private-key", "key"), ("url", "home")])
def test_rust_and_python_agree_on_every_value(name, member):
    validator = compile_schema({"type": "string", "format": name}, "test")
    for value in [value_of(v) for m, v in GOOD if m == member] + [v for m, v, _ in BAD if m == member]:
        python_valid = not list(validator.python_errors(value))
        assert validator.is_valid(value) == python_valid, (name, value)
    assert not validator.is_valid(next(v for m, v, _ in BAD if m == member))


def test_only_a_schema_that_names_a_format_gets_the_checks():
    assert formats.rust_formats_for({"type": "string", "format": "date-time"}) is None
    assert formats.rust_formats_for({"properties": {"a": {"format": "base64"}}}).keys() == {"base64"}


def test_pdns_declares_its_key_format(api_cache):
    spec = api_cache(["pdnsmanager"])["pdnsmanager"].spec
    body = spec.operation("createCredential").body.validators["application/json"]
    assert body.is_valid({"description": "d", "type": "key", "key": PUBLIC_KEY})
    assert not body.is_valid({"description": "d", "type": "key", "key": "nope"})
    assert body.is_valid({"description": "d", "type": "password", "password": "p", "key": "nope"})
    collection = spec.collections["credentials"].validator
    assert not collection.is_valid({"record": 1, "description": "d", "type": "key", "key": "nope"})
