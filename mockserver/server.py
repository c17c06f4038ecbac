"""Serve an app with a production-grade, multi-threaded WSGI server (waitress).

One process, many threads: the state lives in this process's memory, so the server must
never fork workers. Waitress is pure Python, needs no compiler and is thread-based.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from waitress import wasyncore
from waitress.channel import ClientDisconnected
from waitress.server import create_server


class DroppedConnection(ClientDisconnected):
    """Raised by the app to close the connection without any answer (a fault).

    Waitress closes the socket without writing a byte when the app raises its
    ClientDisconnected; this is the one place that knows the server does so.
    """


def make_server(app, host: str = "127.0.0.1", port: int = 8080, threads: int = 8):
    """A bound, not yet running server (``port=0`` picks a free port: see ``.effective_port``)."""
    return create_server(app, host=host, port=port, threads=threads, ident="mockserver",
                         # Above the app's own limits (1 MiB per API request, 64 MiB for the
                         # control API), so the app answers them as JSON in the right format.
                         max_request_body_size=80 * 1024 * 1024, clear_untrusted_proxy_headers=True)


def run_until_interrupted(server) -> None:
    """Serve until Ctrl-C or SIGTERM, then close the listening socket."""
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def stop(server, thread, timeout: float = 10.0) -> None:
    """Stop a server that runs in another thread, cleanly.

    Closing its sockets from here would race the select() of its loop; instead the
    close runs inside the loop itself (a trigger thunk), which then ends for want of
    sockets, and the worker threads are shut down after it.
    """
    server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    thread.join(timeout)
    server.task_dispatcher.shutdown()


@contextmanager
def serving(app, host: str = "127.0.0.1", port: int = 0, threads: int = 8):
    """Serve `app` in a background thread for the ``with`` block; yields the base URL.

    ``port=0`` picks a free port. The server is stopped on the way out, also after an
    error. Used by ``mockserver verify --mock``, the pytest plugin and the test suite.
    """
    server = make_server(app, host, port, threads=threads)
    thread = threading.Thread(target=server.run, name="mockserver", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.effective_port}"
    finally:
        stop(server, thread)
