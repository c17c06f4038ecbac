"""Unit tests of mockserver.fixtures: all-or-nothing loading with precise messages."""

from __future__ import annotations

import pytest
import yaml

from mockserver.fixtures import FixtureError, build_store, check_shape, read_fixture


@pytest.fixture
def pdns(api_cache):
    return api_cache(["pdnsmanager"])


def doc(section: dict) -> tuple[str, dict]:
    return "test.yaml", {"apis": {"pdnsmanager": section}}


BASE = {
    "domains": [{"id": 1, "name": "example.com"}],
    "records": [{"id": 1, "domain": 1, "name": "www.example.com", "type": "A", "content": "192.0.2.1"}],
}


def test_entities_and_generated_entities_load(pdns):
    section = dict(BASE, credentials=[
        {"record": 1, "description": "written", "type": "password", "password": "x"},
        {"generate": {"count": 4, "record": 1}},
    ])
    store = build_store(pdns, [doc(section)], seed=9)
    credentials = list(store.api("pdnsmanager")["credentials"])
    assert len(credentials) == 5 and [c["id"] for c in credentials] == [1, 2, 3, 4, 5]
    assert all(c["record"] == 1 for c in credentials)  # generate's fixed fields win


def test_same_seed_same_generated_data(pdns):
    section = dict(BASE, credentials=[{"generate": {"count": 3}}])
    first = list(build_store(pdns, [doc(section)], seed=5).api("pdnsmanager")["credentials"])
    again = list(build_store(pdns, [doc(section)], seed=5).api("pdnsmanager")["credentials"])
    other = list(build_store(pdns, [doc(section)], seed=6).api("pdnsmanager")["credentials"])
    assert first == again and first != other


def test_later_documents_add_to_earlier_ones(pdns):
    extra = ("extra.yaml", {"apis": {"pdnsmanager": {"records": [
        {"id": 2, "domain": 1, "name": "api.example.com", "type": "A", "content": "192.0.2.2"}]}}})
    store = build_store(pdns, [doc(BASE), extra], seed=1)
    assert len(store.api("pdnsmanager")["records"]) == 2


@pytest.mark.parametrize("section,message", [
    ({"records": [{"id": 1, "domain": 9, "name": "x", "type": "A", "content": "c"}]},
     r"test.yaml: pdnsmanager.records\[0\]: field domain: no domains entity with key 9"),
    (dict(BASE, credentials=[{"record": 1, "description": "d", "type": "key"}]),
     r"pdnsmanager.credentials\[0\]: field key: 'key' is a required property"),
    (dict(BASE, credentials=[{"record": 1, "description": "d", "type": "key", "key": "nope"}]),
     r"pdnsmanager.credentials\[0\]: field key: not a PEM public key"),
    (dict(BASE, credentials=[{"record": 1, "description": 5, "type": "password", "password": "p"}]),
     r"field description: 5 is not of type 'string'"),
    ({"domains": [{"id": 1, "name": "a"}, {"id": 1, "name": "b"}]},
     r"pdnsmanager.domains\[1\]: field id: duplicate key 1"),
    ({"zones": []}, r"unknown collection\(s\) \['zones'\]"),
    ({"domains": {"id": 1}}, r"pdnsmanager.domains: must be a list"),
    ({"domains": ["example.com"]}, r"an entity must be a mapping"),
    (dict(BASE, credentials=[{"generate": {"count": -1}}]), r"non-negative integer 'count'"),
])
def test_bad_entities_are_refused_with_file_entity_and_field(pdns, section, message):
    with pytest.raises(FixtureError, match=message):
        build_store(pdns, [doc(section)], seed=1)


def test_unknown_api_is_refused_but_unserved_api_is_skipped(pdns):
    with pytest.raises(FixtureError, match="unknown API 'pdns'"):
        build_store(pdns, [("t.yaml", {"apis": {"pdns": {}}})], seed=1)
    store = build_store(pdns, [("t.yaml", {"apis": {"awx": {"nonsense": 1}}})], seed=1)
    assert store.api_ids() == ["pdnsmanager"]


def test_reading_files(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump({"description": "x", "apis": {}}))
    assert read_fixture(good)[1]["description"] == "x"
    bad = tmp_path / "bad.yaml"
    bad.write_text("apis: [unclosed")
    with pytest.raises(FixtureError, match="not valid YAML"):
        read_fixture(bad)
    with pytest.raises(FixtureError, match="cannot read"):
        read_fixture(tmp_path / "missing.yaml")
    unsafe = tmp_path / "unsafe.yaml"
    unsafe.write_text("!!python/object/apply:os.system ['echo pwned']")
    with pytest.raises(FixtureError, match="not valid YAML"):
        read_fixture(unsafe)
    with pytest.raises(FixtureError, match="must be a mapping"):
        check_shape([1, 2], "list.yaml")


def test_generate_for_a_collection_without_a_generator_is_a_fixture_error(pdns):
    with pytest.raises(FixtureError, match=r"pdnsmanager.domains\[0\]: pdnsmanager cannot generate domains"):
        build_store(pdns, [doc({"domains": [{"generate": {"count": 1}}]})], seed=1)


def test_auth_grants_must_name_existing_users(pdns):
    section = dict(BASE, users=[{"id": 1, "name": "admin", "type": "admin"}],
                   auth={"tokens": [{"token": "t", "user": "ghost"}]})
    with pytest.raises(FixtureError, match=r"pdnsmanager.auth: grant 0 \(ghost\): field user: no users entity"):
        build_store(pdns, [doc(section)], seed=1)


def test_auth_blocks_are_checked_and_added_up(pdns):
    with pytest.raises(FixtureError, match=r"pdnsmanager.auth: field auth.tokens.0: 'token' is a required property"):
        build_store(pdns, [doc({"auth": {"tokens": [{"role": "admin"}]}})], seed=1)
    first = ("a.yaml", {"apis": {"pdnsmanager": {"auth": {"tokens": [{"token": "one"}]}}}})
    second = ("b.yaml", {"apis": {"pdnsmanager": {"auth": {"tokens": [{"token": "two"}]}}}})
    access = build_store(pdns, [first, second], seed=1).api("pdnsmanager").access
    assert [g.token for g in access.grants] == ["one", "two"]


def test_scope_must_name_existing_entities(api_cache):
    cloudplans = api_cache(["cloudplans"])
    section = {"organizations": [{"id": "org-1", "name": "One"}],
               "auth": {"tokens": [{"token": "t", "role": "user", "scope": ["org-2"]}]}}
    with pytest.raises(FixtureError, match=r"cloudplans.auth: grant 0 .*field scope: no organizations entity "
                                           r"with key 'org-2'"):
        build_store(cloudplans, [("t.yaml", {"apis": {"cloudplans": section}})], seed=1)


@pytest.mark.parametrize("api_id,auth,message", [
    ("pdnsmanager", {"tokens": [{"token": "t"}, {"token": "t", "user": "admin"}]}, "token 't' is declared twice"),
    ("cloudplans", {"users": [{"username": "u", "password": "p"}]}, "takes no username and password"),
    ("pdnsmanager", {"tokens": [{"token": "t", "scope": [1]}]}, "field scope: this API has no scopes"),
])
def test_auth_blocks_must_make_sense_for_the_api(api_cache, api_id, auth, message):
    apis = api_cache([api_id])
    with pytest.raises(FixtureError, match=message):
        build_store(apis, [("t.yaml", {"apis": {api_id: {"auth": auth}}})], seed=1)
