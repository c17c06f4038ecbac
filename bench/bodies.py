"""The expensive request bodies of issue 10, and how long the mock takes to refuse each.

Each is sent a few times to a running mock; the median answer time counts. A small
invalid body is the baseline: an expensive body should cost its size in parsing and
little more, never a stall of the server.
"""

from __future__ import annotations

import statistics
import time

import requests

LIMIT = 1024 * 1024  # an API body's size limit: the "1 MiB" bodies stay just under it
ACCESS = "/apinizer/apiops/projects/admin/credentials/admin/access/"  # oneOf array/object: the costliest check
AWX_CREATE = "/awx/api/v2/users/1/credentials/"


def cases() -> list[tuple[str, str, str, bytes]]:
    """(name, method, path, body), the baseline first."""
    zeros = (LIMIT - 100) // 2
    return [
        ("small invalid body (baseline)", "PUT", ACCESS, b"[0, 0, 0]"),
        ("32,000 invalid items (64 KB)", "PUT", ACCESS, b"[" + b",".join([b"0"] * 32000) + b"]"),
        ("1 MiB of invalid items", "PUT", ACCESS, b"[" + b",".join([b"0"] * zeros) + b"]"),
        ("1 MiB of nested brackets", "PUT", ACCESS, b"[" * zeros + b"]" * zeros),
        ("a field of 1 MiB invalid items (AWX)", "POST", AWX_CREATE,
         b'{"name": [' + b",".join([b"0"] * (zeros - 10)) + b"]}"),
    ]


def measure(base: str, tries: int = 5) -> dict:
    """Median milliseconds to the answer of each case; the status of each must be a 4xx."""
    headers = {"Authorization": "Bearer t", "Content-Type": "application/json"}
    session = requests.Session()
    session.put(base + ACCESS, data=b"[0]", headers=headers, timeout=30)  # the first rejection imports
    figures = {}
    for name, method, path, body in cases():
        times = []
        for _ in range(tries):
            started = time.perf_counter()
            # (a trailing space of its own each time: no try may profit from an earlier one)
            answer = session.request(method, base + path, data=body + b" " * len(times), headers=headers,
                                     timeout=120)
            times.append((time.perf_counter() - started) * 1000)
            if not 400 <= answer.status_code < 500:
                raise SystemExit(f"bench: {name} answered {answer.status_code}, expected a 4xx")
        figures[name] = {"ms": round(statistics.median(times), 1), "kb": round(len(body) / 1024)}
    return figures
