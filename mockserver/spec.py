"""Load OpenAPI 3.1 specs once at start-up and compile what every request needs.

A spec file becomes an `ApiSpec`: its operations, each with parameters, request body and
documented responses. Every `$ref` is resolved and every JSON Schema validator is built
here, so serving a request never parses YAML, resolves a reference or compiles a schema.

The `x-mock-*` extensions a spec may carry (checked by `vocabulary`, documented with
examples in docs/x-mock.md) are collected as plain data:

- root ``x-mock-collections``: the entities the API keeps in the store (key, id
  strategy, indexes, references to parent collections, the schema fixtures must meet);
- root ``x-mock-trailing-slash: optional``: the same path without (or with) the final
  slash is routed too;
- operation ``x-mock-validation: handler``: the behaviour module, not the generic
  pipeline, turns request violations into a response (for APIs whose real order of
  checks interleaves validation with permission and existence checks);
- security scheme ``x-mock-any-cookie: true``: any cookie satisfies an ``apiKey`` cookie
  scheme (the vendor does not document its cookie's real name);
- root ``x-mock-access``: what a scenario ``auth`` grant may say: ``scope: <collection>``
  (its scope lists keys of that collection), ``user: {collection, fields}`` (its user
  names an entity by one of those fields, the key by default), ``logins: true`` (it may
  declare usernames and passwords without HTTP Basic); checked when a scenario loads;
- root ``x-mock-repeated-query: last``: of a repeated query parameter the last value
  counts (PHP, Django), not the first (the default: Spring, Go).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from . import formats
from .openapi30 import upgrade as upgrade_30
from .yamlcache import load_cached

# libyaml's C parser when PyYAML has it (specs load several times faster), else pure Python.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def readable_inside_sensitive(schema: Any) -> set[str]:
    """Names of the members an ``x-mock-sensitive`` schema documents as not secret."""
    found: set[str] = set()
    if isinstance(schema, dict):
        if schema.get("x-mock-sensitive"):
            for name, sub in (schema.get("properties") or {}).items():
                if isinstance(sub, dict) and not any(sub.get(m) for m in ("writeOnly", "x-mock-secret")):
                    found.add(name)
        for value in schema.values():
            if isinstance(value, (dict, list)):
                found |= readable_inside_sensitive(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= readable_inside_sensitive(item)
    return found


class SpecError(Exception):
    """A spec cannot be loaded or compiled; the message names the file and the spot."""


def secret_names(schema: Any, marks: tuple[str, ...] = ("writeOnly", "x-mock-secret")) -> set[str]:
    """Names of every property, at any depth, that a schema marks as secret.

    OpenAPI's ``writeOnly: true`` (sent, never returned) is the mark; ``x-mock-secret:
    true`` marks a member that is secret in part (AWX ``inputs``) or a secret the API does
    return (a session token), and ``x-mock-secret: false`` a write-only member that is no
    secret (AWX's owner ids), so the journal keeps it readable.
    """
    found: set[str] = set()
    if isinstance(schema, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if isinstance(sub, dict) and any(sub.get(mark) for mark in marks) \
                    and not ("x-mock-secret" in marks and sub.get("x-mock-secret") is False):
                found.add(name)
        for value in schema.values():
            if isinstance(value, (dict, list)):
                found |= secret_names(value, marks)
    elif isinstance(schema, list):
        for item in schema:
            found |= secret_names(item, marks)
    return found


class SchemaValidator:
    """A compiled schema: a fast yes/no in Rust, and every violation in Python when "no".

    Almost every value a mock sees is valid, and jsonschema-rs answers "valid?" many
    times faster than jsonschema; only an invalid value needs the detailed errors
    (paths, keywords, messages), which the Python validator gives, built on first use.
    Both check formats, JSON Schema's and the named ones of `formats` (``format:
    pem-public-key``...); tests/test_formats.py keeps their verdicts equal on the named ones.
    """

    __slots__ = ("schema", "_fast", "_python", "_python_short", "secret_members")

    def __init__(self, schema: dict):
        self.schema = schema
        self._fast = jsonschema_rs.validator_for(schema, validate_formats=True,
                                                 formats=formats.rust_formats_for(schema))
        self._python = None
        self._python_short = None
        self.secret_members = None  # names marked secret in the schema (validation, on first use)

    @property
    def python(self):
        """The jsonschema validator, for the errors of an invalid value (imported on first use:
        a server that only sees valid requests never loads jsonschema)."""
        if self._python is None:
            from .bounded_schema import validator_class

            bounded = validator_class()
            self._python = bounded(self.schema, format_checker=formats.python_checker())
        return self._python

    def python_errors(self, instance: Any, short: bool = False):
        """The violations of a value known to be invalid (see `checker`)."""
        return self.checker(short).iter_errors(instance)

    def checker(self, short: bool = False):
        """The jsonschema validator for the violations of a value known to be invalid;
        `short`: the whole value is short as JSON, so nothing in it needs quoting briefly
        (a cheaper validator)."""
        if not short:
            return self.python
        if self._python_short is None:
            from .bounded_schema import validator_class

            bounded = validator_class(brief=False)
            self._python_short = bounded(self.schema, format_checker=formats.python_checker())
        return self._python_short

    def is_valid(self, instance: Any) -> bool:
        """True when the value satisfies the schema."""
        try:
            return self._fast.is_valid(instance)
        except (ValueError, TypeError, OverflowError):  # beyond what Rust holds (huge ints): ask Python
            return self.python.is_valid(instance)

    def iter_errors(self, instance: Any):
        """Every violation, as jsonschema ValidationErrors (none for a valid value)."""
        if self.is_valid(instance):
            return iter(())
        return self.python.iter_errors(instance)


def compile_schema(schema: dict, where: str) -> SchemaValidator:
    """Build a validator for an already dereferenced schema, failing loudly if it is bad."""
    if not jsonschema_rs.meta.is_valid(schema):
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        try:  # the Python meta-validator explains what is wrong
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise SpecError(f"{where}: invalid JSON Schema: {exc.message}") from exc
        raise SpecError(f"{where}: invalid JSON Schema")
    try:
        return SchemaValidator(schema)
    except ValueError as exc:
        raise SpecError(f"{where}: invalid JSON Schema: {exc}") from exc


@dataclass(frozen=True)
class Parameter:
    """One path, query, header or cookie parameter of an operation."""

    name: str
    location: str
    required: bool
    schema: dict
    validator: SchemaValidator
    names: "Names | None" = None  # the collection its value names (x-mock-names)
    example: Any = None  # the parameter's own `example` (or its first `examples` value), if any


@dataclass(frozen=True)
class Names:
    """An ``x-mock-names`` declaration: a value names an entity of `collection`; when there
    is none (or the caller may not see it) the answer is `status` and `message`."""

    collection: str
    status: int = 404
    message: str = ""  # a template with {value}; empty: "<entity> <value> not found"

    @classmethod
    def read(cls, declared: Any) -> "Names | None":
        """The declaration as written in a spec (a collection name or a mapping), or None."""
        if declared is None:
            return None
        if isinstance(declared, str):
            return cls(declared)
        missing = declared.get("missing") or {}
        return cls(declared["collection"], int(missing.get("status", 404)), str(missing.get("message", "")))


@dataclass(frozen=True)
class RequestBody:
    """The request body an operation accepts, by media type."""

    required: bool
    schemas: dict[str, dict]
    validators: dict[str, SchemaValidator]
    examples: tuple = ()  # the spec's request examples (values), first media type

    def schema(self) -> dict:
        """The JSON body schema (the first media type's)."""
        return next(iter(self.schemas.values()), {})


@dataclass(frozen=True)
class ResponseHeader:
    """A documented response header."""

    name: str
    required: bool
    schema: dict
    example: Any = None


@dataclass(frozen=True)
class ResponseSpec:
    """One documented response: status key ("201", "default"), body schema, examples."""

    status: str
    description: str
    media_type: str | None
    schema: dict | None
    validator: SchemaValidator | None
    examples: dict[str, Any]
    headers: tuple[ResponseHeader, ...] = ()

    def example(self, name: str | None = None) -> tuple[bool, Any]:
        """Return (found, value) for a named example, or the first one when name is None."""
        if name is not None:
            return (name in self.examples, self.examples.get(name))
        if self.examples:
            return True, next(iter(self.examples.values()))
        if self.schema is not None and "example" in self.schema:
            return True, self.schema["example"]
        if self.schema is not None and self.schema.get("examples"):
            return True, self.schema["examples"][0]
        return False, None


@dataclass(frozen=True)
class Operation:
    """One documented operation with everything needed to serve it."""

    api_id: str
    operation_id: str
    method: str
    path: str
    summary: str
    parameters: tuple[Parameter, ...]
    body: RequestBody | None
    responses: dict[str, ResponseSpec]
    security: tuple[dict[str, list], ...]
    extensions: dict[str, Any] = field(default_factory=dict)
    last_query_value_wins: bool = False
    secret_path_params: frozenset = frozenset()  # path parameters the journal masks (x-mock-secret, writeOnly)

    @property
    def handler_validates(self) -> bool:
        """True when the behaviour module decides what request violations answer."""
        return self.extensions.get("x-mock-validation") == "handler"

    def response_for(self, status: int) -> ResponseSpec | None:
        """The documented response that covers a status: exact, then 4XX-style, then default."""
        exact = self.responses.get(str(status))
        if exact is not None:
            return exact
        ranged = self.responses.get(f"{str(status)[0]}XX")
        if ranged is not None:
            return ranged
        return self.responses.get("default")

    def documented_statuses(self) -> list[int]:
        """The explicit status codes the operation documents (not ranges or default)."""
        return sorted(int(key) for key in self.responses if key.isdigit())


@dataclass(frozen=True)
class CollectionLayout:
    """How the store keeps one kind of entity of an API (from ``x-mock-collections``)."""

    name: str
    key: str
    ids: str  # "integer" | "ulid" | "uuid" | "none" (the entity brings its own key)
    indexes: tuple[str, ...]
    references: dict[str, str]  # field -> parent collection it must name
    schema: dict | None
    validator: SchemaValidator | None
    survives_reset: bool = False  # e.g. login sessions: a reset restores data, not logins
    generate: Any = None  # the compiled ``generate`` template (generate.EntityTemplate), if declared


@dataclass
class ApiSpec:
    """A loaded spec: operations plus the API-wide settings the mock needs."""

    api_id: str
    title: str
    source: Path
    document: dict
    operations: list[Operation]
    security_schemes: dict[str, dict]
    collections: dict[str, CollectionLayout]
    trailing_slash_optional: bool
    access_refs: dict[str, Any] = field(default_factory=dict)  # from x-mock-access
    source_text: bytes = b""  # the text it was loaded from (what GET /__mock/specs/<id> sends: the file may
    # have changed on disk since, and with --watch a broken edit keeps this version serving)

    def operation(self, operation_id: str) -> Operation:
        """Look an operation up by its operationId."""
        for op in self.operations:
            if op.operation_id == operation_id:
                return op
        raise KeyError(operation_id)


def _resolve_pointer(document: dict, ref: str, source: Path) -> Any:
    if not ref.startswith("#/"):
        raise SpecError(f"{source}: only local $refs are supported, got {ref!r}")
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise SpecError(f"{source}: unresolvable $ref {ref!r}")
    return node


RECURSION: dict = {}  # what a recursive $ref becomes where it repeats: any value


def dereference(document: dict, source: Path) -> dict:
    """Return a copy of the document with every local ``$ref`` replaced by its target.

    Sibling keywords next to a ``$ref`` (allowed in OpenAPI 3.1) override the target's.
    A recursive schema (a tree whose nodes hold nodes) is written out once: where it
    would repeat itself it accepts any value (`RECURSION`); a flat schema validates faster.
    """

    def walk(node: Any, active: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            if "$ref" in node and isinstance(node["$ref"], str):
                ref = node["$ref"]
                if ref in active:
                    return dict(RECURSION, description=f"{ref} again (recursive: not checked below here)")
                target = walk(_resolve_pointer(document, ref, source), active + (ref,))
                siblings = {k: walk(v, active) for k, v in node.items() if k != "$ref"}
                if not siblings:
                    return target
                merged = dict(target) if isinstance(target, dict) else {}
                merged.update(siblings)
                return merged
            return {k: walk(v, active) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, active) for v in node]
        return node

    return walk(document, ())  # walk builds new containers: the input is never changed


def _examples_of(media: dict) -> dict[str, Any]:
    examples = {}
    for name, example in (media.get("examples") or {}).items():
        if isinstance(example, dict) and "value" in example:
            examples[name] = example["value"]
    if "example" in media:
        examples.setdefault("default", media["example"])
    return examples


def _compile_response(status: str, raw: dict, where: str) -> ResponseSpec:
    content = raw.get("content") or {}
    media_type, media = next(iter(content.items()), (None, {}))
    schema = media.get("schema") if media else None
    validator = compile_schema(schema, f"{where} response {status}") if schema is not None else None
    headers = tuple(
        ResponseHeader(name=name, required=bool(h.get("required")), schema=h.get("schema") or {},
                       example=h.get("example", (h.get("schema") or {}).get("example")))
        for name, h in (raw.get("headers") or {}).items()
    )
    return ResponseSpec(status=status, description=raw.get("description", ""),
                        media_type=media_type, schema=schema, validator=validator,
                        examples=_examples_of(media or {}), headers=headers)


def _parameter_example(param: dict) -> Any:
    """A parameter's own example: `example`, else the first of its `examples` (not its
    schema's, which shows a value's form rather than one that exists)."""
    if "example" in param:
        return param["example"]
    for example in (param.get("examples") or {}).values():
        if isinstance(example, dict) and "value" in example:
            return example["value"]
    return None


def _compile_operation(api_id: str, path: str, method: str, raw: dict, path_item: dict,
                       root: dict, source: Path) -> Operation:
    where = f"{source.name}: {method.upper()} {path}"
    # An operation without an id gets one from its method and path (delete_pets_petId).
    operation_id = raw.get("operationId") or "_".join(
        [method.lower()] + [s.strip("{}") for s in path.strip("/").split("/") if s]).replace("-", "_")

    merged: dict[tuple[str, str], dict] = {}
    for param in list(path_item.get("parameters") or []) + list(raw.get("parameters") or []):
        merged[(param["name"], param["in"])] = param  # operation-level wins, as OpenAPI says
    parameters = tuple(
        Parameter(name=p["name"], location=p["in"], required=bool(p.get("required")),
                  schema=p.get("schema") or {},
                  validator=compile_schema(p.get("schema") or {}, f"{where} parameter {p['name']}"),
                  names=Names.read(p.get("x-mock-names")), example=_parameter_example(p))
        for p in merged.values()
    )

    body = None
    if "requestBody" in raw:
        content = raw["requestBody"].get("content") or {}
        schemas = {mt.lower(): (media.get("schema") or {}) for mt, media in content.items()}
        first_media = next(iter(content.values()), {}) or {}
        body = RequestBody(
            required=bool(raw["requestBody"].get("required")),
            schemas=schemas,
            validators={mt: compile_schema(s, f"{where} request body") for mt, s in schemas.items()},
            examples=tuple(_examples_of(first_media).values()),
        )

    responses = {str(status): _compile_response(str(status), resp, where)
                 for status, resp in (raw.get("responses") or {}).items()}
    security = raw.get("security", root.get("security") or [])
    extensions = {k: v for k, v in raw.items() if k.startswith("x-mock-")}
    return Operation(api_id=api_id, operation_id=operation_id, method=method.upper(), path=path,
                     summary=raw.get("summary", ""), parameters=parameters, body=body,
                     responses=responses, security=tuple(security or ()), extensions=extensions,
                     last_query_value_wins=root.get("x-mock-repeated-query") == "last",
                     secret_path_params=frozenset(p.name for p in parameters if p.location == "path" and (
                         p.schema.get("x-mock-secret") or p.schema.get("writeOnly"))))


def _compile_collections(raw: dict, source: Path) -> dict[str, CollectionLayout]:
    layouts = {}
    for name, spec in (raw or {}).items():
        schema = spec.get("schema")
        layouts[name] = CollectionLayout(
            name=name,
            key=spec.get("key", "id"),
            ids=spec.get("ids", "integer"),
            indexes=tuple(spec.get("indexes") or ()),
            references=dict(spec.get("references") or {}),
            schema=schema,
            validator=compile_schema(schema, f"{source.name}: collection {name}") if schema else None,
            survives_reset=bool(spec.get("survives_reset")),
            generate=_compile_generate(spec, name, source),
        )
        if layouts[name].ids not in ("integer", "ulid", "uuid", "none"):
            raise SpecError(f"{source.name}: collection {name}: unknown ids strategy {layouts[name].ids!r}")
    return layouts


def _compile_generate(layout: dict, name: str, source: Path):
    """The collection's ``generate`` template, compiled (None when it declares none)."""
    if "generate" not in layout:
        return None
    from .generate import EntityTemplate, TemplateError

    try:
        return EntityTemplate(layout["generate"], f"collection {name}: generate", dict(layout.get("references") or {}),
                              layout.get("key", "id"), tuple((layout.get("schema") or {}).get("required") or ()))
    except TemplateError as exc:
        raise SpecError(f"{source}: /x-mock-collections/{name}/generate: {exc}") from None


def _parse_spec(text: str) -> Any:
    if text.lstrip().startswith("{"):  # JSON: the JSON parser reads every escape YAML 1.1 may not
        try:
            return json.loads(text)
        except ValueError:
            pass  # a YAML flow mapping, perhaps: let YAML say what is wrong
    return yaml.load(text, Loader=SAFE_LOADER)


def load_spec(path: Path, api_id: str | None = None) -> ApiSpec:
    """Load, dereference and compile one spec file. The API id defaults to the file stem."""
    path = Path(path)
    api_id = api_id or path.stem
    from . import vocabulary  # (it imports SpecError from here)

    def parse_and_check(text: str) -> Any:
        # The x-mock-* keys are checked as the text is parsed: a spec read from the cache
        # passed already (the cache key holds vocabulary.py's version, see STAMP).
        document = _parse_spec(text)
        if isinstance(document, dict) and str(document.get("openapi", "")).startswith("3."):
            vocabulary.check_vocabulary(document, str(path))
        return document

    try:
        text = path.read_bytes()
        raw = load_cached(text, parse_and_check, f"spec/{vocabulary.STAMP}")
    except yaml.YAMLError as exc:  # words and a position, not PyYAML's quote of the source
        from .documents import yaml_problem

        raise SpecError(f"{path}: cannot read spec: not valid YAML: "
                        f"{yaml_problem(exc, text.decode('utf-8', 'replace'))}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot read spec: {exc}") from exc
    version = str(raw.get("openapi", "")) if isinstance(raw, dict) else ""
    if version.startswith("3.0"):
        raw = upgrade_30(raw)
    elif not version.startswith("3.1"):
        if isinstance(raw, dict) and "swagger" in raw:
            raise SpecError(f"{path}: a Swagger {raw['swagger']} document; only OpenAPI 3.0 and 3.1 are read "
                            f"(convert it first, e.g. with swagger2openapi)")
        raise SpecError(f"{path}: not an OpenAPI 3.0 or 3.1 document")
    document = dereference(raw, path)

    operations = []
    for route, path_item in (document.get("paths") or {}).items():
        for method in HTTP_METHODS:
            if method in path_item:
                operations.append(_compile_operation(api_id, route, method, path_item[method],
                                                     path_item, document, path))
    ids = [op.operation_id for op in operations]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise SpecError(f"{path}: duplicate operationIds {sorted(duplicates)}")

    return ApiSpec(
        api_id=api_id,
        title=(document.get("info") or {}).get("title", api_id),
        source=path,
        document=document,
        operations=operations,
        security_schemes=((document.get("components") or {}).get("securitySchemes") or {}),
        collections=_compile_collections(document.get("x-mock-collections"), path),
        trailing_slash_optional=document.get("x-mock-trailing-slash") == "optional",
        access_refs=dict(document.get("x-mock-access") or {}),
        source_text=text,
    )
