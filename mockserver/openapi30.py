"""Read an OpenAPI 3.0 document as the 3.1 it would be.

3.0 schemas are an older dialect of JSON Schema; the three differences that change what
a value may be are rewritten, everything else means the same in 3.1:

- ``nullable: true`` becomes ``"null"`` among the types (or in the ``enum``), or an
  ``anyOf`` with null for a schema that names no type (``allOf`` + ``nullable``);
- ``exclusiveMinimum: true`` with ``minimum: m`` becomes ``exclusiveMinimum: m`` (and so
  for the maximum); ``false`` goes;
- ``example`` stays (3.1 still accepts it beside ``examples``).
"""

from __future__ import annotations

from typing import Any


def upgrade(document: dict) -> dict:
    """A copy of a 3.0 document with its schemas in the 3.1 dialect."""
    upgraded = _walk(document)
    upgraded["openapi"] = "3.1.0"
    return upgraded


def _walk(node: Any) -> Any:
    if isinstance(node, list):
        return [_walk(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _walk(value) for key, value in node.items()}
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), bool):
            if node.pop(bound) and limit in node:
                node[bound] = node.pop(limit)
    if isinstance(node.get("nullable"), bool):
        if not node.pop("nullable"):
            return node
        declared = node.get("type")
        if isinstance(declared, str):
            node["type"] = [declared, "null"]
            if isinstance(node.get("enum"), list) and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
        elif declared is None:
            return {"anyOf": [node, {"type": "null"}]}
    return node
