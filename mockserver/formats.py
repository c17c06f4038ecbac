"""Named string formats a spec may declare (``format: <name>``), checked like JSON Schema's own.

`format: date-time` or `format: uuid` are checked by every validator; the formats here are
what credentials APIs need besides and no JSON Schema draft names:

- ``base64``: standard base64 with padding (what Go's ``encoding/base64.StdEncoding``
  and Python's ``b64decode(validate=True)`` accept);
- ``pem-public-key``: a PEM public key or a PEM X.509 certificate (what OpenSSL's
  ``openssl_pkey_get_public`` takes);
- ``pem-private-key``: PEM text holding at least one private key (RSA, DSA, EC, OpenSSH,
  PKCS #8, encrypted or not), certificates allowed beside it: AWX's ``ssh_private_key``;
- ``url``: an absolute URL, with a scheme and a host.

Every compiled schema knows them (`spec.SchemaValidator`): jsonschema-rs through
`rust_formats_for` (the ones the schema names), the Python validator that explains an
invalid value through `python_checker`. So request parameters and bodies, data-file
entities and responses are checked alike, and a behaviour module reads a failure from the
request's violations (keyword ``format``) instead of checking the value itself.

A check raises `FormatProblem` with the reason; the reason never quotes the value (a key,
a secret), except ``url``'s AWX wording for a URL without a host, which the validators
hide for secret members as they hide every quoted secret. Nothing here imports
``cryptography`` until a PEM public key is checked or a key is generated: start-up stays fast.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any, Callable

import orjson


class FormatProblem(ValueError):
    """A string that is not of its declared format; the message says why, without the value."""


# --- base64 -----------------------------------------------------------------------------------
def is_base64(text: str) -> bool:
    """True for standard, padded base64."""
    try:
        base64.b64decode(text, validate=True)
        return True
    except (binascii.Error, ValueError):
        return False


def check_base64(text: str) -> None:
    if not is_base64(text):
        raise FormatProblem("not valid standard base64")


# --- PEM public keys ----------------------------------------------------------------------------
def is_public_key(text: str) -> bool:
    """True for a PEM public key or a PEM certificate (what openssl_pkey_get_public takes)."""
    from cryptography.hazmat.primitives import serialization  # on first use: start-up stays quick

    data = text.encode("utf-8", "replace")
    try:
        serialization.load_pem_public_key(data)
        return True
    except (ValueError, TypeError):
        pass
    from cryptography import x509  # only certificates need it, and it is slow to import

    try:
        x509.load_pem_x509_certificate(data)
        return True
    except ValueError:
        return False


def check_public_key(text: str) -> None:
    if not is_public_key(text):
        raise FormatProblem("not a PEM public key or certificate")


# --- PEM private keys (AWX's validate_pem, in behaviour) ----------------------------------------
_PEM_HEADER = re.compile(r"(?P<dashes>-{4,}) *BEGIN (?P<type>[A-Z ]+?) *(?P=dashes)")
_PEM_LINE_HEADER = re.compile(r"^(.+?):\s*?(.+?)(\\??)$")
_KEY_TYPES = {"RSA": "rsa", "DSA": "dsa", "EC": "ecdsa", "OPENSSH": "ed25519", "": "rsa1"}
_OPENSSH_UNENCRYPTED = b"openssh-key-v1\x00\x00\x00\x00\x04none"


class PemError(FormatProblem):
    """PEM data AWX would refuse; the message is AWX's (without the data AWX quotes)."""


def _pem_body(data: str) -> str:
    """The base64 part of a PEM object, without RFC 1421 headers (``Proc-Type: ...``)."""
    out, continues = [], False
    for line in data.splitlines():
        line = line.strip()
        if not line:
            continue
        if continues:
            continues = line.endswith("\\")
            continue
        if _PEM_LINE_HEADER.match(line):
            continues = line.endswith("\\")
            continue
        out.append(line)
    return "".join(out)


def pem_objects(data: str) -> list[dict]:
    """Split PEM text into objects ``{type, key_type?, encrypted?}``; PemError if malformed.

    Written without one big backtracking regular expression, so a hostile megabyte of
    dashes and spaces costs linear time.
    """
    objects = []
    data = data.lstrip()
    while data:
        header = _PEM_HEADER.match(data[:256])
        if header is None:
            # [mock] AWX adds the first 100 characters of the data: a secret's, here.
            raise PemError("Invalid certificate or key: no PEM header (-----BEGIN ...-----) found.")
        dashes, kind = header.group("dashes"), header.group("type")
        end = re.compile(re.escape(dashes) + r" *END " + re.escape(kind) + r" *" + re.escape(dashes))
        footer = end.search(data, header.end())
        if footer is None:
            raise PemError(f"Invalid certificate or key: no -----END {kind}----- footer found.")
        body = data[header.end():footer.start()]
        data = data[footer.end():].lstrip()
        info: dict[str, Any] = {"type": kind}
        if kind.endswith("PRIVATE KEY"):
            info["type"] = "PRIVATE KEY"
            prefix = kind.replace("ENCRYPTED PRIVATE KEY", "").replace("PRIVATE KEY", "").strip()
            if prefix not in _KEY_TYPES:
                raise PemError(f'Invalid private key: unsupported type "{prefix}"')
            info["key_type"] = _KEY_TYPES[prefix]
        elif kind != "CERTIFICATE":
            raise PemError(f'Unsupported PEM object type: "{kind}"')
        try:
            raw = base64.b64decode(_pem_body(body))
        except (binascii.Error, ValueError):
            raw = b""
        if not raw:
            raise PemError("Invalid base64-encoded data")
        if info.get("key_type") == "ed25519":
            info["encrypted"] = not raw.startswith(_OPENSSH_UNENCRYPTED)
        elif kind == "ENCRYPTED PRIVATE KEY":
            info["encrypted"] = True
        elif "key_type" in info:
            info["encrypted"] = "ENCRYPTED" in body
        objects.append(info)
    return objects


def check_private_key(data: str) -> list[dict]:
    """AWX's ``validate_ssh_private_key``: at least one private key, certificates allowed."""
    objects = pem_objects(data)
    if not any(o["type"] == "PRIVATE KEY" for o in objects):
        raise PemError("At least one private key is required.")
    return objects


def has_encrypted_key(data: Any) -> bool:
    """True when `data` is a valid private key that needs a passphrase."""
    if not isinstance(data, str) or not data:
        return False
    try:
        return any(o.get("encrypted") for o in check_private_key(data))
    except PemError:
        return False


# --- URLs -------------------------------------------------------------------------------------
def check_url(text: str) -> None:
    """AWX's ``url`` format: a scheme and a host (its words, too)."""
    try:
        parsed = urllib.parse.urlparse(text)
    except ValueError as error:  # "Invalid IPv6 URL": AWX reports the parser's words
        raise FormatProblem(str(error)) from None
    if parsed.scheme == "":
        raise FormatProblem("Invalid URL: Missing url scheme (http, https, etc.)")
    if parsed.netloc == "":
        raise FormatProblem(f"Invalid URL: {text}")


# --- generated values ---------------------------------------------------------------------------
def _keys():
    from . import keys  # cryptography only when a key is made: start-up stays quick

    return keys


def _seed(fake) -> bytes:
    return fake.rng.getrandbits(256).to_bytes(32, "big")


# --- the registry -----------------------------------------------------------------------------
@dataclass(frozen=True)
class NamedFormat:
    """A format: its check (FormatProblem when a string is not of it) and a maker of a valid
    value for generated data (given a `fake.Fake`)."""

    check: Callable[[str], Any]  # its return value is ignored
    make: Callable[[Any], str]


FORMATS: dict[str, NamedFormat] = {
    "base64": NamedFormat(check_base64, lambda f: base64.b64encode(f.rng.randbytes(24)).decode()),
    "pem-public-key": NamedFormat(check_public_key, lambda f: _keys().pem_public_key(_seed(f))),
    "pem-private-key": NamedFormat(check_private_key, lambda f: _keys().openssh_ed25519_key(
        _seed(f), f.rng.getrandbits(32), "mock@example.com")),
    "url": NamedFormat(check_url, lambda f: f.faker.url()),
}


CHECKS = {name: named.check for name, named in FORMATS.items()}


def _conforms(check: Callable[[str], Any], value: Any) -> bool:
    """A check as jsonschema-rs calls it: True or False, never an exception."""
    if not isinstance(value, str):
        return True  # a format says nothing about other types
    try:
        check(value)
    except FormatProblem:
        return False
    return True


def rust_formats(checks: dict[str, Callable[[str], Any]]) -> dict[str, Callable[[str], bool]]:
    """Checks as jsonschema-rs's ``formats=`` argument wants them."""
    return {name: functools.partial(_conforms, check) for name, check in checks.items()}


RUST_FORMATS = rust_formats(CHECKS)
_DECLARED = {name: b'"format":' + orjson.dumps(name) for name in FORMATS}


def rust_formats_for(schema: Any) -> dict[str, Callable[[str], bool]] | None:
    """The named formats a schema declares, for jsonschema-rs; None when it declares none.

    A validator given any format of its own answers each call ~0.1 µs slower (it then
    calls into Python), so only schemas that use one get them. (Looked for in the
    schema's JSON, which orjson writes faster than Python walks the schema.)
    """
    try:
        text = orjson.dumps(schema)
    except (orjson.JSONEncodeError, TypeError):  # keys or numbers JSON cannot hold: give them all
        return dict(RUST_FORMATS)
    return {name: check for name, check in RUST_FORMATS.items() if _DECLARED[name] in text} or None


def _for_python(check: Callable[[str], Any]):
    """A check as jsonschema's FormatChecker wants it: a failure is a FormatError whose
    message is the check's reason (jsonschema's own would start with the value)."""

    def run(value: Any) -> bool:
        from jsonschema.exceptions import FormatError

        if isinstance(value, str):
            try:
                check(value)
            except FormatProblem as problem:
                raise FormatError(str(problem)) from None
        return True

    return run


def checker_for(checks: dict[str, Callable[[str], Any]], *, standard: bool):
    """A jsonschema FormatChecker of `checks`, and of Draft 2020-12's own formats when
    `standard` (AWX's validator knows only its own)."""
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker(formats=())
    if standard:
        checker.checkers.update(Draft202012Validator.FORMAT_CHECKER.checkers)
    for name, check in checks.items():
        checker.checks(name)(_for_python(check))
    return checker


@functools.cache
def python_checker():
    """Draft 2020-12's formats and the named ones, for the validator that explains an
    invalid value; built on first use (jsonschema is imported only once a value is invalid)."""
    return checker_for(CHECKS, standard=True)
