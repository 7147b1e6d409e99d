"""PostgreSQL destination on a real PostgreSQL 15 server (see tests/pg_cluster.py).

The destination-neutral cases of the DuckDB tests run here unchanged against PostgreSQL: they
are imported below, so pytest collects them again in this module, where ``dest`` is a
PostgreSQL destination. The rest are PostgreSQL-specific (types, COPY, lock, URLs).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restsync.errors import DestinationError
from restsync.load import Destination, open_destination
from restsync.load.postgres import redacted
from restsync.load.postgres.destination import PostgresDestination
from restsync.load.postgres.types import (
    MAX_IDENTIFIER_BYTES,
    pg_identifier,
)
from restsync.normalize import Normalizer

from .conftest import DATASET, count, rows, run_load
from .test_dispositions import (  # noqa: F401  (collected again with the PostgreSQL `dest`)
    test_append_adds_every_load,
    test_merge_dedups_within_run_last_wins,
    test_merge_deletes_grandchildren_of_replaced_roots,
    test_merge_of_an_empty_run_changes_nothing,
    test_merge_on_composite_key_and_type_widened_key,
    test_merge_second_identical_load_keeps_counts,
    test_merge_updated_record_replaces_old_row_and_its_children,
    test_merge_with_some_key_values_missing_fails_and_commits_nothing,
    test_merge_without_any_key_value_falls_back_to_replace,
    test_replace_does_not_touch_other_resources,
    test_replace_swaps_root_and_children,
)
from .test_duckdb_destination import (  # noqa: F401
    test_batches_with_differing_columns_and_types_within_one_load,
    test_many_small_batches_with_changing_kinds_are_buffered_and_loaded,
    test_nested_to_scalar_change_loads,
    test_state_round_trip_is_committed_with_data,
    test_two_resources_staged_at_once_commit_independently,
    test_unknown_disposition_is_refused,
)
from .test_merge_keys import *  # noqa: F403  (its tests, collected again with the PostgreSQL `dest`)

SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.fixture
def dest(pg_database_url: str) -> Iterator[Destination]:
    d = open_destination(pg_database_url, DATASET)
    yield d
    d.close()


def staging_tables(dest: Destination) -> list[str]:
    return dest.schema_tables(f"{DATASET}_staging")


def stage_without_commit(dest: Destination, records: list[dict[str, Any]]) -> Any:
    norm = Normalizer(table_name="events", primary_key=["id"], load_id="L2")
    load = dest.begin("events", load_id="L2", write_disposition="replace", primary_key=["id"],
                      root_table="events")
    for batch in norm.normalize(records):
        load.write(batch)
    return load


def run_python(code: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={"PYTHONPATH": SRC}, **kwargs)


# -- URLs -------------------------------------------------------------------------------------

def test_postgres_urls_open_postgres_destinations(pg_database_url: str) -> None:
    for url in (pg_database_url, pg_database_url.replace("postgresql://", "postgres://")):
        d = open_destination(url, "other")
        assert isinstance(d, PostgresDestination)
        d.close()


# -- staging, abort, crash, state ----------------------------------------------------------------

def test_state_survives_reopen(pg_database_url: str) -> None:
    d = open_destination(pg_database_url, DATASET)
    run_load(d, "events", [[{"id": 1}]], state={"cursor": 5, "nested": {"a": [1, "x"]}})
    d.close()
    d = open_destination(pg_database_url, DATASET)
    assert d.get_state("events") == {"cursor": 5, "nested": {"a": [1, "x"]}}
    assert count(d, "events") == 1
    d.close()


def test_abort_leaves_dataset_and_state_unchanged(dest: Destination,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("restsync.load.postgres.load.FLUSH_ROWS", 1)  # COPY at once
    run_load(dest, "events", [[{"id": 1, "tags": ["a"]}]], state={"cursor": 1})
    before = (dest.tables(), count(dest, "events"), dest.get_state("events"))
    load = stage_without_commit(dest, [{"id": 2, "extra": 1, "new_list": [1]}])
    assert len(staging_tables(dest)) == 2  # root and new child staged, not visible
    assert count(dest, "events") == 1
    load.abort()
    assert (dest.tables(), count(dest, "events"), dest.get_state("events")) == before
    assert "extra" not in dest.columns(DATASET, "events")
    assert staging_tables(dest) == []
    with pytest.raises(DestinationError, match="already committed or aborted"):
        load.commit({"cursor": 2})


def test_failed_commit_rolls_back_data_and_state_and_drops_staging(
        dest: Destination) -> None:
    run_load(dest, "events", [[{"id": 1, "tags": ["a"]}]], state={"cursor": 1})
    dest.sql(f"ALTER TABLE {dest.ref(DATASET, 'events')} ADD CHECK (id < 100)")
    with pytest.raises(DestinationError, match="commit failed") as info:
        run_load(dest, "events", [[{"id": 2, "tags": ["b"]}, {"id": 500}]], load_id="L2",
                 state={"cursor": 2})
    assert "resource 'events'" in str(info.value)
    assert rows(dest, "SELECT id FROM DS.events") == [(1,)]
    assert count(dest, "events__tags") == 1
    assert dest.get_state("events") == {"cursor": 1}
    assert rows(dest, "SELECT load_id FROM DS._restsync_loads") == [("L1",)]
    assert staging_tables(dest) == []


def test_killed_run_releases_its_lock_and_next_open_drops_its_staging(
        pg_database_url: str) -> None:
    d = open_destination(pg_database_url, DATASET)
    run_load(d, "events", [[{"id": 1}]])
    d.close()
    child = run_python(f"""
        import sys, time
        import restsync.load.postgres.load as pl
        from restsync.load import open_destination
        from restsync.normalize import Normalizer
        pl.FLUSH_ROWS = 1
        d = open_destination({pg_database_url!r}, {DATASET!r})
        load = d.begin("events", load_id="L2", write_disposition="append", primary_key=None,
                       root_table="events")
        for batch in Normalizer(table_name="events", primary_key=None,
                                load_id="L2").normalize([{{"id": 2}}, {{"id": 3}}]):
            load.write(batch)
        print("staged", flush=True)
        time.sleep(60)
    """)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "staged"
        with pytest.raises(DestinationError, match="another run is loading dataset 'data'"):
            open_destination(pg_database_url, DATASET)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    d = _open_when_released(pg_database_url)
    assert staging_tables(d) == []
    assert count(d, "events") == 1
    d.close()


def _open_when_released(url: str) -> Destination:
    """The server notices a killed client's closed socket at once, but asynchronously."""
    import time

    for _ in range(100):
        try:
            return open_destination(url, DATASET)
        except DestinationError as exc:
            if "another run" not in str(exc):
                raise
            time.sleep(0.05)
    return open_destination(url, DATASET)


# -- locks (both destinations) ---------------------------------------------------------------

def test_second_open_of_a_dataset_is_refused_until_the_first_closes(
        pg_database_url: str) -> None:
    first = open_destination(pg_database_url, DATASET)
    with pytest.raises(DestinationError) as info:
        open_destination(pg_database_url, DATASET)
    message = str(info.value)
    assert "another run is loading dataset 'data'" in message
    assert "application 'restsync'" in message and "server process" in message
    other = open_destination(pg_database_url, "other_dataset")  # other datasets are free
    other.close()
    first.close()
    again = open_destination(pg_database_url, DATASET)
    again.close()


def test_duckdb_file_held_by_another_process_is_a_clear_destination_error(
        tmp_path: Path) -> None:
    path = tmp_path / "held.duckdb"
    holder = open_destination(f"duckdb:///{path}", "ds")
    try:
        child = run_python(f"""
            from restsync.errors import DestinationError
            from restsync.load import open_destination
            try:
                open_destination("duckdb:///{path}", "ds")
            except DestinationError as exc:
                print("DestinationError:", exc)
        """)
        out, err = child.communicate(timeout=60)
    finally:
        holder.close()
    assert out.startswith("DestinationError:"), err
    assert "another run is using this database right now (process " in out, out
    assert "second run on the same destination is refused" in out and str(path) in out


# -- URLs and errors ------------------------------------------------------------------------------

def test_unreachable_server_is_a_located_error_without_the_password(pg_url: str) -> None:
    from tests.pg_cluster import _free_port

    url = f"postgresql://someone:Sup3rSecretPw@127.0.0.1:{_free_port()}/nodb"
    with pytest.raises(DestinationError) as info:
        open_destination(url, DATASET)
    message = str(info.value)
    assert "cannot connect" in message
    assert "postgresql://someone@127.0.0.1" in message
    assert "Sup3rSecretPw" not in message and info.value.__cause__ is None


def test_missing_psycopg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real_import = importlib.import_module

    def no_psycopg(name: str, *args: Any) -> Any:
        if name == "psycopg":
            raise ImportError("No module named 'psycopg'")
        return real_import(name, *args)

    monkeypatch.setattr(importlib, "import_module", no_psycopg)
    with pytest.raises(DestinationError, match=r"pip install 'restsync\[postgres\]'"):
        open_destination("postgresql://u:pw@127.0.0.1:1/db", DATASET)


def test_redacted_url_drops_password_and_query() -> None:
    assert redacted("postgresql://u:p%40ss@h:5/db?password=x&sslmode=require") == \
        "postgresql://u@h:5/db"
    assert redacted("postgres://h/db") == "postgres://h/db"


def test_dataset_name_too_long_for_postgres(pg_database_url: str) -> None:
    with pytest.raises(DestinationError, match="dataset name is too long"):
        open_destination(pg_database_url, "d" * 60)


# -- schema evolution and types ----------------------------------------------------------------

def test_new_column_and_widened_types_across_loads(dest: Destination) -> None:
    run_load(dest, "events", [[{"id": 1, "v": 1}]], disposition="append")
    run_load(dest, "events", [[{"id": 2, "v": 2.5, "w": True}]], disposition="append",
             load_id="L2")
    assert dest.columns(DATASET, "events")["v"] == "double precision"
    run_load(dest, "events", [[{"id": 3, "v": "n/a"}]], disposition="append", load_id="L3")
    cols = dest.columns(DATASET, "events")
    assert (cols["v"], cols["w"]) == ("text", "boolean")
    assert rows(dest, "SELECT id, v, w FROM DS.events ORDER BY id") == [
        (1, "1", None), (2, "2.5", True), (3, "n/a", None)]


def test_bigint_column_with_huge_values_widens_to_text_not_double(dest: Destination) -> None:
    big = 2**60 + 1
    run_load(dest, "events", [[{"id": 1, "v": big}]], disposition="append")
    run_load(dest, "events", [[{"id": 2, "v": 0.5}]], disposition="append", load_id="L2")
    assert dest.columns(DATASET, "events")["v"] == "text"
    assert rows(dest, "SELECT v FROM DS.events ORDER BY id") == [(str(big),), ("0.5",)]


def test_new_child_table_on_a_later_run_and_timestamp_to_text(dest: Destination) -> None:
    run_load(dest, "events", [[{"id": 1, "at": "2024-05-01T10:00:00+02:00"}]])
    run_load(dest, "events", [[{"id": 2, "at": "soon", "tags": ["x", "y"]}]], load_id="L2")
    assert dest.tables() == ["events", "events__tags"]
    assert dest.columns(DATASET, "events")["at"] == "text"
    assert rows(dest, "SELECT id, at FROM DS.events ORDER BY id") == [
        (1, "2024-05-01T08:00:00+00:00"), (2, "soon")]
    assert count(dest, "events__tags") == 2


def test_big_ids_timestamps_and_json_land_with_proper_types(dest: Destination) -> None:
    big = 2**63 - 7
    run_load(dest, "events", [[{"id": big, "at": "2024-05-01T10:00:00.5+02:00"}]])
    norm = Normalizer(table_name="raw", primary_key=None, load_id="L1", max_nesting=0)
    load = dest.begin("raw", load_id="L1", write_disposition="append", primary_key=None,
                      root_table="raw")
    for batch in norm.normalize([{"doc": {"k": [1, {"z": None}], "s": "a\"b"}}]):
        load.write(batch)
    load.commit(None)
    cols = dest.columns(DATASET, "events")
    assert (cols["id"], cols["at"]) == ("bigint", "timestamp with time zone")
    assert rows(dest, "SELECT id, extract(epoch FROM at) * 1000 FROM DS.events") == [
        (big, 1714550400500)]
    assert dest.columns(DATASET, "raw")["doc"] == "jsonb"
    assert rows(dest, "SELECT doc->'k'->0, doc->'k'->1, doc->>'s' FROM DS.raw") == [
        (1, {"z": None}, 'a"b')]


def test_long_table_and_column_names_are_shortened_stably(dest: Destination) -> None:
    key = "a_rather_long_field_name_that_goes_on"
    record = {"id": 1, key: [{key: [{"x" * 70: 1}]}]}
    run_load(dest, "events", [[record]])
    run_load(dest, "events", [[record]], load_id="L2")
    child = f"events__{key}"
    grandchild = pg_identifier(f"{child}__{key}")
    assert len(grandchild) == MAX_IDENTIFIER_BYTES and grandchild.startswith(child)
    assert dest.tables() == sorted(["events", child, grandchild])
    assert count(dest, grandchild) == 1
    assert pg_identifier("x" * 70) in dest.columns(DATASET, grandchild)


def test_stored_schema_describes_the_tables_from_their_columns(dest: Destination) -> None:
    run_load(dest, "events", [[{"id": 1, "at": "2024-05-01T10:00:00+02:00", "tags": ["a"]}]])
    run_load(dest, "other", [[{"id": 1}]])
    schema = dest.stored_schema("events")
    assert sorted(schema) == ["events", "events__tags"]
    assert schema["events"].columns["at"].data_type == "timestamp"
    assert schema["events"].columns["id"].data_type == "bigint"
    assert schema["events__tags"].parent == "events"
    assert sorted(dest.stored_schema()) == ["events", "events__tags", "other"]
