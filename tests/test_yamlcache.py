"""mockserver.yamlcache: parsed files come back from the cache, and stale or broken caches never hurt."""

from __future__ import annotations

import yaml

from mockserver import yamlcache
from mockserver.spec import load_spec
from servers import ROOT


def counting_parser(calls: list):
    def parse(text):
        calls.append(text)
        return yaml.safe_load(text)
    return parse


def test_the_same_bytes_are_parsed_once(tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(tmp_path))
    calls: list = []
    first = yamlcache.load_cached(b"a: [1, 2]\n", counting_parser(calls))
    second = yamlcache.load_cached(b"a: [1, 2]\n", counting_parser(calls))
    assert first == second == {"a": [1, 2]} and len(calls) == 1
    second["a"].append(3)  # each load is a fresh object: no caller sees another's changes
    assert yamlcache.load_cached(b"a: [1, 2]\n", counting_parser(calls)) == {"a": [1, 2]}


def test_changed_bytes_are_parsed_afresh(tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(tmp_path))
    calls: list = []
    assert yamlcache.load_cached(b"a: 1\n", counting_parser(calls)) == {"a": 1}
    assert yamlcache.load_cached(b"a: 2\n", counting_parser(calls)) == {"a": 2}
    assert len(calls) == 2


def test_a_corrupt_cache_file_is_parsed_again_and_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(tmp_path))
    calls: list = []
    yamlcache.load_cached(b"a: 1\n", counting_parser(calls))
    for cached in tmp_path.glob("*.pickle"):
        cached.write_bytes(b"not a pickle")
    assert yamlcache.load_cached(b"a: 1\n", counting_parser(calls)) == {"a": 1} and len(calls) == 2
    assert yamlcache.load_cached(b"a: 1\n", counting_parser(calls)) == {"a": 1} and len(calls) == 2


def test_an_unwritable_cache_directory_only_costs_the_parse(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(blocker / "cache"))  # below a file: cannot exist
    calls: list = []
    assert yamlcache.load_cached(b"a: 1\n", counting_parser(calls)) == {"a": 1}
    assert yamlcache.load_cached(b"a: 1\n", counting_parser(calls)) == {"a": 1} and len(calls) == 2


def test_a_parse_error_is_raised_and_nothing_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(tmp_path))
    try:
        yamlcache.load_cached(b"a: [1\n", yaml.safe_load)
    except yaml.YAMLError:
        pass
    else:
        raise AssertionError("a broken document parsed")
    assert list(tmp_path.iterdir()) == []


def test_a_spec_loads_the_same_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(tmp_path))
    cold = load_spec(ROOT / "specs" / "awx.yaml")
    assert len(list(tmp_path.glob("*.pickle"))) == 1
    warm = load_spec(ROOT / "specs" / "awx.yaml")
    assert warm.document == cold.document
