"""Find the credential a request presents, as the operation's security schemes describe.

This module only reads the spec: which header, cookie or query value carries the
credential and in which form (HTTP Bearer, HTTP Basic, API key). Whether a credential is
*accepted*, and what a missing one answers (401 or 403, which body), is each API's
behaviour: by default any non-empty credential is accepted.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from .messages import MockRequest
from .spec import Operation


@dataclass(frozen=True)
class Credential:
    """What the client presented: under which scheme, and the secret itself."""

    scheme: str  # the security scheme's name in the spec
    kind: str  # "bearer" | "basic" | "apiKey"
    token: str  # bearer token / API key / basic "user:password"
    username: str | None = None
    password: str | None = None
    alternatives: tuple[str, ...] = ()  # other values that may identify it (each cookie's value)


@dataclass(frozen=True)
class AuthOutcome:
    """The result of looking for a credential."""

    required: bool
    credential: Credential | None
    problem: str = ""  # why no scheme was satisfied, for the X-Mock-Violations header
    others: tuple[Credential, ...] = ()  # credentials of later requirements, tried if the first is refused
    location: str = "header"  # where the first expected credential lives
    pointer: str = "/authorization"


def where_of(scheme: dict) -> tuple[str, str]:
    """(location, pointer) of the header, cookie or query value a scheme reads."""
    if scheme.get("type") == "apiKey":
        return scheme.get("in", "header"), "/" + str(scheme.get("name", "")).lower()
    return "header", "/authorization"


def _extract(name: str, scheme: dict, request: MockRequest) -> tuple[Credential | None, str]:
    kind = scheme.get("type")
    if kind in ("http", "oauth2", "openIdConnect"):
        header = (request.header("authorization") or "").strip()
        # OAuth 2 and OpenID Connect access tokens travel as bearer tokens (RFC 6750).
        expected = str(scheme.get("scheme", "")).lower() if kind == "http" else "bearer"
        prefix, _, rest = header.partition(" ")
        if not header:
            return None, "no Authorization header"
        if prefix.lower() != expected:
            return None, f"Authorization header is not of scheme {expected!r}"
        rest = rest.strip()
        if not rest:
            return None, f"empty {expected} credential"
        if expected == "basic":
            try:
                decoded = base64.b64decode(rest, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None, "Basic credential is not base64 of user:password"
            user, sep, password = decoded.partition(":")
            if not sep or not user:
                return None, "Basic credential is not base64 of user:password"
            return Credential(name, "basic", decoded, user, password), ""
        return Credential(name, "bearer", rest), ""
    if kind == "apiKey":
        where, key = scheme.get("in"), scheme.get("name", "")
        if where == "header":
            value = (request.header(key) or "").strip()
        elif where == "query":
            value = ((request.query.get(key) or [""])[0]).strip()
        elif scheme.get("x-mock-any-cookie"):
            present = {k: v for k, v in request.cookies.items() if v}
            value = "; ".join(f"{k}={v}" for k, v in present.items())
            if value:
                return Credential(name, "apiKey", value, alternatives=tuple(present.values())), ""
        else:
            value = (request.cookies.get(key) or "").strip()
        if not value:
            return None, f"no {key} {where}" if where != "cookie" else "no session cookie"
        return Credential(name, "apiKey", value), ""
    return None, f"unsupported security scheme type {kind!r}"


def find_credential(operation: Operation, schemes: dict[str, dict], request: MockRequest) -> AuthOutcome:
    """Try the operation's security requirements in order; the first one met wins.

    A requirement lists schemes that must all be present (AND); the list of requirements
    is a choice (OR). An empty requirement (``{}``) or no requirements means anonymous
    access is allowed.
    """
    if not operation.security:
        return AuthOutcome(required=False, credential=None)
    problems, found = [], []
    for requirement in operation.security:
        if not requirement:
            return AuthOutcome(required=False, credential=None)
        met = []
        for name in requirement:
            credential, problem = _extract(name, schemes.get(name, {}), request)
            if credential is None:
                problems.append(problem)
                break
            met.append(credential)
        else:
            found.append(met[0])
    if found:
        # Every satisfied alternative is kept: a stray cookie must not hide a good token.
        return AuthOutcome(required=True, credential=found[0], others=tuple(found[1:]))
    first_scheme = schemes.get(next(iter(operation.security[0]), ""), {})
    location, pointer = where_of(first_scheme)
    return AuthOutcome(required=True, credential=None, problem="; ".join(dict.fromkeys(problems)),
                       location=location, pointer=pointer)
