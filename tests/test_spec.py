"""Unit tests of mockserver.spec: loading, dereferencing, compiling."""

from __future__ import annotations

import pytest
from tiny import TINY_SPEC, tiny_spec_file

from mockserver.spec import SpecError, dereference, load_spec


def test_loads_operations_with_compiled_validators(tmp_path):
    spec = load_spec(tiny_spec_file(tmp_path), "tiny")
    assert [op.operation_id for op in spec.operations] == ["listThings", "createThing", "getSpecial",
                                                           "getThing", "boom"]
    create = spec.operation("createThing")
    assert create.body.required and "application/json" in create.body.validators
    assert create.responses["201"].headers[0].name == "Location"
    assert spec.collections["things"].references == {"owner": "owners"}
    assert spec.operation("getSpecial").security == ()
    assert spec.operation("getThing").security == ({"bearer": []},)


def test_refs_are_resolved_everywhere(tmp_path):
    spec = load_spec(tiny_spec_file(tmp_path), "tiny")
    schema = spec.operation("listThings").responses["200"].schema
    assert schema["properties"]["things"]["items"]["required"] == ["id", "name"]
    assert "$ref" not in str(spec.document["paths"])


def test_path_level_parameters_apply_to_each_operation(tmp_path):
    spec = load_spec(tiny_spec_file(tmp_path), "tiny")
    assert [p.name for p in spec.operation("boom").parameters] == ["id"]


def test_ref_siblings_override_the_target(tmp_path):
    doc = {"components": {"schemas": {"A": {"type": "string", "description": "a"}}},
           "x": {"$ref": "#/components/schemas/A", "description": "override"}}
    assert dereference(doc, tmp_path)["x"] == {"type": "string", "description": "override"}


def test_a_recursive_schema_is_written_out_once_then_accepts_anything(tmp_path):
    doc = {"components": {"schemas": {"A": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}}}}}}
    a = dereference(doc, tmp_path)["components"]["schemas"]["A"]
    assert a["properties"]["a"]["type"] == "object"  # one level written out
    again = a["properties"]["a"]["properties"]["a"]
    assert set(again) == {"description"} and "recursive" in again["description"]  # then any value


@pytest.mark.parametrize("mutation,message", [
    (lambda s: s.replace("openapi: 3.1.0", "swagger: '2.0'"), "a Swagger 2.0 document; only OpenAPI 3.0 and 3.1"),
    (lambda s: s.replace("openapi: 3.1.0", "openapi: 4.0.0"), "not an OpenAPI 3.0 or 3.1"),
    (lambda s: s.replace("operationId: boom", "operationId: getThing"), "duplicate operationIds"),
    (lambda s: s.replace("'#/components/schemas/Thing'}", "'#/components/schemas/Nope'}", 1), "unresolvable"),
    (lambda s: s.replace("minimum: 1, default: 10", "minimum: one"), "invalid JSON Schema"),
    (lambda s: s.replace("ids: integer\n    indexes", "ids: serial\n    indexes"), "unknown ids strategy"),
    (lambda s: s + "\n  : [", "cannot read spec"),
])
def test_broken_specs_fail_loudly_at_start(tmp_path, mutation, message):
    path = tmp_path / "tiny.yaml"
    path.write_text(mutation(TINY_SPEC), encoding="utf-8")
    with pytest.raises(SpecError, match=message):
        load_spec(path)


def test_an_operation_without_an_id_is_named_by_its_method_and_path(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_SPEC.replace("      operationId: boom\n", ""), encoding="utf-8")
    assert [op.operation_id for op in load_spec(path).operations][-1] == "delete_things_id"


def test_openapi_30_schemas_are_read_as_31(tmp_path):
    from mockserver.openapi30 import upgrade

    doc = upgrade({"openapi": "3.0.3", "components": {"schemas": {
        "N": {"type": "string", "nullable": True, "enum": ["a"]},
        "Q": {"type": "integer", "maximum": 10, "exclusiveMaximum": True, "minimum": 0, "exclusiveMinimum": False},
        "R": {"allOf": [{"type": "object"}], "nullable": True}}}})
    schemas = doc["components"]["schemas"]
    assert doc["openapi"] == "3.1.0"
    assert schemas["N"] == {"type": ["string", "null"], "enum": ["a", None]}
    assert schemas["Q"] == {"type": "integer", "exclusiveMaximum": 10, "minimum": 0}
    assert schemas["R"] == {"anyOf": [{"allOf": [{"type": "object"}]}, {"type": "null"}]}


def test_response_for_falls_back_to_default(tmp_path):
    spec = load_spec(tiny_spec_file(tmp_path), "tiny")
    op = spec.operation("createThing")
    assert op.response_for(201).status == "201"
    assert op.response_for(500) is None
    assert op.documented_statuses() == [201, 400]
