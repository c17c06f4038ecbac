"""Start the servers the bench measures, each as its own process, and stop them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from mockserver.server import free_port  # noqa: F401  (re-exported for the bench runner)

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PRISM = ROOT / "bench" / ".prism" / "node_modules" / ".bin" / "prism"


def answers(port: int, path: str, timeout: float = 0.5) -> int | None:
    """The status of ``GET path`` on 127.0.0.1:port, or None when nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
            conn.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            head = conn.recv(64)
    except OSError:
        return None
    parts = head.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def wait_until(process: subprocess.Popen, port: int, path: str, timeout: float, any_status: bool = False) -> float:
    """Poll every 5 ms until `path` answers 200 (any status with `any_status`); the seconds it took."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode} while starting")
        status = answers(port, path, timeout=1)
        if status == 200 or (any_status and status is not None):
            return time.perf_counter() - started
        time.sleep(0.005)
    raise TimeoutError(f"{' '.join(map(str, process.args))} not ready after {timeout} s")


@contextmanager
def started(command: list[str], port: int, ready_path: str, timeout: float = 120.0, any_status: bool = False,
            env: dict | None = None):
    """Run `command` until the ``with`` block ends; yields (process, seconds to ready).

    Its output goes to a temporary log, shown when it fails to start.
    """
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, **(env or {})}, start_new_session=True)
        try:
            try:
                ready = wait_until(process, port, ready_path, timeout, any_status)
            except (RuntimeError, TimeoutError) as exc:
                log.seek(0)
                raise RuntimeError(f"{exc}; its output:\n{log.read()[-3000:]}") from None
            yield process, ready
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the process group, SIGKILL it after 10 s; quiet when it is gone already."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except ProcessLookupError:
        process.wait()
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def mock_command(port: int, *fixtures: str) -> list[str]:
    """``mockserver run`` exactly as ``make run`` starts it (plus --quiet and fixtures)."""
    command = [str(VENV_BIN / "mockserver"), "run", "--host", "127.0.0.1", "--port", str(port), "--quiet"]
    for path in fixtures:
        command += ["--fixtures", path]
    return command


def bare_command(port: int) -> list[str]:
    """The bare Flask baseline on the same server."""
    return [sys.executable, "-m", "bench.bare_app", "--port", str(port)]


def prism_command(port: int, spec: str) -> list[str]:
    """Stoplight Prism mocking one spec (installed by ``make bench`` into bench/.prism)."""
    return [str(PRISM), "mock", "--host", "127.0.0.1", "--port", str(port), spec]


def resident_mb(pid: int) -> float:
    """Resident memory of a process, in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")
