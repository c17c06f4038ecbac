"""Parsed YAML files, cached on disk by content, so a start-up does not parse them again.

Parsing the five specs and the default data with PyYAML is a fifth of the start-up time;
reading back the same Python objects from a pickle takes a few milliseconds. The cache is
keyed by a hash of the file's bytes (and of the parser's version), so an edited file is
parsed afresh; files land in ``$MOCKSERVER_CACHE_DIR``, else ``$XDG_CACHE_HOME/mockserver``
(``~/.cache/mockserver``). Only files this module wrote are ever read back, and any trouble
with the cache (unwritable, corrupt, removed) falls back to parsing: never an error.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any, Callable

import yaml

_FORMAT = b"mockserver-yamlcache-1/" + yaml.__version__.encode()


def cache_dir() -> Path:
    """Where parsed files are kept."""
    explicit = os.environ.get("MOCKSERVER_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mockserver"


def load_cached(raw: bytes, parse: Callable[[str], Any]) -> Any:
    """``parse(raw as UTF-8 text)``, from the cache when these bytes were parsed before.

    `parse` raises as it likes (nothing is cached then); UnicodeDecodeError propagates.
    """
    key = hashlib.sha256(_FORMAT + b"\0" + raw).hexdigest()
    path = cache_dir() / f"{key}.pickle"
    try:
        return pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError):
        pass
    value = parse(raw.decode("utf-8"))
    _store(path, value)
    return value


def _store(path: Path, value: Any) -> None:
    """Write atomically (a temporary file, then a rename); give up quietly on any failure."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except (OSError, pickle.PicklingError, RecursionError, TypeError):
        pass
