"""One resource's run on the Ray driver: what it has absorbed of its partitions' results.

:class:`ResourceRun` holds a resource's counts, merged table schemas, normaliser notes and
loaded partitions while :class:`~restsync.engine.scaleout.driver.RayDriver` dispatches and
loads it; the driver's I/O (loading, committing) stays there, the bookkeeping is here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from restsync.engine.outcome import ResourceOutcome
from restsync.engine.scaleout.work import PartitionResult
from restsync.engine.state import ResourceState
from restsync.events import EventSink, Notice, ParentItemSkipped
from restsync.load import LoadReport, ResourceLoad
from restsync.normalize import TableBatch, TableSchema
from restsync.plan import ResourcePlan

__all__ = ["ResourceRun", "checkpoints_partitions", "write_all"]


def checkpoints_partitions(rp: ResourcePlan) -> bool:
    """Whether ``rp``'s partitions are committed as they load (see
    :mod:`restsync.engine.scaleout.driver`)."""
    return (rp.load and rp.parent is None and not rp.children
            and rp.config.write_disposition in ("append", "merge")
            and not rp.config.merge_key)


@dataclass
class ResourceRun:
    """One resource's run on the driver."""

    rp: ResourcePlan
    outcome: ResourceOutcome
    state: ResourceState
    load: ResourceLoad | None
    children: list[str]
    stored: dict[str, Any]
    schemas: dict[str, TableSchema] = field(default_factory=dict)
    inferred: dict[str, None] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    discarded: dict[str, int] = field(default_factory=dict)
    limit_notes: dict[str, None] = field(default_factory=dict)
    checkpoints: bool = False
    """Commit partitions as they load (:func:`checkpoints_partitions`)."""
    last_checkpoint: float = 0.0
    done: dict[str, Any] = field(default_factory=dict)
    """Partitions loaded (this run or an unfinished one): id -> highest cursor."""
    reports: list[LoadReport] = field(default_factory=list)
    """What the checkpoints so far committed."""

    def count(self, result: PartitionResult, events: EventSink) -> None:
        """Add one partition's counts, cursors and notes (in partition order)."""
        outcome = self.outcome
        outcome.records += result.records
        outcome.pages += result.pages
        outcome.requests += result.requests
        outcome.retries += result.retries
        outcome.skipped_parents += result.skipped_parents
        for label in result.skipped:
            events(ParentItemSkipped(resource=self.rp.name, parent=label,
                                     reason="HTTP 404/410"))
        for path_values, window, last in result.cursors:
            flt = self.state.filter_for(path_values, window)
            if flt is not None and last is not None:
                flt.observe(last)
        self.inferred.update(dict.fromkeys(result.inferred))
        for table, n in result.dropped_rows.items():
            self.dropped[table] = self.dropped.get(table, 0) + n
        for column, n in result.discarded_values.items():
            self.discarded[column] = self.discarded.get(column, 0) + n
        self.limit_notes.update(dict.fromkeys(result.limit_notes))

    def with_merged_schemas(self, batches: list[TableBatch]) -> list[TableBatch]:
        """``batches``, each with its table's schema merged over the partitions so far."""
        return [replace(b, schema=self._merge_schema(b)) for b in batches]

    def _merge_schema(self, batch: TableBatch) -> TableSchema | None:
        """The union of the table's schema over the partitions so far (each worker's
        normaliser sees its partition only; the load stores the schema of a table's last
        batch)."""
        schemas = self.schemas
        if batch.schema is None:
            return schemas.get(batch.table)
        known = schemas.get(batch.table)
        if known is None:
            schemas[batch.table] = replace(batch.schema, columns=dict(batch.schema.columns))
        else:
            for name, column in batch.schema.columns.items():
                known.columns.setdefault(name, column)
        return schemas[batch.table]

    def report(self, last: LoadReport, events: EventSink) -> None:
        """Fill the outcome's tables and notes from the commits (the checkpoints' and
        ``last``) and emit the notes."""
        outcome = self.outcome
        inferred = list(self.inferred)
        reports = [*self.reports, last]
        outcome.tables = {}
        for each in reports:
            for table, n in each.rows.items():
                outcome.tables[table] = outcome.tables.get(table, 0) + n
        outcome.notes.extend(f"inferred {text}" for text in inferred)
        report_notes = list(dict.fromkeys(n for each in reports for n in each.notes))
        outcome.notes.extend(report_notes)
        outcome.schema_changes = [c for each in reports for c in each.schema_changes]
        outcome.notes.extend(f"{n} row(s) of {t} dropped by the schema contract"
                             for t, n in self.dropped.items())
        outcome.notes.extend(f"{n} value(s) of {c} discarded by the schema contract"
                             for c, n in self.discarded.items())
        outcome.notes.extend(self.limit_notes)
        for note in [*report_notes, *self.limit_notes]:
            events(Notice(resource=self.rp.name, message=note))


def write_all(load: ResourceLoad, batches: list[TableBatch]) -> None:
    """Write ``batches`` into ``load`` (on the loader thread)."""
    for batch in batches:
        load.write(batch)
