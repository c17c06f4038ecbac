"""The five specs themselves: valid OpenAPI 3.1, examples that match, handlers for all."""

from __future__ import annotations

import pytest
import yaml
from openapi_spec_validator import validate

from mockserver.data import spec_dir
from mockserver.registry import API_IDS
from mockserver.validation import schema_violations


@pytest.mark.parametrize("api_id", API_IDS)
def test_spec_passes_openapi_spec_validator(api_id):
    validate(yaml.safe_load((spec_dir() / f"{api_id}.yaml").read_text()))


@pytest.mark.parametrize("api_id", API_IDS)
def test_spec_is_mountable_under_its_own_id(api_id):
    document = yaml.safe_load((spec_dir() / f"{api_id}.yaml").read_text())
    assert {"url": f"/{api_id}"}.items() <= document["servers"][0].items()
    assert document["openapi"] == "3.1.0"


@pytest.mark.parametrize("api_id", API_IDS)
def test_every_documented_response_has_examples_that_match_its_schema(api_cache, api_id):
    api = api_cache([api_id])[api_id]
    for operation in api.spec.operations:
        assert "default" in operation.responses, f"{operation.operation_id} lacks a default error response"
        for status, response in operation.responses.items():
            if response.schema is None:
                continue
            where = f"{api_id} {operation.operation_id} {status}"
            assert response.examples, f"{where}: no example"
            for name, example in response.examples.items():
                problems = schema_violations(response.validator, example, "example")
                assert problems == [], f"{where} example {name!r}: {problems}"


@pytest.mark.parametrize("api_id", API_IDS)
def test_request_examples_match_the_request_schema(api_cache, api_id):
    api = api_cache([api_id])[api_id]
    for operation in api.spec.operations:
        if operation.body is None:
            continue
        media = api.spec.document["paths"][operation.path][operation.method.lower()]["requestBody"]
        media = next(iter(media.get("content", {}).values()), {})
        examples = [e["value"] for e in (media.get("examples") or {}).values() if "value" in e]
        if "example" in media:
            examples.append(media["example"])
        for example in examples:
            validator = next(iter(operation.body.validators.values()))
            assert schema_violations(validator, example, "example") == [], f"{api_id} {operation.operation_id}"


@pytest.mark.parametrize("api_id", API_IDS)
def test_generated_bodies_satisfy_every_documented_schema(api_cache, api_id):
    """Prefer: dynamic=true never needs its example fallback: generation follows the specs."""
    from mockserver.fake import Fake

    api = api_cache([api_id])[api_id]
    for operation in api.spec.operations:
        for status, response in operation.responses.items():
            if response.schema is None:
                continue
            for seed in range(3):
                body = Fake(seed).from_schema(response.schema, use_examples=False)
                problems = schema_violations(response.validator, body, "generated")
                assert problems == [], f"{api_id} {operation.operation_id} {status} seed {seed}: {problems[:2]}"
