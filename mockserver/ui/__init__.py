"""The dashboard's static files (``/__mock/ui``): plain HTML, CSS and JavaScript, no build step.

They ship inside the package (pyproject.toml's package-data) and are found through the
import system, like the specs (mockserver/data), never through the source tree.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def ui_dir() -> Path:
    """The folder of the dashboard's files, as installed."""
    return Path(str(resources.files(__name__)))
