"""Unit tests of mockserver.pipeline with the tiny API: the order of the steps."""

from __future__ import annotations

import logging

import pytest
from tiny import tiny_api

from mockserver.fake import Fake
from mockserver.messages import MockRequest
from mockserver.pipeline import ContractDrift, Pipeline
from mockserver.store import Store

AUTH = {"authorization": "Bearer t"}


@pytest.fixture
def api(tmp_path):
    return tiny_api(tmp_path)


def pipeline_for(api, **options):
    store = Store({"tiny": api.spec.collections}, 1)
    return Pipeline(store, Fake(1), max_body=1024, **options)


def send(pipeline, api, method, path, body=b"", headers=None, **kw):
    headers = {**AUTH, "content-type": "application/json", **(headers or {})}
    return pipeline.handle(api, MockRequest(method, path, headers=headers, body=body), **kw)


def test_create_then_list(api):
    p = pipeline_for(api, check_responses=True)
    created = send(p, api, "POST", "/things", b'{"name": "a"}')
    assert created.reply.status == 201 and created.reply.headers["Location"] == "/things/1"
    listed = send(p, api, "GET", "/things")
    assert listed.reply.body == {"things": [{"id": 1, "name": "a"}]}


def test_steps_in_order_route_auth_validate(api):
    p = pipeline_for(api)
    assert send(p, api, "GET", "/nope").reply.status == 404
    assert send(p, api, "PUT", "/things").reply.headers == {"Allow": "GET, HEAD, POST"}
    unauth = send(p, api, "POST", "/things", b"{bad", headers={"authorization": ""})
    assert unauth.reply.status == 401 and unauth.violations[0].keyword == "security"
    invalid = send(p, api, "POST", "/things", b'{"name": ""}')
    assert invalid.reply.status == 400 and invalid.violations[0].pointer == "/name"
    assert send(p, api, "GET", "/things/abc").reply.status == 404  # path violations look like routes
    assert send(p, api, "POST", "/things", b"x", headers={"content-type": "text/plain"}).reply.status == 415
    assert send(p, api, "GET", "/things/special", headers={"authorization": ""}).reply.status == 204


def test_oversized_body_is_413_before_routing(api):
    assert send(pipeline_for(api), api, "POST", "/nope", oversized=True).reply.status == 413


def test_prefer_skips_auth_and_store(api):
    p = pipeline_for(api)
    outcome = send(p, api, "POST", "/things", b"{}", headers={"authorization": "", "prefer": "code=400"})
    assert (outcome.reply.status, outcome.reply.body) == (400, {"message": "bad"})
    assert len(p.store.api("tiny")["things"]) == 0


def test_handler_bug_is_logged_and_answered_500_in_api_format(api, caplog):
    p = pipeline_for(api)
    with caplog.at_level(logging.ERROR, logger="mockserver"):
        outcome = send(p, api, "DELETE", "/things/1")
    assert (outcome.reply.status, outcome.reply.body) == (500, {"message": "Internal server error"})
    assert "a bug in a handler" in caplog.text


def test_strict_mode_catches_responses_outside_the_spec(api):
    p = pipeline_for(api, check_responses=True)
    send(p, api, "POST", "/things", b'{"name": "leaky"}')
    with pytest.raises(ContractDrift, match="additionalProperties|secret"):
        send(p, api, "GET", "/things/1")
    lenient = pipeline_for(api)
    send(lenient, api, "POST", "/things", b'{"name": "leaky"}')
    assert send(lenient, api, "GET", "/things/1").reply.status == 200
