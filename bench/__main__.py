"""``python -m bench``: measure everything, print it, write bench/results.md."""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time

import requests

from . import bodies, feed, mix, report, wrk
from .processes import PRISM, bare_command, free_port, mock_command, prism_command, resident_mb, started

BIG = "bench/fixtures/pdns-100k.yaml"
SMALL = "bench/fixtures/pdns-100.yaml"
LIST_10K = ("fixtures/default.yaml", "bench/fixtures/pdns-10k.yaml")


def say(message: str) -> None:
    print(message, flush=True)


def check_answers(base: str, calls) -> None:
    """Send each call once and insist on its expected status, so no figure measures an error."""
    for call in calls:
        body = call.body.replace("{n}", f"check-{time.time_ns()}") if call.body else None
        answer = requests.request(call.method, base + call.path, headers=call.headers, data=body, timeout=10)
        if answer.status_code != call.expect:
            raise SystemExit(f"bench: {call.method} {base}{call.path} answered {answer.status_code}, "
                             f"expected {call.expect}: {answer.text[:300]}")


def measure_startup(runs: int) -> dict:
    """Seconds from starting ``mockserver run`` (all five specs) to a healthy /__mock/health.

    Once cold (an empty parse cache, as after editing a spec), then `runs` times as usual.
    """
    with tempfile.TemporaryDirectory(prefix="bench-cold-cache-") as empty:
        port = free_port()
        with started(mock_command(port), port, "/__mock/health", env={"MOCKSERVER_CACHE_DIR": empty}) as (_, cold):
            pass
    times = []
    for _ in range(runs):
        port = free_port()
        with started(mock_command(port), port, "/__mock/health") as (_, seconds):
            times.append(seconds)
    return {"median_s": round(statistics.median(times), 3), "best_s": round(min(times), 3), "runs": runs,
            "cold_s": round(cold, 3)}


def measure_mix(seconds: float, rounds: int) -> dict:
    """The mix against the mock (10,000 PDNS credentials) and the bare app; the get against Prism.

    All servers run side by side and take turns, call by call, round after round, so a
    burst of noise on this shared machine lands on one round of several calls rather than
    on every run of one. Each call keeps its best clean round (noise only ever slows).
    """
    prism_port = free_port() if PRISM.exists() else None
    mock_port, bare_port = free_port(), free_port()
    with contextlib.ExitStack() as servers:
        servers.enter_context(started(mock_command(mock_port, *LIST_10K), mock_port, "/__mock/health"))
        servers.enter_context(started(bare_command(bare_port), bare_port, "/__mock/health"))
        prism_ready = None
        if prism_port is not None:
            _, prism_ready = servers.enter_context(started(
                prism_command(prism_port, "specs/versori.yaml"), prism_port, mix.PRISM_VERSORI_GET.path,
                timeout=60, any_status=True))
            check_answers(f"http://127.0.0.1:{prism_port}", [mix.PRISM_VERSORI_GET])
        else:
            say("  Prism is not installed (make bench installs it with npm): skipped")
        for port in (mock_port, bare_port):
            check_answers(f"http://127.0.0.1:{port}", mix.MIX)
        plan = [(side, port, call) for call in mix.MIX for side, port in (("mock", mock_port), ("bare", bare_port))]
        if prism_port is not None:
            plan.append(("prism", prism_port, mix.PRISM_VERSORI_GET))
        runs: dict = {}
        for round_number in range(1, rounds + 1):
            say(f"  round {round_number} of {rounds}")
            for side, port, call in plan:
                load = wrk.drive(f"http://127.0.0.1:{port}", call, seconds, tag=f"{side}-{time.time_ns()}")
                runs.setdefault((side, call.name), []).append(load)
    results: dict = {"mock": {}, "bare": {}}
    for (side, name), loads in runs.items():
        results.setdefault(side, {})[name] = best_run(loads)
    for call in mix.MIX:
        for side in ("mock", "bare"):
            say_load(side, call.title, results[side][call.name])
    prism = None
    if prism_port is not None:
        say_load("prism", "Versori get", results["prism"]["versori-get"])
        prism = {"versori-get": results.pop("prism")["versori-get"], "startup_s": round(prism_ready, 3)}
    return {"mix": results, "prism": prism}


def say_load(side: str, title: str, best: dict) -> None:
    say(f"  {side:<5} {title:<46} {best['rps']:>8.0f} req/s  p50 {best['p50_ms']:6.2f} ms  "
        f"p99 {best['p99_ms']:6.2f} ms" + (f"  ({best['unexpected']} unexpected answers)" if best["unexpected"] else ""))


def best_run(runs: list[wrk.Load]) -> dict:
    """The fastest run whose every answer was as expected, with the unexpected answers of all runs.

    A run with wrong answers never counts as the best (an error page is cheap to send).
    """
    clean = [run for run in runs if run.unexpected == 0]
    best = max(clean or runs, key=lambda run: run.rps).as_dict()
    best["unexpected"] = sum(run.unexpected for run in runs)
    return best


def measure_store_size(seconds: float) -> dict:
    """List latency at 100 and 100,000 stored credentials, and memory with 100,000."""
    figures: dict = {}
    page = mix.small_list()
    last_page = mix.Call("pdns-last-page", "PDNS last page", "GET",
                         "/pdnsmanager/records/1/credentials?page=4000&pagesize=25", 200, page.headers)
    for label, fixture in (("100", SMALL), ("100000", BIG)):
        port = free_port()
        with started(mock_command(port, fixture), port, "/__mock/health", timeout=300) as (process, ready_s):
            base = f"http://127.0.0.1:{port}"
            check_answers(base, [page])
            load = wrk.drive(base, page, seconds, connections=1, threads=1)
            figures[label] = {"list": load.as_dict(), "ready_s": round(ready_s, 2)}
            if label == "100000":
                check_answers(base, [last_page])
                figures[label]["last_page"] = wrk.drive(base, last_page, seconds, connections=1, threads=1).as_dict()
                figures[label]["rss_mb"] = round(resident_mb(process.pid), 1)
        say(f"  {label:>6} stored: page 1 p50 {load.p50_ms:.3f} ms, {load.rps:.0f} req/s at 1 connection")
    return figures


def measure_bodies() -> dict:
    """How long the mock takes to refuse each expensive body (bench/bodies.py)."""
    port = free_port()
    with started(mock_command(port), port, "/__mock/health") as _:
        figures = bodies.measure(f"http://127.0.0.1:{port}")
    for name, figure in figures.items():
        say(f"  {name}: {figure['ms']:.1f} ms ({figure['kb']} KB)")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Measure the mock; write bench/results.md.")
    parser.add_argument("--seconds", type=float, default=4.0, help="Duration of each wrk run (default 4).")
    parser.add_argument("--rounds", type=int, default=3, help="Runs per call and server; the best counts (default 3).")
    parser.add_argument("--startup-runs", type=int, default=7, help="Start-ups to time (default 7).")
    parser.add_argument("--output", default=str(report.RESULTS), help="Results file (default bench/results.md).")
    args = parser.parse_args(argv)
    if not wrk.available():
        say("bench: wrk is not installed; `make bench` installs it (apt-get install wrk)")
        return 2
    started_at = time.time()
    say("Start-up to healthy, all five specs:")
    figures = {"startup": measure_startup(args.startup_runs)}
    say(f"  median {figures['startup']['median_s']} s, best {figures['startup']['best_s']} s; "
        f"cold (empty parse cache) {figures['startup']['cold_s']} s")
    say(f"Request mix at 8 connections, best of {args.rounds} rounds of {args.seconds:g} s per call "
        "(mock, bare Flask on the same server, Stoplight Prism on the Versori get):")
    figures.update(measure_mix(args.seconds, args.rounds))
    say("The mix with and without a dashboard's live feed (a poll of the journal every second):")
    figures["feed"] = feed.measure_feed(args.seconds, args.rounds, say)
    say(f"  over the mix: {figures['feed']['mix_ratio']:.3f} × with the feed")
    say("Store size: list latency at 100 and 100,000 stored, memory at 100,000:")
    figures["store"] = measure_store_size(args.seconds)
    say("Expensive bodies: median time to the 4xx:")
    figures["bodies"] = measure_bodies()
    figures["seconds_per_run"] = args.seconds
    figures["rounds"] = args.rounds
    figures["bench_duration_s"] = round(time.time() - started_at, 1)
    text = report.write(figures, args.output)
    say("")
    say(text.split("<!-- bench-data")[0].rstrip())  # the figures block is for the next run, not for reading
    say(f"\n(written to {args.output})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
