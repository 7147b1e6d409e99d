"""Named crash points for the crash-safety harness (inert unless asked for).

The harness sets ``RESTSYNC_CRASH_AT=<point>:<n>`` in the environment of a ``restsync run``
process; the n-th time (1-based) the process reaches ``<point>`` it kills itself with
SIGKILL, exactly as ``kill -9`` would. Without the variable, :func:`reach` is a dictionary
lookup and returns. Points are named by stage: ``extract.page``, ``engine.staged``,
``load.commit.begin``, ``load.commit.data``, ``load.commit.state``, ``load.commit.end``...
"""

from __future__ import annotations

import os
import signal

_ENV = "RESTSYNC_CRASH_AT"
_target: tuple[str, int] | None = None
_counts: dict[str, int] = {}


def _parse(value: str | None) -> tuple[str, int] | None:
    if not value:
        return None
    name, _, count = value.rpartition(":")
    if not name or not count.isdigit() or int(count) < 1:
        return None
    return name, int(count)


_target = _parse(os.environ.get(_ENV))


def reach(point: str) -> None:
    """Mark that the process reached ``point``; dies there when the harness asked for it."""
    if _target is None or _target[0] != point:
        return
    _counts[point] = _counts.get(point, 0) + 1
    if _counts[point] == _target[1]:
        os.kill(os.getpid(), signal.SIGKILL)
