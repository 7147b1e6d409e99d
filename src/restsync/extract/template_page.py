"""One page of a templated (manifest) endpoint: its records, as the paginator and the loader
see them.

:func:`page_records` parses the body (or splits it, leaving the records unparsed:
:mod:`restsync.extract.template_split`), extracts the records, runs the record steps and the
client-side date window; :func:`window_filter` and :func:`feed_ended` are the CDK's date-window
rules over a page's records.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from restsync.extract.http import Response
from restsync.extract.template_records import (
    body_keys,
    decode_body,
    extract_records,
    transform_records,
)
from restsync.extract.template_split import RecordSplit
from restsync.extract.windows import parse_cursor
from restsync.spec.templated import TemplatedEndpoint

__all__ = ["Bounds", "feed_ended", "page_records", "window_filter"]

Bounds = tuple[datetime, datetime] | None


def page_records(te: TemplatedEndpoint, response: Response, location: str,
                  splitter: RecordSplit | None, field_path: list[str] | None,
                  page_vars: dict[str, Any], bounds: Bounds
                  ) -> tuple[Sequence[dict[str, Any]], int, Any, tuple[str, ...] | None]:
    """A page's records (after the record steps and the client-side window), how many the
    extractor found, the body as the paginator's templates see it, and the path of keys at
    which the records are the body's list (None: they are not)."""
    if splitter is not None and response.status != 204:
        split = splitter.split(response.body, location)
        if split is not None:  # the records stay text until something reads them
            return split.records, len(split.records), split.envelope, splitter.path
    documents = decode_body(response.body, te.records, location) \
        if response.status != 204 else [{}]
    path = field_path if field_path is not None else [
        str(p.render({"config": te.config, "parameters": te.parameters}))
        for p in te.records.field_path]
    raw = extract_records(documents, path)
    records: Sequence[dict[str, Any]] = transform_records(raw, te.records, page_vars)
    records = window_filter(te, records, bounds)
    keys = body_keys(te, path, response, documents, raw, records)
    return records, len(raw), documents[0] if len(documents) == 1 else documents, keys


def window_filter(te: TemplatedEndpoint, records: Sequence[dict[str, Any]], bounds: Bounds,
                   *, feed: bool = False) -> Sequence[dict[str, Any]]:
    """Keep the records from the start (the stored cursor minus the lookback, else the
    configured start) to the end: ``is_client_side_incremental`` before paging decides
    (``feed=False``), ``is_data_feed`` after (``feed=True``: the CDK's post-pagination
    filter, which replaces the client-side one)."""
    w = te.windows
    applies = w is not None and (w.is_data_feed if feed else w.client_side and not w.is_data_feed)
    if w is None or bounds is None or not applies:
        return records
    kept = []
    for record in records:
        value = parse_cursor(record.get(w.cursor_field), w)
        if value is None or bounds[0] <= value <= bounds[1]:
            kept.append(record)
    return kept


def feed_ended(te: TemplatedEndpoint, records: Sequence[dict[str, Any]], bounds: Bounds
                ) -> bool:
    """``is_data_feed``: the page's last record is older than the start: stop paging."""
    w = te.windows
    if w is None or not w.is_data_feed or not records or bounds is None:
        return False
    value = parse_cursor(records[-1].get(w.cursor_field), w)
    return value is not None and not bounds[0] <= value <= bounds[1]
