"""AWX credential inputs: parse them, check them against a credential type, mask secrets.

A credential type describes its inputs as ``{"fields": [...], "required": [...],
"dependencies": {...}}``, each field ``{id, label, type: string|boolean, secret?,
multiline?, format?, choices?, ask_at_runtime?, default?, help_text?}``. AWX turns that
into a Draft 4 JSON Schema (one property per field, no extra keys) and reports problems
the way this module does:

- a secret input sent as ``$encrypted$`` on create: one message, before anything else;
- a problem tied to no field (an unknown key, inputs not an object): one message, and it
  hides every per-field problem;
- per-field problems: ``{"field": ["message"]}``, then the SSH key passphrase rules
  ([awx] a type's required inputs are not enforced on save; an input sent empty takes
  its field's default, `with_field_defaults`).

Secrets are stored in clear (the mock has nothing to protect) and shown as
``$encrypted$``; an empty secret is dropped and an ``ASK`` in an ask-at-runtime field is
kept and shown as is, as AWX's field encryption does. On an update a secret sent as
``$encrypted$`` keeps the stored value (`merge_encrypted`).

[mock] No message ever repeats a secret: a problem with a secret input names the field
but not its value (``'<secret>' is not of type 'string'``), a PEM problem does not quote
the key (AWX quotes its first 100 characters), and a JSON/YAML parse error gives the
line and column, never the source text (YAML's own messages quote the line).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
import orjson
import yaml

from .. import formats
from ..formats import has_encrypted_key
from ..documents import MAX_YAML_NODES, STRICT_JSON, count_nodes, json_problem, load_yaml, unquoted, yaml_problem

ENCRYPTED = "$encrypted$"
ASK = "ASK"
SECRET = "'<secret>'"  # what a message shows instead of a secret value (as the engine does)


class InputsError(Exception):
    """Inputs that AWX refuses; `detail` is a list of messages or ``{field: [messages]}``."""

    def __init__(self, detail: list[str] | dict[str, list[str]]):
        super().__init__(detail)
        self.detail = detail


# --- parsing ----------------------------------------------------------------------------------
def _require_mapping(value: Any) -> None:
    if not isinstance(value, dict):
        raise AssertionError(f"Input type `{type(value).__name__}` is not a dictionary")


def parse_text(text: str) -> dict:
    """Parse inputs sent as a string, as AWX's ``parse_yaml_or_json`` does: JSON, then YAML.

    Raises InputsError with AWX's message when neither gives a mapping; [mock] the
    message gives positions but never quotes the text, which may hold secrets.
    """
    if text == '""':
        return {}
    try:
        # json.loads refuses a leading BOM with its own message; decode() alone would not say so.
        value = json.loads(text) if text.startswith("\ufeff") else STRICT_JSON.decode(text)
        _require_mapping(value)
        return value
    except (ValueError, TypeError, AssertionError, RecursionError) as json_error:
        json_text = json_problem(json_error)
    try:
        value = load_yaml(text)
        if value is None:  # "" or "---"
            value = {}
        _require_mapping(value)
        count_nodes(value, [MAX_YAML_NODES])
    except (yaml.YAMLError, TypeError, AttributeError, AssertionError, RecursionError, ValueError) as yaml_error:
        raise InputsError([f"Cannot parse as JSON (error: {json_text}) or YAML "
                           f"(error: {yaml_problem(yaml_error, text)})."]) from None
    try:
        # YAML knows dates, sets and NaN; JSON (and so the stored credential) does not.
        json.dumps(value, allow_nan=False)
    except (ValueError, TypeError) as error:
        raise InputsError([f"Variables not compatible with JSON standard (error: {unquoted(str(error))})"]) \
            from None
    return value


# --- the type's schema ------------------------------------------------------------------------
def fields_of(credential_type: dict) -> list[dict]:
    """The input fields a credential type defines."""
    return list((credential_type.get("inputs") or {}).get("fields") or [])


def secret_fields(credential_type: dict) -> tuple[str, ...]:
    """Ids of the fields AWX encrypts, in the type's order."""
    return _read(credential_type).secrets


def askable_fields(credential_type: dict) -> frozenset[str]:
    """Ids of the fields that may hold ``ASK`` (prompt on launch)."""
    return _read(credential_type).askable


def input_schema(credential_type: dict) -> dict:
    """The Draft 4 schema AWX builds from a credential type's field list (shared: never
    change it)."""
    return _read(credential_type).schema


@dataclass(frozen=True)
class _TypeInputs:
    """What the checks read of a type's ``inputs``, worked out once per type."""

    secrets: tuple[str, ...]  # in the type's order: the first refused one is named
    askable: frozenset[str]
    schema: dict
    schema_json: bytes  # the schema's canonical JSON: the key of its compiled validator


_EMPTY: dict = {}
# id(a type's inputs) -> (those inputs, what was read of them). A stored type is replaced,
# never changed in place, so the identity check is enough; kept small (types are few).
_READ: dict[int, tuple[dict, _TypeInputs]] = {}


def _read(credential_type: dict) -> _TypeInputs:
    inputs = credential_type.get("inputs") or _EMPTY
    known = _READ.get(id(inputs))
    if known is not None and known[0] is inputs:
        return known[1]
    fields = list(inputs.get("fields") or [])
    properties = {}
    for field in fields:
        schema: dict[str, Any] = {"type": field.get("type", "string")}
        if field.get("format"):
            schema["format"] = field["format"]
        if field.get("choices"):
            schema["enum"] = list(field["choices"])
        properties[field["id"]] = schema
    schema = {"type": "object", "properties": properties,
              "dependencies": dict(inputs.get("dependencies") or {}), "additionalProperties": False}
    read = _TypeInputs(tuple(f["id"] for f in fields if f.get("secret") is True),
                       frozenset(f["id"] for f in fields if f.get("ask_at_runtime") is True),
                       schema, orjson.dumps(schema, option=orjson.OPT_SORT_KEYS))
    if len(_READ) >= 256:
        _READ.clear()
    _READ[id(inputs)] = (inputs, read)
    return read


# --- formats AWX registers on its schema validator --------------------------------------------
def _ssh_private_key(value: str) -> None:
    """AWX's ``ssh_private_key``: the shared ``pem-private-key``, after AWX's own leniencies
    (a stored secret shown as ``$encrypted$`` and an empty value pass; ``\\u003d`` is ``=``)."""
    if value and value != ENCRYPTED:
        formats.check_private_key(value.replace(r"\u003d", "="))


def _vault_id(value: str) -> None:
    if "@" in value:
        raise formats.FormatProblem("@ is not an allowed character")


# AWX's names; only these (not JSON Schema's own formats) are checked, as AWX's validator does.
AWX_FORMATS = {"ssh_private_key": _ssh_private_key, "vault_id": _vault_id, "url": formats.check_url}
_RUST_FORMATS = formats.rust_formats(AWX_FORMATS)


@functools.cache
def _formats():
    """AWX's format checker, built on first use (jsonschema loads only for invalid inputs)."""
    return formats.checker_for(AWX_FORMATS, standard=False)


@functools.lru_cache(maxsize=256)
def _compiled(schema_json: bytes):
    """A compiled validator per distinct schema (credential types may change, so keyed by content)."""
    return jsonschema_rs.Draft4Validator(json.loads(schema_json), validate_formats=True, formats=_RUST_FORMATS)


def _quickly_valid(schema_json: bytes, inputs: dict) -> bool:
    """True when the inputs surely pass the schema and AWX's formats (checked in Rust).

    Almost every stored or sent credential does; only the others need jsonschema's
    detailed errors.
    """
    return _compiled(schema_json).is_valid(inputs)


# --- the checks, in AWX's order ---------------------------------------------------------------
def _surrogates(inputs: dict) -> dict[str, list[str]]:
    """[mock] Lone surrogates cannot be stored or sent back as UTF-8: refuse them per field."""
    errors = {}
    for key, value in inputs.items():
        if isinstance(key, str) and isinstance(value, str):
            bad = next((c for c in value if "\ud800" <= c <= "\udfff"), None)
            if bad is not None:
                errors[key] = [f"Surrogate characters are not allowed: U+{ord(bad):X}."]
    return errors


def hide_value(message: str, value: Any, *, verbatim: bool = False) -> str:
    """`message` without `value` in it (jsonschema starts its messages with the value's repr).

    ``None`` hides nothing and stays; any other value, even a number, may be a secret.
    `verbatim` also hides the bare text (a format checker's own message may quote it).
    """
    if value is None:
        return message
    message = message.replace(repr(value), SECRET)
    if verbatim and isinstance(value, str) and value:
        message = message.replace(value, "<secret>")
    return message


def _schema_errors(credential_type: dict, inputs: dict) -> dict[str, list[str]]:
    """Per-field schema problems; InputsError for the first problem tied to no field.

    A problem with a secret field is told without its value.
    """
    errors: dict[str, list[str]] = {}
    labels = {f["id"]: f.get("label", f["id"]) for f in fields_of(credential_type)}
    read = _read(credential_type)
    secrets, schema = read.secrets, read.schema
    if _quickly_valid(read.schema_json, inputs):
        return {}
    from jsonschema import Draft4Validator

    validator = Draft4Validator(schema, format_checker=_formats())
    for error in validator.iter_errors(inputs):
        if error.validator == "dependencies":
            # "'a' is a dependency of 'b'": AWX names the field that may not be set alone.
            match = re.search(r"'([^']+)'[\w ]+'([^']+)", error.message)
            if match:
                needed, extraneous = match.groups()
                errors[extraneous] = [f'cannot be set unless "{labels.get(needed, needed)}" is set']
                continue
        if not error.path:
            raise InputsError([error.message])
        field = str(error.path[0])
        errors[field] = [hide_value(error.message, inputs.get(field), verbatim=error.validator == "format")
                         if field in secrets else error.message]
    return errors


def _key_unlock_errors(credential_type: dict, inputs: dict, errors: dict) -> None:
    """The passphrase rules AWX applies to managed types with an ``ssh_key_unlock`` field."""
    if not credential_type.get("managed") or "ssh_key_unlock" not in {f["id"] for f in fields_of(credential_type)}:
        return
    encrypted = has_encrypted_key(inputs.get("ssh_key_data"))
    if encrypted and not inputs.get("ssh_key_unlock"):
        errors["ssh_key_unlock"] = ["must be set when SSH key is encrypted."]
    if inputs.get("ssh_key_data") and inputs.get("ssh_key_unlock") and not encrypted \
            and "ssh_key_data" not in errors:
        errors["ssh_key_unlock"] = ["should not be set when SSH key is not encrypted."]


def reserved(field: str) -> InputsError:
    """AWX's refusal of ``$encrypted$`` as the value of a secret input."""
    return InputsError([f"{ENCRYPTED} is a reserved keyword, and cannot be used for {field}."])


def check_inputs(credential_type: dict, inputs: dict, *, creating: bool = True) -> None:
    """Raise InputsError when `inputs` do not satisfy the credential type, as AWX would.

    On create a secret sent as ``$encrypted$`` is refused first; an update checks the
    inputs after `merge_encrypted` has put the stored secrets back.
    """
    if creating:
        for field in secret_fields(credential_type):
            if inputs.get(field) == ENCRYPTED:
                raise reserved(field)
    surrogates = _surrogates(inputs)
    errors = _schema_errors(credential_type, {k: ("" if k in surrogates else v) for k, v in inputs.items()})
    errors.update(surrogates)
    # [awx] A type's `required` inputs are not enforced on save (since commit 42f4956a7f):
    # they are asked for when a job launches.
    _key_unlock_errors(credential_type, inputs, errors)
    if errors:
        raise InputsError(errors)


def with_field_defaults(credential_type: dict, inputs: dict) -> dict:
    """[awx] CredentialInputField.validate: an input of the type sent empty (null, "",
    false, 0) takes the field's default: its first choice, else "" or false by type.
    Keys the type does not define are left for the schema check to refuse."""
    if not isinstance(inputs, dict) or all(inputs.values()):
        return inputs
    fields = {f["id"]: f for f in fields_of(credential_type)}
    filled = dict(inputs)
    for key, value in inputs.items():
        field = fields.get(key)
        if not value and field is not None:
            filled[key] = field["choices"][0] if field.get("choices") else \
                (False if field.get("type") == "boolean" else "")
    return filled


def merge_encrypted(credential_type: dict, inputs: dict, stored: dict) -> dict:
    """The inputs of an update, as AWX's ``Credential.save`` and its input field see them.

    [awx] A secret that is not a string (and not ``$encrypted$``) is refused with one
    message that names its type, not its value; a secret sent as ``$encrypted$`` keeps
    the stored value. [mock] When nothing is stored under that name (AWX fails with a
    500 there) it is refused as on create.
    """
    secrets = secret_fields(credential_type)
    for key, value in inputs.items():
        if key in secrets and value != ENCRYPTED and not isinstance(value, str):
            raise InputsError([f"secret values must be of type string, not {type(value).__name__}"])
    merged = dict(inputs)
    for key in secret_fields(credential_type):
        if merged.get(key) == ENCRYPTED:
            if not isinstance(stored.get(key), str) or stored.get(key) in ("", ENCRYPTED):
                raise reserved(key)
            merged[key] = stored[key]
    return merged


# --- storing and showing ----------------------------------------------------------------------
def stored_inputs(credential_type: dict, inputs: dict) -> dict:
    """What AWX keeps: every input, except secrets left empty (its encryption drops them)."""
    secrets = secret_fields(credential_type)
    return {k: v for k, v in inputs.items() if not (k in secrets and v in ("", None))}


def display_inputs(credential_type: dict, inputs: dict) -> dict:
    """Inputs as the API shows them: secrets as ``$encrypted$``, an ``ASK`` prompt as is."""
    secrets, askable = secret_fields(credential_type), askable_fields(credential_type)
    shown = {}
    for key, value in inputs.items():
        if key in secrets and value and not (key in askable and value == ASK):
            shown[key] = ENCRYPTED
        else:
            shown[key] = value
    return shown
