"""The ``mockserver`` command line: ``mockserver run`` and friends."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from .fixtures import FixtureError
from .registry import API_IDS
from .runtime import MockConfig
from .spec import SpecError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Spec-driven, stateful mock server for five credentials APIs."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--api", "single_api", type=click.Choice(API_IDS),
              help="Serve only this API, mounted at / instead of /<api>.")
@click.option("--seed", type=int, help="Seed for generated data: the same data on every start.")
@click.option("--fixtures", "fixtures", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Fixture file(s) to start with instead of fixtures/default.yaml; repeatable, "
                   "later files add to earlier ones.")
@click.option("--specs", "spec_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Directory holding <api>.yaml specs (default: the project's specs/).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Worker threads of the WSGI server.")
@click.option("--quiet", is_flag=True, help="Do not log one line per request.")
def run(host, port, single_api, seed, fixtures, spec_dir, threads, quiet):
    """Serve the APIs over HTTP until interrupted."""
    from .app import create_app
    from .server import make_server, run_until_interrupted

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    config = MockConfig(spec_dir=spec_dir, single_api=single_api, seed=seed, access_log=not quiet)
    if fixtures:
        config.fixtures = list(fixtures)
    try:
        app = create_app(config)
    except (SpecError, FixtureError) as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        server = make_server(app, host, port, threads)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror} "
                                   f"(choose another port, e.g. make run PORT=9000)") from exc
    runtime = app.extensions["mockserver"]
    base = f"http://{host}:{server.effective_port}"
    for api_id, api in runtime.apis.items():
        click.echo(f"  {api.spec.title:<48} {base}{runtime.mount_of(api_id) or '/'}")
    click.echo(f"  control API: {base}/__mock/health   (seed {runtime.seed})")
    click.echo(f"mockserver: listening on {base}/  (Ctrl-C stops it)")
    run_until_interrupted(server)

if __name__ == "__main__":  # pragma: no cover
    main()
