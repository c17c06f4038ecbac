"""Drive a server with wrk (from Debian's packages) and read its report."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .mix import Call

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class Load:
    """What wrk measured for one call: throughput, latency percentiles (ms), bad answers."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    unexpected: int  # answers whose status class differs from the call's expected one

    def as_dict(self) -> dict:
        return {"rps": round(self.rps, 1), "p50_ms": round(self.p50_ms, 3), "p99_ms": round(self.p99_ms, 3),
                "requests": self.requests, "unexpected": self.unexpected}


def available() -> bool:
    """Whether wrk is installed (``make bench`` installs it)."""
    return shutil.which("wrk") is not None


def _lua(call: Call, tag: str) -> str:
    """A wrk script sending `call`; ``{n}`` in its body becomes a value unique in the run."""
    headers = "{" + ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in call.headers.items()) + "}"
    return f"""
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
local body = {json.dumps(call.body or "")}
local headers = {headers}
function request()
  counter = counter + 1
  local unique = {json.dumps(tag)} .. "-" .. tostring(tid or 0) .. "-" .. tostring(counter)
  local sent = body:gsub("{{n}}", unique)
  if sent == "" then sent = nil end
  return wrk.format({json.dumps(call.method)}, {json.dumps(call.path)}, headers, sent)
end
"""


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip()).groups()
    return float(number) * _UNITS[unit]


def parse(report: str, expect_status: int) -> Load:
    """The figures of a ``wrk --latency`` report."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", report).group(1))
    requests = int(re.search(r"(\d+) requests in", report).group(1))
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", report, re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", report)
    bad = int(non_2xx.group(1)) if non_2xx else 0
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", report))
    unexpected = (requests - bad if expect_status >= 400 else bad) + errors
    return Load(rps=rps, p50_ms=_ms(percentiles["50"]), p99_ms=_ms(percentiles["99"]), requests=requests,
                unexpected=unexpected)


def drive(base: str, call: Call, seconds: float, connections: int = 8, threads: int = 2, tag: str = "") -> Load:
    """Run wrk against ``base + call.path`` for `seconds` at `connections` connections."""
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        script = Path(scratch) / "call.lua"
        script.write_text(_lua(call, tag or call.name))
        result = subprocess.run(
            ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
             "-s", str(script), base], capture_output=True, text=True, timeout=seconds + 60)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed on {call.method} {call.path}: {result.stderr or result.stdout}")
    return parse(result.stdout, call.expect)
