"""How a run is split into partitions, each with an id that is the same from run to run.

A partition is one unit of work a scaled-out run hands to a worker (``docs/scale-out.md``):

* a resource without parent, fan-out or step: the whole resource (``users``): a single cursor
  chain cannot be split;
* each value (combination) of its fan-out params: ``repos[org=acme]``;
* each date window of an incremental with a ``step``: ``events@2024-01-01T00:00:00Z``
  (with fan-out: ``events[org=acme]@2024-01-01T00:00:00Z``);
* a child resource: chunks of its parent's records, known only while the parent runs:
  chunk ``k`` of the records of parent partition ``P`` is ``comments[P#k]``.

The ids depend on the spec, the params and the records' order only, so a re-run can tell
which partitions are done.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from restsync.errors import SpecError, SpecIssue
from restsync.plan.graph import Plan, ResourcePlan
from restsync.plan.windows import Bound, as_bound, bound_text, windows
from restsync.spec.steps import parse_step

__all__ = ["DEFAULT_CHUNK_SIZE", "Partition", "ResourcePartitions", "chunk_id",
           "resource_partitions", "split_plan", "window_bounds"]

DEFAULT_CHUNK_SIZE = 100
"""Parent records per partition of a child resource (``--chunk-size``)."""


@dataclass(frozen=True)
class Partition:
    """One unit of work of a scaled-out run.

    Attributes:
        id: Stable id (see the module docstring).
        resource: The resource it belongs to.
        fanout: ``(placeholder, value)`` of each fan-out param, in binding order.
        window: ``[start, end)`` of its date window, or ``None``.
    """

    id: str
    resource: str
    fanout: tuple[tuple[str, Any], ...] = ()
    window: tuple[Bound, Bound] | None = None


@dataclass
class ResourcePartitions:
    """How one resource of the run is split.

    Attributes:
        resource: Its name.
        partitions: Its partitions when they are known before the run (resources without
            parent); empty for a child resource.
        parent: The parent whose records a child resource is chunked by, or ``None``.
        chunk_size: Parent records per chunk (child resources).
        notes: Why it is not split further, and what decides its windows.
    """

    resource: str
    partitions: list[Partition] = field(default_factory=list)
    parent: str | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE
    notes: list[str] = field(default_factory=list)


def _value_text(value: Any) -> str:
    return str(value).replace("]", "%5D").replace(",", "%2C")


def chunk_id(resource: str, parent_partition: str, index: int) -> str:
    """Id of chunk ``index`` (0-based) of the records of ``parent_partition``."""
    return f"{resource}[{parent_partition}#{index}]"


def window_bounds(rp: ResourcePlan, now: datetime,
                  start: Any | None = None) -> list[tuple[Bound, Bound, Bound]] | None:
    """The date windows of ``rp``, ``(grid start, start, end)`` each (``None`` when its
    incremental has no ``step``).

    Args:
        rp: The resource.
        now: The run's start time: the end of the last window without ``end_value``.
        start: The run's effective start cursor when it differs from ``initial_value`` (a
            stored cursor); windows before it are dropped, the grid stays.

    Raises:
        SpecError: The step cannot split this resource's cursor range.
    """
    inc = rp.config.endpoint.incremental
    if inc is None or inc.step is None:
        return None
    where = f"resources[{rp.name}].endpoint.incremental.step"
    if rp.parent is not None:
        raise SpecError([SpecIssue(where, "a step splits a resource without parent; a child "
                                          "resource's partitions are chunks of its parent's "
                                          "records")])
    if inc.initial_value is None:
        raise SpecError([SpecIssue(where, "a step needs initial_value: the windows start there")])
    try:
        origin = as_bound(inc.initial_value, inc.datetime_format)
        low = origin if start is None else as_bound(start, inc.datetime_format)
        if inc.end_value is not None:
            high = as_bound(inc.end_value, inc.datetime_format)
        elif isinstance(origin, datetime):
            high = now
        else:
            raise ValueError("a numeric cursor with a step needs end_value")
        return windows(origin, low, high, parse_step(inc.step))
    except (ValueError, OverflowError) as exc:
        raise SpecError([SpecIssue(where, str(exc))]) from None


StartLookup = Callable[[Mapping[str, Any]], Any]
"""The effective start cursor of one fan-out combination (its path values), or ``None``."""


def resource_partitions(rp: ResourcePlan, now: datetime, *, start_for: StartLookup | None = None,
                        chunk_size: int = DEFAULT_CHUNK_SIZE) -> ResourcePartitions:
    """How ``rp`` is split (see the module docstring).

    Args:
        rp: The resource.
        now: The run's start time (the end of the last window without ``end_value``).
        start_for: The stored start of each fan-out combination (windows before it are
            dropped); ``None``: every window from ``initial_value``.
        chunk_size: Parent records per chunk of a child resource.

    Raises:
        SpecError: Its step cannot split its cursor range.
    """
    out = ResourcePartitions(resource=rp.name, parent=rp.parent, chunk_size=chunk_size)
    fanout = rp.fanout_params
    if rp.parent is not None:
        window_bounds(rp, now)  # refuses a step
        out.notes.append(f"chunks of {chunk_size} `{rp.parent}` records, dispatched as the "
                         f"parent's partitions finish"
                         + (f"; each chunk runs every value of {', '.join(b.name for b in fanout)}"
                            if fanout else ""))
        return out
    combos = list(itertools.product(*(b.values for b in fanout)))
    for combo in combos:
        values = tuple((b.placeholder, v) for b, v in zip(fanout, combo, strict=True))
        start = start_for(dict(values)) if start_for is not None else None
        spans = window_bounds(rp, now, start)
        label = (f"[{','.join(f'{b.name}={_value_text(v)}' for b, v in zip(fanout, combo, strict=True))}]"
                 if fanout else "")
        if spans is None:
            out.partitions.append(Partition(id=rp.name + label, resource=rp.name, fanout=values))
        for grid, low, high in spans or ():
            out.partitions.append(Partition(id=f"{rp.name}{label}@{bound_text(grid)}",
                                            resource=rp.name, fanout=values, window=(low, high)))
    if [p.window for p in out.partitions] == [None] and not fanout:
        out.notes.append("one partition: a single cursor chain cannot be split")
    return out


def split_plan(plan: Plan, now: datetime, *,
               chunk_size: int = DEFAULT_CHUNK_SIZE) -> list[ResourcePartitions]:
    """How every resource that runs is split, in run order (stored cursors not applied).

    Raises:
        SpecError: A step cannot split its resource's cursor range (all problems at once).
    """
    out: list[ResourcePartitions] = []
    issues: list[SpecIssue] = []
    for rp in plan.to_run():
        try:
            out.append(resource_partitions(rp, now, chunk_size=chunk_size))
        except SpecError as exc:
            issues.extend(exc.issues)
    if issues:
        raise SpecError(issues)
    return out
