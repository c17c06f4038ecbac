"""Unit tests of mockserver.registry: specs and behaviour modules must agree."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from tiny import TinyBehavior, tiny_spec_file

from mockserver import registry
from mockserver.data import spec_dir
from mockserver.registry import load_apis, mount
from mockserver.spec import SpecError, load_spec


@pytest.fixture
def tiny_behavior(monkeypatch):
    monkeypatch.setattr(registry, "behavior_module", lambda api_id: SimpleNamespace(Behavior=TinyBehavior))


def test_a_spec_without_a_module_of_its_own_gets_the_generic_engine(tmp_path):
    from mockserver.crud.behavior import CrudBehavior

    api = mount(load_spec(tiny_spec_file(tmp_path), "tiny"))  # there is no behaviors/tiny.py
    assert isinstance(api.behavior, CrudBehavior)
    assert api.behavior.inference.plans["listThings"].kind == "list"


def test_the_built_in_apis_are_the_shipped_specs():
    from mockserver.behaviors import shipped_api_ids

    assert shipped_api_ids() == tuple(sorted(p.stem for p in spec_dir().glob("*.yaml")))
    assert registry.API_IDS == shipped_api_ids() and len(shipped_api_ids()) >= 5


def test_mount_pairs_a_spec_with_its_behaviour(tmp_path, tiny_behavior):
    api = mount(load_spec(tiny_spec_file(tmp_path), "tiny"))
    assert api.behavior.spec is api.spec and api.router.match("GET", "/things").operation


def test_an_operation_without_a_handler_stops_start_up(tmp_path, tiny_behavior):
    path = tiny_spec_file(tmp_path)
    path.write_text(path.read_text().replace("operationId: boom", "operationId: explode"))
    with pytest.raises(SpecError, match=r"no handler .* for \['explode'\]"):
        mount(load_spec(path, "tiny"))


def test_a_handler_without_an_operation_stops_start_up(tmp_path, tiny_behavior):
    path = tiny_spec_file(tmp_path)
    text = path.read_text()
    start = text.index("    delete:\n      operationId: boom")
    path.write_text(text[:start] + text[text.index("components:"):])
    with pytest.raises(SpecError, match=r"handles operations not in the spec: \['boom'\]"):
        mount(load_spec(path, "tiny"))


def test_unknown_api_ids_and_missing_specs(tmp_path):
    with pytest.raises(SpecError, match="unknown API id"):
        load_apis(only=["nope"])
    with pytest.raises(SpecError, match=r"no spec named <api>.yaml in it \(found: nothing"):
        load_apis(spec_dir=tmp_path, only=["awx"])
    with pytest.raises(SpecError, match="no such folder"):
        load_apis(spec_dir=tmp_path / "absent", only=["awx"])


def test_a_specs_folder_overrides_the_shipped_spec_of_its_apis_only(tmp_path):
    shipped = (spec_dir() / "awx.yaml").read_text()
    (tmp_path / "awx.yaml").write_text(shipped.replace("\n  title: ", "\n  title: Overridden ", 1))
    (tmp_path / "notes.yaml").write_text("not a spec")  # other files are left alone
    apis = load_apis(spec_dir=tmp_path, only=["awx", "pdnsmanager"])
    assert apis["awx"].spec.title.startswith("Overridden ")
    assert apis["awx"].spec.source == tmp_path / "awx.yaml"
    assert apis["pdnsmanager"].spec.source == spec_dir() / "pdnsmanager.yaml"
