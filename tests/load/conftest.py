from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest

from restsync.load import Destination, LoadReport, open_destination
from restsync.normalize import Normalizer, normalize_identifier

DATASET = "data"  # same name as the database file: must not be ambiguous


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "out" / "data.duckdb"


@pytest.fixture
def dest(db_path: Path) -> Iterator[Destination]:
    d = open_destination(f"duckdb:///{db_path}", DATASET)
    yield d
    d.close()


def run_load(dest: Destination, resource: str, pages: Sequence[list[dict[str, Any]]], *,
             disposition: str = "merge", primary_key: Sequence[str] | None = ("id",),
             load_id: str = "L1", state: Mapping[str, Any] | None = None,
             merge_key: Sequence[str] | None = None) -> LoadReport:
    """One resource load as the engine does it (the normalizer follows the stored schema)."""
    load = dest.begin(resource, load_id=load_id, write_disposition=disposition,  # type: ignore[arg-type]
                      primary_key=primary_key, root_table=normalize_identifier(resource),
                      merge_key=merge_key)
    norm = Normalizer(table_name=resource, primary_key=primary_key, load_id=load_id,
                      stored=load.stored_schema)
    for page in pages:
        for batch in norm.normalize(page):
            load.write(batch)
    return load.commit(state)


def count(dest: Any, table: str) -> int:
    return int(rows(dest, f"SELECT count(*) FROM DS.{table}")[0][0])


def rows(dest: Any, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` (tables written ``DS.<table>``) against the dataset.

    SQL destinations run it themselves; for lake destinations every table is read with the
    format's own reader (deltalake, pyiceberg, pyarrow.parquet) into Arrow, and DuckDB only
    queries those Arrow tables in memory.
    """
    if hasattr(dest, "sql"):
        return list(dest.sql(sql.replace("DS.", f"{dest.ref(DATASET)}.")))
    con = duckdb.connect()
    try:
        con.execute("CREATE SCHEMA ds")
        for table in dest.fmt.tables():
            arrow = dest.fmt.read(table)  # noqa: F841  (read by name below)
            con.execute(f'CREATE TABLE ds."{table}" AS SELECT * FROM arrow')
        return con.execute(sql.replace("DS.", "ds.")).fetchall()
    finally:
        con.close()


def lake_url(scheme: str, tmp_path: Path) -> str:
    """A lake destination URL in a test's temp folder (absolute path: ``:////``)."""
    return f"{scheme}:///{tmp_path / 'lake'}"
