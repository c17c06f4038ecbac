"""What a check needs: send a request, expect things of the answer, clean up afterwards.

A `Flow` runs the checks of one API against one target. Each check is a ``with
flow.check("name"):`` block; inside it ``flow.call`` sends a request and checks the
response against the spec (documented status, content type, body schema, required
headers), and ``flow.expect...`` states what the behaviour must be. A failed
expectation ends the check with the drift it shows; the flow goes on with the next one.
Values a check could not produce (an id from a failed create) make later checks that
need them "skipped", not failed again.

Every response is also searched for the secrets the flow sent (``flow.secret()``): a
secret that comes back is reported as "secret returned in clear", whatever check saw it.
"""

from __future__ import annotations

import secrets as random_tokens
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

from ..spec import ApiSpec
from ..validation import check_response
from . import drifts
from .target import Exchange, Target, Unreachable


@dataclass
class Problem:
    """One way a check failed: the drift it shows, and the evidence."""

    drift: str
    message: str


@dataclass
class CheckResult:
    """The outcome of one named check."""

    api: str
    name: str
    status: str = "pass"  # pass | fail | error | skip
    duration_ms: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    note: str = ""
    cut_short: bool = False  # the run ended during this check (unreachable, interrupted)

    @property
    def drifts(self) -> list[str]:
        """The distinct drifts this check found, in order."""
        return list(dict.fromkeys(p.drift for p in self.problems))


INTERRUPTED = "interrupted: the run was stopped (Ctrl-C or SIGTERM) before this check was answered"


class CheckFailed(Exception):
    """Ends a check: the server did not do what the contract says."""

    def __init__(self, drift: str, message: str):
        super().__init__(message)
        self.problem = Problem(drift, message)


class Skip(Exception):
    """Ends a check that cannot run because an earlier one did not produce what it needs."""


class Flow:
    """The checks of one API against one target."""

    def __init__(self, api_id: str, spec: ApiSpec, target: Target, options: dict[str, Any],
                 on_result: Callable[[CheckResult], None] = lambda result: None):
        self.api_id = api_id
        self.spec = spec
        self.target = target
        self.options = options
        self.results: list[CheckResult] = []
        self.on_result = on_result
        self._secrets: set[str] = set()
        self._cleanups: list[tuple[str, Callable[[], Any]]] = []
        self._current: CheckResult | None = None

    # --- checks ---------------------------------------------------------------------------
    @contextmanager
    def check(self, name: str):
        """Run one named check; failures, errors and skips are recorded, never raised."""
        result = CheckResult(api=self.api_id, name=name)
        self._current = result
        started = time.perf_counter()
        try:
            yield result
        except CheckFailed as failed:
            result.problems.append(failed.problem)
        except Skip as skipped:
            result.status, result.note = "skip", str(skipped)
        except Unreachable as exc:  # ends the whole run; this check is its error, never a pass
            result.status, result.note, result.cut_short = "error", f"cannot reach the server: {exc}", True
            raise
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM (see cli.verify): the same
            result.status, result.note, result.cut_short = "error", INTERRUPTED, True
            raise
        except Exception as exc:  # noqa: BLE001 - a bug in a flow, or an answer it cannot read
            result.status = "error"
            result.note = f"{exc.__class__.__name__}: {exc}"
            result.problems.append(Problem(drifts.WRONG_CONTENT, f"{exc.__class__.__name__}: {exc}\n"
                                                                 f"{traceback.format_exc(limit=3)}"))
        finally:
            self._current = None
            if result.problems and result.status == "pass":
                result.status = "fail"
            result.duration_ms = (time.perf_counter() - started) * 1000
            self.results.append(result)
            self.on_result(result)

    def option(self, name: str, default: Any = None) -> Any:
        """A command-line option (parent entity, credential type, ...), or its default."""
        value = self.options.get(name)
        return default if value in (None, "") else value

    def secret(self, prefix: str = "vfy") -> str:
        """A unique secret value; any response that contains it is a "secret in clear"."""
        value = f"{prefix}-{random_tokens.token_hex(8)}"
        self._secrets.add(value)
        return value

    def name(self, what: str = "credential") -> str:
        """A unique, recognisable name for something this run creates."""
        return f"mockserver-verify {what} {random_tokens.token_hex(4)}"

    # --- requests -------------------------------------------------------------------------
    def call(self, operation_id: str, **request) -> Exchange:
        """Send a request for an operation and check the response against its spec.

        Contract problems are added to the running check (it fails, but goes on so
        that one check can report several drifts).
        """
        operation = self.spec.operation(operation_id)
        exchange = self.target.send(operation, **request)
        self._inspect(exchange)
        return exchange

    def _inspect(self, exchange: Exchange) -> None:
        where = f"{exchange.operation.operation_id} {exchange.method} {exchange.url} -> {exchange.status}"
        found: list[Problem] = []
        body = exchange.body if exchange.json_ok else (exchange.text or None)
        if exchange.text and not exchange.json_ok and exchange.operation.response_for(exchange.status) \
                and exchange.operation.response_for(exchange.status).schema is not None:
            found.append(Problem(drifts.CONTENT_TYPE, f"{where}: the body is not JSON: {exchange.text[:200]!r}"))
        else:
            for violation in check_response(exchange.operation, exchange.status, exchange.headers, body):
                pointer = violation.pointer or "(body)"
                found.append(Problem(drifts.of_violation(violation), f"{where}: {pointer}: {violation.message}"))
        for value in self._secrets:
            if value in exchange.text or any(value in v for v in exchange.headers.values()):
                found.append(Problem(drifts.SECRET_IN_CLEAR, f"{where}: a secret the check sent came back"))
        if self._current is not None:
            self._current.problems.extend(found)

    # --- expectations ---------------------------------------------------------------------
    def expect(self, condition: bool, drift: str, message: str) -> None:
        """End the check with `drift` unless `condition` holds."""
        if not condition:
            raise CheckFailed(drift, message)

    def expect_gone(self, operation_id: str, **request) -> None:
        """A get of what was just deleted answers 404 (anything else: the delete did not last)."""
        gone = self.call(operation_id, **request)
        self.expect(gone.status == 404, drifts.NOT_PERSISTED, f"get after delete answered {gone.status}, not 404")

    def expect_status(self, exchange: Exchange, *statuses: int) -> None:
        """The response must have one of these statuses."""
        if exchange.status not in statuses:
            wanted = " or ".join(str(s) for s in statuses)
            detail = exchange.text[:300].replace("\n", " ")
            raise CheckFailed(drifts.WRONG_STATUS, f"{exchange.operation.operation_id} {exchange.method} "
                                                   f"{exchange.url} answered {exchange.status}, expected {wanted}: "
                                                   f"{detail}")

    def expect_documented_error(self, exchange: Exchange, allowed: set[int], drift: str, what: str) -> None:
        """The response must be one of the `allowed` statuses the operation documents."""
        documented = set(exchange.operation.documented_statuses())
        wanted = sorted(allowed & documented) or sorted(allowed)
        if 200 <= exchange.status < 300:
            raise CheckFailed(drift, f"{what}: {exchange.method} {exchange.url} answered {exchange.status}, "
                                     f"expected {' or '.join(map(str, wanted))}")
        if exchange.status not in wanted:
            raise CheckFailed(drifts.WRONG_STATUS, f"{what}: {exchange.method} {exchange.url} answered "
                                                   f"{exchange.status}, expected {' or '.join(map(str, wanted))}")

    def require(self, value: Any, what: str) -> Any:
        """A value an earlier check produced; skips this check when there is none."""
        if value is None:
            raise Skip(f"needs {what}, which an earlier check could not produce")
        return value

    # --- cleanup --------------------------------------------------------------------------
    def cleanup(self, what: str, action: Callable[[], Any]) -> Callable[[], None]:
        """Register an undo (run at the end, newest first); returns a function that cancels it."""
        entry = (what, action)
        self._cleanups.append(entry)

        def cancel() -> None:
            if entry in self._cleanups:
                self._cleanups.remove(entry)

        return cancel

    def run_cleanups(self) -> tuple[list[str], bool]:
        """Undo everything this run created; (what could not be undone, whether interrupted).

        An interrupt (Ctrl-C, SIGTERM) during the clean-up does not stop it: what the run
        made is still deleted, and the caller re-raises once it has reported the rest.
        """
        failed, interrupted = [], False
        while self._cleanups:
            what, action = self._cleanups.pop()
            try:
                action()
            except KeyboardInterrupt:
                interrupted = True
                failed.append(f"{what}: interrupted before it was undone")
            except Exception as exc:  # noqa: BLE001 - report, then go on cleaning
                failed.append(f"{what}: {exc}")
        return failed, interrupted
