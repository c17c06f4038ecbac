"""What the dashboard reads besides the journal: the APIs served, and the state page by page.

``GET /__mock/apis`` lists each API with its mount, operations and collections (the
dashboard's filters, fault form, state and docs tabs are built from it), and
``GET /__mock/state/<api>/<collection>`` pages through one collection. Every entity goes
through the journal's masking before it is shown (`mask_entity`): a secret the journal
masks in a request body is masked here too, and so is the key of a login collection
(a session token is the key of its entity).
"""

from __future__ import annotations

from typing import Any

from .journal import MASK, mask_fields
from .registry import MountedApi
from .runtime import MockRuntime

MAX_PAGE_SIZE = 200


class BrowseError(ValueError):
    """A bad page request: `status` (404 or 400) and a message naming what was wrong."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def api_catalogue(runtime: MockRuntime) -> list[dict]:
    """Each API served: id, title, mount, spec URL, operations and collection counts."""
    counts = runtime.store.counts()
    return [{
        "id": api_id, "title": api.spec.title, "mount": runtime.mount_of(api_id),
        "spec": f"/__mock/specs/{api_id}",
        "operations": [{"id": op.operation_id, "method": op.method.upper(), "path": op.path, "summary": op.summary}
                       for op in api.spec.operations],
        "collections": counts.get(api_id, {}),
    } for api_id, api in runtime.apis.items()]


def mask_entity(api: MountedApi, collection: str, entity: dict) -> dict:
    """An entity as the dashboard may show it: masked as the journal masks a body.

    The masking of the API's request bodies and of its responses (a token it hands out),
    and, for a collection of logins (``survives_reset``), its key, which is the token.
    """
    masked = mask_fields(entity, api.masking.union(api.response_masking))
    layout = api.spec.collections.get(collection)
    if layout is not None and layout.survives_reset and layout.key in masked:
        masked[layout.key] = MASK
    return masked


def _positive(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit() or int(value) < 1:
        raise BrowseError(400, f"{name} must be a positive whole number, got {value!r}")
    return int(value)


def state_page(runtime: MockRuntime, api_id: str, collection: str, page: str | None, size: str | None) -> dict:
    """One page of a collection, masked: ``{"items": [...], "total", "page", "size", "pages"}``."""
    api = runtime.apis.get(api_id)
    if api is None or api_id not in runtime.store.api_ids():
        raise BrowseError(404, f"No API {api_id!r} is served here; APIs: {', '.join(runtime.apis)}")
    data = runtime.store.api(api_id)
    if collection not in data:
        raise BrowseError(404, f"{api_id} has no collection {collection!r}; collections: {', '.join(data)}")
    page_number = _positive(page, "page", 1)
    page_size = _positive(size, "size", 25)
    if page_size > MAX_PAGE_SIZE:
        raise BrowseError(400, f"size must be at most {MAX_PAGE_SIZE}, got {page_size}")
    start = (page_number - 1) * page_size
    with runtime.store.lock:
        entities = data[collection]
        total = len(entities)
        rows: list[Any] = []
        for index, entity in enumerate(entities):  # insertion order, as the state export has it
            if index >= start + page_size:
                break
            if index >= start:
                rows.append(mask_entity(api, collection, entity))
    return {"api": api_id, "collection": collection, "total": total, "page": page_number, "size": page_size,
            "pages": max(1, -(-total // page_size)), "items": rows}
