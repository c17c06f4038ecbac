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
from typing import Any

import orjson

from .messages import MockRequest
from .spec import Operation, Parameter

SECRET_MARKS = ("writeOnly", "x-mock-secret", "x-mock-sensitive")
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


def _message(error) -> str:
    """The error message with the value in JSON's words, and hidden when it is a secret.

    jsonschema's messages start with the offending value as Python writes it. Strings
    keep their quotes (``'gap' is not one of ['aws', ...]`` reads consistently), but
    ``None``, ``True`` or a dict become ``null``, ``true`` and ``{"a": 1}``, as the
    client sent them. For a ``writeOnly`` property (OpenAPI's mark for secrets), an
    ``x-mock-secret`` one, or an ``x-mock-sensitive`` container that may hold secrets
    (Versori ``data``), the value must not reach headers, logs or the journal at all.
    """
    shown = repr(error.instance)
    if not error.message.startswith(shown):
        return error.message
    rest = error.message[len(shown):]
    if isinstance(error.schema, dict) and any(error.schema.get(mark) for mark in SECRET_MARKS):
        return "'<secret>'" + rest
    if isinstance(error.instance, str):
        return error.message
    try:
        return json.dumps(error.instance, ensure_ascii=False, allow_nan=False) + rest
    except (TypeError, ValueError):  # NaN, Infinity: no JSON spelling
        return error.message


def _pointer_order(violation: "Violation") -> tuple:
    """Sort key: pointers in document order, array indexes numerically ([2] before [10])."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in violation.pointer.split("/"))


def schema_violations(validator, instance: Any, location: str, base: tuple = ()) -> list[Violation]:
    """Every way `instance` breaks the validator's schema, as Violations."""
    found = []
    for error in validator.iter_errors(instance):
        error = _leaf_error(error)
        parts = list(base) + list(error.absolute_path)
        if error.validator == "required":
            # Point at the missing member itself, not at the object that lacks it.
            for name in error.validator_value:
                if f"{name!r} is a required property" == error.message:
                    parts.append(name)
                    break
        violation = Violation(location, _pointer(parts), _message(error), str(error.validator))
        if violation not in found:  # one schema can fail the same way twice (allOf branches)
            found.append(violation)
    found.sort(key=_pointer_order)
    return found


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
