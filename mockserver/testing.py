"""A pytest plugin: a running mock for your app's tests, fresh for every test.

Installing the project registers this module as a pytest plugin (entry point
``pytest11``), so its fixtures are available in any test without an import:

``mockserver_session`` (session scope)
    Starts the mock with granian on a free port of 127.0.0.1, in a thread of the test
    process, and stops it after the last test. When the ``MOCKSERVER_URL`` environment
    variable is set, it uses the mock running there instead (``make run`` in another
    terminal; ``MOCKSERVER_ADMIN_TOKEN`` is sent when that server needs one).
``mockserver`` (function scope)
    The same server, reset before the test: start-up data back, journal and fault rules
    cleared. It is a `MockServer` handle whose helpers call the control API over HTTP.

Example::

    import requests

    def test_creates_one_credential(mockserver):
        base = mockserver.url_for("pdnsmanager")          # http://127.0.0.1:PORT/pdnsmanager
        answer = requests.post(f"{base}/records/2/credentials", headers={"X-Authentication": "t"},
                               json={"description": "CI", "type": "password", "password": "s3cret"})
        assert answer.status_code == 201
        assert mockserver.count(api="pdnsmanager", operation="createCredential", status=201) == 1

Configuration (``pytest.ini``, ``[tool.pytest.ini_options]`` or ``setup.cfg``)::

    [pytest]
    mockserver_fixtures = default my-data.yaml   # data files; a shipped scenario by name
    mockserver_seed = 42                         # the same generated data on every run
    mockserver_apis = awx pdnsmanager            # serve only these (default: all five)

On the command line, ``--mockserver-seed N`` and ``--mockserver-fixtures PATH``
(repeatable) override the first two. Data files given replace the default data, as
``mockserver run --fixtures`` does: list ``default`` first to add to it instead.
`running_mockserver` starts a mock the same way outside pytest.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

__all__ = ["MockServer", "MockServerError", "running_mockserver"]

URL_VARIABLE = "MOCKSERVER_URL"
TOKEN_VARIABLE = "MOCKSERVER_ADMIN_TOKEN"
_SETTINGS = pytest.StashKey[dict]()
_STARTED = pytest.StashKey[str]()


class MockServerError(Exception):
    """A control API call failed; the message is the mock's own explanation.

    ``status`` is the HTTP status (None when the mock could not be reached), ``error``
    the control API's error code (``"not_found"``, ``"invalid_faults"``...).
    """

    def __init__(self, message: str, status: int | None = None, error: str | None = None):
        super().__init__(message)
        self.status = status
        self.error = error


class MockServer:
    """A handle on a running mock: its URLs and its control API (``/__mock/``).

    Every helper is one HTTP call with `requests`, so a handle works as well on a mock
    started elsewhere: ``MockServer("http://127.0.0.1:8080")``. A failed call raises
    `MockServerError` carrying the control API's message.
    """

    def __init__(self, url: str, admin_token: str | None = None, apis: list[str] | None = None,
                 timeout: float = 30.0):
        """`url` is the server root; `apis` the ids it serves (asked from it when not given)."""
        self.url = url.rstrip("/")
        self.admin_token = admin_token
        self.timeout = timeout
        self._apis = list(apis) if apis is not None else None

    def __repr__(self) -> str:
        return f"MockServer({self.url!r})"

    # --- where things are -----------------------------------------------------------------
    @property
    def apis(self) -> list[str]:
        """The ids of the APIs this server serves."""
        if self._apis is None:
            self._apis = list(self.health()["apis"])
        return list(self._apis)

    def url_for(self, api_id: str) -> str:
        """The base URL of one API, e.g. ``http://127.0.0.1:PORT/awx``.

        A server started with ``mockserver run --api ID`` serves its one API at the
        root instead: use `url` for it.
        """
        if api_id not in self.apis:
            raise MockServerError(f"{api_id!r} is not served at {self.url}; it serves {', '.join(self.apis)}")
        return f"{self.url}/{api_id}"

    def health(self) -> dict:
        """``GET /__mock/health``: ``{"status": "ok", "apis": [...], "seed": N}``."""
        return self._call("GET", "/health")

    @property
    def seed(self) -> int:
        """The seed the server generates its data with."""
        return self.health()["seed"]

    def wait_until_healthy(self, timeout: float = 20.0) -> None:
        """Poll the health call until it answers; MockServerError when time runs out."""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                self.health()
                return
            except MockServerError as exc:
                last = exc
            time.sleep(0.05)
        raise MockServerError(f"the mock at {self.url} did not become healthy within {timeout:g} s: {last}")

    # --- data -------------------------------------------------------------------------------
    def reset(self) -> dict:
        """``POST /__mock/reset``: the start-up data back (journal and faults stay)."""
        return self._call("POST", "/reset")

    def reset_all(self) -> None:
        """What the ``mockserver`` fixture does before each test: reset, clear journal and faults."""
        self.reset()
        self.clear_requests()
        self.clear_faults()

    def scenarios(self) -> list[dict]:
        """The shipped scenarios: ``[{"name": ..., "description": ...}]``."""
        return self._call("GET", "/scenarios")["scenarios"]

    def load_scenario(self, name: str) -> dict:
        """Replace all data by a shipped scenario (``default``, ``empty``, ``edge-cases``...)."""
        return self._call("POST", f"/scenarios/{requests.utils.quote(name, safe='')}")

    def state(self) -> dict:
        """All data as a scenario document (it loads back with `load_state`)."""
        return self._call("GET", "/state", headers={"Accept": "application/json"})

    def load_state(self, document: dict | str | bytes) -> dict:
        """Replace all data by a scenario document (a dict, or JSON or YAML text)."""
        if isinstance(document, (str, bytes)):
            return self._call("PUT", "/state", data=document if isinstance(document, bytes)
                              else document.encode("utf-8"), headers={"Content-Type": "application/yaml"})
        return self._call("PUT", "/state", json=document)

    # --- the request journal ----------------------------------------------------------------
    def requests(self, **filters: Any) -> list[dict]:
        """Journal entries, oldest first, as dicts.

        Filters: ``api``, ``operation``, ``method``, ``path`` (a glob), ``status``
        (``201`` or ``"4xx"``), ``since`` (an entry id or ISO time), ``matched``
        (True/False), ``limit`` (the last N), ``first`` (the first N), and ``body`` (JSON
        the request body must contain).
        """
        params = {name: _query_value(value) for name, value in filters.items() if value is not None}
        if "body" in filters:
            params["body"] = json.dumps(filters["body"])
        return self._call("GET", "/requests", params=params)["requests"]

    def count(self, **matcher: Any) -> int:
        """How many journal entries match (``POST /__mock/requests/count``).

        Takes the fields of `requests` but ``limit``:
        ``count(api="awx", operation="createUserCredential", status=201) == 1``.
        """
        matcher = {name: value.isoformat() if hasattr(value, "isoformat") else value
                   for name, value in matcher.items()}
        return self._call("POST", "/requests/count", json=matcher)["count"]

    def clear_requests(self) -> None:
        """Forget every journal entry."""
        self._call("DELETE", "/requests")

    # --- faults -----------------------------------------------------------------------------
    def fault(self, **rule: Any) -> dict:
        """Install one fault rule, replacing any installed; returns it as the mock shows it.

        ``fault(api="awx", operation="createUserCredential", status=503, times=1)``. The
        fields: ``api``, ``operation``, ``method``, ``path``, ``latency``, ``status``,
        ``drop``, ``probability``, ``times``, ``id``. For several rules use `faults`.
        """
        return self.faults([rule])[0]

    def faults(self, rules: list[dict]) -> list[dict]:
        """Install these fault rules (first match wins), replacing any installed."""
        return self._call("PUT", "/faults", json={"rules": list(rules)})["rules"]

    def fault_rules(self) -> list[dict]:
        """The installed rules, each with how often it ``fired``."""
        return self._call("GET", "/faults")["rules"]

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self._call("DELETE", "/faults")

    # --- plumbing ---------------------------------------------------------------------------
    def _call(self, method: str, path: str, headers: dict | None = None, **kwargs: Any) -> Any:
        """One control API call: its JSON answer, or MockServerError with the mock's message."""
        headers = dict(headers or {})
        if self.admin_token:
            headers["X-Mock-Admin-Token"] = self.admin_token
        url = f"{self.url}/__mock{path}"
        try:
            answer = requests.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise MockServerError(f"{method} {url}: cannot reach the mock: {exc}") from exc
        if answer.status_code >= 400:
            try:
                problem = answer.json()
            except ValueError:
                problem = None
            where = f"{method} /__mock{path} -> {answer.status_code}"
            if isinstance(problem, dict) and "message" in problem:
                error = problem.get("error")
                raise MockServerError(f"{where} {error}: {problem['message']}", answer.status_code, error)
            raise MockServerError(f"{where}: {answer.text[:500]}", answer.status_code)
        if answer.status_code == 204 or not answer.content:
            return None
        return answer.json()


def _query_value(value: Any) -> str:
    """A filter value as a query parameter (``True`` -> ``"true"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@contextmanager
def running_mockserver(config=None, host: str = "127.0.0.1", port: int = 0) -> Iterator[MockServer]:
    """Serve a mock (a `MockConfig`, default: all APIs, default data) in a thread; yields its handle.

    ``port=0`` picks a free port. The server is stopped on the way out, also after an error.
    """
    from .app import create_app
    from .runtime import MockConfig
    from .server import serving

    config = config or MockConfig()
    app = create_app(config)
    with serving(app, host, port) as url:
        handle = MockServer(url, admin_token=config.admin_token, apis=list(app.extensions["mockserver"].apis))
        handle.wait_until_healthy()
        yield handle


# --- the plugin -----------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare the ini options and command-line options."""
    group = parser.getgroup("mockserver", "mockserver (credentials API mock)")
    group.addoption("--mockserver-seed", type=int, default=None, metavar="N",
                    help="seed for the mock's generated data (overrides mockserver_seed)")
    group.addoption("--mockserver-fixtures", action="append", default=None, metavar="PATH",
                    help="data file the mock starts from, or a shipped scenario name; repeatable "
                         "(overrides mockserver_fixtures)")
    parser.addini("mockserver_fixtures", type="args", default=[],
                  help="data files the mock starts from (relative to the ini file), or shipped scenario "
                       "names such as default; replaces the default data")
    parser.addini("mockserver_seed", type="string", default="",
                  help="seed for the mock's generated data (default: a new one each run)")
    parser.addini("mockserver_apis", type="args", default=[],
                  help="ids of the APIs the mock serves (default: all five, and the mockserver_specs)")
    parser.addini("mockserver_specs", type="args", default=[],
                  help="OpenAPI files (relative to the ini file) the mock also serves, each at /<file stem>, "
                       "as mockserver run --spec does")


def pytest_configure(config: pytest.Config) -> None:
    """Check the options once, so a typo is a usage error rather than a failure per test."""
    seed = config.getoption("mockserver_seed")
    if seed is None:
        raw = str(config.getini("mockserver_seed")).strip()
        if raw:
            try:
                seed = int(raw)
            except ValueError:
                raise pytest.UsageError(f"mockserver_seed must be a whole number, got {raw!r}") from None
    ini_base = config.inipath.parent if config.inipath else config.rootpath
    specs = [Path(ini_base) / entry for entry in config.getini("mockserver_specs")]
    missing = [str(path) for path in specs if not path.is_file()]
    if missing:
        raise pytest.UsageError(f"mockserver_specs: no such file {', '.join(missing)}")
    apis = list(config.getini("mockserver_apis"))
    if apis:
        from .registry import API_IDS

        known = [*API_IDS, *(path.stem for path in specs)]
        unknown = [api for api in apis if api not in known]
        if unknown:
            raise pytest.UsageError(f"mockserver_apis: unknown API id(s) {', '.join(unknown)}; "
                                    f"choose from {', '.join(known)}")
        if specs:
            apis += [path.stem for path in specs if path.stem not in apis]  # listed specs are always served
    cli_fixtures = config.getoption("mockserver_fixtures")
    if cli_fixtures:
        fixtures, base = list(cli_fixtures), config.invocation_params.dir
    else:
        fixtures = list(config.getini("mockserver_fixtures"))
        base = config.inipath.parent if config.inipath else config.rootpath
    config.stash[_SETTINGS] = {"seed": seed, "apis": apis or None, "fixtures": fixtures, "base": Path(base),
                               "specs": specs}


def _fixture_paths(entries: list[str], base: Path) -> list[Path]:
    """Data file paths: relative to `base`, or a shipped scenario when one has that name."""
    from .scenarios import shipped_path

    paths = []
    for entry in entries:
        path = base / entry
        paths.append(path if path.exists() else shipped_path(entry) or path)
    return paths


@pytest.fixture(scope="session")
def mockserver_session(pytestconfig: pytest.Config) -> Iterator[MockServer]:
    """The mock for this test session: started on a free port of 127.0.0.1, stopped at the end.

    With ``MOCKSERVER_URL`` set, the mock running there is used instead (its own start-up
    options decide its data, so the ini options do not apply).
    """
    settings = pytestconfig.stash[_SETTINGS]
    external = os.environ.get(URL_VARIABLE, "").strip()
    if external:
        handle = MockServer(external, admin_token=os.environ.get(TOKEN_VARIABLE) or None)
        handle.wait_until_healthy(timeout=10)
        seed = handle.seed
        if settings["seed"] is not None and seed != settings["seed"]:
            warnings.warn(f"{URL_VARIABLE}: the mock at {handle.url} runs with seed {seed}, "
                          f"not the configured {settings['seed']}", pytest.PytestWarning, stacklevel=1)
        pytestconfig.stash[_STARTED] = f"using {handle.url} (seed {seed})"
        yield handle
        return

    from .fixtures import FixtureError
    from .runtime import MockConfig
    from .spec import SpecError

    config = MockConfig(seed=settings["seed"], only=settings["apis"], extra_specs=settings["specs"])
    if settings["fixtures"]:
        config.fixtures = _fixture_paths(settings["fixtures"], settings["base"])
    with ExitStack() as stack:
        try:
            handle = stack.enter_context(running_mockserver(config))
        except (FixtureError, SpecError) as exc:
            raise MockServerError(f"the mock cannot start: {exc}") from exc
        pytestconfig.stash[_STARTED] = f"served at {handle.url} (seed {handle.seed})"
        yield handle


@pytest.fixture
def mockserver(mockserver_session: MockServer) -> MockServer:
    """The session's mock, reset for this test: start-up data, empty journal, no fault rules."""
    mockserver_session.reset_all()
    return mockserver_session


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    """One line naming the mock and its seed, so a failure can be reproduced with that seed."""
    started = config.stash.get(_STARTED, None)
    if started:
        terminalreporter.write_line(f"mockserver: {started}")
