"""Find the APIs to serve: each spec paired with its behaviour.

A shipped API ``<id>`` is ``specs/<id>.yaml`` (as installed with the package, or from a
folder given with ``--specs``) plus ``mockserver/behaviors/<id>.py``. Start-up checks
that they agree: every operation in the spec has a handler, and no handler is left
without an operation, so a spec edit can never leave an endpoint silently unserved.

Any other spec (``--spec PATH``) is served by `crud.CrudBehavior`, which infers its
resources from its paths and needs no code.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .behaviors import API_IDS  # noqa: F401  (re-exported: registry.API_IDS is the usual name)
from .behaviors.base import ApiBehavior
from .data import spec_dir as shipped_spec_dir
from .filters import check_declarations as check_filters
from .routing import Router
from .journal import Masking
from .spec import ApiSpec, SpecError, load_spec, readable_inside_sensitive, secret_names
from .views import compile_views



@dataclass
class MountedApi:
    """One API ready to serve: its spec, router and behaviour."""

    spec: ApiSpec
    router: Router
    behavior: ApiBehavior

    @property
    def api_id(self) -> str:
        """The API's id, which is also its mount prefix."""
        return self.spec.api_id

    @cached_property
    def masking(self) -> Masking:
        """What the journal masks in this API's request bodies: the members any operation
        marks secret, and the containers that may hold secrets (``x-mock-sensitive``), of
        which only the documented non-secret members stay readable."""
        secret: set[str] = set()
        containers: set[str] = set()
        readable: set[str] = set()
        for op in self.spec.operations:
            if op.body is not None:
                for schema in op.body.schemas.values():
                    secret |= secret_names(schema)
                    containers |= secret_names(schema, marks=("x-mock-sensitive",))
                    readable |= readable_inside_sensitive(schema)
        return Masking.of(secret, containers, readable)

    @cached_property
    def response_masking(self) -> Masking:
        """Response members a spec marks ``x-mock-secret`` (a session token): masked in the journal."""
        names: set[str] = set()
        for op in self.spec.operations:
            for response in op.responses.values():
                names |= secret_names(response.schema or {}, marks=("x-mock-secret",))
        return Masking.of(names)

    @cached_property
    def credential_headers(self) -> frozenset[str]:
        """Lower-cased names of the headers this API's security schemes read."""
        return frozenset(str(s.get("name", "")).lower() for s in self.spec.security_schemes.values()
                         if s.get("type") == "apiKey" and s.get("in") == "header")


def optional_module(name: str):
    """The module `name`, or None when there is none (an API id that is no identifier
    names none either); a module that exists but fails to import raises."""
    if not name.rpartition(".")[2].isidentifier():
        return None
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise  # the module exists and imports something missing: a real error
        return None


def behavior_module(api_id: str):
    """``mockserver.behaviors.<api_id>``, the API's quirks, or None when it has none (a
    module of that name without a ``Behavior``, such as ``base``, is not an API's)."""
    module = optional_module(f"mockserver.behaviors.{api_id}")
    return module if hasattr(module, "Behavior") else None


API_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")  # a mount prefix: /<id>


def mount(spec: ApiSpec, generic: bool = False) -> MountedApi:
    """Pair a spec with its behaviour (its module, or the generic CRUD engine) and check
    they cover each other."""
    module = None if generic else behavior_module(spec.api_id)
    if module is None:
        from .crud.behavior import CrudBehavior

        behavior = CrudBehavior(spec)
    else:
        behavior = module.Behavior()
    behavior.spec = spec  # so a handler can check a body against a named component schema
    in_spec = {op.operation_id for op in spec.operations}
    missing = sorted(in_spec - behavior.operation_ids())
    extra = sorted(behavior.operation_ids() - in_spec)
    if missing:
        raise SpecError(f"{spec.source.name}: no handler in behaviors/{spec.api_id}.py for {missing}")
    if extra:
        raise SpecError(f"behaviors/{spec.api_id}.py handles operations not in the spec: {extra}")
    behavior.views = compile_views(spec, behavior.view_filters)  # after the engine inferred its collections
    check_filters(spec)  # (x-mock-filters may name those collections too)
    return MountedApi(spec=spec, router=Router(spec), behavior=behavior)


def load_apis(spec_dir: Path | None = None, only: list[str] | None = None,
              extra_specs: list[Path] = ()) -> dict[str, MountedApi]:
    """Load and mount every API (or only the ids given), in the canonical order, then
    the `extra_specs` (``--spec PATH``), each at the id of its file stem.

    Specs come from the installed package; `spec_dir` (``--specs DIR``) overrides them:
    an ``<id>.yaml`` there replaces the shipped spec of that API, the others stay.
    """
    extras = extra_spec_ids(extra_specs)
    known = (*API_IDS, *extras)
    wanted = list(only) if only else list(API_IDS)
    unknown = [a for a in wanted if a not in known]
    if unknown:
        raise SpecError(f"unknown API id(s) {unknown}; choose from {', '.join(known)}")
    overrides = spec_overrides(Path(spec_dir)) if spec_dir is not None else {}
    shipped = shipped_spec_dir() if set(wanted) - set(overrides) - set(extras) else None
    apis = {}
    for api_id in wanted:
        if api_id in extras:
            continue
        path = overrides.get(api_id) or shipped / f"{api_id}.yaml"
        if not path.exists():
            raise SpecError(f"missing spec {path}")
        apis[api_id] = mount(load_spec(path, api_id))
    for api_id, path in extras.items():
        if only and api_id not in only:
            continue
        apis[api_id] = mount(load_spec(path, api_id), generic=True)
    return apis


def extra_spec_ids(paths: list[Path]) -> dict[str, Path]:
    """The ``--spec`` files by API id (the file stem); SpecError for a clash or a bad name."""
    found: dict[str, Path] = {}
    for path in paths:
        path = Path(path)
        api_id = path.stem
        if not API_ID.match(api_id):
            raise SpecError(f"--spec {path}: the file name is the mount path (/{api_id}): name the file with "
                            f"letters, digits, '.', '-' and '_' only, starting with a letter or digit")
        if api_id in API_IDS:
            raise SpecError(f"--spec {path}: {api_id} is a built-in API; rename the file, or replace the "
                            f"built-in's spec with --specs DIR")
        if api_id in found:
            raise SpecError(f"--spec {path}: two specs named {api_id} ({found[api_id]} and {path})")
        if not path.is_file():
            raise SpecError(f"--spec {path}: no such file")
        found[api_id] = path
    return found


def spec_overrides(folder: Path) -> dict[str, Path]:
    """The specs a ``--specs`` folder holds, by API id; SpecError for a folder of none."""
    if not folder.is_dir():
        raise SpecError(f"--specs {folder}: no such folder")
    try:
        found = {path.stem: path for path in folder.glob("*.yaml") if path.stem in API_IDS}
        names = sorted(path.name for path in folder.iterdir())
    except OSError as exc:
        raise SpecError(f"--specs {folder}: cannot read: {exc.strerror}") from exc
    if not found:
        raise SpecError(f"--specs {folder}: no spec named <api>.yaml in it (found: {', '.join(names) or 'nothing'}; "
                        f"API ids: {', '.join(API_IDS)})")
    return found
