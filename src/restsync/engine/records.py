"""One request sequence's records as the run loads them, and each resource's normalizer.

Shared by the runner and the schema preview, so that ``restsync schema --diff`` sees the
records a run would load (incremental filter, processing steps and parent keys applied).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol

from restsync.engine.items import WorkItem
from restsync.engine.routing import RoutingNormalizer
from restsync.extract import ApiClient
from restsync.extract.incremental import IncrementalFilter
from restsync.extract.page import Page
from restsync.extract.processing import RecordProcessor
from restsync.normalize import Normalizer, ShapeLimits, TableBatch, TableSchema
from restsync.normalize.normalizer import ConstantColumns
from restsync.plan import ResourcePlan
from restsync.spec.code import UserCode
from restsync.spec.limits import Limits, LimitsConfig, effective_limits


class RecordNormalizer(Protocol):
    """What the run needs of a resource's normalizer: a :class:`Normalizer`, or a
    :class:`~restsync.engine.routing.RoutingNormalizer` for a callable ``table_name``."""

    def normalize(self, records: list[dict[str, Any]],
                  constant_columns: ConstantColumns | None = None, *,
                  where: str | None = None) -> list[TableBatch]: ...

    def table_schemas(self) -> dict[str, TableSchema]: ...

    @property
    def dropped_rows(self) -> dict[str, int]: ...

    @property
    def discarded_values(self) -> dict[str, int]: ...

    @property
    def limit_notes(self) -> list[str]: ...


def resource_limits(rp: ResourcePlan, client_limits: LimitsConfig) -> Limits:
    """The limits in force for ``rp`` (its own over the client's over the defaults)."""
    return effective_limits(client_limits, rp.config.limits, resource_name=rp.name)


def primary_key_of(rp: ResourcePlan) -> list[str] | None:
    """The resource's primary key as a list of JSON keys (None without one)."""
    primary_key = rp.config.primary_key
    if primary_key is None:
        return None
    return [primary_key] if isinstance(primary_key, str) else list(primary_key)


def merge_key_of(rp: ResourcePlan) -> list[str] | None:
    """The resource's merge key (JSON keys; set only where it applies: a delete-insert
    merge)."""
    return list(rp.config.merge_key) if rp.config.merge_key else None


def processing_steps(rp: ResourcePlan) -> RecordProcessor:
    """The resource's ``processing_steps`` (filter/map/exclude) as one processor."""
    return RecordProcessor(rp.config.processing_steps,
                           where=f"resources[{rp.name}].processing_steps")


def resource_normalizer(rp: ResourcePlan, *, load_id: str,
                        stored: Mapping[str, TableSchema] | None,
                        limits: Limits) -> RecordNormalizer:
    """The normalizer of ``rp``'s records, following the stored schema of its tables.

    A callable ``table_name`` (Python API) routes each record to the normalizer of the table
    it names.
    """
    def table_normalizer(table_name: str) -> Normalizer:
        contract = rp.config.schema_contract
        return Normalizer(
            table_name=table_name, primary_key=primary_key_of(rp), load_id=load_id,
            max_nesting=rp.config.max_table_nesting,
            columns={k: c.model_dump() for k, c in rp.config.columns.items()},
            json_columns=rp.config.json_columns,
            contract=contract.model_dump() if contract else None,
            stored=stored, resource=rp.name,
            limits=ShapeLimits(max_columns=limits.max_columns,
                               max_depth=limits.max_nesting_depth,
                               columns_setting=limits.setting("max_columns"),
                               depth_setting=limits.setting("max_nesting_depth")))

    if isinstance(rp.config.table_name, UserCode):
        return RoutingNormalizer(rp.config.table_name, table_normalizer, rp.name)
    return table_normalizer(rp.table_name)


async def item_pages(client: ApiClient, rp: ResourcePlan, item: WorkItem, *,
                     incremental: IncrementalFilter | None, steps: RecordProcessor,
                     limits: Limits, resume_from: dict[str, Any] | None = None,
                     raw_records: bool = False
                     ) -> AsyncIterator[tuple[Page, Sequence[dict[str, Any]]]]:
    """Pages of one request sequence with the records a run loads from each.

    The parent columns (parent keys, ``include_from_parent``) are added first, as dlt adds
    them, then the incremental filter and the processing steps apply (both see the parent
    columns); paging stops early when the incremental filter says the rest is older than the
    cursor. ``raw_records``: the caller loads the records from their page bodies and reads
    nothing else of them (see :meth:`ApiClient.pages`).
    """
    extra: dict[str, Any] = dict(item.query_values)
    values = dict(item.path_values)
    if incremental is not None:
        extra.update(incremental.request_params())
        values.update(incremental.template_values())  # {incremental.*} placeholders
    pages = client.pages(resource=rp.name, endpoint=rp.config.endpoint, paginator=rp.paginator,
                         path_values=values, extra_params=extra, resume_from=resume_from,
                         limits=limits, raw_records=raw_records and incremental is None
                         and not steps and not item.carried)
    try:
        async for page in pages:
            records: Sequence[dict[str, Any]] = page.records
            if item.carried:  # first, as dlt adds them: the filter and steps see them
                for r in records:
                    r.update(item.carried)
            if incremental is not None:
                records = incremental.apply(_as_list(records), page=page.number, url=page.url)
            if steps:
                records = steps.apply(_as_list(records),
                                      location=f"resource '{rp.name}', page {page.number}")
            yield page, records
            if incremental is not None and incremental.stop_paging:
                return
    finally:  # close the page sequence at once when the caller stops early
        aclose = getattr(pages, "aclose", None)
        if aclose is not None:
            await aclose()


def _as_list(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``records`` as a list: itself when it is one (no copy)."""
    return records if isinstance(records, list) else list(records)
