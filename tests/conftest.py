"""Shared fixtures: a fresh mock app per test, in strict mode.

Strict mode (``check_responses=True``) makes the mock check every response it sends
against its own spec and raise `ContractDrift` otherwise, so no test can pass while the
mock breaks its contract. Specs are loaded once per session (they never change); data is
fresh for every app.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile

import pytest

# Parsed specs and data files are cached on disk (mockserver.yamlcache): the suite, and
# every server it starts, keeps its cache in a directory of its own, removed at the end.
_CACHE = os.environ["MOCKSERVER_CACHE_DIR"] = tempfile.mkdtemp(prefix="mockserver-test-cache-")


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_CACHE, ignore_errors=True)

from mockserver.app import create_app
from mockserver.registry import API_IDS, load_apis
from mockserver.runtime import MockConfig

SEED = 1234


@pytest.fixture(scope="session")
def api_cache():
    """Load each API's spec at most once per session: ``api_cache(["awx"])``."""
    cache = {}

    def get(api_ids):
        for api_id in api_ids:
            if api_id not in cache:
                cache[api_id] = load_apis(only=[api_id])[api_id]
        return {api_id: cache[api_id] for api_id in api_ids}

    return get


@pytest.fixture
def make_app(api_cache):
    """Build an app in strict mode.

    ``make_app()`` serves every built-in API under /<id>; ``make_app(only=["awx"])`` a subset,
    still under /<id>; ``make_app(api="awx")`` one API at /. Other keywords go to
    `MockConfig` (``fixtures=[...]``, ``seed=...``).
    """

    def build(api: str | None = None, only: list[str] | None = None, **options):
        options.setdefault("seed", SEED)
        options.setdefault("check_responses", True)
        config = MockConfig(single_api=api, only=only, **options)
        return create_app(config, apis=api_cache([api] if api else (only or list(API_IDS))))

    return build


@pytest.fixture
def app(make_app):
    """An app serving every built-in API with the default data set."""
    return make_app()


@pytest.fixture
def client(app):
    """A Flask test client for `app`."""
    return app.test_client()


def violations(response) -> list[dict]:
    """The decoded X-Mock-Violations header of a response ([] when absent)."""
    raw = response.headers.get("X-Mock-Violations")
    return json.loads(raw) if raw else []
