"""restsync: declarative REST API -> tables.

Public API (dlt-shaped)::

    import restsync
    source = restsync.rest_api_source({...})          # dlt's or restsync's dialect, or a path
    info = restsync.pipeline(destination="duckdb:///email.duckdb").run(source)
    assert info.ok                                    # else info.failed names the resources

Imports are lazy so that ``restsync check`` starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from restsync.errors import (
    AuthError,
    ConfigError,
    FatalError,
    RestsyncError,
    RetriableError,
    SkippableError,
    SpecError,
)

if TYPE_CHECKING:
    from restsync.engine import Pipeline, RunInfo, pipeline, rest_api_source

__all__ = [
    "AuthError",
    "ConfigError",
    "FatalError",
    "Pipeline",
    "RestsyncError",
    "RetriableError",
    "RunInfo",
    "SkippableError",
    "SpecError",
    "pipeline",
    "rest_api_source",
]
__version__ = "0.1.0"

_LAZY = {"Pipeline", "RunInfo", "pipeline", "rest_api_source"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from restsync import engine as _engine_module

        return getattr(_engine_module, name)
    raise AttributeError(f"module 'restsync' has no attribute {name!r}")
