"""The names a failed check reports: the kinds of drift between a server and its spec."""

from __future__ import annotations

WRONG_STATUS = "wrong status code"
MISSING_FIELD = "missing required field"
WRONG_TYPE = "wrong type"
SCHEMA = "response breaks its schema"
CONTENT_TYPE = "wrong content type"
MISSING_HEADER = "missing required header"
NOT_PERSISTED = "write not persisted"
SECRET_IN_CLEAR = "secret returned in clear"
MISSING_AUTH = "missing auth check"
INPUT_ACCEPTED = "invalid input accepted"
WRONG_CONTENT = "unexpected content"

ALL = (WRONG_STATUS, MISSING_FIELD, WRONG_TYPE, SCHEMA, CONTENT_TYPE, MISSING_HEADER, NOT_PERSISTED,
       SECRET_IN_CLEAR, MISSING_AUTH, INPUT_ACCEPTED, WRONG_CONTENT)


def of_violation(violation) -> str:
    """The drift a response Violation (from validation.check_response) shows."""
    if violation.keyword == "status":
        return WRONG_STATUS
    if violation.keyword == "content-type":
        return CONTENT_TYPE
    if violation.keyword == "required":
        return MISSING_HEADER if violation.pointer.startswith("/headers/") else MISSING_FIELD
    if violation.keyword == "type":
        return WRONG_TYPE
    return SCHEMA
