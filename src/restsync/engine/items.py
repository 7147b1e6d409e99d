"""Work items of a resource: one request sequence per parent record x fan-out value."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from restsync.errors import ResponseError
from restsync.extract.partitions import partition_values
from restsync.plan import Binding, Partition, ResourcePlan
from restsync.plan.windows import Bound, bound_text

_MISSING = object()
_FIELDS_SHOWN = 20  # parent field names an error lists


def get_field(record: Mapping[str, Any], dotted: str) -> Any:
    """Read a dotted field (``a.b.c``) of a record; a missing step gives ``_MISSING``."""
    if dotted in record:
        return record[dotted]
    cur: Any = record
    for part in dotted.split("."):
        if isinstance(cur, Mapping) and part in cur:
            cur = cur[part]
        else:
            return _MISSING
    return cur


def field_or_none(record: Mapping[str, Any], dotted: str) -> Any:
    """Like :func:`get_field`, with ``None`` for a missing field."""
    value = get_field(record, dotted)
    return None if value is _MISSING else value


@dataclass(frozen=True)
class WorkItem:
    """One request sequence of a resource.

    Attributes:
        path_values: Placeholder -> value, for every template of the request (path, params,
            json, data, headers): ``{"resources.posts.id": 7, "org": "acme"}``.
        query_values: Extra query parameters (none since placeholders bind everywhere; kept
            for callers that merge them).
        carried: Columns every record of this sequence carries (parent keys).
        label: Human-readable parent, e.g. ``projects.id=7, schedules.id=3``.
        window: ``[start, end)`` of its date window (an incremental ``step``), or ``None``.
    """

    path_values: dict[str, Any] = field(default_factory=dict)
    query_values: dict[str, Any] = field(default_factory=dict)
    carried: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    window: tuple[Bound, Bound] | None = None


def _value_for(binding: Binding, rp: ResourcePlan, parent: Mapping[str, Any] | None,
               parent_index: int | None) -> Any:
    if parent is None:  # pragma: no cover - guarded by the caller
        raise AssertionError("resource binding without a parent record")
    if binding.resource == rp.parent:
        value = get_field(parent, str(binding.field))
    else:  # an ancestor's value, carried by the parent record
        value = parent.get(binding.column, _MISSING)
    if value is _MISSING or value is None:
        where = f"record #{parent_index}" if parent_index is not None else "a record"
        raise ResponseError(
            f"{where} of `{rp.parent}` has no `{binding.field}` value, which "
            f"`{{{binding.placeholder}}}` needs",
            location=f"resource '{rp.name}'",
            hint=f"check the field name, or bind it explicitly with --param {binding.name}=...",
        )
    return value


def _included_fields(rp: ResourcePlan, parent: Mapping[str, Any],
                     parent_index: int | None) -> dict[str, Any]:
    """The ``include_from_parent`` columns (``_<parent>_<field>``) of one parent record.

    As in dlt, a field the parent record lacks is an error (a field that is present with a
    null value is carried as null).
    """
    included: dict[str, Any] = {}
    for f in rp.config.include_from_parent:
        value = get_field(parent, f)
        if value is _MISSING:
            where = f"record #{parent_index}" if parent_index is not None else "a record"
            fields = list(parent)
            shown = ", ".join(f"`{k}`" for k in fields[:_FIELDS_SHOWN]) + (
                f" and {len(fields) - _FIELDS_SHOWN} more" if len(fields) > _FIELDS_SHOWN
                else "")
            raise ResponseError(
                f"{where} of `{rp.parent}` has no `{f}` field, which include_from_parent "
                f"needs (column `_{rp.parent}_{f.replace('.', '__')}`); its fields: "
                f"{shown or 'none'}",
                location=f"resource '{rp.name}', include_from_parent",
                hint=f"check the field name, or give every `{rp.parent}` record the field "
                     f"with a processing step of `{rp.parent}`")
        included[f"_{rp.parent}_{f.replace('.', '__')}"] = value
    return included


def work_items(rp: ResourcePlan, parent: Mapping[str, Any] | None = None,
               parent_index: int | None = None) -> Iterator[WorkItem]:
    """Expand one parent record (``None`` for a root resource) into work items.

    Fan-out params multiply: ``--param provider=a,b`` gives two items per parent record.
    A templated endpoint (a manifest stream) gets one item per partition of its routers.
    """
    templated = rp.config.endpoint.templated
    if templated is not None:
        for values, label, carry in partition_values(templated, parent, parent_index,
                                                       rp.name):
            yield WorkItem(path_values=values, carried=carry, label=label)
        return
    base_path: dict[str, Any] = {}
    base_query: dict[str, Any] = {}
    carried: dict[str, Any] = {}
    labels: list[str] = []
    for b in rp.bindings:
        if b.kind != "resource":
            continue
        value = _value_for(b, rp, parent, parent_index)
        base_path[b.placeholder] = value
        carried[b.column] = value
        labels.append(f"{b.resource}.{b.field}={value}")
    if parent is not None:
        carried.update(_included_fields(rp, parent, parent_index))
    fanout = rp.fanout_params
    for combo in itertools.product(*(b.values for b in fanout)):
        path_values = dict(base_path)
        item_carried = dict(carried)
        item_labels = list(labels)
        for b, value in zip(fanout, combo, strict=True):
            path_values[b.placeholder] = value
            if b.carried:
                item_carried[b.column] = value
            item_labels.append(f"{b.name}={value}")
        yield WorkItem(path_values=path_values, query_values=dict(base_query),
                       carried=item_carried, label=", ".join(item_labels))


def partition_items(rp: ResourcePlan, partitions: Iterable[Partition]) -> Iterator[WorkItem]:
    """The work item of each partition of a resource without parent, in partition order."""
    if rp.config.endpoint.templated is not None:  # a manifest stream: its routers partition it
        yield from work_items(rp)
        return
    by_values = {repr(sorted(item.path_values.items(), key=str)): item
                 for item in work_items(rp)}
    for partition in partitions:
        item = by_values[repr(sorted(partition.fanout, key=str))]
        if partition.window is not None:
            low, high = (bound_text(b) for b in partition.window)
            item = replace(item, window=partition.window,
                           label=", ".join(filter(None, (item.label, f"window {low}..{high}"))))
        yield item
