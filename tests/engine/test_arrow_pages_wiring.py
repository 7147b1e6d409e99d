"""The run reads page bodies with Arrow where that is exact, and only there.

Orchestration only (in-memory transport, as in test_runner); the tables' identity with the dict
path is proven in tests/normalize/test_arrow_pages.py and by running tests/e2e with
``RESTSYNC_PAGE_PATH=dict`` and ``auto``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pytest

from restsync.engine import sink
from restsync.extract.http import Request, Response
from restsync.normalize import TableBatch
from restsync.normalize import arrow_pages as arrow_pages_module
from restsync.normalize.arrow_pages import PAGE_PATH_ENV, PageBody
from tests.engine.test_runner import RecordingDestination, RecordingLoad, paged, run, spec

EVENTS = [{"id": i, "kind": "a" if i % 2 else "b", "at": f"2024-01-0{1 + i % 9}T10:00:00Z",
           "tags": [f"t{i}"] * (i % 3), "meta": {"n": i * 1.5}} for i in range(1, 12)]
IDS = ("_dlt_id", "_dlt_parent_id", "_dlt_root_id", "_dlt_load_id")


@dataclass
class TableLoad(RecordingLoad):
    """Keeps the tables it was given, without the random id columns."""

    tables: dict[str, list[pa.Table]] = field(default_factory=dict)

    def write(self, batch: TableBatch) -> None:
        super().write(batch)
        kept = [c for c in batch.arrow.column_names if c not in IDS]
        self.tables.setdefault(batch.table, []).append(batch.arrow.select(kept))


@dataclass
class TableDestination(RecordingDestination):
    loads: dict[str, TableLoad] = field(default_factory=dict)

    def begin(self, resource: str, *, load_id: str, write_disposition: str,
              primary_key: Sequence[str] | None, root_table: str,
              exclusive: bool = True, merge_key: Sequence[str] | None = None) -> TableLoad:
        self.begun.append(resource)
        load = TableLoad(self, resource, write_disposition, root_table)
        self.loads[resource] = load
        return load


def handler(request: Request) -> Response:
    assert urlsplit(request.url).path.endswith("/events")
    return paged(EVENTS, request, size=4)


RESOURCES = [
    {"name": "plain", "endpoint": {"path": "events"}},
    {"name": "processed", "endpoint": {"path": "events"},
     "processing_steps": [{"filter": "record['kind'] == 'a'"}]},
    {"name": "incremental", "endpoint": {"path": "events", "incremental": {
        "cursor_path": "at", "initial_value": "2024-01-01T00:00:00Z"}}},
]


async def _run(monkeypatch: pytest.MonkeyPatch, mode: str
               ) -> tuple[TableDestination, list[tuple[int, bool]]]:
    monkeypatch.setenv(PAGE_PATH_ENV, mode)
    calls: list[tuple[int, bool]] = []
    real = arrow_pages_module.bodies_to_struct

    def spy(pages: Sequence[PageBody], record_type: Any) -> Any:
        struct = real(pages, record_type)
        calls.append((sum(p.records for p in pages), struct is not None))
        return struct
    monkeypatch.setattr(arrow_pages_module, "bodies_to_struct", spy)
    dest = TableDestination()
    outcomes, _ = await run(spec(RESOURCES), handler, dest)
    assert {o.status for o in outcomes.values()} == {"completed"}
    return dest, calls


async def test_only_unchanged_records_are_read_from_their_bodies(
        monkeypatch: pytest.MonkeyPatch) -> None:
    dest, calls = await _run(monkeypatch, "auto")
    # one batch (11 records, 3 pages) of the plain resource; the filtered and the
    # incremental resources keep the dict path (their records are not the bodies' records)
    assert calls == [(11, True)]
    assert dest.committed["plain"][1] == {"plain": 11, "plain__tags": 12}
    assert dest.committed["processed"][1]["processed"] == 6


async def test_dict_mode_reads_no_body_and_gives_the_same_tables(
        monkeypatch: pytest.MonkeyPatch) -> None:
    auto, _ = await _run(monkeypatch, "auto")
    dict_dest, calls = await _run(monkeypatch, "dict")
    assert calls == []
    for resource, load in auto.loads.items():
        expected = dict_dest.loads[resource].tables
        assert load.tables.keys() == expected.keys()
        for table, parts in load.tables.items():
            assert [p.to_pylist() for p in parts] == [p.to_pylist() for p in expected[table]]
            assert [p.schema for p in parts] == [p.schema for p in expected[table]]


def test_page_body_is_given_only_for_the_selected_list() -> None:
    from restsync.extract.page import Page

    records = [{"a": 1}]
    page = Page("r", 1, records, "u", body=b'{"data":[{"a":1}]}', records_keys=("data",))
    assert sink.page_body(page, records) == PageBody(page.body or b"", ("data",), 1)
    assert sink.page_body(page, list(records)) is None  # filtered or processed: another list
    assert sink.page_body(Page("r", 1, records, "u", body=page.body), records) is None
