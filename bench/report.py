"""Write bench/results.md: the figures, the targets they meet, and the change since last time.

The figures themselves are kept in the file as a JSON block, so the next run can read the
previous one back and show the difference.
"""

from __future__ import annotations

import json
import os
import platform
import re
from datetime import datetime, timezone
from pathlib import Path

from . import mix

RESULTS = Path(__file__).resolve().parent / "results.md"
_DATA = re.compile(r"<!-- bench-data\n(.*?)\n-->", re.S)


def machine() -> dict:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GB"
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": memory, "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "host": platform.node()}


def previous(path: Path) -> dict | None:
    """The figures of the last results file, when there is one."""
    try:
        found = _DATA.search(path.read_text())
        return json.loads(found.group(1)) if found else None
    except (OSError, ValueError):
        return None


def targets(figures: dict) -> list[tuple[str, str, bool | None]]:
    """(target, figure, met) for each target of the issue; met is None when not measured."""
    mock, bare = figures["mix"]["mock"], figures["mix"]["bare"]
    mock_rps = sum(mock[c.name]["rps"] for c in mix.MIX)
    bare_rps = sum(bare[c.name]["rps"] for c in mix.MIX)
    worst = min(mock[c.name]["rps"] / bare[c.name]["rps"] for c in mix.MIX)
    p99 = max(mock[c.name]["p99_ms"] for c in mix.MIX)
    rows = [
        ("throughput ≥ 0.8 × bare Flask, same server",
         f"{mock_rps / bare_rps:.2f} × over the mix (lowest call {worst:.2f} ×)", mock_rps / bare_rps >= 0.8),
    ]
    prism = figures.get("prism")
    if prism:
        ratio = mock["versori-get"]["rps"] / prism["versori-get"]["rps"]
        rows.append(("throughput ≥ 3 × Stoplight Prism, Versori get", f"{ratio:.1f} ×", ratio >= 3))
    else:
        rows.append(("throughput ≥ 3 × Stoplight Prism, Versori get", "not measured (no Prism)", None))
    rows.append(("p99 ≤ 10 ms at 8 connections", f"{p99:.2f} ms (worst call)", p99 <= 10))
    startup = figures["startup"]["median_s"]
    rows.append(("start-up to healthy ≤ 0.5 s, five specs", f"{startup:.3f} s (median)", startup <= 0.5))
    store = figures["store"]
    growth = store["100000"]["list"]["p50_ms"] / store["100"]["list"]["p50_ms"]
    rows.append(("list latency at 100,000 stored ≤ 1.5 × at 100", f"{growth:.2f} ×", growth <= 1.5))
    rss = store["100000"]["rss_mb"]
    rows.append(("≤ 200 MB resident with 100,000 credentials", f"{rss:.0f} MB", rss <= 200))
    expensive = [b for b in figures.get("bodies", {}).values() if b["kb"] >= 32]  # not the small baseline
    worst = max(expensive, key=lambda b: b["ms"] / b["kb"], default=None)
    if worst is not None:
        per_100kb = worst["ms"] / worst["kb"] * 100
        rows.append(("an expensive body ≤ 30 ms per 100 KB (issue 10)",
                     f"{per_100kb:.1f} ms per 100 KB (worst body)", per_100kb <= 30))
    feed = figures.get("feed")
    if feed:
        lowest = min(c["ratio"] for c in feed["calls"].values())
        rows.append(("the dashboard's live feed costs ≤ 5 % of throughput (issue 13)",
                     f"{feed['mix_ratio']:.3f} × over the mix with it polling (lowest call {lowest:.3f} ×)",
                     feed["mix_ratio"] >= 0.95))
    wrong = sum(figures["mix"][side][c.name].get("unexpected", 0) for side in ("mock", "bare") for c in mix.MIX)
    wrong += (prism or {}).get("versori-get", {}).get("unexpected", 0)
    rows.append(("(validity) every answer had the expected status", f"{wrong} unexpected answers", wrong == 0))
    return rows


def _bodies_lines(found: dict | None) -> list[str]:
    if not found:
        return []
    cases = "; ".join(f"{name} {figure['ms']:.1f} ms" for name, figure in found.items())
    return [f"- Expensive bodies, median time to their 4xx (a single request): {cases}."]


def _change(now: float, before: float | None) -> str:
    if not before:
        return ""
    return f"{(now - before) / before * 100:+.0f} %"


def render(figures: dict, last: dict | None) -> str:
    """The results file's text."""
    info = figures["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Measured {figures['date']} by `make bench` on {info['cpu']}, {info['cores']} cores, {info['memory']}, "
        f"{info['os']}, Python {info['python']}; wrk at 8 connections, the best of {figures.get('rounds', 1)} rounds "
        f"of {figures['seconds_per_run']:g} s per call and server, all servers taking turns in each round. "
        "Every ratio compares figures taken in this same run.",
        "",
        "## Targets",
        "",
        "| Target | Figure | Met |",
        "|---|---|---|",
    ]
    for target, figure, met in targets(figures):
        lines.append(f"| {target} | {figure} | {'yes' if met else 'no' if met is False else '—'} |")
    if last and last.get("machine", {}).get("cpu") != info["cpu"]:
        last = None  # another machine's figures say nothing about this change
    old_mock = (last or {}).get("mix", {}).get("mock", {})
    lines += [
        "",
        "## Request mix (8 connections)",
        "",
        "| Call | Mock req/s | p50 ms | p99 ms | Bare Flask req/s | p99 ms | Mock ÷ bare | vs previous run |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for call in mix.MIX:
        m, b = figures["mix"]["mock"][call.name], figures["mix"]["bare"][call.name]
        before = old_mock.get(call.name, {}).get("rps")
        lines.append(f"| {call.title} | {m['rps']:.0f} | {m['p50_ms']:.2f} | {m['p99_ms']:.2f} | {b['rps']:.0f} | "
                     f"{b['p99_ms']:.2f} | {m['rps'] / b['rps']:.2f} | {_change(m['rps'], before)} |")
    prism = figures.get("prism")
    if prism:
        p = prism["versori-get"]
        lines += ["", f"Stoplight Prism 5.16 mocking `specs/versori.yaml`, the same get: {p['rps']:.0f} req/s, "
                      f"p50 {p['p50_ms']:.2f} ms, p99 {p['p99_ms']:.2f} ms; ready {prism['startup_s']:.2f} s "
                      "after its start."]
    store, start = figures["store"], figures["startup"]
    big = store["100000"]
    before_start = (last or {}).get("startup", {}).get("median_s")
    lines += [
        "",
        "## Start-up, store size, memory",
        "",
        f"- Start-up of `mockserver run` to a healthy `/__mock/health`, five specs and the default data: "
        f"median {start['median_s']:.3f} s, best {start['best_s']:.3f} s over {start['runs']} starts"
        + (f" ({_change(start['median_s'], before_start)} vs previous run)" if before_start else "")
        + (f"; {start['cold_s']:.3f} s for a cold start, with an empty parse cache (after editing a spec)."
           if "cold_s" in start else "."),
        f"- PDNS list page 1 (pagesize 25) at 1 connection: p50 {store['100']['list']['p50_ms']:.3f} ms with 100 "
        f"stored, {big['list']['p50_ms']:.3f} ms with 100,000 stored. A page costs by its position: "
        f"the last of 100,000 (page 4,000) takes p50 {big['last_page']['p50_ms']:.3f} ms.",
        f"- Resident memory with 100,000 stored credentials: {big['rss_mb']:.0f} MB "
        f"(loading and validating them took {big['ready_s']:.1f} s).",
        *_bodies_lines(figures.get("bodies")),
        "",
        f"The whole run took {figures['bench_duration_s']:.0f} s."
        + (f" Previous run: {last['date']}." if last else " No previous results from this machine to compare with."),
        "",
        "<!-- bench-data",
        json.dumps(figures, indent=1, sort_keys=True),
        "-->",
        "",
    ]
    return "\n".join(lines)


def write(figures: dict, output: str | Path = RESULTS) -> str:
    """Stamp `figures` with machine and date, write the file, return its text."""
    path = Path(output)
    last = previous(path)
    figures = {**figures, "machine": machine(),
               "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    text = render(figures, last)
    path.write_text(text)
    return text
