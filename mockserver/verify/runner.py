"""Run the checks of one or more APIs against a target, and say whether all held."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..data import spec_dir
from ..registry import optional_module
from ..spec import ApiSpec, load_spec
from . import negative
from .flow import CheckResult, Flow
from .target import Credentials, Target


@dataclass
class Outcome:
    """Everything a run found."""

    results: list[CheckResult] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)

    def record_stop(self, api_id: str, name: str, reason: str, on_result: Callable[[CheckResult], None]) -> None:
        """Make sure a run that ended early (unreachable, interrupted) shows as an error check.

        A check that was running when it happened is that error already; when none was
        (it happened between checks), one called `name` is added.
        """
        last = self.results[-1] if self.results else None
        if last is not None and last.api == api_id and last.cut_short:
            return
        result = CheckResult(api=api_id, name=name, status="error", note=reason)
        self.results.append(result)
        on_result(result)

    @property
    def passed(self) -> bool:
        """True when no check failed or errored (skips do not count against a run)."""
        return all(r.status in ("pass", "skip") for r in self.results)


def load_flow(api_id: str, spec_path: Path | None = None) -> tuple[ApiSpec, object]:
    """(spec, flow) of an API: the shipped spec and ``mockserver.verify.flows.<api_id>``; or,
    for a built-in without a flow module or a spec given with ``--spec`` (`spec_path`),
    a flow derived from the spec (`derived.DerivedFlow`)."""
    spec = load_spec(spec_path or spec_dir() / f"{api_id}.yaml", api_id)
    module = None if spec_path is not None else optional_module(f"mockserver.verify.flows.{api_id}")
    if module is None:
        from .derived import DerivedFlow

        module = DerivedFlow(spec)
    return spec, module


def parent_names(module) -> list[str]:
    """The ``--parent`` names a flow takes (its parents' option names)."""
    names = getattr(module, "parent_names", None)
    return names() if names else sorted(getattr(module, "DEFAULTS", {}))


def verify_api(api_id: str, base_url: str, credentials: Credentials, options: dict,
               on_result: Callable[[CheckResult], None], outcome: Outcome,
               loaded: tuple[ApiSpec, object] | None = None) -> None:
    """Run one API's stateful flow and negative checks, then clean up whatever it made.

    `loaded`: the (spec, flow) `load_flow` gave, when the caller has them already."""
    spec, module = loaded or load_flow(api_id)
    merged = {**getattr(module, "DEFAULTS", {}), **{k: v for k, v in options.items() if v not in (None, "")}}
    flow = Flow(api_id, spec, Target(base_url, spec, credentials), merged, on_result)
    try:
        login = getattr(module, "login", None)
        if login is not None:
            login(flow)
        module.run(flow)
        negative.run(flow, module)
    finally:
        outcome.results.extend(flow.results)
        leftovers, interrupted = flow.run_cleanups()
        outcome.leftovers.extend(f"{api_id}: {what}" for what in leftovers)
        if interrupted:
            raise KeyboardInterrupt
