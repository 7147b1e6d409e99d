"""The executors a run can name (``--executor``), without importing any of them.

``check`` validates the name from here, so it stays free of the run engine;
:func:`restsync.engine.executor.executor_named` builds the executor a name stands for.
"""

from __future__ import annotations

from restsync.errors import ConfigError

__all__ = ["EXECUTORS", "known_executor"]

EXECUTORS: dict[str, str] = {
    "in-process": "restsync.engine.executor:InProcessExecutor",
    "ray": "restsync.engine.scaleout:RayExecutor",
}
"""Executor name -> ``module:class`` (imported only when used)."""


def known_executor(name: str) -> str:
    """``name`` when it is a known executor's (its ``module:class``).

    Raises:
        ConfigError: Unknown name, located at ``--executor``, the known ones listed.
    """
    target = EXECUTORS.get(name)
    if target is None:
        raise ConfigError(f"unknown executor {name!r}; known: {', '.join(EXECUTORS)}",
                          location="--executor")
    return target
