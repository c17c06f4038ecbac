"""Per-API behaviour: one module per API, named after its id (see `base.ApiBehavior`).

The built-in APIs are discovered, not listed: each spec the package ships
(``specs/<id>.yaml``) is one, in name order. A spec with a module here gets that module's
quirks; one without is served by the generic engine (`mockserver.crud`).
"""

from __future__ import annotations

from functools import cache


@cache
def shipped_api_ids() -> tuple[str, ...]:
    """The ids of the shipped specs, in name order (a directory listing: cheap enough for
    the command line's help)."""
    from ..data import spec_dir

    return tuple(sorted(path.stem for path in spec_dir().glob("*.yaml")))


def __getattr__(name: str):
    # API_IDS reads as a constant everywhere, but is found in the installed package.
    if name == "API_IDS":
        return shipped_api_ids()
    raise AttributeError(name)
