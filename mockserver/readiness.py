"""Wait for a server to answer: ``mockserver wait URL`` (scripts, CI, the container's health check)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request


def probe(url: str, timeout: float = 2.0) -> tuple[bool, str]:
    """One try: (True, "200") when `url` answers 2xx, else (False, what happened)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http(s) only, checked by the caller
            return 200 <= response.status < 300, str(response.status)
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, str(reason)


def wait_until_ready(url: str, timeout: float, interval: float = 0.1) -> tuple[bool, str]:
    """Poll `url` until it answers 2xx or `timeout` seconds pass; (ready, the last answer)."""
    deadline = time.monotonic() + timeout
    while True:
        ready, last = probe(url, timeout=max(0.1, min(2.0, deadline - time.monotonic())))
        if ready or time.monotonic() >= deadline:
            return ready, last
        time.sleep(interval)
