"""restsync.engine: runs a plan through extract -> normalize -> load."""

from restsync.engine.api import (
    DEFAULT_DESTINATION,
    Pipeline,
    RunInfo,
    dataset_name_for,
    pipeline,
    rest_api_source,
)
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
