"""What the generic tests need to know about each API, derived from its spec and its data.

The built-in APIs are discovered (`mockserver.registry.API_IDS`: every shipped
``specs/<id>.yaml``, in name order), so no generic test lists them. A test that runs
"for every API" iterates `API_IDS` and asks this module for the rest:

- `auth_headers`: request headers that satisfy one of the API's security requirements;
- `path_parameters_naming_parents`: the path parameters that always name a parent
  entity, each with the key of the busiest such parent of a shipped scenario (what the
  fuzzer fixes, so it reaches the APIs' logic rather than "not found");
- `fill` / `fill_path`: an operation's path and required query parameters filled with
  entities of the data (parents from the scenario, children from the live state);
- `write_operation`, `list_operations`, `credential_collection`, `refused_status`.

Every answer comes from ``x-mock-collections`` (keys and references), the operations'
paths, parameters, security and responses, and the shipped scenario files. Where a fact
cannot be derived, the helper raises `NotDerivable` naming the API, so a sixth spec makes
the generic test fail loudly instead of being skipped or silently left out.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

from mockserver.behaviors import shipped_api_ids
from mockserver.data import spec_dir
from mockserver.registry import API_IDS, MountedApi, load_apis
from mockserver.scenarios import read_scenario
from mockserver.spec import ApiSpec, CollectionLayout, Operation

__all__ = ["API_IDS", "NotDerivable", "api", "spec", "spec_path", "security_requirements", "header_requirements",
           "auth_headers", "auth_header_line",
           "scenario_data", "path_parameters_naming_parents", "fill", "fill_path", "write_operation",
           "list_operations", "credential_collection", "refused_status"]

assert tuple(API_IDS) == shipped_api_ids()


class NotDerivable(AssertionError):
    """A per-API fact the specs and the shipped data do not give: the generic test fails."""


# --- specs ------------------------------------------------------------------------------
@cache
def _mounted() -> dict[str, MountedApi]:
    return load_apis()


def api(api_id: str) -> MountedApi:
    """The mounted built-in API (spec and behaviour), loaded once per test process."""
    return _mounted()[api_id]


def spec(api_id: str) -> ApiSpec:
    """The loaded spec of a built-in API."""
    return api(api_id).spec


def spec_path(api_id: str):
    """The shipped spec file of a built-in API (as installed: ``mockserver.data.specs``)."""
    return spec_dir() / f"{api_id}.yaml"


# --- credentials --------------------------------------------------------------------------
def security_requirements(api_id: str) -> list[dict[str, list]]:
    """The API's security requirements (alternatives): the spec's root list, else the
    first list an operation declares (OpenAPI: an operation's own list replaces the root's)."""
    root = [r for r in spec(api_id).document.get("security") or [] if r]
    if root:
        return root
    for op in spec(api_id).operations:
        if any(op.security):
            return [r for r in op.security if r]
    raise NotDerivable(f"{api_id}: no operation requires a credential")


def _in_cookie(api_id: str, requirement: dict[str, list]) -> bool:
    schemes = spec(api_id).security_schemes
    return any((schemes.get(name) or {}).get("in") == "cookie" for name in requirement)


def header_requirements(api_id: str) -> list[dict[str, list]]:
    """The security requirements a request meets with headers alone (no cookie scheme in
    them), in the spec's order: what `auth_headers` can send through any client."""
    found = [r for r in security_requirements(api_id) if not _in_cookie(api_id, r)]
    if not found:
        raise NotDerivable(f"{api_id}: every security requirement needs a cookie")
    return found


def auth_headers(api_id: str, token: str = "t", requirement: dict[str, list] | None = None) -> dict[str, str]:
    """Headers meeting the API's first security requirement (see below for cookies),
    with `token` as the secret.

    http bearer, oauth2, openIdConnect -> ``Authorization: Bearer <token>``; http basic ->
    Basic of ``<token>:<token>``; apiKey in a header -> that header; apiKey in a cookie ->
    a ``Cookie`` header. The mock accepts any non-empty credential unless a scenario
    declares its own (so a made-up `token` is refused where the scenario declares some).

    A requirement sent in a cookie is passed over for a later one sent in headers
    (Versori: its cookie, then its bearer token): Flask's test client replaces a
    request's ``Cookie`` header with its own cookie jar, so a cookie given as a header
    never reaches the mock there. Only an API with nothing but cookies gets a ``Cookie``.
    `requirement` (one of `security_requirements`) picks another.
    """
    if requirement is None:
        requirements = security_requirements(api_id)
        requirement = next((r for r in requirements if not _in_cookie(api_id, r)), requirements[0])
    headers: dict[str, str] = {}
    cookies: list[str] = []
    schemes = spec(api_id).security_schemes
    for name in requirement:
        scheme = schemes.get(name) or {}
        kind = scheme.get("type")
        if kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
            pair = base64.b64encode(f"{token}:{token}".encode()).decode()
            headers["Authorization"] = f"Basic {pair}"
        elif kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer" or \
                kind in ("oauth2", "openIdConnect"):
            headers["Authorization"] = f"Bearer {token}"
        elif kind == "apiKey" and scheme.get("in") == "header":
            headers[str(scheme["name"])] = token
        elif kind == "apiKey" and scheme.get("in") == "cookie":
            cookies.append(f"{scheme['name']}={token}")
        else:
            raise NotDerivable(f"{api_id}: security scheme {name!r} ({scheme}) has no request header form here")
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    return headers


def auth_header_line(api_id: str, token: str = "t") -> str:
    """`auth_headers` as one ``Name: value`` line (a command line's ``--header``)."""
    (line,) = [f"{name}: {value}" for name, value in auth_headers(api_id, token).items()]
    return line


# --- data ---------------------------------------------------------------------------------
def scenario_data(api_id: str, scenario: str = "default") -> dict[str, list]:
    """The API's section of a shipped scenario file, as written (``generate`` items included)."""
    _, document = read_scenario(scenario)
    section = (document.get("apis") or {}).get(api_id)
    if not section:
        raise NotDerivable(f"{api_id}: the shipped scenario {scenario!r} has no data for it")
    return {name: list(items) for name, items in section.items() if isinstance(items, list)}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _collection_named(api_id: str, op: Operation, name: str) -> CollectionLayout | None:
    """The collection whose entity a path or query parameter of `op` names, or None.

    A parameter names a collection when it is a reference field to it (``org_id``,
    ``organisationId``), such a field plus the collection's key (``recordId``,
    ``projectName``), the collection's singular plus its key (``credentialId``), or the
    collection's key right after the collection's own path segment (``/credentials/{username}``,
    ``/users/{id}``).
    """
    collections = spec(api_id).collections
    wanted = _norm(name)
    for layout in collections.values():
        for field, target in layout.references.items():
            parent = collections.get(target)
            if parent is not None and wanted in (_norm(field), _norm(field) + _norm(parent.key)):
                return parent
    for layout in collections.values():
        if wanted == _norm(layout.name.removesuffix("s")) + _norm(layout.key):
            return layout
    segments = op.path.strip("/").split("/")
    if "{" + name + "}" in segments:
        index = segments.index("{" + name + "}")
        before = segments[index - 1] if index else ""
        layout = collections.get(before)
        if layout is not None:
            return layout
    return None


def _parents(api_id: str) -> set[str]:
    """The collections some other collection references: the parents of entities."""
    return {target for layout in spec(api_id).collections.values() for target in layout.references.values()}


def _busiest(api_id: str, collection: str, data: dict[str, list], belongs: dict[str, Any] | None = None) -> Any:
    """The key of the entity of `collection` that most entities of `data` name (their
    reference fields; a ``generate`` item counts ``count`` times), the first on a tie;
    only among the entities whose fields hold the `belongs` values (its own parents)."""
    layouts = spec(api_id).collections
    key = layouts[collection].key
    keys = [item[key] for item in data.get(collection, [])
            if isinstance(item, dict) and key in item
            and all(item.get(field) == value for field, value in (belongs or {}).items())]
    if not keys:
        raise NotDerivable(f"{api_id}: the data names no {collection} entity by its key {key!r}"
                           + (f" with {belongs}" if belongs else ""))
    children = {key: 0 for key in keys}
    for name, layout in layouts.items():
        fields = [field for field, target in layout.references.items() if target == collection]
        for item in data.get(name, []):
            if not isinstance(item, dict):
                continue
            generated = item.get("generate")
            weight, values = (generated.get("count", 1), generated) if isinstance(generated, dict) else (1, item)
            for field in fields:
                if values.get(field) in children:
                    children[values[field]] += weight
    return max(keys, key=lambda key: children[key])  # max keeps the first of equals


def path_parameters_naming_parents(api_id: str, scenario: str = "default") -> dict[str, Any]:
    """``{name: value}`` of every path parameter that names a parent entity in each
    operation it appears in, valued with the busiest such parent of the scenario.

    A name that means different things in different operations (AWX's ``id``: a user
    here, a credential there) is left out: one fixed value cannot suit them all.
    """
    named: dict[str, set[str | None]] = {}
    for op in spec(api_id).operations:
        for param in op.parameters:
            if param.location == "path":
                layout = _collection_named(api_id, op, param.name)
                named.setdefault(param.name, set()).add(layout.name if layout else None)
    parents = _parents(api_id)
    data = scenario_data(api_id, scenario)
    return {name: _busiest(api_id, next(iter(found)), data) for name, found in named.items()
            if len(found) == 1 and next(iter(found)) in parents}


def fill(api_id: str, op: Operation, state: dict[str, list] | None = None,
         scenario: str = "default") -> tuple[str, dict[str, str]]:
    """(path, query) of `op`: every path parameter and required query parameter filled.

    A parameter naming a parent collection gets the busiest parent of the shipped
    `scenario`; one naming a child (a credential in its record) gets the first entity
    that belongs to the parents already chosen, of `state` (the API's section of
    ``/__mock/state`` or of ``store.snapshot()``) when given, else of the scenario file
    (where only entities written with their key count). NotDerivable when none is found.
    """
    parents = _parents(api_id)
    chosen: dict[str, Any] = {}  # collection -> key chosen
    values: dict[str, Any] = {}
    path_params = [p for p in op.parameters if p.location == "path"]
    path_params.sort(key=lambda p: op.path.index("{" + p.name + "}"))  # parents come first in a path
    query_params = [p for p in op.parameters if p.location == "query" and p.required]
    for param in (*path_params, *query_params):
        layout = _collection_named(api_id, op, param.name)
        if layout is None:
            raise NotDerivable(f"{api_id} {op.method} {op.path}: parameter {param.name!r} names no collection")
        belongs = {field: chosen[target] for field, target in layout.references.items() if target in chosen}
        if layout.name in parents:
            value = _busiest(api_id, layout.name, scenario_data(api_id, scenario), belongs)
        else:
            entities = state if state is not None else scenario_data(api_id, scenario)
            match = [e for e in entities.get(layout.name, []) if isinstance(e, dict) and layout.key in e
                     and all(e.get(f) == v for f, v in belongs.items())]
            if not match:
                where = "the state" if state is not None else f"the scenario {scenario!r} (pass the live state)"
                raise NotDerivable(f"{api_id} {op.method} {op.path}: {param.name!r}: no {layout.name} entity "
                                   f"with its key {layout.key!r} and {belongs} in {where}")
            value = match[0][layout.key]
        chosen[layout.name] = value
        values[param.name] = value
    path = op.path
    for param in path_params:
        path = path.replace("{" + param.name + "}", quote(str(values[param.name]), safe=""))
    return path, {p.name: str(values[p.name]) for p in query_params}


def fill_path(api_id: str, op: Operation, state: dict[str, list] | None = None,
              scenario: str = "default") -> str:
    """`fill` as one path with its query string, mounted under ``/<api_id>``."""
    path, query = fill(api_id, op, state, scenario)
    return f"/{api_id}{path}" + (f"?{urlencode(query)}" if query else "")


# --- operations ---------------------------------------------------------------------------
def write_operation(api_id: str) -> Operation:
    """A body-taking operation that needs a credential: the first POST, else the first."""
    candidates = [op for op in spec(api_id).operations if op.body is not None and op.security]
    if not candidates:
        raise NotDerivable(f"{api_id}: no operation takes a body and a credential")
    return next((op for op in candidates if op.method == "POST"), candidates[0])


def list_operations(api_id: str) -> list[Operation]:
    """The GET operations that read a collection: their path ends in a fixed segment."""
    found = [op for op in spec(api_id).operations
             if op.method == "GET" and op.security and not op.path.rstrip("/").endswith("}")]
    if not found:
        raise NotDerivable(f"{api_id}: no GET operation lists a collection")
    return found


def credential_collection(api_id: str) -> str:
    """The collection the API keeps its credentials in (each API here is a credentials API):
    ``credentials``, else the one collection nothing else hangs under (GitLab's deploy tokens)."""
    collections = spec(api_id).collections
    if "credentials" in collections:
        return "credentials"
    leaves = [name for name in collections if name not in _parents(api_id)]
    if len(leaves) != 1:
        raise NotDerivable(f"{api_id}: no collection named 'credentials', and not one leaf collection "
                           f"to take for it; its collections: {sorted(collections)}")
    return leaves[0]


def refused_status(op: Operation) -> int:
    """What `op` answers a credential it does not accept: 401 where it documents one,
    else 403 (PowerDNS Manager, which documents no 401, answers every refusal 403)."""
    documented = op.documented_statuses()
    for status in (401, 403):
        if status in documented:
            return status
    raise NotDerivable(f"{op.api_id} {op.operation_id}: documents neither 401 nor 403")
