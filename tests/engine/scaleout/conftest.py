"""A local Ray instance for the scale-out tests: 2 CPUs, every process on 127.0.0.1, shut
down after the module; and what its processes listen on."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restsync.engine.scaleout.cluster import ray_session
from tests.json_server import Respond, json_server

__all__ = ["Respond", "descendants", "json_server", "listening_addresses", "local_ray", "served"]


def descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def listening_addresses(root: int = 0) -> dict[str, set[int]]:
    """Local address -> pids of the processes started by this test process that listen
    on it (TCP, from ``ss -ltnp``)."""
    ours = descendants(root or os.getpid())
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    found: dict[str, set[int]] = {}
    for line in out.splitlines():
        parts = line.split()
        pids = {int(p) for p in re.findall(r"pid=(\d+)", line)} & ours
        if pids and len(parts) >= 4:
            found.setdefault(parts[3].rsplit(":", 1)[0], set()).update(pids)
    return found


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    """Ray with 2 CPUs for the module (the executor uses it instead of starting its own)."""
    with ray_session(None, workers=2) as ray:
        yield ray


def served(api: Any) -> Iterator[Any]:
    """Serve ``api.respond`` on loopback with ``api.url`` set (for a fixture's ``yield from``)."""
    with json_server(api.respond) as url:
        api.url = url
        yield api
