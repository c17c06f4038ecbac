"""Serve the mock over HTTP: granian's Rust HTTP server, one process, one event loop.

Why this shape (the measurements are in bench/server-choice.md and bench/results.md):

- The state lives in this process's memory, so there is exactly one process and no forked
  workers.
- With the GIL, one thread running all the Python work is the fastest arrangement: each
  extra thread that competes for the interpreter adds hand-offs and a long latency tail
  (thread-pool WSGI servers such as waitress reached less than half the throughput).
  So every request runs on the event loop's thread.
- A request that is told to wait (a latency fault, ``--latency``) waits on the event loop
  (``asyncio.sleep``), holding back no other request, however many wait at once.
- A dropped-connection fault closes the client's socket without writing a byte: granian
  gives the application no handle on its sockets, so `drop_connection` finds the socket
  of this very connection by its two addresses and shuts it down (Linux and macOS).

- `mockserver run --api-port awx=8052` adds listeners: one more granian server per such
  port, on the same loop and thread, serving the same app (the same state). Its bridge
  puts the port's API into every request's environ (`PINNED_API`), so the app serves that
  API at the root of the port and writes its links without the mount prefix.

The application itself stays a plain WSGI callable (Flask's test client drives it in the
unit tests); `RsgiBridge` adapts it to granian's RSGI interface.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import socket
import stat
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple

from .native_threads import ServerThreads

log = logging.getLogger("mockserver.server")

STOP_TIMEOUT = 10.0  # seconds a stopping server's event-loop thread may take to finish

# Connections served at once, and the queue of those not yet accepted (Linux caps it at
# net.core.somaxconn, 4096 by default). granian serves no more connections at once than
# its backpressure, which defaults to the backlog: 1,024 idle or slow clients then held
# back every other one, health included. Past these, the open-file limit bounds the
# rest (`mockserver run` raises its soft limit to the hard one, see raise_open_files).
LISTEN_BACKLOG = 4096
MAX_CONNECTIONS = 16384

# Bodies over the app's limit for their request (MockApp.body_limit: 1 MiB per API request,
# 64 MiB for the control API; this for any other app) are never read into memory: the app
# sees the declared length, or one byte too many of a chunked body, and answers its 413.
MAX_BODY_READ = 80 * 1024 * 1024

# environ key for the request's arrival (time.perf_counter()): MockApp's journal duration
# then includes a fault's wait, which happens here, before the app is called.
ARRIVED = "mockserver.arrived"

# environ key for the API a listener is given to (--api-port): the app serves it at the root
# of that port (MockApp._resolve), whatever the path's first segment says.
PINNED_API = "mockserver.pinned_api"

# Headers a client may repeat, joined as RFC 9110 says (Cookie with "; ", the rest with ", ").
_JOINERS = {"cookie": "; "}


class DroppedConnection(Exception):
    """Raised by the app to close the connection without any answer (a fault)."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on `host` right now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def drop_connection(client: str, server: str) -> bool:
    """Shut down the accepted socket between `client` and `server` ("host:port" each).

    Scans this process's open descriptors for the TCP socket with exactly these two
    ends; its shutdown sends the FIN at once, whatever the HTTP server does next. Only
    dropped-connection faults call this, so the scan's cost never touches normal traffic.
    """
    want_peer, want_local = _split_address(client), _split_address(server)
    fd_dir = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"
    for name in os.listdir(fd_dir):
        try:
            fd = int(name)
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                continue
            probe = socket.socket(fileno=os.dup(fd))
        except (OSError, ValueError):
            continue
        try:
            if (probe.type == socket.SOCK_STREAM and probe.getpeername()[:2] == want_peer
                    and probe.getsockname()[1] == want_local[1]):
                probe.shutdown(socket.SHUT_RDWR)
                return True
        except OSError:
            pass
        finally:
            probe.close()
    return False


class RsgiBridge:
    """Run a WSGI app under granian's RSGI interface (see the module docstring for why).

    `plan_fault(environ)` (the mock's `MockApp.plan_fault`) is asked first: it picks the
    request's fault and says how long to wait, and the wait happens here, on the loop.
    `body_limit(environ)` says how much of a body is worth reading. `pinned_api`, when
    given, goes into every environ as `PINNED_API` (a listener of ``--api-port``).
    """

    def __init__(self, wsgi_app, plan_fault=None, body_limit=None, pinned_api: str | None = None):
        self.wsgi_app = wsgi_app
        self.plan_fault = plan_fault
        self.body_limit = body_limit or (lambda environ: MAX_BODY_READ)
        self.pinned_api = pinned_api
        self.stopping = asyncio.Event()  # set on shutdown: waiting requests are answered at once

    async def __rsgi__(self, scope, protocol) -> None:
        arrived = time.perf_counter()
        environ = await self._environ(scope, protocol, self.body_limit, self.pinned_api)
        environ[ARRIVED] = arrived
        try:
            if self.plan_fault is not None:
                delay = self.plan_fault(environ)
                if delay > 0 and not self.stopping.is_set():
                    try:
                        await asyncio.wait_for(self.stopping.wait(), delay)
                    except asyncio.TimeoutError:  # the usual end of a wait
                        pass
            status, headers, body = self._call(environ)
        except DroppedConnection as exc:
            log.info("%s", exc)
            if not drop_connection(scope.client, scope.server):
                log.warning("could not find the socket of %s to drop it; it gets a 500 instead", scope.client)
            protocol.response_empty(500, [])  # never reaches a dropped client: its socket is shut
            return
        if isinstance(body, bytes):
            protocol.response_bytes(status, headers, body)
        else:
            await self._stream(protocol, status, headers, body)

    def _call(self, environ: dict) -> tuple[int, list[tuple[str, str]], bytes | Iterable[bytes]]:
        """Call the app: (status, headers, the body whole, or its chunks when it is streamed).

        A response without Content-Length is a stream (the journal of the control API):
        its chunks are sent as they come, with the loop free for other requests between them.
        """
        captured: list = []

        def start_response(status: str, headers, exc_info=None):
            captured[:] = [int(status[:3]), headers]

        chunks = self.wsgi_app(environ, start_response)
        headers = list(captured[1])
        if not any(name.lower() == "content-length" for name, _ in headers) and not isinstance(chunks, list):
            return captured[0], headers, chunks
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return captured[0], headers, body

    @staticmethod
    async def _stream(protocol, status: int, headers: list[tuple[str, str]], chunks: Iterable[bytes]) -> None:
        transport = protocol.response_stream(status, headers)
        try:
            for chunk in chunks:
                if chunk:
                    await transport.send_bytes(chunk)
                await asyncio.sleep(0)  # a send that needs no wait does not yield: let others in
        except OSError:  # the client went away: nothing more to send it
            pass
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    @staticmethod
    async def _environ(scope, protocol, body_limit, pinned_api: str | None = None) -> dict:
        """The WSGI environ of an RSGI request, body read (up to ``body_limit(environ)``)."""
        server_host, server_port = _split_address(scope.server)
        environ = {
            "REQUEST_METHOD": scope.method,
            "SCRIPT_NAME": "",
            # WSGI carries the path as Latin-1 text of its bytes; the app decodes UTF-8 itself.
            "PATH_INFO": scope.path.encode("utf-8", "surrogateescape").decode("latin-1"),
            "QUERY_STRING": scope.query_string,
            "SERVER_NAME": server_host,
            "SERVER_PORT": str(server_port),
            "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
            "REMOTE_ADDR": _split_address(scope.client)[0],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.scheme,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }
        for name, value in scope.headers.items():
            if "_" in name:  # X_A would pose as X-A in the environ: dropped, as waitress does
                continue
            if name == "content-type":
                environ["CONTENT_TYPE"] = value
            elif name == "content-length":
                environ["CONTENT_LENGTH"] = value
            else:
                key = "HTTP_" + name.upper().replace("-", "_")
                environ[key] = f"{environ[key]}{_JOINERS.get(name, ', ')}{value}" if key in environ else value
        if "HTTP_HOST" not in environ and scope.authority:  # HTTP/2 sends :authority, not Host
            environ["HTTP_HOST"] = scope.authority
        if pinned_api is not None:  # before the body: its limit is the pinned API's
            environ[PINNED_API] = pinned_api
        environ["wsgi.input"] = io.BytesIO(await _read_body(environ, protocol, body_limit))
        return environ


async def _read_body(environ: dict, protocol, body_limit) -> bytes:
    """The body, unless it is over ``body_limit(environ)`` (asked only when there is one)."""
    declared = environ.get("CONTENT_LENGTH", "").strip()
    if declared == "0" or (not declared and "HTTP_TRANSFER_ENCODING" not in environ
                           and environ["REQUEST_METHOD"] in ("GET", "HEAD", "OPTIONS", "DELETE")):
        return b""  # (HTTP/2 may send other methods' bodies with neither header: those are read)
    limit = min(body_limit(environ), MAX_BODY_READ)
    if declared.isdigit():
        return b"" if int(declared) > limit else await protocol()
    body = bytearray()
    async for chunk in protocol:  # chunked: stop as soon as it is past the limit
        body += chunk
        if len(body) > limit:
            break
    return bytes(body)


def _granian_server(bridge: RsgiBridge, host: str, port: int):
    from granian.constants import Interfaces
    from granian.server.embed import Server

    # granian warns that embedding is experimental on every start; the warning is not for our users.
    logging.getLogger("_granian").setLevel(logging.ERROR)
    return Server(bridge, address=host, port=port, interface=Interfaces.RSGI, websockets=False,
                  log_enabled=False, backlog=LISTEN_BACKLOG, backpressure=MAX_CONNECTIONS)


def _bridge(app, pinned_api: str | None = None) -> RsgiBridge:
    # A MockApp plans faults and knows its body limits; the Flask app of create_app() wraps
    # one as its wsgi_app; any other WSGI app is served as it is.
    mock = app if hasattr(app, "plan_fault") else getattr(app, "wsgi_app", None)
    if not hasattr(mock, "plan_fault"):
        return RsgiBridge(app, pinned_api=pinned_api)
    return RsgiBridge(app, mock.plan_fault, mock.body_limit, pinned_api)


def raise_open_files(wanted: int = MAX_CONNECTIONS + 1024) -> int:
    """Raise this process's soft limit of open files towards `wanted` (at most the hard
    limit): each connection is one. Returns the limit now in force (0 where unknown)."""
    try:
        import resource
    except ImportError:  # not on this system
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            return target
        except (ValueError, OSError):
            pass
    return soft


def check_bindable(host: str, port: int) -> None:
    """Raise OSError now when `host:port` cannot be listened on (granian would only log it)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


async def _until_listening(host: str, ports: Iterable[int], servings: list[asyncio.Future]) -> None:
    """Return once every one of `ports` on `host` accepts connections (or a server has
    already stopped: then nothing is announced)."""
    for port in ports:
        while not any(serving.done() for serving in servings):
            try:
                _, writer = await asyncio.open_connection(host, port)
            except OSError:
                await asyncio.sleep(0.005)
                continue
            writer.close()
            break


class Listener(NamedTuple):
    """One port `run_until_interrupted` serves: its bridge and its granian server."""

    bridge: RsgiBridge
    server: Any
    port: int


def _listeners(app, host: str, port: int, api_ports: Mapping[str, int]) -> list[Listener]:
    """The main port's listener, then one for each ``--api-port``, whose bridge pins its API."""
    listeners = []
    for api_id, its_port in [(None, port), *api_ports.items()]:
        bridge = _bridge(app, api_id)
        listeners.append(Listener(bridge, _granian_server(bridge, host, its_port), its_port))
    return listeners


def run_until_interrupted(app, host: str = "127.0.0.1", port: int = 8080, on_listening=None,
                          api_ports: Mapping[str, int] | None = None) -> None:
    """Serve `app` in this thread until Ctrl-C or SIGTERM, then return.

    `api_ports` ({api id: port}) adds a listener per entry, on the same loop, serving that
    API at the root of its port (see `PINNED_API`). `on_listening()` is called once every
    port accepts connections, so whatever it announces is already true. On the way out,
    requests still waiting for a latency fault are answered at once rather than waited
    for, and this returns only once granian's own threads have ended (see
    `native_threads`), so the caller may let the interpreter finalize and exit with its
    real status. A second Ctrl-C or SIGTERM ends the process at once (130 or 143).
    """
    listeners = _listeners(app, host, port, api_ports or {})
    # The only servers of their process, all started from this thread: their threads (and
    # the process, as `ps` shows it) are named plainly "mockserver", and one wait covers them all.
    threads = ServerThreads("mockserver")

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def stop_servers() -> None:
            for listener in listeners:
                listener.bridge.stopping.set()
                listener.server.stop()

        def stop() -> None:
            stop_servers()
            for signum in (signal.SIGINT, signal.SIGTERM):  # the next signal does not wait
                loop.add_signal_handler(signum, os._exit, 128 + signum)

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop)
        servings = [asyncio.ensure_future(listener.server.serve()) for listener in listeners]
        if on_listening is not None:
            await _until_listening(host, [listener.port for listener in listeners], servings)
            if not any(serving.done() for serving in servings):
                on_listening()
        # A server ends only when stopped, or when granian gives up on it: then the others
        # stop too (the process serves all of its ports or none), and each one's end is
        # awaited here, never cancelled by asyncio.run, so all of their threads wind down.
        await asyncio.wait(servings, return_when=asyncio.FIRST_COMPLETED)
        stop_servers()
        await asyncio.wait(servings)
        for serving in servings:
            serving.result()  # a server's error, if any, is the run's

    threads.name_this_thread()
    try:
        asyncio.run(main())
    finally:
        # asyncio.run has put the default handlers back: a signal during the wait would
        # interrupt it (or kill the process) with the wrong status. One ends it at once.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda number, frame: os._exit(128 + number))
        threads.wait_ended()


def _wait_listening(host: str, port: int, thread: threading.Thread, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError(f"the server on {host}:{port} stopped while starting")
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.01)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout} s")


@contextmanager
def serving(app, host: str = "127.0.0.1", port: int = 0):
    """Serve `app` in a background thread for the ``with`` block; yields the base URL.

    ``port=0`` picks a free port. The server is stopped on the way out, also after an
    error, and the block ends only once all of its threads (granian's too) have ended.
    Used by ``mockserver verify --mock``, the pytest plugin and the test suite.
    """
    port = port or free_port(host)
    check_bindable(host, port)
    bridge = _bridge(app)
    server = _granian_server(bridge, host, port)
    threads = ServerThreads()
    ready: dict = {}
    loop_ready = threading.Event()

    async def main() -> None:
        ready["loop"] = asyncio.get_running_loop()
        loop_ready.set()
        await server.serve()

    def run_loop() -> None:
        threads.name_this_thread()
        asyncio.run(main())

    thread = threading.Thread(target=run_loop, name="mockserver", daemon=True)
    thread.start()
    try:
        _wait_listening(host, port, thread)
        yield f"http://{url_host(host)}:{port}"
    finally:
        # Even when the block ends at once (Ctrl-C while starting), the server gets to stop:
        # a server left running would keep its threads past interpreter exit.
        loop_ready.wait(STOP_TIMEOUT if thread.is_alive() else 0)
        loop = ready.get("loop")
        if loop is not None and thread.is_alive():
            try:
                loop.call_soon_threadsafe(bridge.stopping.set)
                loop.call_soon_threadsafe(server.stop)
            except RuntimeError:  # the loop has just closed: the server is down already
                pass
        thread.join(STOP_TIMEOUT)
        if thread.is_alive():
            log.warning("the server on %s:%s did not stop within %s s", host, port, STOP_TIMEOUT)
        else:
            threads.wait_ended()


def url_host(host: str) -> str:
    """A host as it goes in a URL (IPv6 addresses in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
