"""The flow of one API request: route, steer, authenticate, validate, behave.

``handle`` turns a `MockRequest` into an `Outcome` (the reply plus what the journal and
the ``X-Mock-Violations`` header need). Every rejection is built by the API's behaviour,
so it is in that API's own format; an unexpected exception is logged and answered with
the API's own 500. The pipeline itself is plain Python: tests drive it without a server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .auth import find_credential, where_of
from .behaviors.base import OperationContext
from .fake import Fake
from .messages import ApiError, MockRequest, Reply
from .prefer import Preferences, parse_prefer, steer
from .registry import MountedApi
from .routing import NoRoute, RouteMatch
from .spec import Operation
from .store import Store
from .validation import Violation, check_request, check_response

log = logging.getLogger("mockserver")


class ContractDrift(AssertionError):
    """The mock answered something its own spec does not allow (raised in strict mode)."""


@dataclass
class Outcome:
    """What happened to one request."""

    reply: Reply
    operation: Operation | None = None
    violations: list[Violation] = field(default_factory=list)
    unmatched: dict | None = None  # for a request no operation answers: the closest one, and why
    tolerated: bool = False  # answered despite its violations (the API documents no error for them)


def explain(error: ApiError) -> list[Violation]:
    """What X-Mock-Violations shows for a rejection: the schema violations, then the reason.

    Every rejection says why, also those no schema can catch (an unknown id, a taken
    username, a permission): their reason is the message the behaviour gave, listed
    after any schema violations so the most precise pointer comes first.
    """
    violations = list(error.violations)
    if error.reason and not any(v.message == error.reason for v in violations):
        violations.append(Violation("request", "", error.reason, "rejected"))
    return violations


class Pipeline:
    """Serve API requests against one store."""

    def __init__(self, store: Store, fake: Fake, *, max_body: int, check_responses: bool = False,
                 on_change=None):
        self.store = store
        self.fake = fake
        self.max_body = max_body
        self.check_responses = check_responses
        # Called under the store lock after a request changed the data, before the reply
        # leaves: the state file is written there, so no acknowledged write can be lost.
        self.on_change = on_change

    def handle(self, api: MountedApi, request: MockRequest, *, oversized: bool = False) -> Outcome:
        """Answer one request to `api`; never raises except ContractDrift in strict mode."""
        outcome = self._answer(api, request, oversized)
        if self.check_responses and outcome.operation is not None:
            self._check_contract(outcome)
        return outcome

    def _answer(self, api: MountedApi, request: MockRequest, oversized: bool) -> Outcome:
        behavior = api.behavior
        operation = None
        try:
            if oversized:
                raise behavior.payload_too_large(self.max_body)
            route = api.router.match(request.method, request.path)
            if isinstance(route, NoRoute):
                if route.status == 405 and request.method == "OPTIONS":
                    # Not a CORS preflight (those never get here): say which methods work.
                    return Outcome(Reply(204, None, {"Allow": ", ".join(route.allowed + ("OPTIONS",))}))
                error = (behavior.method_not_allowed(request, route.allowed) if route.status == 405
                         else behavior.route_not_found(request))
                hint = f"closest operation: {route.closest}; {route.why}" if route.closest else route.why
                return Outcome(error.as_reply(), None, [Violation("path", "", hint, "route")],
                               unmatched={"closest": route.closest, "why": route.why})
            operation = route.operation

            prefs = parse_prefer(request.header("prefer"))
            if prefs.steers or prefs.problem:
                return Outcome(steer(operation, prefs, self.fake, behavior.not_documented), operation)

            auth = find_credential(operation, api.spec.security_schemes, request)
            if auth.required and auth.credential is None:
                error = behavior.unauthenticated(request, operation, auth.problem)
                error.violations = [Violation(auth.location, auth.pointer, auth.problem, "security")]
                error.reason = None
                raise error
            principal = None
            if auth.credential is not None:
                principal = self._authenticate(api, (auth.credential, *auth.others))

            parsed = check_request(operation, request, route.path_params)
            tolerated = False
            if parsed.violations and not operation.handler_validates:
                tolerated = behavior.tolerates(operation, parsed.violations)
                if not tolerated:
                    error = behavior.reject(operation, parsed.violations)
                    error.reason = None  # the schema violations are the whole reason
                    raise error

            handler = behavior.handler(operation.operation_id)
            with self.store.lock:
                before = self.store.revision.value
                data = self.store.api(api.api_id)
                context = OperationContext(behavior=behavior, operation=operation, request=request,
                                           path=parsed.path, query=parsed.query, body=parsed.body,
                                           violations=parsed.violations, principal=principal,
                                           data=data, fake=self.fake)
                try:
                    reply = handler(context)
                finally:  # a handler that changed data and then failed still changed data
                    if self.on_change is not None and self.store.revision.value != before:
                        self.on_change()
            return Outcome(reply, operation, parsed.violations, tolerated=tolerated)
        except ApiError as error:
            return Outcome(error.as_reply(), operation, explain(error))
        except Exception:  # noqa: BLE001 - the one place that turns any bug into the API's 500
            log.exception("unexpected error serving %s %s%s", request.method, request.mount, request.path)
            return Outcome(behavior.internal_error().as_reply(), operation)

    def inject(self, api: MountedApi, request: MockRequest, status: int) -> Outcome:
        """A fault's forced answer: the documented response for `status`, else the API's error."""
        route = api.router.match(request.method, request.path)
        operation = route.operation if isinstance(route, RouteMatch) else None
        reason = Violation("request", "", f"fault injected: status {status}", "fault")
        if operation is not None and str(status) in operation.responses:
            reply = steer(operation, Preferences(code=status), self.fake, api.behavior.not_documented)
            return Outcome(reply, operation, [reason])
        error = api.behavior.error(status, f"Injected fault: status {status}")
        return Outcome(error.as_reply(), None, [reason])

    def operation_of(self, api: MountedApi, request: MockRequest) -> Operation | None:
        """The operation a request routes to (None when it routes nowhere)."""
        route = api.router.match(request.method, request.path)
        return route.operation if isinstance(route, RouteMatch) else None

    def _authenticate(self, api: MountedApi, credentials: tuple):
        """The principal of the first accepted credential; if none is, the first refusal.

        A refusal points at where the credential was sent (header, cookie, query).
        """
        first_refusal = None
        with self.store.lock:
            for credential in credentials:
                try:
                    return api.behavior.authenticate(credential, self.store.api(api.api_id))
                except ApiError as error:
                    if first_refusal is None:
                        location, pointer = where_of(api.spec.security_schemes.get(credential.scheme, {}))
                        error.violations = error.violations or [
                            Violation(location, pointer, error.reason or "credential refused", "security")]
                        error.reason = None
                        first_refusal = error
        raise first_refusal

    def _check_contract(self, outcome: Outcome) -> None:
        reply, operation = outcome.reply, outcome.operation
        headers = dict(reply.headers)
        if reply.body is not None:
            headers.setdefault("Content-Type", "application/json")
        problems = check_response(operation, reply.status, headers, reply.body)
        if problems:
            details = "; ".join(f"{p.pointer or '(body)'}: {p.message}" for p in problems)
            raise ContractDrift(f"{operation.api_id} {operation.operation_id} answered {reply.status} "
                                f"outside its spec: {details}\nbody: {reply.body!r}")
