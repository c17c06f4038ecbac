"""Named scenarios: the data sets shipped in ``fixtures/``, and the state as a scenario.

A scenario is a fixture document (see `mockserver.fixtures`) with a name, its file stem.
Only the shipped files can be loaded by name, and a name is checked against that list,
never joined to a path, so no request can make the server read another file.

`export_state` turns the live store back into a scenario document that loads to the
same state: every entity of every collection, ids included, plus declared ``auth``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .data import fixture_dir
from .fixtures import FixtureError, read_fixture
from .store import Store

NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


@dataclass(frozen=True)
class Scenario:
    """A shipped scenario file."""

    name: str
    description: str
    path: Path


def catalogue(directory: Path | None = None) -> dict[str, Scenario]:
    """The shipped scenarios by name, read from ``fixtures/*.yaml`` (as installed)."""
    found = {}
    for path in sorted(Path(directory or fixture_dir()).glob("*.yaml")):
        if not NAME.fullmatch(path.stem):
            continue
        try:
            with path.open(encoding="utf-8") as handle:
                head = yaml.safe_load(handle) or {}
        except (OSError, yaml.YAMLError):
            head = {}
        description = " ".join(str(head.get("description", "")).split()) if isinstance(head, dict) else ""
        found[path.stem] = Scenario(path.stem, description, path)
    return found


def shipped_path(name: str, directory: Path | None = None) -> Path | None:
    """The file of the shipped scenario called `name` (``default``, ``empty``...), or None."""
    if not NAME.fullmatch(name or ""):
        return None
    path = Path(directory or fixture_dir()) / f"{name}.yaml"
    return path if path.is_file() else None


def read_scenario(name: str, directory: Path | None = None) -> tuple[str, dict]:
    """The document of a shipped scenario; FixtureError when there is none by that name."""
    path = shipped_path(name, directory)
    if path is None:
        known = ", ".join(catalogue(directory))
        raise FixtureError(f"no scenario named {name!r}; shipped scenarios: {known}")
    return read_fixture(path)


def export_state(store: Store, description: str = "Exported state of a running mockserver") -> dict:
    """The current state as a scenario document (loads back to the same state).

    ``sequences`` keeps each integer id sequence, so ids deleted before the export are
    not handed out again after it is loaded.
    """
    return {"description": description, "apis": store.snapshot(), "sequences": store.sequences()}
