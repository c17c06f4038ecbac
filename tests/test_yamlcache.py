"""mockserver.yamlcache: parsed files come back from the cache, and stale or broken caches never hurt."""

from __future__ import annotations

import pickle

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
    first = yamlcache.load_cached(b"a: [1, 2]\n", counting_parser(calls), "t")
    second = yamlcache.load_cached(b"a: [1, 2]\n", counting_parser(calls), "t")
    assert first == second == {"a": [1, 2]} and len(calls) == 1
    second["a"].append(3)  # each load is a fresh object: no caller sees another's changes
    assert yamlcache.load_cached(b"a: [1, 2]\n", counting_parser(calls), "t") == {"a": [1, 2]}


def test_changed_bytes_are_parsed_afresh(tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(tmp_path))
    calls: list = []
    assert yamlcache.load_cached(b"a: 1\n", counting_parser(calls), "t") == {"a": 1}
    assert yamlcache.load_cached(b"a: 2\n", counting_parser(calls), "t") == {"a": 2}
    assert len(calls) == 2


def test_a_corrupt_cache_file_is_parsed_again_and_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(tmp_path))
    calls: list = []
    yamlcache.load_cached(b"a: 1\n", counting_parser(calls), "t")
    for cached in tmp_path.glob("*.pickle"):
        cached.write_bytes(b"not a pickle")
    assert yamlcache.load_cached(b"a: 1\n", counting_parser(calls), "t") == {"a": 1} and len(calls) == 2
    assert yamlcache.load_cached(b"a: 1\n", counting_parser(calls), "t") == {"a": 1} and len(calls) == 2


def test_an_unwritable_cache_directory_only_costs_the_parse(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(blocker / "cache"))  # below a file: cannot exist
    calls: list = []
    assert yamlcache.load_cached(b"a: 1\n", counting_parser(calls), "t") == {"a": 1}
    assert yamlcache.load_cached(b"a: 1\n", counting_parser(calls), "t") == {"a": 1} and len(calls) == 2


def test_a_parse_error_is_raised_and_nothing_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(tmp_path))
    try:
        yamlcache.load_cached(b"a: [1\n", yaml.safe_load, "t")
    except yaml.YAMLError:
        pass
    else:
        raise AssertionError("a broken document parsed")
    assert list(tmp_path.glob("*.pickle")) == []


def test_a_spec_loads_the_same_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(tmp_path))
    cold = load_spec(ROOT / "specs" / "awx.yaml")
    assert len(list(tmp_path.glob("*.pickle"))) == 1
    warm = load_spec(ROOT / "specs" / "awx.yaml")
    assert warm.document == cold.document


def test_a_pickle_that_would_build_anything_else_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(tmp_path))
    calls: list = []
    yamlcache.load_cached(b"a: 1\n", counting_parser(calls), "t")
    (cached,) = tmp_path.glob("*.pickle")
    cached.write_bytes(pickle.dumps(SystemExit("planted")))  # any class outside YAML's types
    assert yamlcache.load_cached(b"a: 1\n", counting_parser(calls), "t") == {"a": 1} and len(calls) == 2


def test_dates_sets_and_bytes_come_back_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(tmp_path))
    text = b"a: 2024-01-01\nb: 2024-01-01T10:00:00+02:00\nc: !!set {x}\nd: !!binary aGk=\n"
    calls: list = []
    first = yamlcache.load_cached(text, counting_parser(calls), "t")
    assert yamlcache.load_cached(text, counting_parser(calls), "t") == first and len(calls) == 1


def test_a_directory_others_may_write_to_is_not_used(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(shared))
    calls: list = []
    yamlcache.load_cached(b"a: 1\n", counting_parser(calls), "t")
    assert list(shared.iterdir()) == []


def test_the_cache_keeps_only_the_newest_entries(tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(yamlcache, "MAX_ENTRIES", 3)
    for n in range(6):
        yamlcache.load_cached(f"a: {n}\n".encode(), yaml.safe_load, "t")
    assert len(list(tmp_path.glob("*.pickle"))) == 3


def test_state_files_are_never_cached(tmp_path, monkeypatch):
    from mockserver.fixtures import read_fixture

    cache = tmp_path / "cache"
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(cache))
    state = tmp_path / "state.json"
    state.write_text('{"apis": {}}')
    read_fixture(state, cache=False)
    assert not cache.exists() or list(cache.glob("*.pickle")) == []
    read_fixture(state)
    assert len(list(cache.glob("*.pickle"))) == 1
