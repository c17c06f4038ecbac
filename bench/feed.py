"""What a connected dashboard costs the API: the mix with and without its live feed.

The dashboard polls ``GET /__mock/requests?summary=true&limit=200&since=<last id>`` every
second (mockserver/ui/dashboard.js). Here a thread does the same against the mock while
wrk drives each call of the mix; runs with and without the poller take turns, round after
round, and each keeps its best clean run, as the mix does. The figure is the mix's
throughput with the feed over without it (issue 13: at least 0.95).

``python -m bench.feed`` measures it alone; ``make bench`` includes it.
"""

from __future__ import annotations

import contextlib
import sys
import threading

import requests

from . import mix, wrk
from .processes import free_port, mock_command, started

POLL_SECONDS = 1.0  # as the dashboard
FEED_LIMIT = 200


class Poller(threading.Thread):
    """Polls the journal like the dashboard until stopped; counts its polls and entries read."""

    def __init__(self, base: str):
        super().__init__(daemon=True, name="bench-feed-poller")
        self.base, self.last, self.polls, self.entries = base, None, 0, 0
        self.halt = threading.Event()

    def run(self) -> None:
        with requests.Session() as session:
            while True:  # a poll at once (as the page does when it opens), then one a second
                query = {"summary": "true", "limit": FEED_LIMIT}
                if self.last is not None:
                    query["since"] = self.last
                page = session.get(f"{self.base}/__mock/requests", params=query, timeout=10).json()["requests"]
                if page:
                    self.last = page[-1]["id"]
                self.polls += 1
                self.entries += len(page)
                if self.halt.wait(POLL_SECONDS):
                    return


def measure_feed(seconds: float, rounds: int, say=print) -> dict:
    """Per call and over the mix: best req/s without and with the poller, and their ratio."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    runs: dict = {}
    with started(mock_command(port, "fixtures/default.yaml", "bench/fixtures/pdns-10k.yaml"), port, "/__mock/health"):
        for round_number in range(1, rounds + 1):
            say(f"  round {round_number} of {rounds}")
            for call in mix.MIX:
                for side in ("without", "with"):
                    with contextlib.ExitStack() as stack:
                        if side == "with":
                            poller = Poller(base)
                            poller.start()
                            stack.callback(poller.join)
                            stack.callback(poller.halt.set)
                        load = wrk.drive(base, call, seconds, tag=f"feed-{side}-{round_number}")
                    runs.setdefault((side, call.name), []).append(load)
                    if side == "with":
                        runs.setdefault(("polls", call.name), []).append((poller.polls, poller.entries))
    calls = {}
    for call in mix.MIX:
        best = {side: max((r for r in runs[(side, call.name)] if r.unexpected == 0),
                          key=lambda r: r.rps, default=None) for side in ("without", "with")}
        if best["without"] is None or best["with"] is None:
            raise SystemExit(f"bench.feed: {call.title} had unexpected answers in every run")
        polls, entries = runs[("polls", call.name)][-1]
        calls[call.name] = {"title": call.title, "without_rps": round(best["without"].rps, 1),
                            "with_rps": round(best["with"].rps, 1),
                            "ratio": round(best["with"].rps / best["without"].rps, 3),
                            "polls": polls, "entries_per_poll": round(entries / max(polls, 1), 1)}
        say(f"  {call.title:<46} {calls[call.name]['without_rps']:>8.0f} → {calls[call.name]['with_rps']:>8.0f} "
            f"req/s with the feed ({calls[call.name]['ratio']:.3f} ×)")
    without = sum(c["without_rps"] for c in calls.values())
    with_feed = sum(c["with_rps"] for c in calls.values())
    return {"calls": calls, "mix_ratio": round(with_feed / without, 3)}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.feed", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if not wrk.available():
        print("bench.feed: wrk is not installed; `make bench` installs it (apt-get install wrk)")
        return 2
    figures = measure_feed(args.seconds, args.rounds)
    print(f"mix with a dashboard's feed: {figures['mix_ratio']:.3f} × the throughput without it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
