"""Who may call an API, when a scenario says so.

By default every API accepts any non-empty credential. A scenario may instead declare,
per API, the exact credentials it accepts, each with a role::

    apis:
      awx:
        auth:
          tokens:
            - {token: awx-admin-token, role: admin, user: 1}
            - {token: awx-alice-token, role: user, user: 2}
          users:                      # HTTP Basic (and PDNS's POST /sessions)
            - {username: admin, password: s3cret, role: admin, user: 1}
      apinizer:
        auth:
          tokens:
            - {token: petstore-only, role: user, scope: [petstore]}

Then only those are accepted, and each API answers the rest with its own 401/403. What a
role and a scope mean is each API's business (its behaviour module): ``admin`` may do
everything; ``user`` acts as the API's own ``user`` entity and sees only its ``scope``
(organisations, projects).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .auth import Credential

ROLES = ("admin", "user")

_GRANT = {
    "role": {"enum": list(ROLES)},
    "user": {"type": ["string", "integer"], "description": "the API's own user this credential acts as"},
    "scope": {"type": "array", "items": {"type": ["string", "integer"]},
              "description": "what a 'user' may see: organisation ids, project names, ..."},
    "name": {"type": "string", "description": "a label for the journal"},
}
SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "tokens": {"type": "array", "items": {
            "type": "object", "required": ["token"], "additionalProperties": False,
            "properties": {"token": {"type": "string", "minLength": 1}, **_GRANT}}},
        "users": {"type": "array", "items": {
            "type": "object", "required": ["username", "password"], "additionalProperties": False,
            "properties": {"username": {"type": "string", "minLength": 1}, "password": {"type": "string"},
                           **_GRANT}}},
    },
}


@dataclass(frozen=True)
class Grant:
    """One accepted credential and what it may do."""

    role: str = "admin"
    token: str | None = None
    username: str | None = None
    password: str | None = None
    user: Any = None
    scope: tuple = ()
    name: str | None = None

    @property
    def label(self) -> str:
        """How the journal and principals name this credential (never the secret)."""
        return self.name or (str(self.user) if self.user is not None else None) or self.username or self.role

    def as_doc(self) -> dict:
        """The grant as written in a scenario document."""
        out = {k: v for k, v in (("token", self.token), ("username", self.username),
                                 ("password", self.password)) if v is not None}
        out["role"] = self.role
        if self.user is not None:
            out["user"] = self.user
        if self.scope:
            out["scope"] = list(self.scope)
        if self.name:
            out["name"] = self.name
        return out


def _grant(entry: dict) -> Grant:
    return Grant(role=entry.get("role", "admin"), token=entry.get("token"), username=entry.get("username"),
                 password=entry.get("password"), user=entry.get("user"),
                 scope=tuple(entry.get("scope") or ()), name=entry.get("name"))


class AccessList:
    """The credentials one API accepts in a scenario."""

    def __init__(self, grants: list[Grant]):
        self.grants = list(grants)
        self._tokens = {g.token: g for g in self.grants if g.token is not None}
        self._users = {g.username: g for g in self.grants if g.username is not None}

    @classmethod
    def from_doc(cls, doc: Any) -> "AccessList":
        """Build from a scenario's ``auth`` block; ValueError("field X: why") when malformed."""
        from jsonschema import (
            Draft202012Validator,  # only scenarios that declare auth need it
        )

        errors = sorted(Draft202012Validator(SCHEMA).iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errors:
            path = ".".join(str(p) for p in errors[0].absolute_path)
            raise ValueError(f"field auth{'.' + path if path else ''}: {errors[0].message}")
        grants = [_grant(e) for e in doc.get("tokens") or []] + [_grant(e) for e in doc.get("users") or []]
        return cls(grants)

    def as_doc(self) -> dict:
        """The ``auth`` block that builds this list again."""
        doc: dict = {}
        tokens = [g.as_doc() for g in self.grants if g.token is not None]
        users = [g.as_doc() for g in self.grants if g.username is not None]
        if tokens:
            doc["tokens"] = tokens
        if users:
            doc["users"] = users
        return doc

    def find(self, credential: Credential, token: str | None = None) -> Grant | None:
        """The grant a credential matches: a username and password, or a token.

        `token` is the API's own reading of the credential when it differs from the raw
        value (Apinizer strips an optional ``Bearer``); any-cookie credentials match when
        one of their cookies' values is a declared token.
        """
        if credential.kind == "basic":
            grant = self._users.get(credential.username or "")
            return grant if grant is not None and grant.password == credential.password else None
        for candidate in (token or credential.token, *credential.alternatives):
            grant = self._tokens.get(candidate)
            if grant is not None:
                return grant
        return None

    def user(self, username: str) -> Grant | None:
        """The declared username-and-password grant of this name (a client that logged in)."""
        return self._users.get(username)

    def login(self, username: str, password: str) -> Grant | None:
        """The grant of a username and password (for APIs that log in with a body)."""
        grant = self._users.get(username)
        return grant if grant is not None and grant.password == password else None
