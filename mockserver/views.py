"""Declared views: how a response shows a stored entity (``x-mock-views``, ``x-mock-view``).

The spec's root ``x-mock-views`` names templates (`mockserver.templates`), each showing
an entity of one ``collection``; an operation's ``x-mock-view`` says which one shows the
entity it answers with (each row, for a list). A view template reads:

- the entity's members, ``{member.field}`` through a reference of its collection
  (``{credential_type.name}``), ``{member.field}`` inside an object member;
- the request's variables ``{_mount}`` (the mount prefix, so ``"{_mount}/api/v2/users/{id}/"``
  is a link as the request came in) and ``{_admin}`` (the caller is an administrator), and
  its own ``_variables``;
- ``{$view: other, $of: "{created_by}"}``: the entity ``$of`` names (a key of the other
  view's collection, or an object) shown by another view; left out when there is none;
- the shared filters and those the API's module adds for a true quirk
  (`ApiBehavior.view_filters`: AWX's ``display_inputs``, Versori's ``redacted``).

``{x?}`` leaves a member out when its value is missing or null; ``$case`` without a
match leaves it out too. Views have no random functions: a view shows, it never makes.

All views of a spec compile to one Python module when the API is mounted (a bad view
stops the start, naming the spec and the JSON pointer); a view then costs about what the
same rendering written by hand costs, and the mock shows every row of every list with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import Any, Callable

from .spec import ApiSpec, SpecError
from .templates import FILTERS, NAME, OMIT, Compiler, Dialect, TemplateError, at

CONTEXT = ("_mount", "_admin")  # what every view may read of the request


def _entity(data, collection: str, key: Any) -> dict:
    """The entity a reference names, or {} (so its fields read as null)."""
    try:
        return data[collection].get(key) or {}
    except TypeError:  # an unhashable value names nothing
        return {}


def _dig(value: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        value = value.get(step) if isinstance(value, dict) else None
    return value


def _show(view: Callable, value: Any, collection: str | None, context: dict, data) -> Any:
    """`value` (an object, or a key of `collection`) shown by `view`; OMIT when it names nothing."""
    if value.__class__ is not dict:
        if collection is None or value is None or value is OMIT:
            return OMIT
        value = _entity(data, collection, value)
    return view(context, data, value) if value else OMIT


class Viewing(Dialect):
    """The view dialect: the request's context ``C``, the API's ``data`` and an entity ``E``."""

    parameters = "C, data, E"
    helpers = {"_dig": _dig, "_show": _show, "_NOTHING": MappingProxyType({})}  # an unknown reference: fields read as null
    specials = {"$case": {"$default"}, "$view": {"$of"}}

    def __init__(self, filters: dict, views: dict[str, tuple[str, str | None]], references: dict[str, dict]):
        self.filters = {**FILTERS, **filters}
        self.views, self.references = views, references  # view -> (function, collection); collection -> refs
        self.collection: str | None = None

    def start(self, compiler: Compiler) -> None:
        self.variables: dict[str, str] = {}  # _name -> its local
        self.members: dict[str, str] = {}  # member -> its local (read once)
        self.refs: dict[str, tuple[str, str]] = {}  # reference member -> (local, collection)

    def prologue(self, compiler: Compiler) -> list[str]:
        lines = [f"    {local} = {'C[' + repr(name) + ']' if name in CONTEXT else 'None'}"
                 for name, local in self.variables.items()]
        lines += [f"    {local} = E.get({member!r})" for member, local in self.members.items()]
        # (a stored reference is a key the store checked: hashable, so no guard is needed here)
        return lines + [f"    {local} = data[{collection!r}].get({self.members.get(member) or f'E.get({member!r})'})"
                        f" or _NOTHING" for member, (local, collection) in self.refs.items()]

    def name(self, compiler: Compiler, name: str, optional: bool, where: str) -> str:
        first, *path = name.split(".")
        parent = None
        if first.startswith("_"):
            if first not in self.variables and first not in CONTEXT:
                raise TemplateError(f"{where}: {{{name}}} is used before {first} is made (a view may read "
                                    f"{', '.join(CONTEXT)} and its own variables)")
            value = self.variables.setdefault(first, f"v{len(self.variables)}")
        else:
            parent = self.references.get(self.collection, {}).get(first) if path else None
            if parent is None:
                value = self.members.setdefault(first, f"m{len(self.members)}")
            else:  # a reference: looked up once per entity shown (an unknown one reads as {})
                value = self.refs.setdefault(first, (f"r{len(self.refs)}", parent))[0]
        if not path:
            return value
        return f"{value}.get({path[0]!r})" if parent is not None and len(path) == 1 else f"_dig({value}, {tuple(path)!r})"

    def argument(self, compiler: Compiler, text: str, where: str) -> str:
        """A variable, else a member (or its path) when the entity has it, else a number, else the text."""
        literal = repr(int(text)) if text.lstrip("-").isdigit() else repr(text)
        if not NAME.fullmatch(text):
            return literal
        if text.startswith("_"):
            return self.name(compiler, text, False, where)
        return f"({self.name(compiler, text, False, where)} if {text.split('.')[0]!r} in E else {literal})"

    def variable(self, compiler: Compiler, name: str, value: str, may_omit: bool, where: str) -> None:
        # Made once: a view's expressions are read where they are used, after every variable is set.
        if name in self.variables or name in CONTEXT:
            raise TemplateError(f"{where}: a view's variable is made once ({name} is made already)")
        local = self.variables.setdefault(name, f"v{len(self.variables)}")
        compiler.emit(f"if {value} is not OMIT: {local} = {value}" if may_omit else f"{local} = {value}")

    def special(self, compiler: Compiler, head: str, template: dict, where: str) -> tuple[str, bool]:
        name = str(template["$view"])  # the only other head
        if name not in self.views:
            raise TemplateError(f"{where}: no view {name!r} in x-mock-views; views: {', '.join(self.views)}")
        function, collection = self.views[name]
        of = str(template.get("$of", ""))
        member = of[1:-1] if of.startswith("{") and of.endswith("}") else None
        if collection is not None and self.references.get(self.collection, {}).get(member) == collection:
            entity = self.refs.setdefault(member, (f"r{len(self.refs)}", collection))[0]  # looked up already
            return compiler.local(f"{function}(C, data, {entity}) if {entity} else OMIT"), True
        of, _ = compiler.text(of, at(where, "$of")) if "$of" in template else ("E", False)
        return compiler.local(f"_show({function}, {of}, {collection!r}, C, data)"), True

    def known_functions(self) -> str:
        return "a view has no functions; it reads members, variables and _mount, _admin"


@dataclass(frozen=True)
class View:
    """One compiled view: ``render(context, data, entity)``."""

    name: str
    collection: str | None
    render: Callable[[dict, dict, Any], Any]

    def bind(self, ctx) -> Callable[[dict], Any]:
        """This view for one request (an `OperationContext`): entity -> what the answer shows."""
        context = {"_mount": ctx.request.mount, "_admin": ctx.principal is None or ctx.principal.admin}
        return partial(self.render, context, ctx.data)


def compile_views(spec: ApiSpec, filters: dict | None = None) -> dict[str, View]:
    """The declared view of each operation that names one (``x-mock-view``), by operationId.

    `filters` are the API module's own (`ApiBehavior.view_filters`). SpecError, naming the
    spec and the JSON pointer, for a view that does not compile or a name that is no view.
    """
    declared = spec.document.get("x-mock-views") or {}
    wanted = {op.operation_id: op for op in spec.operations if "x-mock-view" in op.extensions}
    if not declared and not wanted:
        return {}
    names = {name: (f"view_{index}", layout.get("collection")) for index, (name, layout) in enumerate(declared.items())}
    for name, (_, collection) in names.items():
        if collection is not None and collection not in spec.collections:
            raise SpecError(f"{spec.source}: /x-mock-views/{_escape(name)}/collection: no collection {collection!r}; "
                            f"collections: {', '.join(spec.collections) or 'none'}")
    dialect = Viewing(filters or {}, names, {name: layout.references for name, layout in spec.collections.items()})
    compiler = Compiler(dialect)
    try:
        for name, layout in declared.items():
            dialect.collection = layout.get("collection")
            compiler.function(names[name][0], layout["show"], f"/x-mock-views/{_escape(name)}/show")
    except TemplateError as exc:
        raise SpecError(f"{spec.source}: {exc}") from None
    built = compiler.build()
    views = {name: View(name, collection, built[function]) for name, (function, collection) in names.items()}
    found = {}
    for operation_id, op in wanted.items():
        name = op.extensions["x-mock-view"]
        if name not in views:
            raise SpecError(f"{spec.source}: /paths/{_escape(op.path)}/{op.method.lower()}/x-mock-view: no view "
                            f"{name!r} in x-mock-views; views: {', '.join(views) or 'none'}")
        found[operation_id] = views[name]
    return found


def _escape(token: str) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")
