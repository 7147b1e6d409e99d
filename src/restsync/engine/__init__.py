"""restsync.engine: runs a plan through extract -> normalize -> load.

The names below are imported on first use (PEP 562 ``__getattr__``): importing a submodule
such as :mod:`restsync.engine.defaults` or :mod:`restsync.engine.limits_seen` does not import
the extract, normalise and load stages, so ``restsync check`` starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from restsync.engine.api import Pipeline, RunInfo, pipeline, rest_api_source
    from restsync.engine.defaults import DEFAULT_DESTINATION, dataset_name_for
    from restsync.engine.outcome import ResourceOutcome

__all__ = [
    "DEFAULT_DESTINATION",
    "Pipeline",
    "ResourceOutcome",
    "RunInfo",
    "dataset_name_for",
    "pipeline",
    "rest_api_source",
]

_HOMES = {
    "DEFAULT_DESTINATION": "restsync.engine.defaults",
    "Pipeline": "restsync.engine.api",
    "ResourceOutcome": "restsync.engine.outcome",
    "RunInfo": "restsync.engine.api",
    "dataset_name_for": "restsync.engine.defaults",
    "pipeline": "restsync.engine.api",
    "rest_api_source": "restsync.engine.api",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'restsync.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value
