"""Load fixture documents (the data a server starts with) into a fresh store.

A fixture document is YAML::

    description: What this data set is for
    apis:
      pdnsmanager:
        records:
          - {id: 1, domain: 1, name: www.example.com, type: A, content: 192.0.2.10}
        credentials:
          - {record: 1, description: Deploy key, type: password, password: s3cret}
          - generate: {count: 3, record: 1}   # three realistic ones (Faker, seeded)

Collections load in the order the API's spec declares them (``x-mock-collections``), so
parents exist before their children. Every entity is checked against its collection's
schema and references; any problem refuses the whole load with a message naming file,
API, collection, entity and field: a data set is never half-loaded.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import yaml

from .access import AccessList
from .data import check_shipped_files, fixture_dir
from .documents import parse_document, yaml_problem
from .fake import Fake
from .registry import API_IDS, MountedApi
from .store import DuplicateKeyError, Store
from .yamlcache import load_cached
from .validation import schema_violations

MAX_GENERATED = 200_000


class FixtureError(Exception):
    """A fixture document cannot be loaded; nothing of it was applied."""


def default_fixture() -> Path:
    """The data a server starts with unless told otherwise (the shipped ``default.yaml``)."""
    return fixture_dir() / "default.yaml"


def read_fixture(path: Path, *, cache: bool = True) -> tuple[str, dict]:
    """Read a fixture file (JSON, or YAML with the safe loader); returns (source, document).

    The parse is cached on disk (yamlcache) unless `cache` is False, as for state files.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        document = load_cached(raw, parse_document, "document") if cache else parse_document(raw.decode("utf-8"))
    except OSError as exc:
        raise FixtureError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise FixtureError(f"{path}: not UTF-8 text: {exc.reason}") from exc
    except yaml.YAMLError as exc:
        raise FixtureError(f"{path}: not valid YAML: {yaml_problem(exc, raw.decode('utf-8', 'replace'))}") from exc
    return str(path), check_shape(document, str(path))


DOCUMENT_KEYS = ("description", "apis", "sequences")


def check_shape(document: Any, source: str) -> dict:
    """Check the outer shape of a fixture document before anything of it is used.

    It must be a mapping with an ``apis`` mapping (``{}`` is allowed: no data at all),
    each API's section a mapping too, and no other top-level keys than a description and
    the id ``sequences`` an export writes: a stray or empty document is far more often a
    mistake (a wrong file name, a truncated upload) than a wish to wipe everything.
    """
    if not isinstance(document, dict):
        raise FixtureError(f"{source}: a fixture must be a mapping with 'apis' (and optionally a 'description')")
    unknown = sorted(str(k) for k in document if k not in DOCUMENT_KEYS)
    if unknown:
        raise FixtureError(f"{source}: unknown top-level key(s) {unknown}; a fixture has "
                           f"{', '.join(DOCUMENT_KEYS)}")
    if not isinstance(document.get("apis"), dict):
        raise FixtureError(f"{source}: 'apis' is required and must map API ids to their collections "
                           f"(use 'apis: {{}}' for no data at all)")
    for api_id, section in document["apis"].items():
        if not isinstance(section, dict):
            raise FixtureError(f"{source}: {api_id}: must map collection names to entity lists "
                               f"(use '{api_id}: {{}}' for none)")
    sequences = document.get("sequences", {})
    if not isinstance(sequences, dict) or not all(
            isinstance(v, dict) and all(isinstance(n, int) and not isinstance(n, bool) for n in v.values())
            for v in sequences.values()):
        raise FixtureError(f"{source}: 'sequences' must map API ids to {{collection: last id}}")
    return document


def _expand(item: Any, where: str, behavior, collection: str, fake: Fake, data) -> list[dict]:
    if not isinstance(item, dict):
        raise FixtureError(f"{where}: an entity must be a mapping, got {type(item).__name__}")
    if "generate" not in item:
        return [dict(item)]
    spec = item["generate"]
    if not isinstance(spec, dict) or not isinstance(spec.get("count"), int) or spec["count"] < 0:
        raise FixtureError(f"{where}: generate needs a non-negative integer 'count'")
    if spec["count"] > MAX_GENERATED:
        raise FixtureError(f"{where}: generate count {spec['count']} exceeds {MAX_GENERATED}")
    overrides = {k: v for k, v in spec.items() if k != "count"}
    entities = []
    for _ in range(spec["count"]):
        try:
            entity = behavior.fake_entity(collection, fake, data, overrides)
        except NotImplementedError as exc:
            raise FixtureError(f"{where}: {exc}; write these entities out instead") from exc
        except ValueError as exc:  # a template that needs what is not loaded (no parent to pick)
            raise FixtureError(f"{where}: generate: {exc}") from exc
        entity.update(overrides)
        entities.append(entity)
    return entities


def load_document(store: Store, apis: dict[str, MountedApi], source: str, document: dict,
                  fakes) -> None:
    """Add one fixture document's entities to `store`, raising FixtureError on any problem.

    Sections for APIs that are not being served (``--api pdnsmanager``) are skipped; an
    id that names no API at all is an error, since it is almost always a typo.
    """

    for api_id, section in (document.get("apis") or {}).items():
        if api_id not in API_IDS and api_id not in apis:
            check_shipped_files()  # a spec deleted from the install: name it, not the API
            known = ", ".join(dict.fromkeys([*API_IDS, *apis]))
            raise FixtureError(f"{source}: unknown API {api_id!r}; choose from {known}")
        if api_id not in apis:
            continue
        api = apis[api_id]
        layouts = api.spec.collections
        data = store.api(api_id)
        fake = fakes(api_id)
        if "auth" in section:
            try:
                declared = AccessList.from_doc(section["auth"])
            except ValueError as exc:
                raise FixtureError(f"{source}: {api_id}.auth: {exc}") from exc
            # Later documents add credentials to earlier ones, as they add entities.
            data.access = AccessList((data.access.grants if data.access else []) + declared.grants)
        unknown = [name for name in section if name not in layouts and name != "auth"]
        if unknown:
            raise FixtureError(f"{source}: {api_id}: unknown collection(s) {unknown}; "
                               f"this API has {', '.join(layouts)} (and auth)")
        for name, layout in layouts.items():
            items = section.get(name)
            if items is None:
                continue
            if not isinstance(items, list):
                raise FixtureError(f"{source}: {api_id}.{name}: must be a list of entities")
            for index, item in enumerate(items):
                where = f"{source}: {api_id}.{name}[{index}]"
                for entity in _expand(item, where, api.behavior, name, fake, data):
                    _add_entity(api, name, layout, entity, where, data, fake)
        if data.access is not None:
            check_access(api, data, f"{source}: {api_id}.auth")
    for api_id, counters in (document.get("sequences") or {}).items():
        if api_id in apis:
            data = store.api(api_id)
            for name, last in counters.items():
                if name in data:
                    data[name].ids.observe(last)


def _add_entity(api: MountedApi, name: str, layout, entity: dict, where: str, data, fake: Fake) -> None:
    entity = with_defaults(entity, layout.schema)
    if layout.validator is not None:
        problems = schema_violations(layout.validator, entity, "fixture")
        if problems:
            first = problems[0]
            raise FixtureError(f"{where}: field {first.field or '(entity)'}: {first.message}")
    for field, parent in layout.references.items():
        value = entity.get(field)
        if value is not None and value not in data[parent]:
            raise FixtureError(f"{where}: field {field}: no {parent} entity with key {value!r}")
    try:
        entity = api.behavior.complete_entity(name, entity, fake, data)
    except ValueError as exc:  # a behaviour's own check of a written-out entity
        raise FixtureError(f"{where}: {exc}") from exc
    try:
        data[name].add(entity)
    except DuplicateKeyError as exc:
        raise FixtureError(f"{where}: field {layout.key}: duplicate key {exc.args[0]!r}") from exc


def with_defaults(entity: dict, schema: dict | None) -> dict:
    """The entity with the ``default`` of every member its collection schema lists and it
    leaves out (a copy, so a default list is never shared)."""
    properties = (schema or {}).get("properties") or {}
    missing = {name: copy.deepcopy(sub["default"]) for name, sub in properties.items()
               if name not in entity and isinstance(sub, dict) and "default" in sub}
    return {**entity, **missing} if missing else entity


def _names_entity(collection, value, field: str | None = None) -> bool:
    """Does `value` name an entity by `field` (its key by default)?

    Leniently: ``42`` names ``"42"``, and case does not count (ULIDs are case-free).
    """
    field = field or collection.key
    if field == collection.key and (value in collection or str(value) in collection):
        return True
    folded = str(value).casefold()
    return any(str(entity.get(field)).casefold() == folded for entity in collection)


def check_access(api: MountedApi, data, where: str) -> None:
    """The scenario's grants must make sense for this API (its spec's ``x-mock-access``).

    Each token and username is declared once; a ``scope`` only where the API has scopes,
    naming entities that exist; a ``user`` naming an existing user; username/password
    pairs only where the API takes them (HTTP Basic, or ``logins: true``).
    """
    refs = api.spec.access_refs
    schemes = api.spec.security_schemes.values()
    takes_logins = refs.get("logins") or any(s.get("scheme") == "basic" for s in schemes)
    seen: set = set()
    for index, grant in enumerate(data.access.grants):
        label = f"{where}: grant {index} ({grant.label})"
        key = ("token", grant.token) if grant.token is not None else ("username", grant.username)
        if key in seen:
            raise FixtureError(f"{label}: {key[0]} {key[1]!r} is declared twice")
        seen.add(key)
        if grant.username is not None and not takes_logins:
            raise FixtureError(f"{label}: this API takes no username and password; declare tokens")
        if grant.scope and not refs.get("scope"):
            raise FixtureError(f"{label}: field scope: this API has no scopes")
        if refs.get("scope"):
            missing = [v for v in grant.scope if not _names_entity(data[refs["scope"]], v)]
            if missing:
                raise FixtureError(f"{label}: field scope: no {refs['scope']} entity with key {missing[0]!r}")
        user_ref = refs.get("user")
        if user_ref and grant.user is not None:
            collection = data[user_ref["collection"]]
            fields = user_ref.get("fields") or [collection.key]
            if not any(_names_entity(collection, grant.user, field) for field in fields):
                raise FixtureError(f"{label}: field user: no {user_ref['collection']} entity with "
                                   f"{' or '.join(fields)} {grant.user!r}")


def build_store(apis: dict[str, MountedApi], documents: list[tuple[str, dict]], seed: int,
                generation: int = 0) -> Store:
    """A new store holding the given documents' data, generated with `seed`.

    Each API draws from a random stream of its own, so its data depends on the seed
    only, not on which other APIs are loaded: a reset, or serving one API alone, brings
    back the same data. Ids created afterwards draw from a stream per `generation` (one
    per reset), so they repeat across restarts but never across resets.
    """
    fakes: dict[str, Fake] = {}

    def fake_for(api_id: str) -> Fake:
        if api_id not in fakes:
            fakes[api_id] = Fake(random.Random(f"{seed}/{api_id}/data").getrandbits(32))
        return fakes[api_id]

    store = Store({api_id: api.spec.collections for api_id, api in apis.items()}, seed)
    with store.lock:
        for source, document in documents:
            load_document(store, apis, source, document, fake_for)
        named = {api_id for _, document in documents if isinstance(document.get("apis"), dict)
                 for api_id in document["apis"]}
        # With the default data, an API served from a --spec alone gets plausible data of
        # its own; data files chosen with --fixtures are all the data there is ("empty"
        # leaves every API empty), and a shipped API's data is always in the scenarios.
        default = str(default_fixture())
        if all(source == default for source, _ in documents):
            for api_id, api in apis.items():
                if api_id not in named and api_id not in API_IDS:
                    api.behavior.seed(store.api(api_id), fake_for(api_id))
    store.reseed_ids(f"{seed}/ids/{generation}")
    return store
