"""Run the checks of one or more APIs against a target, and say whether all held.

An API's checks are a stateful flow and the negative checks (`negative`). The flow is
derived from the spec (`derived.DerivedFlow`: create -> list -> get -> update -> delete
-> gone, for every resource the generic engine infers), and so are the parents it works
under (`parents`: names, defaults). ``mockserver/verify/flows/<api>.py``, when there is
one, adds what the spec cannot say, with these optional functions:

- ``login(flow)``: runs first, e.g. trades ``--username``/``--password`` for a session
  token (PDNS ``POST /sessions``);
- ``extras(flow)``: vendor-specific checks, run after the derived flow (Versori's
  ``updatedAt`` that every PUT moves forward);
- ``unknown_ids(flow)``: more ``(operationId, request)`` pairs that name nothing and must
  get the documented 404/400, besides those of the derived flow;
- ``adapt_example(flow, operation_id, body)``: the body a negative check sends, from the
  spec's example (a fresh username where examples name a fixed one);
- ``run(flow)``: the whole flow, *instead of* the derived one (and then ``unknown_ids``
  replaces the derived flow's too), for an API whose paths do not fit the derived flow;
  its module docstring says why.

A module never names parents or their defaults: ``flow.option(name)`` reads the parent
the spec declares (``--parent NAME=VALUE``, else the spec's example).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..data import spec_dir
from ..registry import optional_module
from ..spec import ApiSpec, Operation, load_spec
from . import negative
from .derived import DerivedFlow
from .flow import CheckResult, Flow
from .target import Credentials, Target

# What flow modules once declared themselves, and the spec declares now.
RETIRED = {"DEFAULTS": "a parent's default is its parameter's example in the spec",
           "PATH_PARENTS": "parents are the spec's x-mock-names declarations",
           "query_for": "a query parameter naming a parent is filled from its --parent option"}


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


class ApiFlow:
    """One API's checks: the flow derived from its spec, with its flow module's additions
    (see the module docstring), and what the negative checks send."""

    def __init__(self, spec: ApiSpec, module: Any = None):
        for name, why in RETIRED.items():
            if hasattr(module, name):
                raise TypeError(f"{module.__name__}.{name}: no longer read ({why})")
        self.spec = spec
        self.module = module
        self.derived = DerivedFlow(spec)
        self.parents = self.derived.parents

    def _hook(self, name: str) -> Callable | None:
        return getattr(self.module, name, None)

    def parent_names(self) -> list[str]:
        """The ``--parent`` names the API takes."""
        return self.parents.names()

    def options(self, given: dict[str, Any]) -> dict[str, Any]:
        """The parents to work under: those given, else the spec's examples."""
        return {**self.parents.defaults(), **{k: v for k, v in given.items() if v not in (None, "")}}

    def login(self, flow: Flow) -> None:
        """The module's login, if it has one."""
        if self._hook("login"):
            self.module.login(flow)

    def run(self, flow: Flow) -> None:
        """The module's own flow, or the derived one and then the module's extras."""
        if self._hook("run"):
            self.module.run(flow)
            return
        self.derived.run(flow)
        if self._hook("extras"):
            self.module.extras(flow)

    def unknown_ids(self, flow: Flow) -> list:
        """(operationId, request) pairs naming nothing: the derived flow's (unless the
        module replaces the flow) and the module's."""
        found = [] if self._hook("run") else self.derived.unknown_ids(flow)
        return found + (self.module.unknown_ids(flow) if self._hook("unknown_ids") else [])

    # --- what the negative checks send ------------------------------------------------
    def sample_path(self, flow: Flow, operation: Operation) -> dict:
        """Path parameters: the parents in use, a value that names nothing for the rest."""
        values = {p.name: negative.placeholder(p.schema) for p in operation.parameters if p.location == "path"}
        return {**values, **self.parents.path(flow, operation)}

    def sample_query(self, flow: Flow, operation: Operation) -> dict:
        """Query parameters that name a parent."""
        return self.parents.query(flow, operation)

    def sample_body(self, flow: Flow, operation: Operation) -> Any:
        """The spec's first request example (else one made from the schema), with the
        parents in use and the module's adaptation."""
        if operation.body is None:
            return None
        body = copy.deepcopy(operation.body.examples[0]) if operation.body.examples \
            else self.derived.sample_body(operation)
        if self._hook("adapt_example"):
            body = self.module.adapt_example(flow, operation.operation_id, body)
        return self.parents.fill_body(flow, operation, body)


def load_flow(api_id: str, spec_path: Path | None = None) -> tuple[ApiSpec, ApiFlow]:
    """(spec, checks) of an API: the shipped spec with ``mockserver.verify.flows.<api_id>``
    when there is one, or a spec given with ``--spec`` (`spec_path`), whose checks are all
    derived."""
    spec = load_spec(spec_path or spec_dir() / f"{api_id}.yaml", api_id)
    module = None if spec_path is not None else optional_module(f"mockserver.verify.flows.{api_id}")
    return spec, ApiFlow(spec, module)


def verify_api(api_id: str, base_url: str, credentials: Credentials, options: dict,
               on_result: Callable[[CheckResult], None], outcome: Outcome,
               loaded: tuple[ApiSpec, ApiFlow] | None = None) -> None:
    """Run one API's stateful flow and negative checks, then clean up whatever it made.

    `loaded`: the (spec, checks) `load_flow` gave, when the caller has them already."""
    spec, checks = loaded or load_flow(api_id)
    flow = Flow(api_id, spec, Target(base_url, spec, credentials), checks.options(options), on_result)
    try:
        checks.login(flow)
        checks.run(flow)
        negative.run(flow, checks)
    finally:
        outcome.results.extend(flow.results)
        leftovers, interrupted = flow.run_cleanups()
        outcome.leftovers.extend(f"{api_id}: {what}" for what in leftovers)
        if interrupted:
            raise KeyboardInterrupt
