"""Check requests and responses against an operation's schemas; collect every violation.

A `Violation` says where (location + JSON pointer), what (message) and which rule
(keyword) failed. The pipeline never stops at the first problem: a developer sees them
all in the ``X-Mock-Violations`` header, while each API's behaviour decides which one its
error body reports and with which status.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, Iterator
from urllib.parse import parse_qs

import orjson

from .bounded_schema import BOUNDED_KEYWORDS, BRANCH_ERRORS, VALUE_CHARS, longer_than, short_value
from .messages import MockRequest
from .spec import Operation, Parameter, secret_names

SECRET_MARKS = ("writeOnly", "x-mock-secret", "x-mock-sensitive")
MAX_VIOLATIONS = 50  # listed per checked value; past them one more violation says there are more
# Deeper bodies are refused as malformed: checking, explaining and storing a value recurses
# once or more per level, and Python's stack ends near 1,000 (no credential is 10 deep).
MAX_NESTING = 100
COUNTED_PAST_CAP = 100  # violations past MAX_VIOLATIONS counted, not listed (each costs ~30 µs)
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
    # What a declared message may say about it (mockserver.wording), never compared:
    rule: Any = field(default=None, compare=False, repr=False)  # the keyword's value: types, enum, ...
    schema: Any = field(default=None, compare=False, repr=False)  # the schema whose keyword failed
    value: Any = field(default=None, compare=False, repr=False)  # the value it failed on
    secret: bool = field(default=False, compare=False, repr=False)  # the value must never be quoted

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


def _explained(error, big: bool, checker) -> Iterator:
    """The errors that explain `error`: itself, or for a failed oneOf/anyOf its branches'.

    When every branch declares its JSON type, the value's own type picks the branch the
    client meant, and all of that branch's errors are the explanation (a bare array, or an
    object wrapping it: each form explained as itself, not by the other's "not of type").
    A value whose type no branch takes is one type error naming every branch's type.
    Otherwise the most relevant error of the branches explains, as jsonschema's best_match
    picks it (a branch that fails only on the value's type says nothing useful).
    Only a failed oneOf/anyOf costs more than before, and lazily: `checker` (the validator
    that found `error`) checks a branch again only when its errors were cut short.
    """
    if not error.context:
        yield error
        return
    if error.validator in ("oneOf", "anyOf"):
        branch_types = [_declared_types(branch) for branch in error.validator_value]
        if all(branch_types):
            sent = _json_types(error.instance)
            fitting = [index for index, types in enumerate(branch_types) if types & sent]
            if not fitting:
                yield _no_branch_takes(error, branch_types, big)
                return
            if len(fitting) == 1:
                index = fitting[0]
                found = [sub for sub in error.context if sub.relative_schema_path[0] == index]
                if len(found) >= BRANCH_ERRORS:  # cut at BRANCH_ERRORS (bounded_schema): all, lazily
                    found = _checked_again(checker, error, index)
                for sub in found:
                    yield from _explained(sub, big, checker)
                return
    from jsonschema.exceptions import best_match  # only an invalid value gets here

    same_type = [e for e in error.context if not (e.validator == "type" and not e.relative_path)]
    deeper = best_match(same_type or error.context)
    if deeper is None or deeper is error:
        yield error
    else:
        yield from _explained(deeper, big, checker)


def _checked_again(checker, error, index: int) -> Iterator:
    """The errors of branch `index` of a failed oneOf/anyOf, as they come (placed under it)."""
    for sub in checker.descend(error.instance, error.validator_value[index], schema_path=index):
        sub.parent = error
        yield sub


def _declared_types(schema: Any) -> frozenset:
    """The JSON types a schema's ``type`` allows (empty: it declares none)."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    return frozenset(kind if isinstance(kind, list) else [kind] if isinstance(kind, str) else [])


def _json_types(value: Any) -> frozenset:
    """The JSON Schema types a value has (an integer is a number too; so is 1.0 an integer)."""
    if isinstance(value, bool):
        return _BOOLEAN
    if isinstance(value, int) or isinstance(value, float) and value.is_integer():
        return _INTEGRAL
    return _TYPES_OF.get(type(value), _NO_TYPES)


_BOOLEAN, _INTEGRAL, _NO_TYPES = frozenset({"boolean"}), frozenset({"integer", "number"}), frozenset()
_TYPES_OF = {float: frozenset({"number"}), str: frozenset({"string"}), type(None): frozenset({"null"}),
             list: frozenset({"array"}), dict: frozenset({"object"})}


def _no_branch_takes(error, branch_types: list, big: bool):
    """A type error for a value no branch of a oneOf/anyOf takes, naming all their types."""
    from jsonschema.exceptions import ValidationError

    types = list(dict.fromkeys(kind for types in branch_types for kind in sorted(types)))
    shown = short_value(error.instance) if big else _repr_or_none(error.instance) or short_value(error.instance)
    return ValidationError(f"{shown} is not of type {', '.join(map(repr, types))}", validator="type",
                           validator_value=types, instance=error.instance, schema=error.schema,
                           path=error.relative_path, schema_path=error.relative_schema_path, parent=error.parent)


def _message(error, big: bool, secret: bool) -> str:
    """The error message with the value in JSON's words, and hidden when it is a secret.

    jsonschema's messages start with the offending value as Python writes it. Strings
    keep their quotes (``'gap' is not one of ['aws', ...]`` reads consistently), but
    ``None``, ``True`` or a dict become ``null``, ``true`` and ``{"a": 1}``, as the
    client sent them. For a ``writeOnly`` property (OpenAPI's mark for secrets), an
    ``x-mock-secret`` one, or an ``x-mock-sensitive`` container that may hold secrets
    (Versori ``data``), the value must not reach headers, logs or the journal at all;
    `secret` says so (see `_is_secret`). `big`: the checked value is too big to quote
    whole (see `_too_big_to_quote`).
    """
    if secret:  # whichever way the message quotes the value (whole, or briefly), it goes
        # jsonschema quotes a value as repr() writes it; a brief quote (bounded_schema: its own
        # keywords, and long values) as short_value() does.
        quotes = (_repr_or_none, short_value) if big or error.validator in BOUNDED_KEYWORDS else (_repr_or_none,)
        for quote in quotes:
            quoted = quote(error.instance)
            if quoted and error.message.startswith(quoted):
                return "'<secret>'" + error.message[len(quoted):]
        if len(error.message) > LONG_MESSAGE:
            return f"'<secret>' breaks '{error.validator}'"
        if error.validator == "format" and isinstance(error.instance, str) and error.instance:
            # A named format's reason may quote the value inside it (url's "Invalid URL: ...").
            return error.message.replace(error.instance, "<secret>")
        return error.message  # it names members, not the value ('other' was unexpected)
    if error.validator in BOUNDED_KEYWORDS:  # bounded_schema wrote it, the value already short
        return error.message
    if big:
        if len(error.message) > LONG_MESSAGE:
            # jsonschema began it with the repr of a big value: say it again, short,
            # without building that repr once more.
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
    if isinstance(error.instance, str):
        return error.message if len(error.instance) <= VALUE_CHARS or not big else short_value(error.instance) + rest
    try:
        return json.dumps(error.instance, ensure_ascii=False, allow_nan=False) + rest
    except (TypeError, ValueError):  # NaN, Infinity: no JSON spelling
        return error.message


def _repr_or_none(value: Any) -> str | None:
    try:
        return repr(value)
    except ValueError:  # an integer too long for repr
        return None


def _too_big_to_quote(instance: Any) -> bool:
    """Is the checked value longer than LONG_MESSAGE as JSON? (A value orjson cannot
    write, such as an integer past 64 bits, counts as big.)"""
    if isinstance(instance, int) and not isinstance(instance, bool):
        return not -2**63 <= instance < 2**64
    if isinstance(instance, (list, dict)) and len(instance) > LONG_MESSAGE // 2:
        return True  # each member takes two characters at least
    try:  # orjson: a microsecond for a small value (the usual case), ~5 ms for a 1 MiB one
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
    if validator.is_valid(instance):  # the usual case, answered in Rust
        return []
    found: list[Violation] = []
    seen: set[Violation] = set()
    big = _too_big_to_quote(instance)
    checker = validator.checker(short=not big) if hasattr(validator, "checker") else validator
    errors = checker.iter_errors(instance)
    secrets = _secret_members(validator)
    leaves = (leaf for error in errors for leaf in (_explained(error, big, checker) if error.context else (error,)))
    for error in leaves:
        parts = list(base) + list(error.absolute_path)
        if error.validator == "required":
            # Point at the missing member itself, not at the object that lacks it.
            for name in error.validator_value:
                if f"{name!r} is a required property" == error.message:
                    parts.append(name)
                    break
        secret = _is_secret(error, parts, secrets)
        violation = Violation(location, _pointer(parts), _message(error, big, secret), str(error.validator),
                              rule=error.validator_value, schema=error.schema, value=error.instance, secret=secret)
        if violation in seen:  # one schema can fail the same way twice (allOf branches)
            continue
        if len(found) == MAX_VIOLATIONS:
            found.sort(key=_pointer_order)
            more = 1 + sum(1 for _ in itertools.islice(leaves, COUNTED_PAST_CAP))
            return [*found, _the_rest(location, more)]
        seen.add(violation)
        found.append(violation)
    found.sort(key=_pointer_order)
    return found


def _secret_members(validator) -> frozenset:
    """The member names the validator's schema marks secret (``writeOnly``,
    ``x-mock-secret``) at any depth: worked out on its first invalid value, then kept."""
    known = getattr(validator, "secret_members", None)
    if known is None:
        known = frozenset(secret_names(getattr(validator, "schema", None)))
        if hasattr(validator, "secret_members"):
            validator.secret_members = known
    return known


def _is_secret(error, parts: list, secrets: frozenset) -> bool:
    """Is the failing value a secret, or inside one? Its own schema says so (``writeOnly``,
    ``x-mock-secret``, or an ``x-mock-sensitive`` container), or a member on its path is
    one the schema marks secret anywhere (by name, as the journal masks): a key inside
    CloudPlans' ``specific``, whichever branch of the schema checked it. (Inside an
    ``x-mock-sensitive`` container a member is judged by its own marks, as the journal does.)"""
    schema = error.schema
    if isinstance(schema, dict) and (schema.get("writeOnly") or schema.get("x-mock-secret")
                                     or schema.get("x-mock-sensitive")):  # SECRET_MARKS, unrolled
        return True
    return not secrets.isdisjoint(parts)


def _the_rest(location: str, more: int) -> Violation:
    # Counted only so far: counting every one would cost what listing them costs.
    count = f"{more}" if more <= COUNTED_PAST_CAP else f"at least {more}"
    return Violation(location, "", f"{count} more violations, not listed (only the first {MAX_VIOLATIONS} are)",
                     "limit")


def coerce(raw: str, schema: dict) -> Any:
    """Turn a query/path/header string into the type its schema asks for, when it parses.

    A string that does not parse stays a string, so the schema check reports it.
    """
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds and _INTEGER.fullmatch(raw):
        try:
            return int(raw)
        except ValueError:  # past Python's 4300 digits: a string, which the schema check reports
            return raw
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


@dataclass(frozen=True)
class JsonBody:
    """A request body read as JSON: the value, or the problem that stopped the read."""

    value: Any
    problem: Violation | None
    non_finite: bool = False  # NaN or an infinity was read (JSON has neither; strict parsers refuse)


def read_json_body(request: MockRequest) -> JsonBody:
    """The request's body read as JSON, once per request: the engine's check and a
    behaviour that reads the body itself share the one read."""
    if request.json_body is None:
        request.json_body = parse_json(request.body)
    return request.json_body


def parse_json(data: bytes) -> JsonBody:
    """Decode a JSON body; a decoding problem becomes a 'parse' violation, never an exception.

    orjson reads almost every body; what it refuses (NaN, integers beyond 64 bits, lone
    surrogate escapes, invalid input) is read again by the standard library, which
    accepts what JSON allows and explains what it does not. Only that second read can
    produce NaN or an infinity, so only it watches for them.
    """
    if data.count(b"[") + data.count(b"{") > MAX_NESTING and _too_deep(data):
        return JsonBody(None, Violation("body", "", f"Malformed JSON: nested more than {MAX_NESTING} levels deep",
                                        "parse"))
    try:
        return JsonBody(orjson.loads(data), None)
    except (orjson.JSONDecodeError, RecursionError):
        pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return JsonBody(None, Violation("body", "", f"Body is not valid UTF-8: {exc.reason} at byte {exc.start}",
                                        "parse", rule="utf-8"))
    non_finite = []

    def read_float(text: str) -> float:
        number = float(text)
        if math.isinf(number):
            non_finite.append(text)
        return number

    def read_constant(name: str) -> float:  # NaN, Infinity, -Infinity
        non_finite.append(name)
        return float(name)

    try:
        value = json.loads(text, parse_float=read_float, parse_constant=read_constant)
    except ValueError as exc:
        return JsonBody(None, Violation("body", "", f"Malformed JSON: {exc}", "parse"))
    except RecursionError:
        return JsonBody(None, Violation("body", "", "Malformed JSON: nested too deeply", "parse"))
    return JsonBody(value, None, bool(non_finite))


def _too_deep(data: bytes) -> bool:
    """Do the brackets outside strings nest more than MAX_NESTING deep?

    No recursion, and no Python-level loop over the bytes: strings go (one regex), the
    rest is reduced to parentheses. Each round of removing every innermost pair "()"
    lowers the depth by exactly one, and leaves nothing of an ordinary body; rounds go on
    while they shrink the text by a quarter. The depth of what remains is summed up in C
    (accumulate): over runs of equal brackets when they are few (1 MiB of nested
    brackets is two runs), else bracket by bracket. The worst body takes ~50 ms per MiB.
    """
    brackets = _STRINGS.sub(b"", data).translate(_AS_PARENTHESES, _NOT_BRACKETS)
    rounds = 0
    while brackets and rounds < MAX_NESTING:
        smaller = brackets.replace(b"()", b"")
        if len(smaller) > len(brackets) * 3 // 4:
            break  # rounds no longer pay
        brackets, rounds = smaller, rounds + 1
    if not brackets:
        return False
    turns = brackets.count(b")(") + brackets.count(b"()")
    if turns < len(brackets) // 4:
        steps = (len(run) if run[0] == _OPEN else -len(run) for run in _RUNS.findall(brackets))
    else:
        steps = map(_DEPTH_STEP.__getitem__, brackets)
    return rounds + max(accumulate(steps)) > MAX_NESTING


_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # a JSON string, escapes included
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_AS_PARENTHESES = bytes.maketrans(b"[]{}", b"()()")
_OPEN = ord("(")
_RUNS = re.compile(rb"\(+|\)+")
_DEPTH_STEP = [1 if b == _OPEN else -1 if b == ord(")") else 0 for b in range(256)]


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
            "content-type", rule=sorted(spec.validators), value=media_type or "(none)"))
        return
    if media_type == FORM:
        parsed.body = read_form_body(request)
        parsed.violations.extend(schema_violations(spec.validators[media_type], parsed.body, "body"))
        return
    read = read_json_body(request)
    if read.problem is not None:
        parsed.violations.append(read.problem)
        return
    parsed.body = read.value
    parsed.violations.extend(schema_violations(spec.validators[media_type], read.value, "body"))


FORM = "application/x-www-form-urlencoded"


def read_form_body(request: MockRequest) -> dict[str, str]:
    """An HTML form body as ``{name: value}`` (the last of a repeated name, as servlet and
    Spring controllers bind it; undecodable bytes as U+FFFD)."""
    fields = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[-1] for name, values in fields.items()}


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
