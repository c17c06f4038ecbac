"""Keep the state in a file, so a restarted server carries on where it stopped.

With ``--state-file PATH`` the server starts from the file when it exists, and writes
the whole state after every change, before the change is acknowledged to the client.
Writes are atomic: a temporary file in the same directory is written, flushed to disk
and renamed over the old one, so a crash at any moment leaves either the old or the new
state, never half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .fixtures import read_fixture


class PersistError(Exception):
    """The state file could not be written; the message says which file and why."""


class StateFile:
    """One state file: read at start, rewritten atomically after every change."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._remove_leftovers()

    def _remove_leftovers(self) -> None:
        """Delete temporary files a killed server left half-written (never the state itself)."""
        try:
            for leftover in self.path.parent.glob(f".{self.path.name}.*.tmp"):
                leftover.unlink(missing_ok=True)
        except OSError:
            pass  # nothing to clean, or no directory yet: the first write says what is wrong

    def exists(self) -> bool:
        """True when there is a state to start from."""
        return self.path.exists()

    def read(self) -> tuple[str, dict]:
        """The saved scenario document (JSON, read with the safe YAML loader)."""
        return read_fixture(self.path, cache=False)  # secrets, and new with every write: never cached

    def write(self, document: dict) -> None:
        """Replace the file's content with `document`, atomically and durably.

        PersistError when it cannot be written; the old content is then still intact.
        """
        try:
            self._write(document)
        except OSError as exc:
            raise PersistError(f"cannot write the state file {self.path}: {exc.strerror or exc}") from exc

    def _write(self, document: dict) -> None:
        data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace")
        write_atomically(self.path, data)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path`'s content with `data`: all of it or none, durably; its folder is made.

    A temporary file beside it is written, flushed to disk and renamed over it, so a
    reader or a crash never meets half a file. OSError when it cannot be written.
    """
    directory = Path(path).parent
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{Path(path).name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        directory_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory_fd)
    finally:
        os.close(directory_fd)

