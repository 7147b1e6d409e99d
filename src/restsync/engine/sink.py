"""The per-resource record sink: buffer -> normalize -> stage, and feed the children."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from itertools import chain
from typing import Any

from restsync import faultpoints
from restsync.engine.loader import Loader
from restsync.engine.records import RecordNormalizer
from restsync.extract.page import Page
from restsync.extract.raw_records import RawRecords
from restsync.load import ResourceLoad
from restsync.normalize import Normalizer, TableBatch
from restsync.normalize.arrow_pages import PageBody
from restsync.normalize.arrowize import RecordsType

BATCH_ROWS = 5_000
"""Records buffered per resource before they are normalized and staged."""


class RecordSink:
    """Buffers a resource's records, stages them in batches and feeds its children.

    Staging runs on the loader thread while the next pages are fetched: one batch may be in
    flight at a time (memory stays bounded by two batches); :meth:`drain` waits for it. The
    next batch's Arrow type is inferred on the event loop before waiting for the batch in
    flight (for a plain :class:`Normalizer`): that pass holds the GIL, the loader thread's
    page reads and inserts mostly do not, so the two overlap instead of taking turns on the
    loader thread.

    Args:
        loader: The loader thread the load lives on.
        load: Where the rows go (None: the resource is only extracted for its children).
        normalizer: Turns records into table batches.
        child_inboxes: The inboxes of the children that run; every record is put in each.
        arrow_pages: Whether batches whose pages all come with their bodies
            (:func:`page_body`) are given to the normalizer, to be read from the bodies
            with ``pyarrow.json`` (:mod:`restsync.normalize.arrow_pages`); only for a plain
            :class:`Normalizer` of a resource without children, else ignored.
    """

    def __init__(self, loader: Loader, load: ResourceLoad | None, normalizer: RecordNormalizer,
                 child_inboxes: Sequence[asyncio.Queue[Any]] = (), *,
                 arrow_pages: bool = False) -> None:
        self.loader = loader
        self.load = load
        self.normalizer = normalizer
        self.child_inboxes = list(child_inboxes)
        self.arrow_pages = arrow_pages and isinstance(normalizer, Normalizer) \
            and not self.child_inboxes
        self.buffer: list[Sequence[dict[str, Any]]] = []  # the buffered pages' records
        self.buffered = 0  # records in the buffer
        self.bodies: list[PageBody] | None = []  # None: this batch takes the dict path
        self.pages: list[str] = []  # where the buffered records come from (first, last)
        self.lock = asyncio.Lock()
        self.pending: asyncio.Future[Any] | None = None

    async def add(self, records: Sequence[dict[str, Any]], where: str | None = None,
                  body: PageBody | None = None) -> None:
        """Feed ``records`` to the children and buffer them for staging (``where``: their
        page, for messages; ``body``: the page body they are exactly the records of).

        Records still unparsed (:class:`~restsync.extract.raw_records.RawRecords`) stay so
        here: a batch of such pages is first read from their text on the loader thread
        (:meth:`Normalizer.normalize_raw`), and parsed there only if that is refused."""
        for inbox in self.child_inboxes:
            for r in records:
                await inbox.put(r)
        if self.load is None:
            return
        if records:
            self.buffer.append(records)
            self.buffered += len(records)
        if records and self.bodies is not None:
            if body is None or not self.arrow_pages:
                self.bodies = None
            else:
                self.bodies.append(body)
        if where is not None and records:
            self.pages[bool(self.pages):] = [where]  # keep the first, replace the last
        if self.buffered >= BATCH_ROWS:
            await self.flush()

    async def flush(self) -> None:
        """Hand the buffered records to the loader thread (after the batch in flight)."""
        if self.load is None:
            return
        async with self.lock:
            chunks, self.buffer, self.buffered = self.buffer, [], 0
            pages, self.pages = self.pages, []
            bodies, self.bodies = self.bodies, []
            plain = isinstance(self.normalizer, Normalizer)
            raw = plain and bool(bodies) and all(
                isinstance(c, RawRecords) and not c.parsed for c in chunks)
            batch: list[Any] = chunks if raw else list(chain.from_iterable(chunks))
            records_type = RecordsType.of(batch) if batch and plain and not raw else None
            await self._wait_pending()
            if batch:
                where = " to ".join(pages) or None
                self.pending = asyncio.ensure_future(self.loader.call(
                    self._stage, batch, where, bodies, records_type, raw))

    async def drain(self) -> None:
        """Stage everything buffered and wait until it is staged (raises staging errors)."""
        await self.flush()
        async with self.lock:
            await self._wait_pending()

    async def discard(self) -> None:
        """Wait for the batch in flight, ignoring its outcome (the resource failed anyway)."""
        self.buffer, self.buffered, self.pages, self.bodies = [], 0, [], []
        if self.pending is not None:
            await asyncio.gather(self.pending, return_exceptions=True)
            self.pending = None

    async def _wait_pending(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            await pending

    def _stage(self, records: list[Any], where: str | None = None,
               bodies: list[PageBody] | None = None,
               records_type: RecordsType | None = None, raw: bool = False) -> None:
        """Normalize and stage one batch (``raw``: ``records`` are the pages' unparsed
        :class:`RawRecords`, read from their text, else parsed here)."""
        assert self.load is not None
        batches: list[TableBatch] | None = None
        if raw and isinstance(self.normalizer, Normalizer) and bodies:
            batches = self.normalizer.normalize_raw(bodies, where=where)
            if batches is None:  # refused: parse them (a ResponseError names a bad page)
                records = list(chain.from_iterable(records))
        if batches is None and isinstance(self.normalizer, Normalizer):
            batches = self.normalizer.normalize(records, where=where, pages=bodies or None,
                                                records_type=records_type)
        elif batches is None:
            batches = self.normalizer.normalize(records, where=where)
        for table_batch in batches:
            self.load.write(table_batch)
        faultpoints.reach("engine.staged")


def page_body(page: Page, records: Sequence[dict[str, Any]]) -> PageBody | None:
    """``page``'s body when ``records`` are exactly the records selected from it (the list
    the client selected, not a filtered or processed one), else None.

    The caller also knows that nothing changed the records in place (no parent columns
    carried into them).
    """
    if records is not page.records or page.body is None or page.records_keys is None:
        return None
    text = records.text if isinstance(records, RawRecords) else None
    return PageBody(page.body, page.records_keys, len(records), records_json=text)
