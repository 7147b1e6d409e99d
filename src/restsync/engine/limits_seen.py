"""What the limits changed in earlier runs, as the destination remembers it (for ``check``).

A map that ``limits.max_columns`` turned into a JSON column, or values kept as JSON by
``limits.max_nesting_depth``, are marked in the stored schema (``ColumnSchema.limit``), so
they stay JSON in later runs; :func:`limit_notes` lists them without sending a request and
without creating a destination that does not exist yet.
"""

from __future__ import annotations

from pathlib import Path

from restsync.errors import RestsyncError
from restsync.spec.limits import effective_limits
from restsync.spec.model import SourceConfig

__all__ = ["limit_notes"]

_DUCKDB = "duckdb:///"


def limit_notes(source: SourceConfig, destination: str, dataset: str) -> list[str]:
    """One line per column a limit turned into JSON in an earlier run.

    Args:
        source: The source (its resources' tables are looked up).
        destination: The destination URL; a DuckDB file that does not exist gives no notes.
        dataset: The dataset (schema) name.

    Returns:
        The notes; a single line saying why when the destination cannot be read (a run in
        progress holds the DuckDB file, PostgreSQL is not reachable...).
    """
    if destination.startswith(_DUCKDB):
        path = destination[len(_DUCKDB):].partition("?")[0]
        if path != ":memory:" and not Path(path).exists():
            return []
    # only now: the load and normalise stages (pyarrow, the database driver) are imported
    # when there is a destination to read, never by a ``check`` of a first run
    from restsync.load import open_destination
    from restsync.normalize import normalize_identifier
    from restsync.normalize.naming import render_path

    try:
        dest = open_destination(destination, dataset)
    except RestsyncError as exc:
        return [f"cannot read what earlier runs stored: {exc}"]
    notes: list[str] = []
    try:
        for resource in source.resources:
            limits = effective_limits(source.client.limits, resource.limits,
                                      resource_name=resource.name)
            stored = dest.stored_schema(normalize_identifier(resource.table_name or resource.name))
            for table in stored.values():
                for column in table.columns.values():
                    if column.limit is None:
                        continue
                    notes.append(
                        f"resource `{resource.name}`, table `{table.name}`: column "
                        f"`{column.name}` (`{render_path(column.json_path)}`) is kept as JSON "
                        f"since a run found it {_why(column.limit)} ({limits.setting(column.limit)})")
    finally:
        dest.close()
    return notes


def _why(limit: str) -> str:
    return "too wide: a map with a key per column" if limit == "max_columns" else "nested too deep"
