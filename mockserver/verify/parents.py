"""The parents a run works under, as the spec declares them.

A parent is an entity a run works under but does not make: the record whose credentials
PDNS keeps, the organisation a Versori credential belongs to. The spec says which values
are parents, what each one is called on the command line, and which one to use when none
is given; no flow module or command-line option fixes them:

- **which**: the path parameters of a create, in front of the collection's name (``POST
  /records/{recordId}/credentials``: the new credential belongs to that record), and any
  required query parameter that names an entity with ``x-mock-names`` (CloudPlans lists an
  organization's credentials with ``?org_id=``);
- **its name**, for ``--parent NAME=VALUE``: the singular of the collection its
  ``x-mock-names`` declares (``records`` -> ``record``), else the parameter's own name;
- **its default**: the parameter's ``example`` when the spec gives one (a parent of the
  mock's default data); without one, the derived flow lists the parent collection and
  takes the first.

Every parameter or top-level body member of any operation that names the same collection
(or, when nothing declares one, has the same name) is filled with the same value, so the
negative checks ask under an existing parent too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..crud.infer import Inference, is_type, singular_of
from ..spec import ApiSpec, Names, Operation, Parameter


@dataclass(frozen=True)
class Parent:
    """One parent option: its ``--parent`` name, where the spec declares it, its default."""

    option: str
    param: str  # the parameter that declares it (the first one found)
    collection: str | None  # what its x-mock-names says it names; None: undeclared
    example: Any = None  # the parameter's example: the value used when none is given


class Parents:
    """An API's parent options, and which parameters and body members carry them."""

    def __init__(self, parents: list[Parent]):
        self._by_option: dict[str, Parent] = {}
        for parent in parents:
            self._by_option.setdefault(parent.option, parent)

    def declared(self) -> list[Parent]:
        """Every parent, one per option."""
        return list(self._by_option.values())

    def names(self) -> list[str]:
        """The ``--parent`` names the API takes."""
        return sorted(self._by_option)

    def defaults(self) -> dict[str, Any]:
        """{option: the spec's example} for every parent that has one."""
        return {p.option: p.example for p in self._by_option.values() if p.example is not None}

    def option_for(self, name: str, names: Names | None) -> str | None:
        """The option a parameter or body member called `name` carries, or None: by the
        collection it declares it names, else (undeclared) by its name."""
        for parent in self._by_option.values():
            if names is not None and parent.collection == names.collection:
                return parent.option
            if names is None and parent.collection is None and parent.param == name:
                return parent.option
        return None

    def path(self, flow, operation: Operation) -> dict[str, Any]:
        """The operation's path parameters that carry a parent, as given or defaulted."""
        return self._values(flow, [p for p in operation.parameters if p.location == "path"])

    def query(self, flow, operation: Operation) -> dict[str, Any]:
        """The operation's query parameters that carry a parent (CloudPlans' ``org_id``)."""
        return self._values(flow, [p for p in operation.parameters if p.location == "query"])

    def fill_body(self, flow, operation: Operation, body: Any) -> Any:
        """`body` with every top-level member that names a parent set to the one in use
        (the spec's examples name the document's own organization, say)."""
        if not isinstance(body, dict) or operation.body is None:
            return body
        for member, schema in (operation.body.schema().get("properties") or {}).items():
            if not isinstance(schema, dict) or member not in body:
                continue
            option = self.option_for(member, Names.read(schema.get("x-mock-names")))
            if option is not None and flow.option(option) is not None:
                body[member] = typed(flow.option(option), schema)
        return body

    def _values(self, flow, parameters: list[Parameter]) -> dict[str, Any]:
        values = {}
        for param in parameters:
            option = self.option_for(param.name, param.names)
            if option is not None and flow.option(option) is not None:
                values[param.name] = typed(flow.option(option), param.schema)
        return values


def declared_parents(spec: ApiSpec, inference: Inference) -> Parents:
    """The parents `spec` declares (see the module docstring); `inference` tells its creates."""
    found = []
    for op in spec.operations:
        plan = inference.plans[op.operation_id]
        params = {p.name: p for p in op.parameters if p.location == "path"}
        if plan.kind == "create":
            found += [_parent(params[name]) for name in plan.ancestor_params if name in params]
        found += [_parent(p) for p in op.parameters if p.location == "query" and p.required and p.names]
    return Parents(found)


def _parent(param: Parameter) -> Parent:
    collection = param.names.collection if param.names else None
    return Parent(option=singular_of(collection) if collection else param.name, param=param.name,
                  collection=collection, example=param.example)


def typed(value: Any, schema: dict) -> Any:
    """A value given on the command line (text) as the parameter's schema types it."""
    if isinstance(value, str) and is_type(schema or {}, "integer") and value.lstrip("-").isdigit():
        return int(value)
    return value
