"""restsync: declarative REST API -> tables.

Public API (dlt-shaped)::

    import restsync
    source = restsync.rest_api_source({...})          # a dict in dlt's or restsync's dialect
    pipeline = restsync.pipeline(pipeline_name="email", destination="duckdb:///email.duckdb",
                                 dataset_name="email")
    info = pipeline.run(source)
"""

from restsync.errors import (
    AuthError,
    ConfigError,
    FatalError,
    RestsyncError,
    RetriableError,
    SkippableError,
    SpecError,
)

__all__ = [
    "AuthError",
    "ConfigError",
    "FatalError",
    "RestsyncError",
    "RetriableError",
    "SkippableError",
    "SpecError",
]
__version__ = "0.1.0"
