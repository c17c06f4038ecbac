"""Drive a server with wrk (from Debian's packages) and read its report."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .mix import Call

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class Load:
    """What wrk measured for one call: throughput, latency percentiles (ms), bad answers."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    unexpected: int  # answers with another status than the call expects, plus socket errors

    def as_dict(self) -> dict:
        return {"rps": round(self.rps, 1), "p50_ms": round(self.p50_ms, 3), "p99_ms": round(self.p99_ms, 3),
                "requests": self.requests, "unexpected": self.unexpected}


def available() -> bool:
    """Whether wrk is installed (``make bench`` installs it)."""
    return shutil.which("wrk") is not None


def _lua_string(text: str) -> str:
    """A Lua long-bracket literal: bytes as they are, no escapes for Lua to misread."""
    level = "=" * next(n for n in range(1, 10) if f"]{'=' * n}]" not in text)
    return f"[{level}[{text}]{level}]"


def _lua(call: Call, tag: str) -> str:
    """A wrk script sending `call` and counting answers whose status is not the expected one.

    ``{n}`` in the body becomes a value unique in the run (thread number and counter).
    """
    headers = "{" + ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in call.headers.items()) + "}"
    return f"""
local threads = {{}}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("tid", #threads)
end
local counter = 0
local body = {_lua_string(call.body or "")}
local headers = {headers}
unexpected = 0
function request()
  counter = counter + 1
  local unique = {_lua_string(tag)} .. "-" .. tostring(tid or 0) .. "-" .. tostring(counter)
  local sent = body:gsub("{{n}}", unique)
  if sent == "" then sent = nil end
  return wrk.format({_lua_string(call.method)}, {_lua_string(call.path)}, headers, sent)
end
function response(status, headers, body)
  if status ~= {call.expect} then unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("unexpected") end
  io.write(string.format("Unexpected statuses: %d\\n", total))
end
"""


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()
    return float(number) * _UNITS[unit]


def parse(report: str) -> Load:
    """The figures of a ``wrk --latency`` report made with this module's script."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", report).group(1))
    requests = int(re.search(r"(\d+) requests in", report).group(1))
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", report, re.M))
    wrong = int(re.search(r"Unexpected statuses: (\d+)", report).group(1))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", report))
    return Load(rps=rps, p50_ms=_ms(percentiles["50"]), p99_ms=_ms(percentiles["99"]), requests=requests,
                unexpected=wrong + errors)


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
    return parse(result.stdout)
