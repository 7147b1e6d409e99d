"""Lake destination URLs: ``<scheme>:///PATH[?option=value&...]``."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, unquote

from restsync.errors import DestinationError


def parse_lake_url(url: str, scheme: str, options: tuple[str, ...] = ()
                   ) -> tuple[Path, dict[str, str]]:
    """The folder and the options of ``<scheme>:///PATH?...``.

    ``<scheme>:///data/lake`` is relative to the current directory, ``<scheme>:////srv/lake``
    absolute (as for ``duckdb:///``).

    Raises:
        DestinationError: No path, or an unknown option (the known ones are listed).
    """
    prefix = f"{scheme}:///"
    if not url.startswith(prefix):
        raise DestinationError(f"a {scheme} URL starts with {prefix}", location="destination",
                               hint=f"{prefix}path/to/folder")
    path, _, query = url[len(prefix):].partition("?")
    if not path:
        raise DestinationError(f"no folder in destination URL {prefix}", location="destination",
                               hint=f"{prefix}path/to/folder")
    found: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in options:
            known = ", ".join(options) if options else "none"
            raise DestinationError(f"unknown {scheme} URL option {key!r}",
                                   location="destination", hint=f"known options: {known}")
        found[key] = value
    return Path(os.path.abspath(unquote(path))), found


def require(module: str, *, what: str, extra: str, where: str) -> None:
    """Fail with the extra to install when an optional library is missing."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise DestinationError(f"{what} destinations need the {module} package",
                               location=where, hint=f"pip install 'restsync[{extra}]'") from exc


def lake_datasets(url: str, scheme: str, private_of: Callable[[Path, str], Path],
                  options: tuple[str, ...] = ()) -> list[str]:
    """The datasets under a lake URL's folder: those with restsync's private folder
    (``private_of(folder, dataset)``, as their opener places it). Nothing is created.

    Raises:
        DestinationError: The folder does not exist.
    """
    path, _ = parse_lake_url(url, scheme, options)
    if not path.is_dir():
        raise DestinationError(f"no {scheme} destination here",
                               location=f"destination {scheme} {path}")
    candidates = {p.name for p in path.iterdir() if p.is_dir()}
    private = path / "_restsync"
    if private.is_dir():
        candidates |= {p.name for p in private.iterdir() if p.is_dir()}
    return [d for d in candidates if private_of(path, d).is_dir()]
