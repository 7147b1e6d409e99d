"""Wide tables in DuckDB: the memory limit follows the open loads' columns, and a transaction
DuckDB aborts without a cause is explained (issue 15, wide maps)."""

from pathlib import Path

import pyarrow as pa
import pytest

from restsync.errors import DestinationError
from restsync.load import open_destination
from restsync.load.duckdb.memory import PER_COLUMN, aborted_message, size_bytes
from restsync.normalize import TableBatch

COLUMNS = 300  # at DuckDB's 192 MB, 300 BIGINT columns x 40,000 rows abort the transaction
ROWS = 40_000


def wide_batch(columns: int, rows: int) -> TableBatch:
    values = pa.array(range(rows), pa.int64())
    arrow = pa.table({**{f"c{i}": values for i in range(columns)},
                      "_dlt_id": pa.array([str(i) for i in range(rows)])})
    return TableBatch(table="wide", parent_table=None, arrow=arrow)


def load_wide(url: str) -> int:
    dest = open_destination(url, "ds")
    try:
        load = dest.begin("wide", load_id="L1", write_disposition="append", primary_key=None,
                          root_table="wide", exclusive=True)
        load.write(wide_batch(COLUMNS, ROWS))
        report = load.commit({"n": 1})
        return report.rows["wide"]
    finally:
        dest.close()


def test_a_wide_table_loads_with_the_default_memory_limit(tmp_path: Path) -> None:
    assert load_wide(f"duckdb:///{tmp_path / 'w.duckdb'}") == ROWS


def test_an_aborted_transaction_names_the_likely_cause(tmp_path: Path) -> None:
    with pytest.raises(DestinationError) as caught:
        load_wide(f"duckdb:///{tmp_path / 'w.duckdb'}?memory_limit=64MB")
    text = str(caught.value)
    assert "Current transaction is aborted" not in text
    assert f"{ROWS:,} rows of {COLUMNS + 1:,} columns" in text
    assert "memory_limit is 64MB" in text and "max_columns" in text


def test_helpers() -> None:
    assert size_bytes("192MB") == 192_000_000 and size_bytes("1.5 GiB") == 1024**3 * 3 // 2
    assert size_bytes("lots") is None
    assert aborted_message("Binder Error: x", rows=1, columns=1, limit=None,
                           explicit=False) is None
    assert PER_COLUMN >= 1_000_000
