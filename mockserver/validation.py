"""Check requests and responses against an operation's schemas; collect every violation.

A `Violation` says where (location + JSON pointer), what (message) and which rule
(keyword) failed. The pipeline never stops at the first problem: a developer sees them
all in the ``X-Mock-Violations`` header, while each API's behaviour decides which one its
error body reports and with which status.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import orjson

from .bounded_schema import BOUNDED_KEYWORDS, VALUE_CHARS, longer_than, short_value
from .messages import MockRequest
from .spec import Operation, Parameter

SECRET_MARKS = ("writeOnly", "x-mock-secret", "x-mock-sensitive")
MAX_VIOLATIONS = 50  # listed per checked value; past them one more violation says there are more
# Deeper bodies are refused as malformed: checking, explaining and storing a value recurses
# once or more per level, and Python's stack ends near 1,000 (no credential is 10 deep).
MAX_NESTING = 100
LONG_MESSAGE = 1000  # a schema message this long quotes a big value (see _message)
_INTEGER = re.compile(r"[-+]?\d+")
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


@dataclass(frozen=True)
class Violation:
    """One way a message breaks its contract."""

    location: str  # "path" | "query" | "header" | "cookie" | "body" | "response"
    pointer: str  # JSON pointer inside that location; "/name" for a parameter
    message: str
    keyword: str  # failed JSON Schema keyword, or "parse", "content-type", "status", ...

    def as_dict(self) -> dict[str, str]:
        """The violation as a JSON object (for headers, logs and the journal)."""
        return {"location": self.location, "pointer": self.pointer, "message": self.message}

    @property
    def field(self) -> str:
        """The pointer as a dotted field path, e.g. ``data.clientId`` or ``ipList[0]``."""
        out = ""
        for part in self.pointer.split("/")[1:]:
            out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
        return out

    @property
    def top_field(self) -> str:
        """The first segment of the pointer ("" for the whole message)."""
        parts = self.pointer.split("/")
        return parts[1] if len(parts) > 1 else ""


@dataclass
class ParsedRequest:
    """Request values after coercion and parsing, plus everything wrong with them."""

    path: dict[str, Any]
    query: dict[str, Any]
    headers: dict[str, Any]
    body: Any
    violations: list[Violation]


def _pointer(parts) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _leaf_error(error):
    """For oneOf/anyOf failures, the most relevant sub-error explains more than the summary.

    A branch that fails only because the value has another JSON type (an array sent
    where one branch wants an object) says nothing useful; the branches written for the
    value's own type do.
    """
    from jsonschema.exceptions import best_match  # only an invalid value gets here

    while error.context:
        same_type = [e for e in error.context if not (e.validator == "type" and not e.relative_path)]
        deeper = best_match(same_type or error.context)
        if deeper is None or deeper is error:
            break
        error = deeper
    return error


def _message(error, big: bool) -> str:
    """The error message with the value in JSON's words, and hidden when it is a secret.

    jsonschema's messages start with the offending value as Python writes it. Strings
    keep their quotes (``'gap' is not one of ['aws', ...]`` reads consistently), but
    ``None``, ``True`` or a dict become ``null``, ``true`` and ``{"a": 1}``, as the
    client sent them. For a ``writeOnly`` property (OpenAPI's mark for secrets), an
    ``x-mock-secret`` one, or an ``x-mock-sensitive`` container that may hold secrets
    (Versori ``data``), the value must not reach headers, logs or the journal at all.
    `big`: the checked value is too big to quote whole (see `_too_big_to_quote`).
    """
    secret = isinstance(error.schema, dict) and any(error.schema.get(mark) for mark in SECRET_MARKS)
    if error.validator in BOUNDED_KEYWORDS:  # bounded_schema wrote it, the value already short
        shortened = short_value(error.instance)
        if secret and error.message.startswith(shortened):
            return "'<secret>'" + error.message[len(shortened):]
        return error.message
    if big:
        if len(error.message) > LONG_MESSAGE:
            # jsonschema began it with the repr of a big value: say it again, short,
            # without building that repr once more.
            if secret:
                return f"'<secret>' breaks '{error.validator}'"
            if error.validator == "type":
                types = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
                return f"{short_value(error.instance)} is not of type {', '.join(repr(t) for t in types)}"
            return f"{short_value(error.instance)} breaks '{error.validator}': {error.message[-VALUE_CHARS:]}"
        if longer_than(error.instance, LONG_MESSAGE):
            return error.message  # too short to quote this value whole (a required member, say)
    try:
        shown = repr(error.instance)
    except ValueError:  # an integer too long for repr (Python's 4,300-digit limit)
        return short_value(error.instance) + " " + error.message.partition(" ")[2]
    if not error.message.startswith(shown):
        return error.message
    rest = error.message[len(shown):]
    if secret:
        return "'<secret>'" + rest
    if isinstance(error.instance, str):
        return error.message if len(error.instance) <= VALUE_CHARS or not big else short_value(error.instance) + rest
    try:
        return json.dumps(error.instance, ensure_ascii=False, allow_nan=False) + rest
    except (TypeError, ValueError):  # NaN, Infinity: no JSON spelling
        return error.message


def _too_big_to_quote(instance: Any) -> bool:
    """Is the checked value longer than LONG_MESSAGE as JSON? (orjson: microseconds for a
    small value; a value it cannot write, such as a 100-digit integer, counts as big.)"""
    try:
        return len(orjson.dumps(instance)) > LONG_MESSAGE
    except (orjson.JSONEncodeError, TypeError):
        return True


def _pointer_order(violation: "Violation") -> tuple:
    """Sort key: pointers in document order, array indexes numerically ([2] before [10])."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in violation.pointer.split("/"))


def schema_violations(validator, instance: Any, location: str, base: tuple = ()) -> list[Violation]:
    """The ways `instance` breaks the validator's schema, as Violations: the first
    MAX_VIOLATIONS of them, then one saying there are more (so a huge invalid body costs
    about what a small one does)."""
    found: list[Violation] = []
    seen: set[Violation] = set()
    big = None  # known once there is an error to explain
    for error in validator.iter_errors(instance):
        if big is None:
            big = _too_big_to_quote(instance)
        error = _leaf_error(error)
        parts = list(base) + list(error.absolute_path)
        if error.validator == "required":
            # Point at the missing member itself, not at the object that lacks it.
            for name in error.validator_value:
                if f"{name!r} is a required property" == error.message:
                    parts.append(name)
                    break
        violation = Violation(location, _pointer(parts), _message(error, big), str(error.validator))
        if violation in seen:  # one schema can fail the same way twice (allOf branches)
            continue
        if len(found) == MAX_VIOLATIONS:
            found.sort(key=_pointer_order)
            return [*found, _the_rest(location)]
        seen.add(violation)
        found.append(violation)
    found.sort(key=_pointer_order)
    return found


def _the_rest(location: str) -> Violation:
    # Not counted: counting them would cost what listing them costs, which the cap avoids.
    return Violation(location, "", f"more violations, not listed (only the first {MAX_VIOLATIONS} are)", "limit")


def coerce(raw: str, schema: dict) -> Any:
    """Turn a query/path/header string into the type its schema asks for, when it parses.

    A string that does not parse stays a string, so the schema check reports it.
    """
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds and _INTEGER.fullmatch(raw):
        return int(raw)
    if "number" in kinds and _NUMBER.fullmatch(raw):
        return float(raw)
    if "boolean" in kinds and raw in ("true", "false"):
        return raw == "true"
    return raw


def _parameter_value(param: Parameter, raw_values: list[str], last_wins: bool) -> Any:
    if param.schema.get("type") == "array":
        items = param.schema.get("items") or {}
        values = raw_values if len(raw_values) != 1 else raw_values[0].split(",")
        return [coerce(v, items) for v in values]
    return coerce(raw_values[-1] if last_wins else raw_values[0], param.schema)


def _check_parameters(operation: Operation, request: MockRequest, path_params: dict[str, str],
                      parsed: ParsedRequest) -> None:
    sources = {
        "path": {k: [v] for k, v in path_params.items()},
        "query": request.query,
        "header": {k: [v] for k, v in request.headers.items()},
        "cookie": {k: [v] for k, v in request.cookies.items()},
    }
    targets = {"path": parsed.path, "query": parsed.query, "header": parsed.headers,
               "cookie": {}}
    for param in operation.parameters:
        key = param.name.lower() if param.location == "header" else param.name
        raw_values = sources[param.location].get(key)
        if not raw_values:
            if param.required:
                parsed.violations.append(Violation(param.location, f"/{param.name}",
                                                   f"{param.name!r} is a required {param.location} parameter",
                                                   "required"))
            elif "default" in param.schema:
                targets[param.location][param.name] = param.schema["default"]
            continue
        value = _parameter_value(param, raw_values, operation.last_query_value_wins)
        targets[param.location][param.name] = value
        parsed.violations.extend(schema_violations(param.validator, value, param.location, (param.name,)))


def parse_json_body(data: bytes) -> tuple[Any, Violation | None]:
    """Decode a JSON body; a decoding problem becomes a 'parse' violation, never an exception.

    orjson reads almost every body; what it refuses (NaN, integers beyond 64 bits, lone
    surrogate escapes, invalid input) is read again by the standard library, which
    accepts what JSON allows and explains what it does not.
    """
    if data.count(b"[") + data.count(b"{") > MAX_NESTING and _too_deep(data):
        return None, Violation("body", "", f"Malformed JSON: nested more than {MAX_NESTING} levels deep", "parse")
    try:
        return orjson.loads(data), None
    except (orjson.JSONDecodeError, RecursionError):
        pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, Violation("body", "", f"Body is not valid UTF-8: {exc.reason} at byte {exc.start}", "parse")
    try:
        return json.loads(text), None
    except ValueError as exc:
        return None, Violation("body", "", f"Malformed JSON: {exc}", "parse")
    except RecursionError:
        return None, Violation("body", "", "Malformed JSON: nested too deeply", "parse")


def _too_deep(data: bytes) -> bool:
    """Do the brackets outside strings nest more than MAX_NESTING deep?

    No recursion, and no Python-level loop over the bytes: strings go (one regex), the
    rest is reduced to parentheses; a few rounds remove the innermost pairs, which leaves
    nothing of an ordinary body; what remains is summed up in C (accumulate). The worst
    case, 1 MiB of nothing but nested brackets, takes about 60 ms here.
    """
    brackets = _STRINGS.sub(b"", data).translate(_AS_PARENTHESES, _NOT_BRACKETS)
    for _ in range(8):
        inner_removed = brackets.replace(b"()", b"")
        if len(inner_removed) == len(brackets):
            return False  # nothing left, or unbalanced: the parser explains malformed JSON
        brackets = inner_removed
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets))) > MAX_NESTING - 8


_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # a JSON string, escapes included
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_AS_PARENTHESES = bytes.maketrans(b"[]{}", b"()()")
_DEPTH_STEP = [1 if b == ord("(") else -1 if b == ord(")") else 0 for b in range(256)]


def _check_body(operation: Operation, request: MockRequest, parsed: ParsedRequest) -> None:
    spec = operation.body
    if spec is None:
        return
    if not request.body:
        if spec.required:
            parsed.violations.append(Violation("body", "", "A request body is required", "required"))
        return
    media_type = request.content_type
    if media_type not in spec.validators:
        expected = ", ".join(sorted(spec.validators))
        parsed.violations.append(Violation(
            "body", "", f"Unsupported content type {media_type or '(none)'!r}; expected {expected}",
            "content-type"))
        return
    body, problem = parse_json_body(request.body)
    if problem is not None:
        parsed.violations.append(problem)
        return
    parsed.body = body
    parsed.violations.extend(schema_violations(spec.validators[media_type], body, "body"))


def check_request(operation: Operation, request: MockRequest, path_params: dict[str, str]) -> ParsedRequest:
    """Coerce parameters, parse the body and validate them all against the operation."""
    parsed = ParsedRequest(path={}, query={}, headers={}, body=None, violations=[])
    _check_parameters(operation, request, path_params, parsed)
    _check_body(operation, request, parsed)
    return parsed


def check_response(operation: Operation, status: int, headers: dict[str, str], body: Any) -> list[Violation]:
    """Every way a response breaks the operation's documented contract.

    Used by the test suite on every response the mock sends, and by ``mockserver verify``
    on a real server's responses.
    """
    spec = operation.response_for(status)
    if spec is None:
        return [Violation("response", "", f"Status {status} is not documented for {operation.operation_id}",
                          "status")]
    problems = []
    lowered = {k.lower(): v for k, v in headers.items()}
    for header in spec.headers:
        if header.required and header.name.lower() not in lowered:
            problems.append(Violation("response", f"/headers/{header.name}",
                                      f"Required header {header.name} is missing", "required"))
    if spec.schema is None:
        if body not in (None, b"", ""):
            problems.append(Violation("response", "", f"Status {status} documents no body, but one was sent",
                                      "body"))
        return problems
    if body is None:
        problems.append(Violation("response", "", f"Status {status} documents a body, but none was sent", "body"))
        return problems
    content_type = lowered.get("content-type", "").split(";")[0].strip()
    if content_type and spec.media_type and content_type != spec.media_type:
        problems.append(Violation("response", "", f"Content type {content_type} is not {spec.media_type}",
                                  "content-type"))
    problems.extend(schema_violations(spec.validator, body, "response"))
    return problems
