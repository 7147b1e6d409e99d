"""One request sequence's records as the run loads them, and each resource's normalizer.

Shared by the runner and the schema preview, so that ``restsync schema --diff`` sees the
records a run would load (incremental filter, processing steps and parent keys applied).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from restsync.engine.items import WorkItem
from restsync.extract import ApiClient
from restsync.extract.incremental import IncrementalFilter
from restsync.extract.page import Page
from restsync.extract.processing import RecordProcessor
from restsync.normalize import Normalizer, TableSchema
from restsync.plan import ResourcePlan


def primary_key_of(rp: ResourcePlan) -> list[str] | None:
    """The resource's primary key as a list of JSON keys (None without one)."""
    primary_key = rp.config.primary_key
    if primary_key is None:
        return None
    return [primary_key] if isinstance(primary_key, str) else list(primary_key)


def processing_steps(rp: ResourcePlan) -> RecordProcessor:
    """The resource's ``processing_steps`` (filter/map/exclude) as one processor."""
    return RecordProcessor(rp.config.processing_steps,
                           where=f"resources[{rp.name}].processing_steps")


def resource_normalizer(rp: ResourcePlan, *, load_id: str,
                        stored: Mapping[str, TableSchema] | None) -> Normalizer:
    """The normalizer of ``rp``'s records, following the stored schema of its tables."""
    contract = rp.config.schema_contract
    return Normalizer(
        table_name=rp.table_name, primary_key=primary_key_of(rp), load_id=load_id,
        max_nesting=rp.config.max_table_nesting,
        columns={k: c.model_dump() for k, c in rp.config.columns.items()},
        json_columns=rp.config.json_columns,
        contract=contract.model_dump() if contract else None,
        stored=stored, resource=rp.name)


async def item_pages(client: ApiClient, rp: ResourcePlan, item: WorkItem, *,
                     incremental: IncrementalFilter | None, steps: RecordProcessor,
                     resume_from: dict[str, Any] | None = None
                     ) -> AsyncIterator[tuple[Page, list[dict[str, Any]]]]:
    """Pages of one request sequence with the records a run loads from each.

    The incremental filter, the processing steps and the parent-key columns are applied;
    paging stops early when the incremental filter says the rest is older than the cursor.
    """
    extra: dict[str, Any] = dict(item.query_values)
    if incremental is not None:
        extra.update(incremental.request_params())
    pages = client.pages(resource=rp.name, endpoint=rp.config.endpoint, paginator=rp.paginator,
                         path_values=item.path_values, extra_params=extra,
                         resume_from=resume_from)
    try:
        async for page in pages:
            records = page.records
            if incremental is not None:
                records = incremental.apply(records, page=page.number, url=page.url)
            if steps:
                records = steps.apply(records,
                                      location=f"resource '{rp.name}', page {page.number}")
            if item.carried:
                for r in records:
                    r.update(item.carried)
            yield page, records
            if incremental is not None and incremental.stop_paging:
                return
    finally:  # close the page sequence at once when the caller stops early
        aclose = getattr(pages, "aclose", None)
        if aclose is not None:
            await aclose()
