"""Where a run loads when nothing says otherwise: the default destination and dataset name.

Kept apart from :mod:`restsync.engine.api` so that commands which only read a spec
(``restsync check``) can name the defaults without importing the extract and load stages.
"""

from __future__ import annotations

import re

__all__ = ["DEFAULT_DESTINATION", "dataset_name_for"]

DEFAULT_DESTINATION = "duckdb:///restsync.duckdb"


def dataset_name_for(source_name: str) -> str:
    """A dataset (schema) name derived from a source name: a lowercase identifier."""
    ident = re.sub(r"[^0-9a-zA-Z_]+", "_", source_name).strip("_").lower() or "rest_api"
    return f"_{ident}" if ident[0].isdigit() else ident
