"""The record sink: what runs on the event loop and what on the loader thread."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from restsync.engine import sink as sink_module
from restsync.engine.loader import Loader
from restsync.engine.sink import RecordSink
from restsync.normalize import Normalizer, TableBatch
from restsync.normalize.arrowize import RecordsType, infer_struct_type


class GatedLoad:
    """A load whose writes wait until ``gate`` is set (a batch kept in flight)."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.tables: list[TableBatch] = []

    def write(self, batch: TableBatch) -> None:
        assert self.gate.wait(10)
        self.tables.append(batch)


def test_the_next_batch_is_typed_on_the_event_loop_while_one_is_in_flight(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sink_module, "BATCH_ROWS", 2)
    typed: list[tuple[str, bool, list[dict[str, Any]]]] = []
    given: list[RecordsType | None] = []
    real_of = RecordsType.of.__func__  # type: ignore[attr-defined]
    real_normalize = Normalizer.normalize
    load = GatedLoad()

    def of(cls: type[RecordsType], records: list[dict[str, Any]]) -> RecordsType:
        typed.append((threading.current_thread().name, load.gate.is_set(), list(records)))
        return real_of(cls, records)  # type: ignore[no-any-return]

    def normalize(self: Normalizer, records: list[dict[str, Any]], *args: Any,
                  **kwargs: Any) -> list[TableBatch]:
        given.append(kwargs.get("records_type"))
        return real_normalize(self, records, *args, **kwargs)

    monkeypatch.setattr(RecordsType, "of", classmethod(of))
    monkeypatch.setattr(Normalizer, "normalize", normalize)
    batches = [[{"id": 1, "a": "x"}, {"id": 2, "a": "y"}],
               [{"id": 3, "b": 1.5}, {"id": 4, "a": None, "c": [1]}]]

    async def scenario() -> None:
        loader = Loader()
        try:
            target = RecordSink(loader, load,  # type: ignore[arg-type]
                                Normalizer(table_name="t", primary_key=None, load_id="L"))
            await target.add(batches[0])  # staged on the loader thread, kept waiting
            second = asyncio.ensure_future(target.add(batches[1]))
            for _ in range(500):  # until the second flush waits for the first batch
                if len(typed) == 2:
                    break
                await asyncio.sleep(0.01)
            load.gate.set()
            await second
            await target.drain()
        finally:
            loader.shutdown()

    asyncio.run(scenario())
    loop_thread = threading.main_thread().name
    assert [(name, gate_open) for name, gate_open, _ in typed] == \
        [(loop_thread, False), (loop_thread, False)]
    assert [records for _, _, records in typed] == batches
    assert [t.arrow_type if t else None for t in given] == \
        [infer_struct_type(batch) for batch in batches]
    assert [b.arrow.num_rows for b in load.tables if b.table == "t"] == [2, 2]
