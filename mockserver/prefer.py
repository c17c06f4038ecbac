"""The ``Prefer`` header: let a client ask for a specific documented response.

``Prefer: code=404`` answers the operation's documented 404; ``Prefer: example=NAME``
picks a named example (of any documented response, or of the one `code` names). The
body comes from, in this order: the named example, the response's first example, the
schema's own example, a body generated from the schema. A steered response never touches
the store, and skips authentication and validation, so an app can reach any error screen
on demand. A code or example the spec does not document is a 404 that says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from .fake import Fake
from .messages import Reply
from .spec import Operation, ResponseSpec


@dataclass(frozen=True)
class Preferences:
    """What a Prefer header asks for."""

    code: int | None = None
    example: str | None = None
    dynamic: bool = False
    seed: int | None = None
    problem: str = ""  # a malformed preference, reported instead of silently ignored

    @property
    def steers(self) -> bool:
        """True when the client asked for a particular response, or for generated data."""
        return self.code is not None or self.example is not None or self.dynamic or self.seed is not None

    @property
    def generated(self) -> bool:
        """True when the body should be generated from the schema rather than an example."""
        return self.example is None and (self.dynamic or self.seed is not None)


def parse_prefer(header: str | None) -> Preferences:
    """Parse ``code=404, example=notFound`` (commas or semicolons between preferences)."""
    if not header:
        return Preferences()
    values: dict[str, str] = {}
    for part in header.replace(";", ",").split(","):
        name, _, value = part.strip().partition("=")
        if name:  # RFC 7240: a preference given twice counts only the first time
            values.setdefault(name.strip().lower(), value.strip().strip('"'))
    code, seed, problem = None, None, ""
    if "code" in values:
        if values["code"].isdigit():
            code = int(values["code"])
        else:
            problem = f"Prefer code={values['code']!r} is not a status code"
    if "seed" in values:
        if values["seed"].lstrip("-").isdigit():
            seed = int(values["seed"])
        else:
            problem = f"Prefer seed={values['seed']!r} is not an integer"
    return Preferences(code=code, example=values.get("example") or None,
                       dynamic=values.get("dynamic", "").lower() == "true", seed=seed, problem=problem)


def _pick(operation: Operation, prefs: Preferences) -> ResponseSpec | None:
    if prefs.code is not None:
        return operation.responses.get(str(prefs.code))
    if prefs.example is None:  # dynamic / seed alone: the success response, as Prism does
        successes = [s for s in operation.documented_statuses() if 200 <= s < 300]
        return operation.responses[str(successes[0])] if successes else None
    for status in sorted(operation.responses):
        if prefs.example in operation.responses[status].examples:
            return operation.responses[status]
    return None


def generate_body(response: ResponseSpec, fake: Fake, seed: int | None) -> object:
    """A body generated from the response's schema that passes its own validator.

    Generation follows most of JSON Schema, not all of it: a body that still breaks the
    schema is retried with the next seeds, and in the end the documented example is used,
    so a generated response never breaks the contract.
    """
    first = seed if seed is not None else fake.rng.randrange(2**31)
    for attempt in range(8):
        body = Fake(first + attempt).from_schema(response.schema, use_examples=False)
        if response.validator is None or response.validator.is_valid(body):
            return body
    return response.example()[1]


def _example_names(operation: Operation, response: ResponseSpec | None = None) -> str:
    responses = [response] if response else list(operation.responses.values())
    names = sorted({name for r in responses for name in r.examples})
    return ", ".join(names) or "none"


def steer(operation: Operation, prefs: Preferences, fake: Fake, not_documented) -> Reply:
    """The documented response a Prefer header asks for.

    `not_documented(operation, message)` builds the API's own 404 when the spec has no
    such response; the message says what is documented instead.
    """
    op = operation.operation_id
    if prefs.problem:
        raise not_documented(operation, prefs.problem)
    response = _pick(operation, prefs)
    if response is None:
        if prefs.code is None and prefs.example is None:
            raise not_documented(operation, f"{op} documents no success response to generate")
        if prefs.code is not None:
            statuses = ", ".join(str(s) for s in operation.documented_statuses())
            raise not_documented(operation, f"Prefer: code={prefs.code} is not documented for {op} "
                                            f"(documented: {statuses})")
        raise not_documented(operation, f"Prefer: example={prefs.example} is not documented for {op} "
                                        f"(examples: {_example_names(operation)})")
    status = int(response.status)
    headers = {h.name: str(h.example) for h in response.headers if h.example is not None}
    if response.schema is None:
        return Reply(status, None, headers)
    if prefs.example is not None:
        found, body = response.example(prefs.example)
        if not found:
            raise not_documented(operation, f"Prefer: example={prefs.example} is not documented for the "
                                            f"{status} response of {op} "
                                            f"(examples: {_example_names(operation, response)})")
        return Reply(status, body, headers)
    found, body = response.example()
    if not found or prefs.generated:
        body = generate_body(response, fake, prefs.seed)
    return Reply(status, body, headers)
