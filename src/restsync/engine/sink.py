"""The loader thread and the per-resource record sink (buffer -> normalize -> stage)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from restsync import faultpoints
from restsync.load import ResourceLoad
from restsync.normalize import Normalizer
from restsync.plan import ResourcePlan

if TYPE_CHECKING:
    from restsync.engine.runner import PlanRunner, ResourceOutcome

BATCH_ROWS = 5_000
"""Records buffered per resource before they are normalized and staged."""


class Loader:
    """The destination behind one thread: DuckDB connections stay on the thread that made them."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="restsync-load")

    async def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)


class RecordSink:
    """Buffers a resource's records, stages them in batches and feeds its children.

    Staging runs on the loader thread while the next pages are fetched: one batch may be in
    flight at a time (memory stays bounded by two batches); :meth:`drain` waits for it.
    """

    def __init__(self, runner: PlanRunner, rp: ResourcePlan, load: ResourceLoad | None,
                 normalizer: Normalizer, children: list[str], outcome: ResourceOutcome) -> None:
        self.runner = runner
        self.rp = rp
        self.load = load
        self.normalizer = normalizer
        self.children = children
        self.outcome = outcome
        self.buffer: list[dict[str, Any]] = []
        self.pages: list[str] = []  # where the buffered records come from (first, last)
        self.lock = asyncio.Lock()
        self.pending: asyncio.Future[Any] | None = None

    async def add(self, records: list[dict[str, Any]], where: str | None = None) -> None:
        """Feed the children and buffer ``records`` (``where``: their page, for messages)."""
        for child in self.children:
            inbox = self.runner.inboxes[child]
            for r in records:
                await inbox.put(r)
        if self.load is None:
            return
        self.buffer.extend(records)
        if where is not None and records:
            self.pages[bool(self.pages):] = [where]  # keep the first, replace the last
        if len(self.buffer) >= BATCH_ROWS:
            await self.flush()

    async def flush(self) -> None:
        """Hand the buffered records to the loader thread (after the batch in flight)."""
        if self.load is None:
            return
        async with self.lock:
            batch, self.buffer = self.buffer, []
            pages, self.pages = self.pages, []
            await self._wait_pending()
            if batch:
                where = " to ".join(pages) or None
                self.pending = asyncio.ensure_future(
                    self.runner.loader.call(self._stage, batch, where))

    async def drain(self) -> None:
        """Stage everything buffered and wait until it is staged (raises staging errors)."""
        await self.flush()
        async with self.lock:
            await self._wait_pending()

    async def discard(self) -> None:
        """Wait for the batch in flight, ignoring its outcome (the resource failed anyway)."""
        self.buffer = []
        if self.pending is not None:
            await asyncio.gather(self.pending, return_exceptions=True)
            self.pending = None

    async def _wait_pending(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            await pending

    def _stage(self, records: list[dict[str, Any]], where: str | None = None) -> None:
        assert self.load is not None
        for table_batch in self.normalizer.normalize(records, where=where):
            self.load.write(table_batch)
        faultpoints.reach("engine.staged")
