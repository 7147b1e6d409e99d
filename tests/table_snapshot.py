"""What a dataset holds, independent of the run that loaded it: to compare two loads.

``snapshot(db_path, dataset)`` reads every data table of a DuckDB dataset into a
:class:`DatasetSnapshot`: per table, its columns with their types and the multiset of its
rows. System columns that differ from run to run (``_dlt_load_id``, ``_dlt_id`` and the
parent/root ids pointing at them) are left out; instead each child row carries the content of
its parent row, recursively, so two loads are equal only if every child hangs under an equal
parent.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import orjson

RUN_SPECIFIC = frozenset({"_dlt_load_id", "_dlt_id", "_dlt_parent_id", "_dlt_root_id"})


@dataclass
class DatasetSnapshot:
    """Columns (name -> type) and rows of every data table of a dataset."""

    columns: dict[str, dict[str, str]]
    rows: dict[str, Counter[str]]

    def counts(self) -> dict[str, int]:
        return {t: sum(r.values()) for t, r in self.rows.items()}


def snapshot(db_path: Path | str, dataset: str) -> DatasetSnapshot:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
            "AND table_name NOT LIKE '\\_restsync%' ESCAPE '\\' ORDER BY 1",
            [dataset]).fetchall()]
        columns = {t: {name: kind for name, kind in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY column_name",
            [dataset, t]).fetchall()} for t in tables}
        identity: dict[Any, str] = {}
        rows: dict[str, Counter[str]] = {}
        for table in sorted(tables, key=lambda t: t.count("__")):  # parents first
            found: Counter[str] = Counter()
            data = con.sql(f'SELECT * FROM "{dataset}"."{table}"').to_arrow_table()
            for row in data.to_pylist():
                content = {k: v for k, v in row.items() if k not in RUN_SPECIFIC}
                parent = identity.get(row.get("_dlt_parent_id"), "")
                text = orjson.dumps([content, parent], default=str,
                                    option=orjson.OPT_SORT_KEYS).decode()
                found[text] += 1
                if row.get("_dlt_id") is not None:
                    identity[row["_dlt_id"]] = hashlib.blake2b(text.encode(),
                                                               digest_size=16).hexdigest()
            rows[table] = found
        return DatasetSnapshot(columns, rows)
    finally:
        con.close()


def assert_same_tables(a: DatasetSnapshot, b: DatasetSnapshot) -> None:
    """Equal tables, columns, types and rows (a difference is reported by table)."""
    assert sorted(a.columns) == sorted(b.columns)
    for table in a.columns:
        assert a.columns[table] == b.columns[table], table
        if a.rows[table] != b.rows[table]:
            only_a = a.rows[table] - b.rows[table]
            only_b = b.rows[table] - a.rows[table]
            raise AssertionError(f"{table}: {sum(only_a.values())} row(s) only in the first "
                                 f"(e.g. {next(iter(only_a), None)}), "
                                 f"{sum(only_b.values())} only in the second "
                                 f"(e.g. {next(iter(only_b), None)})")
