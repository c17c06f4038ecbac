"""A program that serves the mock, stops it with requests in flight, and exits at once.

The shutdown stress test (tests/test_shutdown_stress.py) runs it many times as its own
process: it must exit 0 every time. Its exit follows the server's stop immediately, the
moment when a granian thread that outlives the stop aborted the process (see
mockserver/native_threads.py).

    python tests/shutdown_child.py ROUNDS
"""

from __future__ import annotations

import http.client
import sys
import threading
from urllib.parse import urlsplit

from mockserver.app import create_app
from mockserver.runtime import MockConfig
from mockserver.server import serving

PATHS = ["/pdnsmanager/records/2/credentials", "/awx/api/v2/credentials/", "/__mock/health"]


def keep_asking(base: str, stop: threading.Event) -> None:
    """Send requests over one keep-alive connection until told to stop or the server goes."""
    where = urlsplit(base)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=5)
    headers = {"X-Authentication": "t", "Authorization": "Bearer t"}
    turn = 0
    while not stop.is_set():
        try:
            connection.request("GET", PATHS[turn % len(PATHS)], headers=headers)
            connection.getresponse().read()
        except (OSError, http.client.HTTPException):
            return
        turn += 1


def main(rounds: int) -> None:
    app = create_app(MockConfig(only=["pdnsmanager", "awx"], access_log=False))
    for _ in range(rounds):
        stop = threading.Event()
        with serving(app) as base:
            clients = [threading.Thread(target=keep_asking, args=(base, stop), daemon=True) for _ in range(4)]
            for client in clients:
                client.start()
            # leave the block with requests in flight and connections kept alive
        stop.set()
    print("stopped", rounds, "time(s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
