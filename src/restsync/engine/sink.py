"""The per-resource record sink: buffer -> normalize -> stage, and feed the children."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from restsync import faultpoints
from restsync.engine.loader import Loader
from restsync.engine.records import RecordNormalizer
from restsync.load import ResourceLoad

BATCH_ROWS = 5_000
"""Records buffered per resource before they are normalized and staged."""


class RecordSink:
    """Buffers a resource's records, stages them in batches and feeds its children.

    Staging runs on the loader thread while the next pages are fetched: one batch may be in
    flight at a time (memory stays bounded by two batches); :meth:`drain` waits for it.

    Args:
        loader: The loader thread the load lives on.
        load: Where the rows go (None: the resource is only extracted for its children).
        normalizer: Turns records into table batches.
        child_inboxes: The inboxes of the children that run; every record is put in each.
    """

    def __init__(self, loader: Loader, load: ResourceLoad | None, normalizer: RecordNormalizer,
                 child_inboxes: Sequence[asyncio.Queue[Any]] = ()) -> None:
        self.loader = loader
        self.load = load
        self.normalizer = normalizer
        self.child_inboxes = list(child_inboxes)
        self.buffer: list[dict[str, Any]] = []
        self.pages: list[str] = []  # where the buffered records come from (first, last)
        self.lock = asyncio.Lock()
        self.pending: asyncio.Future[Any] | None = None

    async def add(self, records: list[dict[str, Any]], where: str | None = None) -> None:
        """Feed ``records`` to the children and buffer them for staging (``where``: their
        page, for messages)."""
        for inbox in self.child_inboxes:
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
                self.pending = asyncio.ensure_future(self.loader.call(self._stage, batch, where))

    async def drain(self) -> None:
        """Stage everything buffered and wait until it is staged (raises staging errors)."""
        await self.flush()
        async with self.lock:
            await self._wait_pending()

    async def discard(self) -> None:
        """Wait for the batch in flight, ignoring its outcome (the resource failed anyway)."""
        self.buffer, self.pages = [], []
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
