"""What a run did, for its history: :class:`RunRecorder` watches the engine's events.

The recorder is an :data:`~restsync.events.EventSink` the pipeline puts in front of the
caller's. It keeps, per resource, the counters the history shows (records, pages, requests,
retries, 429s, time spent waiting, skipped parent items), the states before and after, and a
bounded timeline: requests, retries, 429s, pages and records per time bucket (at most
:data:`MAX_BUCKETS` buckets: a bucket doubles in width when the run outgrows them) and the
longest waits (at most :data:`MAX_WAITS`). The documents it builds are what the destinations
store (:mod:`restsync.load.history`); :mod:`restsync.engine.runs` reads them back.

Every text in them is already redacted (events carry redacted URLs and messages).
"""

from __future__ import annotations

import os
import platform
import re
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

from restsync import __version__
from restsync.engine.outcome import ResourceOutcome
from restsync.events import (
    Event,
    EventSink,
    Notice,
    PageFetched,
    ParentItemSkipped,
    RequestSent,
    ResourceFailed,
    ResourceStarted,
    RetryScheduled,
    RunTimeInference,
    TokenRefreshed,
)

HISTORY_VERSION = 1
MAX_BUCKETS = 120
FIRST_BUCKET_SECONDS = 0.05
MAX_WAITS = 200
COUNTERS = ("records", "pages", "requests", "retries", "throttled", "wait_seconds",
            "skipped_parents")
"""A resource's counters (``records`` there: what its pages held; a committed or finished
resource's record says how many were kept)."""
SERIES = ("requests", "retries", "throttled", "pages", "records")
"""The counters of a timeline bucket, in the order the buckets store them."""


class Timeline:
    """Counts per time bucket, at most :data:`MAX_BUCKETS` buckets (widths double)."""

    def __init__(self) -> None:
        self.width = FIRST_BUCKET_SECONDS
        self.buckets: list[list[int]] = []

    def add(self, at: float, series: str, amount: int = 1) -> None:
        """Count ``amount`` of ``series`` at ``at`` seconds after the run started."""
        index = int(max(0.0, at) / self.width)
        while index >= MAX_BUCKETS:
            self._coarsen()
            index = int(max(0.0, at) / self.width)
        while len(self.buckets) <= index:
            self.buckets.append([0] * len(SERIES))
        self.buckets[index][SERIES.index(series)] += amount

    def _coarsen(self) -> None:
        merged = []
        for i in range(0, len(self.buckets), 2):
            pair = self.buckets[i:i + 2]
            merged.append([sum(values) for values in zip(*pair, strict=False)])
        self.buckets = merged
        self.width *= 2

    def to_dict(self) -> dict[str, Any]:
        return {"width": self.width, "series": list(SERIES), "buckets": self.buckets}


@dataclass
class _Track:
    """One resource's counters while the run goes on."""

    started: float | None = None
    finished: float | None = None
    counts: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    state_before: dict[str, Any] = field(default_factory=dict)
    state_after: dict[str, Any] | None = None
    notices: list[str] = field(default_factory=list)
    timeline: Timeline = field(default_factory=Timeline)
    waits: list[list[Any]] = field(default_factory=list)


_PASSWORD = re.compile(r"(//[^/@:?#]*):[^/@?#]*@")


def redacted_destination(url: str) -> str:
    """A destination URL without passwords (``user:***@``), in its path and in its query
    (an Iceberg ``catalog_uri``); the rest as given (``duckdb:////abs/path`` stays)."""
    base, sep, query = url.partition("?")
    pairs = [(k, _PASSWORD.sub(r"\1:***@", unquote(v))) for k, v in
             parse_qsl(query, keep_blank_values=True)]
    return _PASSWORD.sub(r"\1:***@", base) + sep + urlencode(pairs, safe="/:@*+")


def executor() -> dict[str, Any]:
    """What ran: restsync's version, Python, the host and the process."""
    return {"restsync": __version__, "python": platform.python_version(),
            "host": socket.gethostname(), "pid": os.getpid()}


@dataclass(kw_only=True)
class RunRecorder:
    """Keeps what a run does from its events; builds its load and run records.

    Args:
        run_id: The run's id (its load id).
        source: The source name.
        dataset: The dataset name.
        destination: The destination URL, redacted.
        mode: ``run``, ``record`` or ``replay``.
        forward: The caller's event sink (every event is passed on).
    """

    run_id: str
    source: str
    dataset: str
    destination: str
    mode: str
    forward: EventSink
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC), init=False)
    _t0: float = field(default_factory=time.monotonic, init=False)
    tracks: dict[str, _Track] = field(default_factory=dict, init=False)
    timeline: Timeline = field(default_factory=Timeline, init=False)
    token_refreshes: int = field(default=0, init=False)
    notices: list[str] = field(default_factory=list, init=False)

    def _at(self) -> float:
        return time.monotonic() - self._t0

    def _track(self, resource: str) -> _Track:
        return self.tracks.setdefault(resource, _Track())

    def __call__(self, event: Event) -> None:
        at = self._at()
        resource = getattr(event, "resource", None)
        track = self._track(resource) if isinstance(resource, str) else None
        if isinstance(event, ResourceStarted) and track is not None:
            track.started = at
        elif isinstance(event, RequestSent) and track is not None:
            track.counts["requests"] += 1
            self._count(track, at, "requests")
        elif isinstance(event, PageFetched) and track is not None:
            track.counts["pages"] += 1
            track.counts["records"] += event.records
            self._count(track, at, "pages")
            self._count(track, at, "records", event.records)
        elif isinstance(event, RetryScheduled) and track is not None:
            self._retry(track, event, at)
        elif isinstance(event, ParentItemSkipped) and track is not None:
            track.counts["skipped_parents"] += 1
        elif isinstance(event, TokenRefreshed):
            self.token_refreshes += 1
        elif isinstance(event, Notice) and not isinstance(event, RunTimeInference):
            (track.notices if track is not None else self.notices).append(event.message)
        elif isinstance(event, ResourceFailed) and track is not None:
            track.notices.append(f"failed: {event.kind}")
            track.finished = at if track.finished is None else track.finished
        self.forward(event)

    def _count(self, track: _Track, at: float, series: str, amount: int = 1) -> None:
        track.timeline.add(at, series, amount)
        self.timeline.add(at, series, amount)

    def _retry(self, track: _Track, event: RetryScheduled, at: float) -> None:
        track.counts["retries"] += 1
        track.counts["wait_seconds"] += event.wait_seconds
        self._count(track, at, "retries")
        if event.reason.startswith("429"):
            track.counts["throttled"] += 1
            self._count(track, at, "throttled")
        wait = [round(at, 3), round(event.wait_seconds, 3), event.reason]
        track.waits.append(wait)
        if len(track.waits) > MAX_WAITS:  # keep the longest
            track.waits.remove(min(track.waits, key=lambda w: w[1]))

    def state_read(self, resource: str, state: Mapping[str, Any]) -> None:
        """The resource's stored state when the run started."""
        self._track(resource).state_before = dict(state)

    def resource_record(self, resource: str, *, status: str,
                        state_after: Mapping[str, Any] | None,
                        outcome: ResourceOutcome | None = None) -> dict[str, Any]:
        """What the run recorded for one resource (a load record's ``details``; the
        destination adds rows per table and schema changes from its commit).

        ``records`` are the records kept (``outcome.records``: after incremental filters and
        processing steps), ``fetched`` those the pages held."""
        track = self._track(resource)
        if state_after is not None:
            track.state_after = dict(state_after)
        if track.finished is None:  # the first record (its commit, or the run's end) ends it
            track.finished = self._at()
        now = track.finished
        started = track.started if track.started is not None else now
        record: dict[str, Any] = {
            "version": HISTORY_VERSION, "run_id": self.run_id, "status": status,
            "started_at": self._wall(started), "finished_at": self._wall(now),
            "offset_seconds": round(started, 3), "seconds": round(now - started, 3),
            **{k: int(v) for k, v in track.counts.items() if k != "wait_seconds"},
            "wait_seconds": round(track.counts["wait_seconds"], 3),
            "fetched": int(track.counts["records"]),
            "state_before": track.state_before,
            "state_after": track.state_after if track.state_after is not None
            else track.state_before,
            "notes": list(track.notices), "timeline": track.timeline.to_dict(),
            "waits": sorted(track.waits)}
        if outcome is not None:
            record.update(records=outcome.records, tables=dict(outcome.tables), schema_changes=list(outcome.schema_changes),
                          error=outcome.error, notes=list(outcome.notes) or record["notes"],
                          items=outcome.items_total)
        return record

    def run_record(self, *, status: str, outcomes: Mapping[str, ResourceOutcome] | None = None,
                   error: str | None = None) -> dict[str, Any]:
        """The run's record: ``running`` at the start, the whole run at the end."""
        finished = None if status == "running" else self._wall(self._at())
        record: dict[str, Any] = {
            "version": HISTORY_VERSION, "run_id": self.run_id, "status": status,
            "source": self.source, "dataset": self.dataset, "destination": self.destination,
            "mode": self.mode, "executor": executor(),
            "started_at": self.started_at.isoformat(), "finished_at": finished,
            "seconds": None if finished is None else round(self._at(), 3),
            "token_refreshes": self.token_refreshes, "notes": list(self.notices),
            "error": error, "timeline": self.timeline.to_dict(), "resources": {}}
        for name, outcome in (outcomes or {}).items():
            record["resources"][name] = self.resource_record(
                name, status=outcome.status, state_after=None, outcome=outcome)
        return record

    def _wall(self, offset: float) -> str:
        return (self.started_at + timedelta(seconds=offset)).isoformat()


def run_status(outcomes: Mapping[str, ResourceOutcome]) -> str:
    """``failed`` when a resource failed, ``stopped`` when one stopped early, else
    ``completed``."""
    statuses = {o.status for o in outcomes.values()}
    if "failed" in statuses:
        return "failed"
    if "stopped" in statuses:
        return "stopped"
    return "completed"
