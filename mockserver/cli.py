"""The ``mockserver`` command line: ``mockserver run`` and friends."""

from __future__ import annotations

import contextlib
import gc
import logging
import sys
import threading
from pathlib import Path

import click

from .behaviors import API_IDS
from .cli_inputs import InputError, api_ports as api_port_pairs, byte_size, data_files, folder, output_file, spec_files
from .data import MissingData

# The rest is imported by the commands that need it: `wait` and `--version` (the image's
# health check runs `wait` every few seconds) start without loading specs, Faker or Flask.


class _Commands(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MissingData as exc:  # any command: a broken install is one line, not a traceback
            raise InputError(str(exc)) from exc


# Every option can also come from the environment: MOCKSERVER_<COMMAND>_<OPTION>, e.g.
# MOCKSERVER_RUN_SEED=42 or MOCKSERVER_RUN_FIXTURES=default:/data/mine.yaml (a container
# service that takes no arguments, such as a GitHub Actions service, can then be configured).
@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"],
                                              "auto_envvar_prefix": "MOCKSERVER"})
@click.version_option(package_name="mockserver", prog_name="mockserver")
def main() -> None:
    """Spec-driven, stateful mock server for credentials APIs, and for any OpenAPI spec (--spec)."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--api", "single_api", metavar="ID",
              help=f"Serve only this API, mounted at / instead of /<api>: one of {', '.join(API_IDS)}, "
                   f"or the file stem of a --spec.")
@click.option("--spec", "extra_specs", multiple=True, type=click.Path(path_type=Path), callback=spec_files,
              help="Also serve this OpenAPI 3.0/3.1 file (YAML or JSON) at /<file stem>, statefully, with no "
                   "code; repeatable.")
@click.option("--api-port", "api_ports", multiple=True, metavar="ID=PORT", callback=api_port_pairs,
              help="Also serve API ID at the root of PORT (same --host, same data), for clients that expect "
                   "the API at a host's root, e.g. awx=8052; repeatable.")
@click.option("--seed", type=int, help="Seed for generated data: the same data on every start.")
@click.option("--fixtures", "fixtures", multiple=True, type=click.Path(path_type=Path), callback=data_files,
              help="Data file(s) to start with instead of the shipped default.yaml, or the name of a "
                   "shipped scenario (default, empty, edge-cases, large); repeatable, later ones add "
                   "to earlier ones.")
@click.option("--specs", "spec_dir", type=click.Path(path_type=Path), callback=folder,
              help="Folder of <api>.yaml specs that replace the shipped spec of those APIs.")
@click.option("--threads", type=click.IntRange(1, 256), hidden=True,
              help="No effect: kept so that older scripts still start (requests no longer use threads).")
@click.option("--state-file", type=click.Path(path_type=Path), callback=output_file,
              help="Start from this file when it exists, and save the data to it after every change.")
@click.option("--journal-size", default=1000, show_default=True, type=click.IntRange(0, 1_000_000),
              help="Requests kept in the journal (0 turns it off).")
@click.option("--journal-bytes", default="64M", show_default=True, metavar="SIZE", callback=byte_size,
              help="Most bytes of bodies the journal holds, e.g. 16M or 1G (bodies over 64 KiB are kept as "
                   "their size only).")
@click.option("--latency", metavar="MS[-MS]", help="Milliseconds added to every API request, e.g. 50-200.")
@click.option("--admin-token", envvar="MOCKSERVER_ADMIN_TOKEN",
              help="Token the control API (/__mock/) requires; needed when binding beyond loopback.")
@click.option("--session-timeout", default=3600, show_default=True, type=click.IntRange(1, 10**9), metavar="SECONDS",
              help="Seconds a login stays valid (a PDNS Manager session, an Apinizer token, an AWX session "
                   "cookie); then its token is refused as an unknown one.")
@click.option("--quiet", is_flag=True, help="Do not log one line per request.")
@click.option("--watch", is_flag=True,
              help="Reload the specs and data files when they change on disk (a file with an error keeps "
                   "the last good version serving; GET /__mock/watch lists the problems).")
def run(host, port, single_api, extra_specs, api_ports, seed, fixtures, spec_dir, threads, state_file,
        journal_size, journal_bytes, latency, admin_token, session_timeout, quiet, watch):
    """Serve the APIs over HTTP until interrupted."""
    del threads  # accepted for old scripts only
    _check_api_ports(api_ports, port, single_api, extra_specs)  # before the slow part: loading
    gc.disable()  # loading builds long-lived objects only: collecting meanwhile is wasted time
    try:
        app, port, base = _load_and_bind(host, port, single_api, extra_specs, seed, fixtures, spec_dir,
                                         state_file, (journal_size, journal_bytes), latency, admin_token, quiet,
                                         session_timeout, api_ports)
    finally:
        gc.enable()
    # The loaded specs and data are long-lived: later collections need not walk them. (No
    # collect first: it costs ~30 ms of start-up to free a few thousand loading leftovers.)
    gc.freeze()
    from .server import raise_open_files, run_until_interrupted

    raise_open_files()  # thousands of clients at once, each an open file

    def listening() -> None:
        click.echo(f"mockserver: listening on {base}/  (Ctrl-C stops it)")
        for api_id, its_port in api_ports.items():
            click.echo(f"mockserver: {api_id} also at {_base_url(host, its_port)}/  (at the root)")
        threading.Thread(target=app.warm_up, name="mockserver-warm-up", daemon=True).start()

    watcher = None
    if watch:
        from .watch import Watcher

        watcher = app.runtime.watcher = Watcher(app.runtime)
        click.echo(f"  watching {len(watcher.files)} files for changes (GET {base}/__mock/watch)")
        watcher.start()
    try:
        run_until_interrupted(app, host, port, on_listening=listening, api_ports=api_ports)
    finally:
        if watcher is not None:  # joined, so no reload is under way when the interpreter ends
            watcher.stop()


def _base_url(host: str, port: int) -> str:
    from .server import url_host

    return f"http://{url_host(host)}:{port}"


def _check_api_ports(api_ports: dict[str, int], port: int, single_api: str | None, extra_specs) -> None:
    """Refuse an ``--api-port`` for an API that is not served, or on the main ``--port``."""
    known = [*API_IDS, *(Path(path).stem for path in extra_specs)]
    for api_id, its_port in api_ports.items():
        where = f"--api-port {api_id}={its_port}"
        if api_id not in known:
            raise InputError(f"{where}: no API {api_id}; choose from {', '.join(known)} (or the file stem "
                             f"of a --spec)")
        if single_api and api_id != single_api:
            raise InputError(f"{where}: {api_id} is not served with --api {single_api}; give --api {api_id}, "
                             f"or leave --api out to serve every API")
        if its_port == port:
            raise InputError(f"{where}: {its_port} is the --port of all APIs; give {api_id} a port of its own")


def _free_port_besides(host: str, taken) -> int:
    """A free port on `host` (``--port 0``) that no ``--api-port`` takes."""
    from .server import free_port

    port = free_port(host)
    while port in taken:
        port = free_port(host)
    return port


def _bind(host: str, port: int, api_ports: dict[str, int]) -> int:
    """The main port (for 0, a free one that no ``--api-port`` takes), once it and every
    ``--api-port`` are checked to be free to listen on: granian would only log a failure."""
    advice = "choose another one with --port, or make run PORT=... in a checkout"
    try:
        port = port or _free_port_besides(host, api_ports.values())
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror} ({advice})") from exc
    _must_bind(host, port, advice)
    for api_id, its_port in api_ports.items():
        _must_bind(host, its_port, f"choose another port for --api-port {api_id}")
    return port


def _must_bind(host: str, port: int, advice: str) -> None:
    """`check_bindable`, failing as one line that says what to do."""
    from .server import check_bindable

    try:
        check_bindable(host, port)
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror} ({advice})") from exc


def _load_and_bind(host, port, single_api, extra_specs, seed, fixtures, spec_dir, state_file, journal, latency,
                   admin_token, quiet, session_timeout=3600, api_ports=None):
    """Load everything `run` serves and check the ports; (app, port, base URL). Prints the banner."""
    from .app import create_wsgi
    from .faults import FaultError, parse_latency
    from .fixtures import FixtureError
    from .origins import is_loopback
    from .persistence import PersistError
    from .runtime import MockConfig
    from .spec import SpecError

    if not is_loopback(host) and not admin_token:
        raise InputError(f"--host {host} is reachable from other machines, and the control API "
                         f"(/__mock/) can replace all data: set a secret token in the "
                         f"MOCKSERVER_ADMIN_TOKEN environment variable (in a container: "
                         f"run -e MOCKSERVER_ADMIN_TOKEN=<secret> ...) or give --admin-token TOKEN")
    try:
        window = parse_latency(latency, "--latency") if latency else None
    except FaultError as exc:  # click names the option itself
        raise click.BadParameter(str(exc).removeprefix("--latency: "), param_hint="--latency") from exc
    unserved = [path for path in extra_specs if single_api and Path(path).stem != single_api]
    if unserved:  # --api serves one API: a --spec of another would silently serve nothing
        raise click.UsageError(f"--spec {unserved[0]} is not served with --api {single_api} (one API, at /); "
                               f"give --api {Path(unserved[0]).stem} or leave that --spec out")
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    config = MockConfig(spec_dir=spec_dir, single_api=single_api, extra_specs=list(extra_specs), seed=seed,
                        access_log=not quiet,
                        state_file=state_file, journal_size=journal[0], journal_bytes=journal[1], latency=window,
                        admin_token=admin_token, session_timeout=float(session_timeout))
    if fixtures:
        config.fixtures = list(fixtures)
    try:
        app = create_wsgi(config)
    except (SpecError, FixtureError, PersistError) as exc:
        raise InputError(str(exc)) from exc
    api_ports = api_ports or {}
    port = _bind(host, port, api_ports)
    runtime = app.runtime
    base = _base_url(host, port)
    for api_id, api in runtime.apis.items():
        click.echo(f"  {api.spec.title:<48} {base}{runtime.mount_of(api_id) or '/'}")
        if api_id in api_ports:
            click.echo(f"    also at {_base_url(host, api_ports[api_id])}/ (at the root of its own port)")
        for note in api.behavior.startup_notes():
            click.echo(f"    {note}")
    click.echo(f"  control API: {base}/__mock/health   (seed {runtime.seed})")
    if state_file:
        click.echo(f"  state file: {state_file}")
    return app, port, base


@main.command()
@click.option("--api", "api_ids", multiple=True, required=True, metavar="ID",
              help=f"API(s) to verify: {', '.join(API_IDS)}, the stem of a --spec file, or 'all'; repeatable.")
@click.option("--spec", "extra_specs", multiple=True, type=click.Path(path_type=Path), callback=spec_files,
              help="An OpenAPI file to verify as API <file stem>, with a flow derived from it; repeatable.")
@click.option("--base-url", help="The API's root URL (with several APIs: the root they are mounted under, "
                                 "each at /<api>).")
@click.option("--mock", "against_mock", is_flag=True, help="Start a mock on a free port and verify it.")
@click.option("--token", envvar="MOCKSERVER_VERIFY_TOKEN",
              help="Bearer token / API key / session token (default: any, as the mock accepts).")
@click.option("--username", help="User for HTTP Basic (AWX) or a login (PDNS POST /sessions).")
@click.option("--password", envvar="MOCKSERVER_VERIFY_PASSWORD", help="Password for --username.")
@click.option("--parent", "parents", multiple=True, metavar="NAME=VALUE",
              help="A parent to work under, by the name its spec declares (the singular of the collection "
                   "its x-mock-names names: record, organisation, user ...; else the parameter's name); "
                   "repeatable. Default: the parameter's example in the spec, or the first one the server lists.")
@click.option("--junit", type=click.Path(path_type=Path), callback=output_file,
              help="Write a JUnit XML report (its folder is made when missing).")
@click.option("--json", "json_path", type=click.Path(path_type=Path), callback=output_file,
              help="Write a JSON report (its folder is made when missing).")
@click.option("--quiet", is_flag=True, help="Print failures and the summary only.")
def verify(api_ids, extra_specs, base_url, against_mock, token, username, password, parents, junit, json_path,
           quiet):
    """Check a server against the specs: stateful flows, negative checks, every response.

    Exit 0 when every check holds, 1 when any fails, 2 when the target cannot be reached,
    the arguments are wrong or a report cannot be written, 130/143 when stopped by
    Ctrl-C/SIGTERM; the reports are written in every case.
    """
    from .verify.report import progress_line, summary, write_json, write_junit
    from .verify.runner import Outcome, load_flow, verify_api
    from .verify.signals import RunSignals
    from .verify.target import Credentials, Unreachable
    from .registry import extra_spec_ids
    from .spec import SpecError

    try:
        extras = extra_spec_ids(list(extra_specs))
    except SpecError as exc:
        raise InputError(str(exc)) from exc
    known = [*API_IDS, *extras]
    apis = known if "all" in api_ids else list(dict.fromkeys(api_ids))
    unknown = [a for a in apis if a not in known]
    if unknown:
        raise click.UsageError(f"unknown API {', '.join(unknown)}: choose from {', '.join(known)}, or all "
                               f"(an API of your own: --spec FILE)")
    options = _parent_options(parents)
    try:
        loaded = {api_id: load_flow(api_id, extras.get(api_id)) for api_id in apis}
    except SpecError as exc:
        raise InputError(str(exc)) from exc
    takes = {api_id: checks.parent_names() for api_id, (_, checks) in loaded.items()}
    wrong = sorted(set(options) - {name for names in takes.values() for name in names})
    if wrong:  # (the names each API takes come from its spec: see verify/parents.py)
        raise click.UsageError(f"--parent {wrong[0]}: " + "; ".join(
            f"{api_id} takes {', '.join(names) or 'no parent'}" for api_id, names in takes.items()))
    if bool(base_url) == bool(against_mock):
        raise click.UsageError("give either --base-url URL or --mock")
    if base_url and not base_url.startswith(("http://", "https://")):
        raise click.UsageError(f"--base-url must be an http(s) URL, got {base_url!r}")
    credentials = Credentials(token=token or (None if username else "mockserver-verify"),
                              username=username, password=password)

    def report(result):
        if not quiet or result.status in ("fail", "error"):
            click.echo(progress_line(result))

    outcome = Outcome()
    stopped, status = None, None  # why the run ended early, and its exit status
    with RunSignals() as signals:
        try:
            with _target_root(base_url, against_mock, list(extras.values())) as root:
                for api_id in apis:
                    url = root if (len(apis) == 1 and base_url) else f"{root.rstrip('/')}/{api_id}"
                    try:
                        verify_api(api_id, url, credentials, options, report, outcome, loaded[api_id])
                    except Unreachable as exc:
                        stopped, status = f"cannot reach {url}: {exc}", 2
                        outcome.record_stop(api_id, "reach the server", stopped, report)
                        break  # the next API is behind the same server
        except KeyboardInterrupt:
            stopped, status = f"interrupted: the run was stopped by {signals.received}", signals.status
            outcome.record_stop(outcome.results[-1].api if outcome.results else apis[0],
                                "the run was interrupted", stopped, report)
        signals.hold()  # the summary and the reports are written whole, whatever comes now
        click.echo(summary(outcome.results, outcome.leftovers))
        target = base_url or "a mock started for this run"
        problems = []  # each report is tried, so a CI step that collects them finds what can be
        for path, write in ((junit, lambda: write_junit(junit, outcome.results, target)),
                            (json_path, lambda: write_json(json_path, outcome.results, target, outcome.leftovers))):
            if path:
                try:
                    write()
                except OSError as exc:
                    problems.append(f"cannot write the report {path}: {exc.strerror or exc}")
    if signals.number and not stopped:  # it came while the reports were written
        stopped, status = f"interrupted: stopped by {signals.received}", signals.status
    if stopped:
        click.echo(stopped, err=True)
    for problem in problems:
        click.echo(f"Error: {problem}", err=True)
    # The run's own outcome first; a report that could not be written turns a pass into 2.
    sys.exit(status if stopped else 1 if not outcome.passed else 2 if problems else 0)


def _parent_options(parents: tuple[str, ...]) -> dict[str, str]:
    """``--parent NAME=VALUE`` as {name: value}."""
    options = {}
    for given in parents:
        name, sep, value = given.partition("=")
        if not sep or not name.strip() or not value:
            raise click.UsageError(f"--parent {given!r}: write NAME=VALUE, e.g. --parent record=2")
        options[name.strip()] = value
    return options


@contextlib.contextmanager
def _target_root(base_url: str | None, against_mock: bool, extra_specs: list[Path] = ()):
    """The URL to verify: the given one, or a mock started on a free port for the run."""
    if base_url:
        yield base_url
        return
    from .app import create_app
    from .fixtures import FixtureError
    from .persistence import PersistError
    from .runtime import MockConfig
    from .server import serving
    from .spec import SpecError

    try:
        app = create_app(MockConfig(access_log=False, extra_specs=list(extra_specs)))
    except (SpecError, FixtureError, PersistError) as exc:
        raise InputError(str(exc)) from exc
    with serving(app) as url:
        yield url


@main.group()
def fixtures() -> None:
    """Work with fixture and scenario files."""


@fixtures.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path), callback=data_files)
@click.option("--spec", "extra_specs", multiple=True, type=click.Path(path_type=Path), callback=spec_files,
              help="Also know the API of this OpenAPI file (as mockserver run --spec does); repeatable.")
def fixtures_check(paths, extra_specs):
    """Validate fixture files against the specs, as --fixtures would load them."""
    from .fixtures import FixtureError, build_store, read_fixture
    from .registry import API_IDS as built_in, load_apis
    from .spec import SpecError

    try:
        apis = load_apis(only=[*built_in, *(p.stem for p in extra_specs)], extra_specs=list(extra_specs))
    except SpecError as exc:
        raise InputError(str(exc)) from exc
    failed = False
    for path in paths:
        try:
            counts = build_store(apis, [read_fixture(path)], seed=0).counts()
        except FixtureError as exc:
            click.echo(f"{exc}", err=True)
            failed = True
            continue
        summary = ", ".join(f"{api} {sum(c.values())}" for api, c in counts.items() if sum(c.values()))
        click.echo(f"{path}: ok ({summary or 'no entities'})")
    if failed:
        sys.exit(1)


@main.command()
@click.argument("url")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(0, 3600),
              help="Seconds to wait at most.")
def wait(url, timeout):
    """Wait until URL answers 2xx (e.g. http://127.0.0.1:8080/__mock/health).

    For scripts and CI: start the mock in the background, then wait for it instead of
    sleeping. Exit 0 once it answers, 1 when TIMEOUT seconds pass first.
    """
    from .readiness import wait_until_ready

    if not url.startswith(("http://", "https://")):
        raise click.UsageError(f"URL must be an http(s) URL, got {url!r}")
    ready, last = wait_until_ready(url, timeout)
    if not ready:
        click.echo(f"{url} is not ready after {timeout:g} s: {last}", err=True)
        sys.exit(1)
    click.echo(f"{url} is ready")


def _name_environment_variables(group: click.Group, prefix: str = "MOCKSERVER") -> None:
    """Give every option whose parameter name differs from its flag (``--api`` kept as
    ``single_api``) the variable its flag promises: ``MOCKSERVER_RUN_API``, not Click's
    ``MOCKSERVER_RUN_SINGLE_API``. Options with a variable of their own keep it."""
    for name, command in group.commands.items():
        scope = f"{prefix}_{name.upper().replace('-', '_')}"
        if isinstance(command, click.Group):
            _name_environment_variables(command, scope)
            continue
        for param in command.params:
            flags = [flag for flag in getattr(param, "opts", ()) if flag.startswith("--")]
            if isinstance(param, click.Option) and flags and param.envvar is None:
                param.envvar = f"{scope}_{flags[0][2:].upper().replace('-', '_')}"


_name_environment_variables(main)

if __name__ == "__main__":  # pragma: no cover
    main()
