"""``restsync check --show-partitions`` (and ``--executor ray``): how a run is split."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text

from restsync.plan import Plan, split_plan
from restsync.plan.partitions import DEFAULT_CHUNK_SIZE

__all__ = ["SHOWN_PER_RESOURCE", "print_partitions"]

SHOWN_PER_RESOURCE = 6
"""Partition ids listed per resource (the first and last ones; the count is always shown)."""


def print_partitions(console: Console, plan: Plan, *, chunk_size: int | None = None,
                     now: datetime | None = None) -> None:
    """Print each resource's partitions as a run starting ``now`` (stored cursors are not
    read: a run that has one skips the windows before it).

    Raises:
        SpecError: A step cannot split its resource's cursor range.
    """
    split = split_plan(plan, now or datetime.now(UTC),
                       chunk_size=chunk_size or DEFAULT_CHUNK_SIZE)
    table = Table(title="partitions (one unit of work each on a scaled-out run)")
    table.add_column("resource")
    table.add_column("partitions", justify="right")
    table.add_column("ids / how")
    for rs in split:
        ids = [p.id for p in rs.partitions]
        if len(ids) > SHOWN_PER_RESOURCE:
            half = SHOWN_PER_RESOURCE // 2
            ids = [*ids[:half], f"... {len(ids) - 2 * half} more ...", *ids[-half:]]
        how = "\n".join([*ids, *rs.notes])
        table.add_row(rs.resource, str(len(rs.partitions)) if rs.parent is None
                      else "per chunk", Text(how))
    console.print(table)
