"""Checks of the paths and values the command line is given: one clear line and exit 2
for a bad one.

Click's own checks print the usage text around their message; these raise `InputError`,
which prints just ``Error: <message>``.
"""

from __future__ import annotations

import os
from pathlib import Path

import click


class InputError(click.ClickException):
    """Bad input on the command line (a path, a spec, a data file): one line, exit status 2."""

    exit_code = 2


def data_files(ctx, param, paths: tuple[Path, ...]) -> tuple[Path, ...]:
    """Readable data files; a name that is no file but a shipped scenario (``default``) is that one."""
    found = []
    for path in paths:
        if not path.exists() and path.parent == Path("."):
            from .scenarios import shipped_path  # only now: `wait` and `--version` stay light

            shipped = shipped_path(path.name.removesuffix(".yaml"))
            if shipped is not None:
                found.append(shipped)
                continue
        found.append(_readable_file(path))
    return tuple(found)


def _readable_file(path: Path) -> Path:
    if not path.exists():
        raise InputError(f"{path}: no such file (nor a shipped scenario of that name: "
                         f"see mockserver run --help)")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a data file")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: cannot be read (permission denied)")
    return path


def spec_files(ctx, param, paths: tuple[Path, ...]) -> tuple[Path, ...]:
    """Readable OpenAPI files (``--spec``)."""
    for path in paths:
        if not path.is_file():
            what = "is a folder, not a spec file" if path.is_dir() else "no such file"
            raise InputError(f"{param.opts[0]} {path}: {what}")
        if not os.access(path, os.R_OK):
            raise InputError(f"{param.opts[0]} {path}: cannot be read (permission denied)")
    return paths


def folder(ctx, param, path: Path | None) -> Path | None:
    """An existing folder (or no value)."""
    if path is not None and not path.is_dir():
        what = "is a file, not a folder" if path.exists() else "no such folder"
        raise InputError(f"{param.opts[0]} {path}: {what}")
    return path


def output_file(ctx, param, path: Path | None) -> Path | None:
    """A file to write (its folder is made when written); not an existing folder."""
    if path is not None and path.is_dir():
        raise InputError(f"{param.opts[0]} {path}: is a folder, not a file")
    return path


_UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}


def byte_size(ctx, param, value: str | int) -> int:
    """A size such as 64M, 512K, 1G or a plain number of bytes."""
    text = str(value).strip().upper().removesuffix("B").removesuffix("I")
    number, unit = (text[:-1], text[-1]) if text[-1:] in "KMG" else (text, "")
    if not number.isdigit():
        raise InputError(f"{param.opts[0]} {value}: not a size (write e.g. 64M, 512K, 1G or a number of bytes)")
    return int(number) * _UNITS[unit]


def api_ports(ctx, param, values: tuple[str, ...]) -> dict[str, int]:
    """``--api-port ID=PORT`` (repeatable) as {API id: port}: one port per API, and no
    port given twice. (Whether the API is served, and the port free, `run` checks later.)"""
    ports: dict[str, int] = {}
    for given in values:
        api_id, sep, port = (part.strip() for part in given.partition("="))
        where = f"{param.opts[0]} {given}"
        if not sep or not api_id or not port:
            raise InputError(f"{where}: write ID=PORT, e.g. {param.opts[0]} awx=8052")
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise InputError(f"{where}: the port must be a number from 1 to 65535")
        if api_id in ports:
            raise InputError(f"{where}: {api_id} has a port already ({api_id}={ports[api_id]}); one port per API")
        taken = [other for other, its_port in ports.items() if its_port == int(port)]
        if taken:
            raise InputError(f"{where}: port {port} is given to {taken[0]} already; each API needs a port of its own")
        ports[api_id] = int(port)
    return ports
