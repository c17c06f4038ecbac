"""Wait for a server to answer: ``mockserver wait URL`` (scripts, CI, the container's health check)."""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request

# No proxy: the URL waited for is the mock itself, usually on this machine or its CI network,
# while CI systems and containers often set HTTP(S)_PROXY for the outside world.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def probe(url: str, timeout: float = 2.0) -> tuple[bool, str]:
    """One try: (True, "200") when `url` answers 2xx, else (False, what happened)."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return 200 <= response.status < 300, str(response.status)
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return False, str(getattr(exc, "reason", exc))
    except (http.client.HTTPException, ValueError) as exc:  # something answered, but not HTTP
        return False, f"not an HTTP answer ({exc.__class__.__name__}: {exc})"


def wait_until_ready(url: str, timeout: float, interval: float = 0.1) -> tuple[bool, str]:
    """Poll `url` until it answers 2xx or `timeout` seconds pass; (ready, the last answer)."""
    deadline = time.monotonic() + timeout
    while True:
        ready, last = probe(url, timeout=max(0.1, min(2.0, deadline - time.monotonic())))
        if ready or time.monotonic() >= deadline:
            return ready, last
        time.sleep(interval)
