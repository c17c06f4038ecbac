"""Parsed YAML files, cached on disk by content, so a start-up does not parse them again.

Parsing the five specs and the default data with PyYAML is a fifth of the start-up time;
reading back the same Python objects from a pickle takes a few milliseconds. The key is a
hash of the file's bytes, of the parser's name and of when its source last changed, so an
edited file or an upgrade parses afresh. Files land in ``$MOCKSERVER_CACHE_DIR``, else
``$XDG_CACHE_HOME/mockserver`` (``~/.cache/mockserver``); at most `MAX_ENTRIES` are kept.

Pickles can run code, so reading them back is fenced in twice: the directory must belong
to this user and be writable by no one else (else the cache is not used), and the
unpickler builds only what a safe YAML load can produce (plain containers, scalars, dates,
sets, bytes). Any trouble with the cache (unwritable, corrupt, removed) falls back to
parsing: it never becomes an error. State files are not cached: they hold secrets and
change with every write.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import stat
from pathlib import Path
from typing import Any, Callable

import yaml

MAX_ENTRIES = 64

# What a safe YAML load can put in a document, beyond pickle's own built-in types.
_ALLOWED = {("datetime", "date"), ("datetime", "datetime"), ("datetime", "timezone"),
            ("datetime", "timedelta"), ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "bytes")}


def _parser_stamp(parse: Callable) -> str:
    """When the parse function's source last changed: an upgrade or an edit parses afresh."""
    try:
        return str(Path(parse.__code__.co_filename).stat().st_mtime_ns)
    except (AttributeError, OSError):
        return "unknown"


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not something a YAML document holds")


def cache_dir() -> Path:
    """Where parsed files are kept."""
    explicit = os.environ.get("MOCKSERVER_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mockserver"


def _usable(directory: Path) -> bool:
    """The directory exists (made now if need be), is this user's and only this user's to write."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.stat()
    except OSError:
        return False
    if not hasattr(os, "getuid"):
        return True
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def load_cached(raw: bytes, parse: Callable[[str], Any], parser: str) -> Any:
    """``parse(raw as UTF-8 text)``, from the cache when these bytes were parsed before.

    `parser` names the parse function (two parsers may read the same bytes differently).
    `parse` raises as it likes (nothing is cached then); UnicodeDecodeError propagates.
    """
    directory = cache_dir()
    usable = _usable(directory)
    stamp = f"{parser}/{_parser_stamp(parse)}/{yaml.__version__}\0"
    key = hashlib.sha256(stamp.encode() + raw).hexdigest()
    path = directory / f"{key}.pickle"
    if usable:
        try:
            return _SafeUnpickler(io.BytesIO(path.read_bytes())).load()
        except Exception:  # absent, corrupt or refused: parse instead
            pass
    value = parse(raw.decode("utf-8"))
    if usable:
        _store(path, value)
    return value


def _store(path: Path, value: Any) -> None:
    """Write atomically (a temporary file, then a rename); give up quietly on any failure."""
    import tempfile

    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
        _prune(path.parent)
    except (OSError, pickle.PicklingError, RecursionError, TypeError):
        pass


def _prune(directory: Path) -> None:
    """Keep the `MAX_ENTRIES` most recently written entries."""
    entries = sorted(directory.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[MAX_ENTRIES:]:
        stale.unlink(missing_ok=True)
