"""What loading the first page of each resource would change: ``restsync schema --diff``.

:func:`preview_schema_changes` fetches the first page of every selected resource (the first
parent item for children) exactly as a run would (same request sequence, processing steps,
parent-key columns; no incremental filter: the preview is about shape, not about which rows
are new), normalizes it against the stored schema and reports the differences. Nothing is
written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from restsync.engine.items import work_items
from restsync.engine.records import (
    item_pages,
    processing_steps,
    resource_limits,
    resource_normalizer,
)
from restsync.errors import SchemaContractError
from restsync.events import EventSink, discard
from restsync.extract import ApiClient
from restsync.load import Destination
from restsync.load.schema_diff import diff_tables
from restsync.normalize import TableSchema, normalize_identifier
from restsync.plan import ResourcePlan, build_plan
from restsync.spec.limits import Limits
from restsync.spec.model import SourceConfig


@dataclass
class ResourcePreview:
    """What loading one resource's first page would change.

    Attributes:
        resource: The resource.
        records: Records on the page that was fetched.
        changes: One line per change (``new column domains.region (text, from `region`)``),
            rows or values a contract would drop included; empty when nothing would change.
        failure: Why the next run would fail (a ``freeze`` contract), else None.
    """

    resource: str
    records: int
    changes: list[str] = field(default_factory=list)
    failure: str | None = None


def stored_schema_of(destination: Destination, source: SourceConfig,
                     resource: str | None = None) -> dict[str, TableSchema]:
    """The stored schema of a source's tables (of one resource's tables with ``resource``)."""
    stored: dict[str, TableSchema] = {}
    for r in source.resources:
        if resource in (None, r.name):
            stored.update(destination.stored_schema(normalize_identifier(r.table_name or r.name)))
    return stored


async def preview_schema_changes(source: SourceConfig, stored: Mapping[str, TableSchema], *,
                                 resources: Sequence[str] | None = None,
                                 events: EventSink = discard, transport: Any = None
                                 ) -> list[ResourcePreview]:
    """Fetch one page per resource and describe what loading it would change.

    Args:
        source: The source.
        stored: The stored schema of its tables (:func:`stored_schema_of`).
        resources: Resources to preview (default: every resource the source loads); their
            parents are fetched too (one page) to find the first parent item.
        events: Receives the requests' events.
        transport: HTTP transport override (tests).

    Returns:
        One :class:`ResourcePreview` per previewed resource, in run order.
    """
    plan = build_plan(source, selected=list(resources) if resources is not None else None)
    wanted = set(resources) if resources is not None else set(plan.order)
    samples: dict[str, list[dict[str, Any]]] = {}
    out: list[ResourcePreview] = []
    async with ApiClient(source.client, events=events, transport=transport) as client:
        for name in plan.order:
            rp = plan.resources[name]
            limits = resource_limits(rp, source.client.limits)
            samples[name] = await _first_page(client, rp, samples, limits)
            if rp.load and name in wanted:
                out.append(_preview(rp, samples[name], stored, limits))
    return out


async def _first_page(client: ApiClient, rp: ResourcePlan,
                      samples: Mapping[str, list[dict[str, Any]]], limits: Limits
                      ) -> list[dict[str, Any]]:
    parents: list[dict[str, Any] | None] = [None]
    if rp.parent is not None:
        parents = [record for record in samples.get(rp.parent, [])[:1]]
    steps = processing_steps(rp)
    for parent in parents:
        for item in work_items(rp, parent, 0):
            async for _page, records in item_pages(client, rp, item, incremental=None,
                                                   steps=steps, limits=limits):
                return list(records)
    return []


def _preview(rp: ResourcePlan, records: list[dict[str, Any]],
             stored: Mapping[str, TableSchema], limits: Limits) -> ResourcePreview:
    root = normalize_identifier(rp.table_name)
    mine = {k: v for k, v in stored.items() if k == root or k.startswith(root + "__")}
    normalizer = resource_normalizer(rp, load_id="preview", stored=mine, limits=limits)
    preview = ResourcePreview(rp.name, len(records))
    try:
        normalizer.normalize(records)
    except SchemaContractError as exc:
        preview.failure = str(exc)
        return preview
    preview.changes = [str(c) for t in normalizer.table_schemas().values()
                       for c in diff_tables(mine.get(t.name), t)
                       if mine.get(t.name) is not None or c.change == "new_table"]
    for table, n in normalizer.dropped_rows.items():
        preview.changes.append(f"{n} row(s) of {table} would be dropped (discard_row)")
    for column, n in normalizer.discarded_values.items():
        preview.changes.append(f"{n} value(s) of {column} would be dropped (discard_value)")
    return preview
