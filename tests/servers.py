"""Start mock servers for tests on free loopback ports, and always stop them."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from mockserver.server import free_port, serving

ROOT = Path(__file__).resolve().parent.parent


def wait_healthy(base: str, process: subprocess.Popen | None = None, timeout: float = 20.0,
                 log: Path | None = None) -> None:
    """Poll /__mock/health until it answers 200 (or the process dies, or time runs out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            output = log.read_text() if log is not None else ""
            raise RuntimeError(f"server exited with {process.returncode}: {output}")
        try:
            if requests.get(f"{base}/__mock/health", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{base} did not become healthy")


@contextmanager
def threaded_server(app):
    """Serve `app` over HTTP in a thread; yields the base URL once it is healthy."""
    with serving(app) as base:
        wait_healthy(base)
        yield base


@contextmanager
def cli_server(*args: str, env: dict | None = None):
    """Run ``mockserver run`` as a real process on a free port; yields (base URL, process).

    ``process.log_path`` is the file its stderr goes to (read it while it runs, or after).
    """
    port = free_port()
    env = {**(env or os.environ), "PYTHONUNBUFFERED": "1"}
    # stderr goes to a file, not a pipe: an unread pipe fills up and blocks a busy server.
    with tempfile.NamedTemporaryFile("w+", prefix="mockserver-", suffix=".log") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", "run", "--port", str(port), "--quiet", *args],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
        process.log_path = Path(log.name)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(base, process, log=Path(log.name))
            yield base, process
        finally:
            stop_process(process)


def stop_process(process: subprocess.Popen, timeout: float = 10) -> int:
    """SIGTERM a server process (unless it has ended), SIGKILL it after `timeout` s; its exit status."""
    if process.poll() is None:
        process.terminate()
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()
