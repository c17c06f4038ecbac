"""``mockserver run --watch``: reload specs and data files when they change on disk.

What is watched: the spec file of every API served (a ``--specs DIR`` override, the
shipped spec, a ``--spec FILE``) and the data files the server started from
(``--fixtures ...``, else the shipped ``default.yaml``). A changed spec is loaded and
mounted again (routes, validation, views, behaviour), a changed data file becomes the
start-up data and is loaded as ``POST /__mock/reset`` would load it (see
`MockRuntime.replace_api` and `MockRuntime.load`). Everything is built on the watcher's
thread, off the request path, and swapped in at once: a request in flight finishes on
the version it started with.

A file that fails (invalid YAML, an unknown ``x-mock-*`` key, a handler missing, data that
does not fit) changes nothing: the last good version keeps serving, one line on stderr
names the file and the problem, and `Watcher.status` (``GET /__mock/watch``) lists it
until a later version of that file loads.

Why a polling thread and not inotify (``watchfiles``): a handful of files is stat-ed
every `POLL_INTERVAL` seconds, which costs microseconds; it sees the same changes on
every system and in containers whose bind mounts pass no inotify events, follows an
editor's save by rename (the path is stat-ed, not an inode watched), and adds no native
thread. That last point matters here: a thread inside Rust code at interpreter exit is
what aborts a process (see `native_threads`), while this thread is plain Python, a
daemon, and joined when the server stops.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from .behaviors import API_IDS
from .fixtures import FixtureError, read_fixture
from .native_threads import name_current_thread
from .persistence import PersistError
from .registry import mount
from .spec import SpecError, load_spec
from .timestamps import iso, utcnow

log = logging.getLogger("mockserver.watch")

POLL_INTERVAL = 0.5  # seconds between two looks at the files
SETTLE = 0.1  # a changed file must keep the same size and time this long (an editor may still write)
STOP_TIMEOUT = 10.0  # seconds a stop waits for a reload under way to finish
MESSAGE_CHARS = 500  # a problem is one line of at most this many characters


@dataclass(frozen=True)
class WatchedFile:
    """One file the watcher looks at: a spec (of `api_id`) or a data file."""

    path: Path
    kind: str  # "spec" or "data"
    api_id: str | None = None


def watched_files(runtime) -> list[WatchedFile]:
    """The files a runtime was loaded from: each API's spec, then the data files."""
    files = [WatchedFile(Path(api.spec.source), "spec", api_id) for api_id, api in runtime.apis.items()]
    files += [WatchedFile(Path(source), "data") for source, _ in runtime.fixtures]
    return files


def one_line(text: str, limit: int = MESSAGE_CHARS) -> str:
    """`text` on one line (every run of whitespace a single space), cut to `limit` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _signature(path: Path):
    """What changes when a file is written or replaced (None when it cannot be stat-ed)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class Watcher:
    """Reload a runtime's specs and data files when they change; report what failed.

    `start()` runs `poll()` every `interval` seconds on a daemon thread, `stop()` ends it
    (waiting for a reload under way). Tests may call `poll()` directly instead.
    """

    def __init__(self, runtime, interval: float = POLL_INTERVAL):
        """Watch the files `runtime` was loaded from, as they are now."""
        self.runtime = runtime
        self.interval = interval
        self.files = watched_files(runtime)
        self._seen = {f.path: _signature(f.path) for f in self.files}
        self._tried = {f.path: _digest(f.path) for f in self.files}  # the content last loaded or tried
        self._errors: dict[Path, dict] = {}
        self._last_reload: str | None = None
        self._lock = threading.Lock()  # guards the status (errors, last reload)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def status(self) -> dict:
        """What ``GET /__mock/watch`` answers: the files, the last reload, the current problems."""
        with self._lock:
            return {"watching": self._thread is not None and self._thread.is_alive(),
                    "files": [str(f.path) for f in self.files], "last_reload": self._last_reload,
                    "errors": [dict(error) for error in self._errors.values()]}

    def start(self) -> None:
        """Start watching on a daemon thread of its own."""
        self._thread = threading.Thread(target=self._run, name="mockserver-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop watching; returns once the thread has ended (a reload under way finishes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("watch: a reload was still running %s s after the server stopped", timeout)

    def _run(self) -> None:
        name_current_thread("mock-watch")  # not "mockserver": a server's stop never waits for it
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:  # noqa: BLE001 - a bug here must not end the watching
                log.exception("watch: unexpected error while reloading")

    def poll(self) -> list[WatchedFile]:
        """Look at the files once and reload what changed; returns the files whose content changed."""
        changed = [f for f in self.files if _signature(f.path) != self._seen[f.path]]
        if not changed:
            return []
        self._settle(changed)
        fresh = []
        for f in changed:
            self._seen[f.path] = _signature(f.path)
            digest = _digest(f.path)
            if digest is not None and digest == self._tried[f.path]:
                continue  # touched, or written back as it was: nothing to load
            self._tried[f.path] = digest
            fresh.append(f)
        if not fresh:
            return []
        # A file that failed may load now that another one changed (data that did not fit a
        # new spec, fixed in the data file): those are tried again with the changed ones.
        with self._lock:
            failed = set(self._errors)
        pending = [f for f in self.files if f in fresh or f.path in failed]
        for _ in range(2):  # specs first, then data; once more for what failed, if anything loaded
            loaded = self._reload(pending)
            with self._lock:
                pending = [f for f in pending if f.path in self._errors]
            if not (loaded and pending):
                break
        return fresh

    def _reload(self, files: list[WatchedFile]) -> bool:
        """Reload these files (each spec, then the data); True when any of it loaded."""
        loaded = False
        for f in files:
            if f.kind == "spec":
                loaded |= self._reload_spec(f)
        if any(f.kind == "data" for f in files):
            loaded |= self._reload_data([f for f in files if f.kind == "data"])
        return loaded

    def _settle(self, changed: list[WatchedFile]) -> None:
        """Wait (a little) until the changed files stop changing: a save may take several writes."""
        before = [_signature(f.path) for f in changed]
        for _ in range(20):
            if self._stop.wait(SETTLE):
                return
            now = [_signature(f.path) for f in changed]
            if now == before:
                return
            before = now

    def _reload_spec(self, f: WatchedFile) -> bool:
        try:
            api = mount(load_spec(f.path, f.api_id), generic=f.api_id not in API_IDS)
            outcome = self.runtime.replace_api(api)
        except SpecError as exc:
            self._failed(f, str(exc))
        except FixtureError as exc:
            self._failed(f, f"the data does not fit this version: {exc}")
        except PersistError as exc:
            self._failed(f, f"the state file could not be written: {exc}")
        except Exception as exc:  # noqa: BLE001 - any failure of a user's file is reported, not raised
            self._failed(f, f"{type(exc).__name__}: {exc}")
        else:
            self._succeeded([f], f"watch: reloaded {f.path} (API {f.api_id}); {outcome}")
            return True
        return False

    def _reload_data(self, changed: list[WatchedFile]) -> bool:
        data = [f for f in self.files if f.kind == "data"]
        documents = []
        for f in data:
            try:
                documents.append(read_fixture(f.path))
            except FixtureError as exc:
                self._failed(f, str(exc))
                return False
        try:
            self.runtime.load(documents, keep_sessions=True, as_start=True)
        except FixtureError as exc:
            message = str(exc)
            named = [f for f in data if message.startswith(f"{f.path}: ")]
            self._failed((named or changed)[0], message)
        except PersistError as exc:
            self._failed(changed[0], f"the state file could not be written: {exc}")
        else:
            names = ", ".join(str(f.path) for f in changed)
            self._succeeded(data, f"watch: reloaded {names}: the data is now the new start-up data (as after "
                                  f"a reset; logins kept)")
            return True
        return False

    def _failed(self, f: WatchedFile, message: str) -> None:
        """Record a file's problem and say it on stderr (once per problem: a retry that fails
        the same way stays quiet)."""
        message = one_line(message.removeprefix(f"{f.path}: "))
        with self._lock:
            before = self._errors.get(f.path)
            if before is not None and before["message"] == message:
                return  # the same problem, tried again: said already
            self._errors[f.path] = {"file": str(f.path), "message": message, "at": iso(utcnow(), millis=True)}
        log.warning("watch: %s: %s (the last good version is still served)", f.path, message)

    def _succeeded(self, files: list[WatchedFile], line: str) -> None:
        with self._lock:
            for f in files:
                self._errors.pop(f.path, None)
            self._last_reload = iso(utcnow(), millis=True)
        log.info("%s", one_line(line))


def not_watching() -> dict:
    """What ``GET /__mock/watch`` answers without ``--watch``."""
    return {"watching": False, "files": [], "last_reload": None, "errors": []}
