"""Rich rendering of live progress events and run summaries (``restsync run``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from restsync.events import (
    ConcurrencySettled,
    Event,
    Notice,
    PageFetched,
    ParentItemSkipped,
    RequestSent,
    ResourceFailed,
    ResourceFinished,
    ResourceStarted,
    RetryScheduled,
)

if TYPE_CHECKING:
    from restsync.engine import RunInfo

LONG_WAIT_SECONDS = 3.0
"""Retry waits at least this long are shown with a countdown."""


@dataclass
class _Row:
    status: str = "waiting"
    pages: int = 0
    records: int = 0
    requests: int = 0
    retries: int = 0
    skipped: int = 0
    wait_until: float = 0.0
    wait_reason: str = ""


class ProgressRenderer:
    """Turns engine events into a live per-resource table (plain lines when not a TTY)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.rows: dict[str, _Row] = {}
        self.live: Live | None = None
        self._last = 0.0

    def __enter__(self) -> ProgressRenderer:
        if self.console.is_terminal:
            self.live = Live(self._table(), console=self.console, refresh_per_second=8,
                             transient=True)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.live is not None:
            self.live.__exit__(*exc)
            self.live = None

    def _row(self, resource: str) -> _Row:
        return self.rows.setdefault(resource, _Row())

    def __call__(self, event: Event) -> None:
        if isinstance(event, ResourceStarted):
            self._row(event.resource).status = "running"
        elif isinstance(event, RequestSent):
            self._row(event.resource).requests += 1
        elif isinstance(event, PageFetched):
            row = self._row(event.resource)
            row.pages += 1
            row.records += event.records
        elif isinstance(event, RetryScheduled):
            row = self._row(event.resource)
            row.retries += 1
            if event.wait_seconds >= LONG_WAIT_SECONDS:
                row.wait_until = time.monotonic() + event.wait_seconds
                row.wait_reason = (f"{event.reason}, attempt {event.attempt}/"
                                   f"{event.max_attempts}")
                if self.live is None:
                    self.console.print(
                        f"{event.resource}: waiting {event.wait_seconds:.0f}s before retry "
                        f"({row.wait_reason})")
        elif isinstance(event, ParentItemSkipped):
            self._row(event.resource).skipped += 1
        elif isinstance(event, ResourceFinished):
            self._row(event.resource).status = "done"
        elif isinstance(event, ResourceFailed):
            self._row(event.resource).status = "FAILED"
            self.console.print(f"{event.resource} failed: {event.error}", style="red",
                               markup=False, highlight=False)
        elif isinstance(event, ConcurrencySettled):
            self.console.print(settled_text(event), markup=False, highlight=False)
        elif isinstance(event, Notice):  # printed above the live table, never lost
            self.console.print(f"{event.resource or 'source'}: {event.message}",
                               markup=False, highlight=False)
        if self.live is not None:
            now = time.monotonic()
            if now - self._last > 0.1:
                self._last = now
                self.live.update(self._table())

    def _table(self) -> Group:
        table = Table(title="restsync run", title_justify="left")
        for col in ("resource", "status", "pages", "records", "requests", "retries", "skipped"):
            table.add_column(col, justify="right" if col not in ("resource", "status") else "left")
        now = time.monotonic()
        for name, row in self.rows.items():
            status = row.status
            if row.wait_until > now:
                status = f"waiting {row.wait_until - now:.0f}s ({row.wait_reason})"
            table.add_row(name, status, str(row.pages), str(row.records), str(row.requests),
                          str(row.retries), str(row.skipped))
        return Group(table)


def settled_text(event: ConcurrencySettled) -> str:
    """``requests in flight to api:443: settled at 24 (adaptive: started at 16, ...)``."""
    if not event.adaptive:
        return f"requests in flight to {event.host}: fixed at {event.settled}"
    cuts = f"{event.backoffs} cut{'s' if event.backoffs != 1 else ''} on 429/503"
    return (f"requests in flight to {event.host}: settled at {event.settled} (adaptive: "
            f"started at {event.start}, peak {event.peak}, lowest {event.lowest}, ceiling "
            f"{event.ceiling}, {cuts})")


def summary_table(info: RunInfo) -> Table:
    """The end-of-run summary: one row per resource."""
    table = Table(title=f"load {info.load_id} -> {info.destination} dataset `{info.dataset}` "
                        f"({info.seconds:.1f}s)", title_justify="left")
    for col in ("resource", "status", "records", "pages", "requests", "retries", "skipped",
                "tables (rows)", "notes"):
        table.add_column(col, overflow="fold",
                         justify="right" if col in ("records", "pages", "requests", "retries",
                                                    "skipped") else "left")
    for name, o in info.outcomes.items():
        style = {"failed": "red", "extracted": "dim", "stopped": "yellow"}.get(o.status, "green")
        tables = ", ".join(f"{t} ({n})" for t, n in o.tables.items())
        notes = "; ".join(o.notes + ([o.error] if o.error else []))
        if o.schema_changes:
            notes = "; ".join(filter(None, [notes, schema_summary(o.schema_changes)]))
        table.add_row(name, Text(o.status, style=style), str(o.records), str(o.pages),
                      str(o.requests), str(o.retries), str(o.skipped_parents), tables, notes)
    return table


def schema_summary(changes: list[str]) -> str:
    """``schema: 3 new tables; new column events.x (bigint); events.v: bigint -> double``.

    New tables are only counted (the tables column lists them); column additions and type
    changes are spelled out, the first three of them.
    """
    new_tables = [c for c in changes if c.startswith("new table ")]
    details = [c for c in changes if not c.startswith("new table ")]
    parts = []
    if new_tables:
        parts.append(f"{len(new_tables)} new table{'s' if len(new_tables) > 1 else ''}")
    parts += details[:3]
    if len(details) > 3:
        parts.append(f"+{len(details) - 3} more changes")
    return "schema: " + "; ".join(parts)
