"""One running mock: its configuration, mounted APIs, data and the pipeline serving them."""

from __future__ import annotations

import difflib
import random
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .fake import Fake
from .faults import Faults
from .fixtures import FixtureError, build_store, default_fixture, read_fixture
from .journal import JOURNAL_BYTES, NO_MASKING, Journal, Masking
from .persistence import PersistError, StateFile
from .pipeline import Pipeline
from .registry import MountedApi, load_apis
from .store import Store
from .routing import NoRoute
from .scenarios import export_state, read_scenario

MIB = 1024 * 1024
MAX_CONTROL_BODY = 64 * MIB  # control API bodies: a large state document is several MiB


@dataclass
class MockConfig:
    """Everything that shapes a mock server; the CLI and tests build one of these."""

    spec_dir: Path | None = None
    single_api: str | None = None  # serve only this API, mounted at "/"
    only: list[str] | None = None  # serve only these APIs, each under its usual /<id>
    extra_specs: list[Path] = field(default_factory=list)  # --spec: any OpenAPI file, served generically
    fixtures: list[Path] = field(default_factory=lambda: [default_fixture()])
    seed: int | None = None  # None: pick one at start, so reset still restores the same data
    max_body: int = MIB
    check_responses: bool = False  # raise ContractDrift when a response breaks the spec (tests)
    access_log: bool = False
    state_file: Path | None = None  # start from it when it exists; rewrite it after every change
    journal_size: int = 1000  # requests kept in the journal (0: none)
    journal_bytes: int = JOURNAL_BYTES  # ... holding at most this many bytes of bodies
    latency: tuple[float, float] | None = None  # milliseconds added to every API request
    admin_token: str | None = None  # required on the control API when set
    session_timeout: float = 3600.0  # seconds a login (PDNS session, Apinizer token) stays valid


class MockRuntime:
    """The state of one server: load everything once, then serve and reset."""

    def __init__(self, config: MockConfig, apis: dict[str, MountedApi] | None = None):
        """Load specs (unless already-loaded `apis` are given, as tests do) and fixtures."""
        self.config = config
        self.seed = config.seed if config.seed is not None else random.SystemRandom().randrange(2**31)
        if apis is None:
            apis = load_apis(config.spec_dir, [config.single_api] if config.single_api else config.only,
                             config.extra_specs)
        self.apis: dict[str, MountedApi] = apis
        self.fixtures = [read_fixture(path) for path in config.fixtures]
        self.generation = 0  # how many times the data was replaced (reset, scenario, state)
        self.state_file = StateFile(config.state_file) if config.state_file else None
        # What reset returns to: the state file's content when the server started from it.
        self.start_documents = self.fixtures
        if self.state_file is not None and self.state_file.exists():
            self.start_documents = [self.state_file.read()]
        self.store = build_store(self.apis, self.start_documents, self.seed)
        for api_id in self.store.api_ids():
            self.store.api(api_id).settings["session_timeout"] = config.session_timeout
        self.pipeline = Pipeline(self.store, Fake(self.seed), max_body=config.max_body,
                                 check_responses=config.check_responses, on_change=self.persist)
        self.journal = Journal(config.journal_size, config.journal_bytes)
        self.faults = Faults(self.seed, config.latency)
        self.watcher = None  # a `watch.Watcher` when `mockserver run --watch` reloads files on change
        with self.store.lock:
            self.persist()

    @property
    def single(self) -> MountedApi | None:
        """The API mounted at "/" with ``--api``, else None."""
        return self.apis[self.config.single_api] if self.config.single_api else None

    def mount_of(self, api_id: str) -> str:
        """The path prefix an API is served under."""
        return "" if self.config.single_api else f"/{api_id}"

    @cached_property
    def masking(self) -> Masking:
        """What any API masks: for a request no API could claim."""
        masking = NO_MASKING
        for api in self.apis.values():
            masking = masking.union(api.masking)
        return masking

    def suggest_path(self, path: str, method: str = "GET") -> str:
        """Where a request to an unknown mount was probably meant to go ("" if no good guess).

        A path some API would route as it is (``/api/v2/users/1/credentials/``) lacks that
        API's mount: suggest the mount plus the path. A first segment like a mount
        (``/pdnsmanger/...``) is a typo: suggest the mount plus the rest of the path.
        """
        for api_id, api in self.apis.items():
            route = api.router.match(method, path)
            if not isinstance(route, NoRoute) or route.allowed:
                return self.mount_of(api_id) + path
        head, _, rest = path.strip("/").partition("/")
        mounts = [self.mount_of(api_id) for api_id in self.apis]
        close = difflib.get_close_matches("/" + head, mounts, n=1, cutoff=0.6)
        return f"{close[0]}/{rest}" if close else ""

    def reset(self) -> None:
        """Return to the data the server started with; logins (PDNS sessions) stay."""
        self.load(self.start_documents, keep_sessions=True)

    def load(self, documents: list[tuple[str, dict]], keep_sessions: bool = False, as_start: bool = False) -> None:
        """Replace the data by these scenario documents; on any problem nothing changes.

        The new data is built completely (and checked) before it replaces the old, so a
        bad document raises FixtureError and leaves the running state as it was. A loaded
        scenario is the whole state, sessions included; only a reset keeps logins.
        `as_start`: the documents also become what a reset returns to (a data file that
        changed under ``--watch``).
        """
        while True:
            apis = self.apis  # a spec reloaded meanwhile (--watch) means building again
            fresh = build_store(apis, documents, self.seed, self.generation + 1)
            with self.store.lock:
                if self.apis is not apis:
                    continue
                self.generation += 1
                self.store.replace_with(fresh, keep_surviving=keep_sessions)
                if as_start:
                    self.fixtures = self.start_documents = documents
                self.persist()
                return

    def replace_api(self, api: MountedApi) -> str:
        """Serve `api` (its spec reloaded under ``--watch``) in place of the API of its id.

        Requests that already picked the old API finish on it; the next ones get the new
        one. The data stays as it is (every API's, sessions included) when it fits the new
        spec; when it does not, this API's data goes back to its start-up data, and when
        even that does not fit, FixtureError is raised and nothing changes. Everything is
        built off the store lock and swapped in under it. Returns what happened to the data
        (one line, for the log).
        """
        for attempt in range(4):
            last = attempt == 3  # a busy server: the last attempt holds the lock throughout
            with self.store.lock:
                revision = self.store.revision.value
                state = export_state(self.store)
                if last:
                    fresh, kept = self._rebuilt(api, state)
                    self._swap_api(api, fresh)
                    return kept
            fresh, kept = self._rebuilt(api, state)
            with self.store.lock:
                if self.store.revision.value == revision:  # nothing changed the data meanwhile
                    self._swap_api(api, fresh)
                    return kept
        raise AssertionError("unreachable")

    def _rebuilt(self, api: MountedApi, state: dict) -> tuple[Store, str]:
        """The data under the new `api`: (store, what happened to the API's data)."""
        apis = {**self.apis, api.api_id: api}
        try:
            return build_store(apis, [("the data before the reload", state)], self.seed,
                               self.generation + 1), "the data is kept"
        except FixtureError as exc:
            misfit = str(exc).removeprefix("the data before the reload: ")
        # This API's own start-up data (generated as at start when it came from the default
        # data), beside the others' current data.
        others = {**state, "apis": {k: v for k, v in state["apis"].items() if k != api.api_id},
                  "sequences": {k: v for k, v in (state.get("sequences") or {}).items() if k != api.api_id}}
        fresh = build_store(apis, [("the data before the reload", others)], self.seed, self.generation + 1)
        own = build_store({api.api_id: api}, self.start_documents, self.seed, self.generation + 1)
        fresh._apis[api.api_id] = own._apis[api.api_id]
        return fresh, f"its data is back to the start-up data (the data it had does not fit: {misfit})"

    def _swap_api(self, api: MountedApi, fresh: Store) -> None:
        """Put the new API and its data in place (the caller holds the store lock)."""
        self.generation += 1
        apis = {**self.apis, api.api_id: api}  # (the same order: the API keeps its place)
        self.store.replace_with(fresh, keep_surviving=False)
        self.apis = apis
        self.__dict__.pop("masking", None)  # cached over the old APIs
        self.persist()

    def load_scenario(self, name: str) -> None:
        """Replace the data by a shipped scenario (``fixtures/<name>.yaml``)."""
        self.load([read_scenario(name)])

    def export(self) -> dict:
        """The current state as a scenario document."""
        with self.store.lock:
            return export_state(self.store)

    def persist(self) -> None:
        """Write the state file, if there is one (callers hold the store lock).

        When it cannot be written, the data in memory goes back to what the file holds,
        so memory and file never disagree, and PersistError tells the caller the change
        was not kept (an API client then gets a 500, never a false success).
        """
        if self.state_file is None:
            return
        try:
            self.state_file.write(export_state(self.store))
        except PersistError:
            if self.state_file.exists():
                self.store.replace_with(build_store(self.apis, [self.state_file.read()], self.seed,
                                                    self.generation), keep_surviving=False)
            raise
