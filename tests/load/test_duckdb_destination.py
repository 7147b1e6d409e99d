"""DuckDB destination: staging, abort, state, schema evolution, URLs, error messages."""

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from restsync.errors import DestinationError
from restsync.load import Destination, open_destination
from restsync.load.duckdb.types import widen_type
from restsync.load.sql.names import safe_message
from restsync.normalize import Normalizer

from .conftest import DATASET, count, rows, run_load


def staging_tables(dest: Destination) -> list[str]:
    return dest.schema_tables(f"{DATASET}_staging")


def test_state_round_trip_is_committed_with_data(dest: Destination) -> None:
    assert dest.get_state("events") == {}
    run_load(dest, "events", [[{"id": 1}]], state={"cursor": "2024-01-01", "n": [1, 2]})
    assert dest.get_state("events") == {"cursor": "2024-01-01", "n": [1, 2]}
    run_load(dest, "events", [[{"id": 2}]], load_id="L2", state=None)
    assert dest.get_state("events") == {"cursor": "2024-01-01", "n": [1, 2]}
    loads = rows(dest, "SELECT load_id, resource, status, rows FROM DS._restsync_loads "
                       "ORDER BY load_id")
    assert loads == [("L1", "events", "committed", 1), ("L2", "events", "committed", 1)]
    assert dest.tables() == ["events"]


def test_state_survives_reopen(db_path: Path) -> None:
    d = open_destination(f"duckdb:///{db_path}", DATASET)
    run_load(d, "events", [[{"id": 1}]], state={"cursor": 5})
    d.close()
    d = open_destination(f"duckdb:///{db_path}", DATASET)
    assert d.get_state("events") == {"cursor": 5}
    assert count(d, "events") == 1
    d.close()


@pytest.mark.parametrize("exclusive", [True, False])
@pytest.mark.parametrize("disposition", ["append", "replace", "merge"])
def test_abort_leaves_dataset_and_state_unchanged(dest: Destination,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  disposition: str, exclusive: bool) -> None:
    monkeypatch.setattr("restsync.load.duckdb.load.FLUSH_ROWS", 1)  # insert at once
    run_load(dest, "events", [[{"id": 1, "tags": ["a"]}]], state={"cursor": 1})
    before = (dest.tables(), count(dest, "events"), dest.get_state("events"))
    norm = Normalizer(table_name="events", primary_key=["id"], load_id="L2")
    load = dest.begin("events", load_id="L2", write_disposition=disposition,  # type: ignore[arg-type]
                      primary_key=["id"], root_table="events", exclusive=exclusive)
    for batch in norm.normalize([{"id": 2, "extra": 1, "new_list": [1]}]):
        load.write(batch)
    # written, but not visible to any other connection
    assert (dest.tables(), count(dest, "events"), dest.get_state("events")) == before
    assert "extra" not in dest.columns(DATASET, "events")
    assert bool(staging_tables(dest)) == (not exclusive)  # shared staging: committed tables
    load.abort()
    assert (dest.tables(), count(dest, "events"), dest.get_state("events")) == before
    assert "extra" not in dest.columns(DATASET, "events")
    assert staging_tables(dest) == []
    with pytest.raises(DestinationError, match="already committed or aborted"):
        load.commit({"cursor": 2})


@pytest.mark.parametrize("exclusive", [True, False])
def test_crashed_run_leaves_dataset_untouched_and_nothing_behind(
        db_path: Path, monkeypatch: pytest.MonkeyPatch, exclusive: bool) -> None:
    monkeypatch.setattr("restsync.load.duckdb.load.FLUSH_ROWS", 1)  # insert at once
    d = open_destination(f"duckdb:///{db_path}", DATASET)
    run_load(d, "events", [[{"id": 1}]])
    norm = Normalizer(table_name="events", primary_key=["id"], load_id="L2")
    load = d.begin("events", load_id="L2", write_disposition="append", primary_key=None,
                   root_table="events", exclusive=exclusive)
    for batch in norm.normalize([{"id": 2, "new": "x"}, {"id": 3}]):
        load.write(batch)
    assert bool(staging_tables(d)) == (not exclusive)
    d.close()  # "crash": neither commit nor abort
    d = open_destination(f"duckdb:///{db_path}", DATASET)
    assert staging_tables(d) == []  # shared staging is dropped by the next open
    assert count(d, "events") == 1
    assert "new" not in d.columns(DATASET, "events")
    d.close()


def test_concurrent_loads_in_own_transactions_commit_independently(dest: Destination) -> None:
    """Interleaved writes of two resources, first-begun commits last: both land, each
    with its own state, and neither sees the other before its commit."""
    loads, norms = {}, {}
    for name in ("a", "b"):
        norms[name] = Normalizer(table_name=name, primary_key=["id"], load_id="L1")
        loads[name] = dest.begin(name, load_id="L1", write_disposition="append",
                                 primary_key=["id"], root_table=name)
    for i in range(3):
        for name in ("a", "b"):
            for batch in norms[name].normalize([{"id": i, "tags": [name] * i}]):
                loads[name].write(batch)
    assert loads["b"].commit({"n": "b"}).rows == {"b": 3, "b__tags": 3}
    assert dest.tables() == ["b", "b__tags"]
    assert loads["a"].commit({"n": "a"}).rows == {"a": 3, "a__tags": 3}
    assert dest.tables() == ["a", "a__tags", "b", "b__tags"]
    assert dest.states() == {"a": {"n": "a"}, "b": {"n": "b"}}
    assert rows(dest, "SELECT count(*) FROM DS._restsync_loads") == [(2,)]


def test_new_column_and_widened_types_across_loads(dest: Destination) -> None:
    run_load(dest, "events", [[{"id": 1, "v": 1}]], disposition="append")
    run_load(dest, "events", [[{"id": 2, "v": 2.5, "w": True}]], disposition="append",
             load_id="L2")
    assert dest.columns(DATASET, "events")["v"] == "DOUBLE"
    run_load(dest, "events", [[{"id": 3, "v": "n/a"}]], disposition="append", load_id="L3")
    cols = dest.columns(DATASET, "events")
    assert (cols["v"], cols["w"]) == ("VARCHAR", "BOOLEAN")
    assert rows(dest, "SELECT id, v, w FROM DS.events ORDER BY id") == [
        (1, "1.0", None), (2, "2.5", True), (3, "n/a", None)]


def test_batches_with_differing_columns_and_types_within_one_load(dest: Destination) -> None:
    report = run_load(dest, "events", [[{"id": 1, "a": 1}], [{"id": 2, "b": "x"}],
                                       [{"id": 3, "a": 1.5, "tags": [1]}]])
    assert report.rows == {"events": 3, "events__tags": 1}
    assert rows(dest, "SELECT id, a, b FROM DS.events ORDER BY id") == [
        (1, 1.0, None), (2, None, "x"), (3, 1.5, None)]


def test_nested_to_scalar_change_loads(dest: Destination) -> None:
    run_load(dest, "events", [[{"id": 1, "meta": {"a": 1}}]])
    run_load(dest, "events", [[{"id": 2, "meta": "plain"}]], load_id="L2")
    assert rows(dest, "SELECT id, meta__a, meta FROM DS.events ORDER BY id") == [
        (1, 1, None), (2, None, "plain")]


def test_big_ids_timestamps_and_json_land_with_proper_types(dest: Destination) -> None:
    big = 2**63 - 7
    run_load(dest, "events", [[{"id": big, "at": "2024-05-01T10:00:00.5+02:00",
                                "deep": {"x": {"y": [1, 2]}}}]])
    # json via max_nesting
    norm = Normalizer(table_name="raw", primary_key=None, load_id="L1", max_nesting=0)
    load = dest.begin("raw", load_id="L1", write_disposition="append", primary_key=None,
                      root_table="raw")
    for batch in norm.normalize([{"doc": {"k": [1, {"z": None}]}}]):
        load.write(batch)
    load.commit(None)
    cols = dest.columns(DATASET, "events")
    assert cols["id"] == "BIGINT" and cols["at"] == "TIMESTAMP WITH TIME ZONE"
    assert rows(dest, "SELECT id, epoch_ms(\"at\") FROM DS.events") == [(big, 1714550400500)]
    assert dest.columns(DATASET, "raw")["doc"] == "JSON"
    assert rows(dest, "SELECT doc->'$.k[0]' FROM DS.raw")[0][0] == "1"


def test_open_destination_relative_path_and_memory(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    d = open_destination("duckdb:///sub/rel.duckdb", "ds")
    run_load(d, "events", [[{"id": 1}]])
    d.close()
    assert os.path.exists(tmp_path / "sub" / "rel.duckdb")
    m = open_destination("duckdb:///:memory:", "ds")
    run_load(m, "events", [[{"id": 1}]])
    assert m.tables() == ["events"]
    m.close()


def memory_limit(dest: Destination) -> str:
    return str(dest.sql("SELECT current_setting('memory_limit')")[0][0])


def test_file_databases_get_a_memory_limit_the_url_can_change(tmp_path: Path) -> None:
    d = open_destination(f"duckdb:///{tmp_path / 'a.duckdb'}", "ds")
    assert memory_limit(d) == "183.1 MiB"  # DUCKDB_MEMORY_LIMIT, 192MB
    d.close()
    d = open_destination(f"duckdb:///{tmp_path / 'a.duckdb'}?memory_limit=1GB", "ds")
    assert memory_limit(d) == "953.6 MiB"
    run_load(d, "events", [[{"id": 1}]])
    d.close()
    assert os.path.exists(tmp_path / "a.duckdb")  # the query is not part of the path


@pytest.mark.parametrize(("query", "message"), [
    ("threads=4", "unknown DuckDB URL option 'threads' (known options: memory_limit)"),
    ("memory_limit=1GB';DROP", "memory_limit \"1GB';DROP\" is not a size"),
    ("memory_limit=lots", "memory_limit 'lots' is not a size"),
])
def test_bad_duckdb_url_options_are_refused(tmp_path: Path, query: str, message: str) -> None:
    with pytest.raises(DestinationError) as info:
        open_destination(f"duckdb:///{tmp_path / 'a.duckdb'}?{query}", "ds")
    assert message in str(info.value)


def test_open_destination_rejects_unknown_scheme() -> None:
    with pytest.raises(DestinationError, match="unsupported destination scheme 'mysql'") as info:
        open_destination("mysql://u:secret@host/db", "ds")
    assert "secret" not in str(info.value)


def test_unknown_disposition_is_refused(dest: Destination) -> None:
    with pytest.raises(DestinationError, match="unknown write disposition"):
        dest.begin("e", load_id="L", write_disposition="upsert",  # type: ignore[arg-type]
                   primary_key=None, root_table="e")


def test_error_messages_cut_long_values() -> None:
    value = "x" * 500
    msg = safe_message(RuntimeError(f"Conversion Error: Could not convert string '{value}'"))
    assert value not in msg and len(msg) < 200


def test_widen_type_rules() -> None:
    assert widen_type("BIGINT", "DOUBLE") == "DOUBLE"
    assert widen_type("DOUBLE", "BIGINT") == "DOUBLE"
    assert widen_type("BIGINT", "VARCHAR") == "VARCHAR"
    assert widen_type("TIMESTAMP WITH TIME ZONE", "VARCHAR") == "VARCHAR"
    assert widen_type("JSON", "BIGINT") == "JSON"
    assert widen_type("JSON", "VARCHAR") == "VARCHAR"
    assert widen_type("BOOLEAN", "BIGINT") == "VARCHAR"


def test_two_resources_staged_at_once_commit_independently(dest: Destination) -> None:
    na = Normalizer(table_name="a", primary_key=None, load_id="L1")
    nb = Normalizer(table_name="b", primary_key=None, load_id="L1")
    la = dest.begin("a", load_id="L1", write_disposition="append", primary_key=None,
                    root_table="a")
    lb = dest.begin("b", load_id="L1", write_disposition="append", primary_key=None,
                    root_table="b")
    for batch in na.normalize([{"x": 1}]):
        la.write(batch)
    for batch in nb.normalize([{"x": 2}]):
        lb.write(batch)
    la.commit({"s": "a"})
    lb.abort()
    assert dest.tables() == ["a"]
    assert dest.get_state("a") == {"s": "a"} and dest.get_state("b") == {}


def test_underscore_dataset_and_keyword_table_names(tmp_path: Path) -> None:
    d = open_destination(f"duckdb:///{tmp_path / 'x.duckdb'}", "_labels")
    run_load(d, "select", [[{"id": 1, "order": [{"group": 1}]}]], state={"c": 1})
    run_load(d, "select", [[{"id": 1, "order": [{"group": 2}]}]], load_id="L2")
    assert d.tables() == ["select", "select__order"]
    assert d.sql(f"SELECT \"group\" FROM {d.ref('_labels', 'select__order')}") == [(2,)]
    assert d.get_state("select") == {"c": 1}
    d.close()


def test_many_small_batches_with_changing_kinds_are_buffered_and_loaded(
        dest: Destination) -> None:
    pages = [[{"id": i, "v": i}] for i in range(5)] + [[{"id": 5, "v": "text"}]]
    report = run_load(dest, "events", pages)
    assert report.rows == {"events": 6}
    assert rows(dest, "SELECT v FROM DS.events ORDER BY id") == [
        ("0",), ("1",), ("2",), ("3",), ("4",), ("text",)]


def test_rows_written_in_an_open_transaction_do_not_pin_their_arrow_memory(
        dest: Destination, monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB keeps a view registered (and dropped) inside an open transaction, with its Arrow
    table, until the transaction ends: memory then grows with every row of a long load."""
    import gc

    import pyarrow as pa

    monkeypatch.setattr("restsync.load.duckdb.load.FLUSH_ROWS", 1)  # insert every batch
    norm = Normalizer(table_name="events", primary_key=["id"], load_id="L1")
    load = dest.begin("events", load_id="L1", write_disposition="append", primary_key=["id"],
                      root_table="events")
    page = [{"id": i, "text": "x" * 200, "tags": ["a", "b"]} for i in range(2_000)]
    for batch in norm.normalize(page):  # warm-up: the normalizer's own caches
        load.write(batch)
    gc.collect()
    before = pa.total_allocated_bytes()
    written = 0
    for _ in range(20):
        for batch in norm.normalize(page):
            written += batch.arrow.nbytes
            load.write(batch)
    gc.collect()
    held = pa.total_allocated_bytes() - before
    assert written > 8_000_000
    assert held < written / 10, (held, written)
    assert load.commit(None).rows == {"events": 42_000, "events__tags": 84_000}


@pytest.mark.parametrize("disposition", ["append", "merge"])
def test_arrow_inserts_run_on_one_duckdb_thread_and_the_setting_comes_back(
        dest: Destination, monkeypatch: pytest.MonkeyPatch, disposition: str) -> None:
    from restsync.load.duckdb import load as load_module

    dest.sql("SET threads = 3")  # type: ignore[attr-defined]
    seen: list[int] = []
    real = load_module.ResourceLoad._insert_threads

    @contextlib.contextmanager
    def spy(self: load_module.ResourceLoad) -> Iterator[None]:
        with real(self):
            seen.append(int(self._db.sql("SELECT current_setting('threads')")[0][0]))
            yield

    monkeypatch.setattr(load_module.ResourceLoad, "_insert_threads", spy)
    run_load(dest, "events", [[{"id": 1, "tags": ["a", "b"]}], [{"id": 2, "tags": ["c"]}]],
             disposition=disposition)
    assert seen and set(seen) == {load_module.ARROW_INSERT_THREADS}
    assert int(dest.sql("SELECT current_setting('threads')")[0][0]) == 3  # type: ignore[attr-defined]
    assert count(dest, "events") == 2 and count(dest, "events__tags") == 3
