"""A manifest stream whose records are never parsed on the event loop (issue 10, speed).

A loopback API serves pages whose records change shape from batch to batch; the same
manifest runs into DuckDB on the dict page path and on the default one, where a plain
stream's pages are split at their records (``extract/raw_records.py``) and each batch is read
from the records' text with the type of the batch before, or parsed when it does not fit.
The tables must be the same, row for row and column for column, and the batches that did
not fit must be exactly the ones that brought something new.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb
import orjson
import pytest

from restsync.engine import Pipeline
from restsync.engine import sink as sink_module
from restsync.normalize import arrow_pages as arrow_pages_module
from restsync.normalize.arrow_pages import PAGE_PATH_ENV
from restsync.spec.airbyte import load_manifest
from tests.json_server import json_server

BASE_ROW = {"id": 0, "a": 1, "n": {"x": 1}, "tags": ["t"], "ts": "2024-01-01T00:00:00Z"}


def _rows(start: int, **changes: Any) -> list[Any]:
    return [{**BASE_ROW, "id": start + i, **changes} for i in range(3)]


# one page per batch (BATCH_ROWS is 3 here); the comment says what the batch brings
PAGES: list[list[Any]] = [
    _rows(1),  # the first batch: parsed, its type inferred
    [{"id": 4}, {"id": 5, "a": None, "n": None, "tags": []}, {"id": 6, "ts": None}],  # fits
    _rows(7, b="new"),  # a new key
    _rows(10, a=1.5),  # a float in an integer column
    _rows(13, a=7),  # integers in what is now a double column: fits
    _rows(16, a=2**53 + 1),  # an integer a double column would lose digits of
    _rows(19, n={"x": "text"}),  # a string in an integer column
    _rows(22, n={"x": 1, "y": 2}),  # a new nested key
    [*_rows(25)[:2], 5],  # a record that is not an object
    _rows(28, tags=[{"k": 1}]),  # objects in a list of strings
    _rows(31, tags=[{"k": 2}]),  # fits the batch before
]
READ_FROM_TEXT = [True, False, False, True, False, False, False, False, False, True]
"""Per page after the first: whether it was read with the type of the batch before."""

MANIFEST = {
    "version": "6.44.0", "type": "DeclarativeSource",
    "check": {"type": "CheckStream", "stream_names": ["events"]},
    "streams": [{
        "type": "DeclarativeStream", "name": "events", "primary_key": "id",
        "retriever": {
            "type": "SimpleRetriever",
            "requester": {"type": "HttpRequester", "url_base": "{{ config['base'] }}",
                          "path": "events"},
            "record_selector": {"type": "RecordSelector", "extractor": {
                "type": "DpathExtractor", "field_path": ["data"]}},
            "paginator": {
                "type": "DefaultPaginator", "page_token_option": {"type": "RequestPath"},
                "pagination_strategy": {
                    "type": "CursorPagination",
                    "cursor_value": "{{ response.get('meta', {}).get('next', '') }}",
                    "stop_condition": "{{ not response.meta.next }}"}}}}],
}


@contextmanager
def pages_server(pages: list[bytes]) -> Iterator[str]:
    """Serves ``GET /events?page=N`` with the bytes of page N (1-based), as given."""

    def respond(path: str) -> tuple[int, bytes]:
        return 200, pages[int(parse_qs(urlsplit(path).query).get("page", ["1"])[0]) - 1]

    with json_server(respond) as base:
        yield base


def _bodies(base: str, pages: list[list[Any]]) -> list[bytes]:
    out = []
    for number, records in enumerate(pages, start=1):
        more = number < len(pages)
        out.append(orjson.dumps({"meta": {"next": f"{base}events?page={number + 1}"
                                          if more else None, "count": len(records)},
                                 "data": records}))
    return out


@pytest.fixture
def one_page_batches(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Batches of 3 records; every refusal allowed; returns, per raw read, whether it was
    read with the type before."""
    monkeypatch.setattr(sink_module, "BATCH_ROWS", 3)
    monkeypatch.setattr(arrow_pages_module, "MAX_RAW_REFUSALS", 1_000)
    reads: list[bool] = []
    read = arrow_pages_module.raw_records_to_struct

    def noted(pages: Any, record_type: Any) -> Any:
        struct = read(pages, record_type)
        reads.append(struct is not None)
        return struct

    monkeypatch.setattr(arrow_pages_module, "raw_records_to_struct", noted)
    return reads


def _run(monkeypatch: pytest.MonkeyPatch, mode: str, db: Path, bodies: list[bytes] | None = None
         ) -> Any:
    monkeypatch.setenv(PAGE_PATH_ENV, mode)
    holder: list[bytes] = []
    with pages_server(holder) as base:
        holder.extend(bodies if bodies is not None else _bodies(base, PAGES))
        source = load_manifest(MANIFEST, config={"base": base}, name="raw")
        return Pipeline(destination=f"duckdb:///{db}").run(source)


SYSTEM = ("_dlt_id", "_dlt_parent_id", "_dlt_root_id", "_dlt_load_id")


def _tables(db: Path) -> dict[str, tuple[list[tuple[str, str]], list[tuple[Any, ...]]]]:
    """Every table of the dataset: its columns and types, and its rows (without the
    run's ids) sorted."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' "
            "AND NOT starts_with(table_name, '_') ORDER BY 1").fetchall()]
        out = {}
        for name in names:
            columns = [(r[0], r[1]) for r in con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'raw' AND table_name = ? ORDER BY ordinal_position",
                [name]).fetchall()]
            kept = [c for c, _ in columns if c not in SYSTEM]
            rows = con.execute(f'SELECT {", ".join(chr(34) + c + chr(34) for c in kept)} '
                               f'FROM raw."{name}"').fetchall()
            out[name] = (columns, sorted(rows, key=repr))
        # and the schema restsync stored for them (names, kinds, JSON paths)
        out["_restsync_schema"] = ([], con.execute(
            "SELECT table_name, version, schema FROM raw._restsync_schema ORDER BY 1, 2"
        ).fetchall())
        return out
    finally:
        con.close()


def test_batches_read_from_their_text_give_the_dict_paths_tables(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, one_page_batches: list[bool]) -> None:
    info = _run(monkeypatch, "dict", tmp_path / "dict.duckdb")
    assert info.outcomes["events"].status == "completed"
    assert one_page_batches == []
    info = _run(monkeypatch, "auto", tmp_path / "auto.duckdb")
    assert info.outcomes["events"].status == "completed"
    assert one_page_batches == READ_FROM_TEXT
    dict_tables, auto_tables = _tables(tmp_path / "dict.duckdb"), _tables(tmp_path / "auto.duckdb")
    assert auto_tables == dict_tables
    events_rows = auto_tables["events"][1]
    assert len(events_rows) == sum(len(p) for p in PAGES) == 33
    assert set(auto_tables) == {"events", "events__tags", "_restsync_schema"}


def test_after_three_refusals_a_resource_parses_every_batch(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, one_page_batches: list[bool]) -> None:
    monkeypatch.setattr(arrow_pages_module, "MAX_RAW_REFUSALS", 3)
    pages = [_rows(1), _rows(4, b=1), _rows(7, c=1), _rows(10, d=1), _rows(13), _rows(16)]
    holder: list[bytes] = []
    monkeypatch.setenv(PAGE_PATH_ENV, "auto")
    with pages_server(holder) as base:
        holder.extend(_bodies(base, pages))
        info = Pipeline(destination=f"duckdb:///{tmp_path / 'x.duckdb'}").run(
            load_manifest(MANIFEST, config={"base": base}, name="raw"))
    assert info.outcomes["events"].status == "completed"
    assert one_page_batches == [False, False, False]  # then no more tries
    assert len(_tables(tmp_path / "x.duckdb")["events"][1]) == 18


def test_records_that_are_not_json_fail_the_resource_naming_their_page(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, one_page_batches: list[bool]) -> None:
    holder: list[bytes] = []
    monkeypatch.setenv(PAGE_PATH_ENV, "auto")
    with pages_server(holder) as base:
        bodies = _bodies(base, [_rows(1), _rows(4), _rows(7)])
        bodies[1] = bodies[1].replace(b'"ts":"2024', b'"ts":"\xff2024', 1)
        holder.extend(bodies)
        info = Pipeline(destination=f"duckdb:///{tmp_path / 'x.duckdb'}").run(
            load_manifest(MANIFEST, config={"base": base}, name="raw"))
    outcome = info.outcomes["events"]
    assert outcome.status == "failed"
    assert "not valid JSON" in str(outcome.error) and "page 2" in str(outcome.error)
    con = duckdb.connect(str(tmp_path / "x.duckdb"), read_only=True)
    try:  # nothing of the resource was committed
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
        ).fetchall()}
        assert "events" not in tables or con.execute(
            'SELECT count(*) FROM raw."events"').fetchone() == (0,)
    finally:
        con.close()
