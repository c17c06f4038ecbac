"""Where the shipped specs and data files are: inside the installed package.

The project keeps them at the top of its tree (``specs/`` and ``fixtures/``, the single
source); the build maps those folders into this package as ``mockserver.data.specs`` and
``mockserver.data.fixtures`` (``pyproject.toml``, ``[tool.setuptools]``). So they are found
the same way in a wheel, a pipx install, a container and an editable checkout: through
the import system, never through a path relative to the source tree.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


class MissingData(Exception):
    """The installed package lacks the data it ships (a broken or partial install)."""


def _folder(package: str, example: str) -> Path:
    try:
        folder = Path(str(resources.files(package)))
    except (ModuleNotFoundError, TypeError) as exc:
        raise MissingData(f"the installed mockserver package has no {package} "
                          f"(reinstall it: pip install --force-reinstall mockserver)") from exc
    if not (folder / example).is_file():
        raise MissingData(f"missing {folder / example}: the installed mockserver package lacks its "
                          f"data (reinstall it: pip install --force-reinstall mockserver)")
    return folder


def spec_dir() -> Path:
    """The folder of the shipped OpenAPI specs (``<api>.yaml``)."""
    return _folder("mockserver.data.specs", "__init__.py")


def fixture_dir() -> Path:
    """The folder of the shipped data files and scenarios (``default.yaml``, ...)."""
    return _folder("mockserver.data.fixtures", "default.yaml")  # the scenario every start loads


def check_shipped_files() -> None:
    """Raise MissingData naming the first data file the installed package should hold but
    does not (from the install's own file list; an editable checkout has none to check).

    Called when something the shipped data should provide is not found (an API the default
    scenario names has no spec): a deleted file then says so, instead of a puzzle.
    """
    from importlib import metadata  # only on this error path: it is slow to import

    try:
        files = metadata.distribution("mockserver").files or []
    except metadata.PackageNotFoundError:
        return
    for file in files:
        if str(file).startswith("mockserver/data/") and str(file).endswith(".yaml"):
            located = Path(str(file.locate()))
            if not located.is_file():
                raise MissingData(f"missing {located}: the installed mockserver package lacks its data "
                                  f"(reinstall it: pip install --force-reinstall mockserver)")
