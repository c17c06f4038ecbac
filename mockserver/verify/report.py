"""How a verification run is reported: a line per check, a summary, JUnit XML, JSON."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from ..persistence import write_atomically
from .flow import CheckResult

MARKS = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "skip": "SKIP"}


def progress_line(result: CheckResult) -> str:
    """One line (plus indented evidence) for a finished check."""
    line = f"{MARKS[result.status]:5} {result.api:<11} {result.name}  ({result.duration_ms:.0f} ms)"
    if result.status == "skip" or (result.status == "error" and not result.problems):
        return f"{line}\n        {result.note}"
    details = [f"        {p.drift}: {p.message.splitlines()[0]}" for p in result.problems]
    return "\n".join([line, *details])


def summary(results: list[CheckResult], leftovers: list[str]) -> str:
    """The closing lines: counts, the drifts found, what could not be cleaned up."""
    counts = Counter(r.status for r in results)
    lines = [f"{len(results)} checks: {counts['pass']} passed, {counts['fail']} failed, "
             f"{counts['error']} errors, {counts['skip']} skipped"]
    found = Counter(d for r in results for d in r.drifts)
    if found:
        lines.append("drift found: " + ", ".join(f"{name} ({n})" for name, n in found.most_common()))
    for leftover in leftovers:
        lines.append(f"NOT CLEANED UP: {leftover}")
    return "\n".join(lines)


def write_junit(path: Path, results: list[CheckResult], target: str) -> None:
    """JUnit XML, one test suite per API and one test case per check (what CI systems read)."""
    root = ET.Element("testsuites", name="mockserver verify", tests=str(len(results)))
    for api in dict.fromkeys(r.api for r in results):
        cases = [r for r in results if r.api == api]
        counts = Counter(r.status for r in cases)
        suite = ET.SubElement(root, "testsuite", name=api, tests=str(len(cases)),
                              failures=str(counts["fail"]), errors=str(counts["error"]),
                              skipped=str(counts["skip"]),
                              time=f"{sum(r.duration_ms for r in cases) / 1000:.3f}",
                              timestamp=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"))
        ET.SubElement(ET.SubElement(suite, "properties"), "property", name="target", value=target)
        for result in cases:
            case = ET.SubElement(suite, "testcase", classname=f"mockserver.verify.{api}", name=result.name,
                                 time=f"{result.duration_ms / 1000:.3f}")
            evidence = "\n".join(f"{p.drift}: {p.message}" for p in result.problems)
            if result.status == "fail":
                ET.SubElement(case, "failure", message="; ".join(result.drifts), type=result.drifts[0]).text = evidence
            elif result.status == "error":
                ET.SubElement(case, "error", message=result.note, type="error").text = evidence
            elif result.status == "skip":
                ET.SubElement(case, "skipped", message=result.note)
    ET.indent(root)
    write_atomically(Path(path), ET.tostring(root, encoding="utf-8", xml_declaration=True))


def write_json(path: Path, results: list[CheckResult], target: str, leftovers: list[str]) -> None:
    """The whole run as JSON, for scripts."""
    counts = Counter(r.status for r in results)
    document = {
        "target": target,
        "summary": {"checks": len(results), "passed": counts["pass"], "failed": counts["fail"],
                    "errors": counts["error"], "skipped": counts["skip"]},
        "drifts": sorted({d for r in results for d in r.drifts}),
        "notCleanedUp": leftovers,
        "checks": [{"api": r.api, "name": r.name, "status": r.status, "durationMs": round(r.duration_ms, 1),
                    "drifts": r.drifts, "note": r.note,
                    "problems": [{"drift": p.drift, "message": p.message} for p in r.problems]}
                   for r in results],
    }
    write_atomically(Path(path), json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8"))
