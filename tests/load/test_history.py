"""Run history in every destination: run records on their own, load records' ``details``
committed with the data, datasets with a history listed without creating anything."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from restsync.errors import DestinationError
from restsync.load import Destination, open_destination
from restsync.load.registry import history_datasets, read_history
from restsync.normalize import Normalizer

from .conftest import DATASET, lake_url

SCHEMES = ["duckdb", "postgresql", "parquet", "delta", "iceberg"]


@pytest.fixture(params=SCHEMES)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'out' / 'data.duckdb'}"
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_database_url"))
    return lake_url(request.param, tmp_path)


@pytest.fixture
def dest(url: str) -> Iterator[Destination]:
    d = open_destination(url, DATASET)
    yield d
    d.close()


def commit_with_details(dest: Destination, resource: str, load_id: str,
                        details: dict[str, Any] | None) -> None:
    load = dest.begin(resource, load_id=load_id, write_disposition="append", primary_key=None,
                      root_table=resource)
    for batch in Normalizer(table_name=resource, primary_key=None, load_id=load_id).normalize([{"id": 1}]):
        load.write(batch)
    load.commit({"cursor": load_id}, details)


def test_run_records_last_row_wins_oldest_run_first(dest: Destination) -> None:
    dest.record_run({"run_id": "r1", "status": "running", "started_at": "2026-01-01T00:00:00+00:00",
                     "finished_at": None, "resources": {}})
    dest.record_run({"run_id": "r2", "status": "running", "started_at": "2026-01-02T00:00:00+00:00",
                     "finished_at": None})
    dest.record_run({"run_id": "r1", "status": "completed",
                     "started_at": "2026-01-01T00:00:00+00:00",
                     "finished_at": "2026-01-01T00:00:05+00:00",
                     "resources": {"a": {"rows": 3, "note": "é ✓ \"quoted\""}}})
    found = dest.run_records()
    assert [(r["run_id"], r["status"]) for r in found] == [("r1", "completed"), ("r2", "running")]
    assert found[0]["record"]["resources"] == {"a": {"rows": 3, "note": "é ✓ \"quoted\""}}
    assert found[0]["finished_at"].startswith("2026-01-01T00:00:05")
    assert found[1]["finished_at"] is None


def test_load_record_details_are_committed_with_the_rows(dest: Destination) -> None:
    commit_with_details(dest, "events", "L1", {"status": "completed", "pages": 2,
                                               "state_before": {}})
    commit_with_details(dest, "events", "L2", None)
    first, second = dest.load_records()
    assert (first["load_id"], first["resource"], first["rows"]) == ("L1", "events", 1)
    details = first["details"]
    assert details["pages"] == 2 and details["state_before"] == {}
    assert details["tables"] == {"events": 1} and details["disposition"] == "append"
    assert any("new table events" in c for c in details["schema_changes"])
    assert second["details"]["tables"] == {"events": 1}  # the commit's part is always there
    assert [r["load_id"] for r in dest.load_records("L2")] == ["L2"]


def test_an_aborted_load_leaves_no_load_record(dest: Destination) -> None:
    load = dest.begin("events", load_id="L1", write_disposition="append", primary_key=None,
                      root_table="events")
    for batch in Normalizer(table_name="events", primary_key=None, load_id="L1").normalize([{"id": 1}]):
        load.write(batch)
    load.abort()
    assert dest.load_records() == []


def test_datasets_with_a_history_are_listed(url: str) -> None:
    for name in ("alpha", "beta"):
        d = open_destination(url, name)
        try:
            if name == "alpha":
                commit_with_details(d, "events", "L1", None)
            else:
                d.record_run({"run_id": "r1", "status": "running", "started_at": None,
                              "finished_at": None})
        finally:
            d.close()
    assert {"alpha", "beta"} <= set(history_datasets(url))


def test_listing_a_missing_destination_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.duckdb"
    with pytest.raises(DestinationError, match="no DuckDB database here") as info:
        history_datasets(f"duckdb:///{missing}")
    assert str(missing) in str(info.value)
    assert not missing.exists()
    with pytest.raises(DestinationError, match="no parquet destination here"):
        history_datasets(f"parquet:///{tmp_path / 'lake'}")
    assert not (tmp_path / "lake").exists()


def test_loads_table_of_an_older_duckdb_dataset_gains_details(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"CREATE SCHEMA {DATASET}")
    con.execute(f"CREATE TABLE {DATASET}._restsync_loads (load_id VARCHAR, resource VARCHAR, "
                "status VARCHAR, rows BIGINT, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ)")
    con.execute(f"INSERT INTO {DATASET}._restsync_loads VALUES ('L0', 'events', 'committed', 4, "
                "now(), now())")
    con.close()
    dest = open_destination(f"duckdb:///{path}", DATASET)
    try:
        assert [(r["load_id"], r["details"]) for r in dest.load_records()] == [("L0", {})]
        commit_with_details(dest, "events", "L1", {"pages": 1})
        assert [r["details"].get("pages") for r in dest.load_records()] == [None, 1]
    finally:
        dest.close()


def test_history_is_read_while_a_run_holds_the_dataset(url: str) -> None:
    if url.startswith("duckdb"):
        pytest.skip("DuckDB: a file one process writes cannot be opened by another at all")
    holder = open_destination(url, DATASET)  # a run loading the dataset holds its lock
    try:
        holder.record_run({"run_id": "r1", "status": "running", "started_at": None,
                           "finished_at": None})
        commit_with_details(holder, "events", "r1", {"pages": 3})
        runs, loads = read_history(url, DATASET)
        assert [r["run_id"] for r in runs] == ["r1"]
        assert [(r["load_id"], r["details"]["pages"]) for r in loads] == [("r1", 3)]
    finally:
        holder.close()


def test_duckdb_history_is_read_without_writing(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'h.duckdb'}"
    d = open_destination(url, DATASET)
    try:
        commit_with_details(d, "events", "L1", None)
    finally:
        d.close()
    before = (tmp_path / "h.duckdb").stat().st_mtime_ns
    runs, loads = read_history(url, DATASET)
    assert runs == [] and [r["load_id"] for r in loads] == ["L1"]
    assert (tmp_path / "h.duckdb").stat().st_mtime_ns == before
