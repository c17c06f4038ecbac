"""CloudPlans: organization credentials (AWS, Azure, GCP) for a cloud resource scheduler.

What no schema can say, from the document and api-notes.md:

- every body, errors included, is an envelope echoing the HTTP status:
  ``{"status": 200, "credentials": [...]}``, ``{"status": 200, "response": "Credential
  created"}``, ``{"status": 404, "response": "Credential not found"}``; route 404/405,
  401, 413, 415 and 500 use it too;
- each operation has its own path, and everything but the list is a POST: the
  organization comes from the query string on list and from the body elsewhere;
- ``action`` (``list_credentials``, ``add_credential``, ...) is optional, but a wrong
  value is a 400 (the spec's enum; the message says which value the endpoint expects);
- create answers no id: a new credential has ``resources: 0`` and ``last_time: ""``;
- the list never shows ``specific`` (the secret part), and validation messages never
  repeat a value sent inside ``specific`` (nor does the ``X-Mock-Violations`` header);
- on update, ``data.specific`` must fit the STORED credential's type (Azure takes
  ``{clientId, key}`` there, not the tenant), which only the handler can check; the
  change is merged into the stored credential, and ``reason`` is not kept;
- a credential of another organization is "Credential not found", as an unknown one;
- when a scenario declares ``auth``, only its tokens are accepted (any other is the same
  401 as no token); role ``admin`` sees every organization, role ``user`` only the
  organization ids in its ``scope``, and any other organization is "Organization not
  found" on every operation, exactly as an unknown one, so its existence never leaks.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..messages import ApiError, Reply
from ..spec import Operation
from ..validation import Violation
from .base import ApiBehavior, OperationContext, handles

# The keys `data.specific` takes on update, by the stored credential's type [doc].
UPDATE_SPECIFIC_KEYS = {"aws": ("role",), "azure": ("clientId", "key"), "gcp": ("project",)}

_TYPE_WORDS = {"string": "a string", "object": "an object", "integer": "an integer",
               "array": "an array", "number": "a number", "boolean": "a boolean"}
_NOT_OF_TYPE = re.compile(r"is not of type '(\w+)'")
_QUOTED = re.compile(r"'([^']*)'")
_MAX_REPORTED = 3


# --- messages ------------------------------------------------------------------------------
def is_secret(violation: Violation) -> bool:
    """True when a violation is about `specific` or a value in it (which may hold a key)."""
    return "specific" in violation.pointer.split("/")


def type_phrase(violation: Violation) -> str:
    """``must be a string`` for a type violation, without the value that was sent."""
    kind = _NOT_OF_TYPE.search(violation.message)
    expected = kind.group(1) if kind else "of another type"
    return f"must be {_TYPE_WORDS.get(expected, expected)}"


def redact(violation: Violation) -> Violation:
    """The violation without the submitted value, when that value may be a secret.

    jsonschema messages start with the offending value (``'s3cr3t' is not of type ...``);
    keeping the field name and the rule tells the client enough.
    """
    if not is_secret(violation) or violation.keyword in ("required", "additionalProperties"):
        return violation
    if violation.keyword == "type":
        text = type_phrase(violation)
    elif violation.keyword in ("minLength", "minProperties"):
        text = "must not be empty"
    else:
        text = f"is invalid ({violation.keyword})"
    return replace(violation, message=text)


def expected_action(operation: Operation) -> str:
    """The one `action` value an operation accepts (from its query parameter's enum)."""
    for param in operation.parameters:
        if param.name == "action" and param.location == "query":
            return str((param.schema.get("enum") or [""])[0])
    return ""


def explain(operation: Operation, violation: Violation) -> str:
    """One violation as a sentence naming the field, for the error envelope."""
    field, keyword = violation.field, violation.keyword
    if violation.location == "query" and field == "action":
        return f"Invalid action for this endpoint; expected action={expected_action(operation)}"
    if violation.location == "query" and keyword == "required":
        return f"Missing required query parameter: {field}"
    if violation.location == "body" and not field:
        if keyword == "type":
            return "The request body must be a JSON object"
        if keyword in ("parse", "required"):
            return violation.message  # no body, malformed JSON, invalid UTF-8
    if keyword == "required":
        return f"Missing required field: {field}"
    if keyword == "additionalProperties":
        unexpected = _QUOTED.findall(violation.message.partition("(")[2])
        names = ", ".join(f"{field}.{name}" if field else name for name in unexpected)
        return f"Unknown field{'s' if len(unexpected) > 1 else ''}: {names}"
    if field == "data" and keyword == "minProperties":
        return "data must hold at least one of name, comments, specific"
    if is_secret(violation):
        return f"{field} {violation.message}"  # already redacted: "must be a string"
    if keyword == "type":
        return f"{field} {type_phrase(violation)}"  # JSON words, not Python reprs (null, not None)
    if keyword == "minLength":
        return f"{field} must not be empty"
    return f"{field}: {violation.message}"


class Behavior(ApiBehavior):
    """CloudPlans' organization-credential endpoints."""

    api_id = "cloudplans"

    def reject(self, operation: Operation, violations: list[Violation]) -> ApiError:
        """An invalid request: 415 for a body that is not JSON, else 400 naming the fields."""
        violations = [redact(v) for v in violations]
        first = violations[0]
        if first.keyword == "content-type":
            error = self.error(415, first.message)
        else:
            sentences = list(dict.fromkeys(explain(operation, v) for v in violations))
            more = len(sentences) - _MAX_REPORTED
            message = "; ".join(sentences[:_MAX_REPORTED]) + (f" (and {more} more)" if more > 0 else "")
            error = self.error(400, message)
        error.violations = violations
        return error

    def _check_update_specific(self, ctx: OperationContext, kind: str, specific: dict) -> None:
        """`data.specific` must hold exactly the update keys of the stored type [doc]."""
        wanted = UPDATE_SPECIFIC_KEYS[kind]
        missing = [key for key in wanted if key not in specific]
        extra = [key for key in specific if key not in wanted]
        if not missing and not extra:
            return
        article = "an" if kind[0] in "aeiou" else "a"
        if missing:
            pointer = f"/data/specific/{missing[0]}"
            message = f"data.specific.{missing[0]} is required for {article} {kind} credential"
        else:
            pointer = f"/data/specific/{extra[0]}"
            message = (f"data.specific.{extra[0]} is not allowed for {article} {kind} credential "
                       f"(it takes {', '.join(wanted)})")
        violation = Violation("body", pointer, message, "required" if missing else "additionalProperties")
        raise self.error(400, message, violations=[violation])

    # --- operations --------------------------------------------------------------------------
    @handles("listCredentials")
    def list_credentials(self, ctx: OperationContext) -> Reply:
        """The organization's credentials in creation order, secrets left out."""
        return self.listing(ctx, "credentials", ("org_id", ctx.named("org_id")["id"]))

    @handles("addCredential")
    def add_credential(self, ctx: OperationContext) -> Reply:
        """Store a new, never-scanned credential; the answer carries no id [doc]."""
        body = ctx.body
        ctx.named("org_id")
        ctx.data["credentials"].add({
            "org_id": body["org_id"],
            "type": body["type"],
            "name": body["name"],
            "comments": body.get("comments", ""),
            "resources": 0,
            "last_time": "",
            "specific": dict(body["specific"]),
        })
        return Reply(200, {"status": 200, "response": "Credential created"})

    @handles("removeCredential")
    def remove_credential(self, ctx: OperationContext) -> Reply:
        """Delete one credential of the organization; `comments` are not kept [mock]."""
        credential = ctx.named("credential_id")
        ctx.data["credentials"].remove(credential["id"])
        return Reply(200, {"status": 200, "response": "Credential removed"})

    @handles("updateCredential")
    def update_credential(self, ctx: OperationContext) -> Reply:
        """Merge `data` into the stored credential; `reason` is not kept [mock]."""
        credential = ctx.named("credential_id")
        data = ctx.body["data"]
        changes = {key: data[key] for key in ("name", "comments") if key in data}
        if "specific" in data:
            self._check_update_specific(ctx, credential["type"], data["specific"])
            # Merge, so that an Azure tenant (not part of the update shape) is kept.
            changes["specific"] = {**credential["specific"], **data["specific"]}
        ctx.data["credentials"].update(credential["id"], **changes)
        return Reply(200, {"status": 200, "response": "Credential updated"})
