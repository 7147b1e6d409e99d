"""RunRecorder: the counters, timeline and states a run's history keeps from its events."""

from __future__ import annotations

from typing import Any

from restsync.engine.history import (
    MAX_BUCKETS,
    MAX_WAITS,
    RunRecorder,
    Timeline,
    redacted_destination,
    run_status,
)
from restsync.engine.outcome import ResourceOutcome
from restsync.events import (
    Event,
    Notice,
    PageFetched,
    ParentItemSkipped,
    RequestSent,
    ResourceStarted,
    RetryScheduled,
    TokenRefreshed,
)


def recorder(seen: list[Event]) -> RunRecorder:
    return RunRecorder(run_id="1.5", source="src", dataset="ds", destination="duckdb:///x",
                       mode="run", forward=seen.append)


def test_counters_per_resource_and_events_passed_on() -> None:
    seen: list[Event] = []
    rec = recorder(seen)
    events: list[Event] = [
        ResourceStarted(resource="a"), TokenRefreshed(reason="initial"),
        RequestSent(resource="a", method="GET", url="http://h/a"),
        RetryScheduled(resource="a", url="http://h/a", attempt=1, max_attempts=3,
                       wait_seconds=2.0, reason="429 Too Many Requests"),
        RequestSent(resource="a", method="GET", url="http://h/a", attempt=2),
        RetryScheduled(resource="a", url="http://h/a", attempt=2, max_attempts=3,
                       wait_seconds=0.5, reason="connection reset"),
        RequestSent(resource="a", method="GET", url="http://h/a", attempt=3),
        PageFetched(resource="a", page=1, records=7, url="http://h/a"),
        ParentItemSkipped(resource="b", parent="a.id=1", reason="404"),
        Notice(resource="a", message="fell back to replace"),
        Notice(resource=None, message="run-wide note"),
    ]
    for event in events:
        rec(event)
    assert seen == events
    rec.state_read("a", {"cursor": "x"})
    record = rec.resource_record("a", status="completed", state_after={"cursor": "y"})
    assert {k: record[k] for k in ("records", "pages", "requests", "retries", "throttled",
                                   "wait_seconds", "skipped_parents")} == {
        "records": 7, "pages": 1, "requests": 3, "retries": 2, "throttled": 1,
        "wait_seconds": 2.5, "skipped_parents": 0}
    assert record["state_before"] == {"cursor": "x"} and record["state_after"] == {"cursor": "y"}
    assert record["notes"] == ["fell back to replace"]
    assert sorted(tuple(w[1:]) for w in record["waits"]) == [
        (0.5, "connection reset"), (2.0, "429 Too Many Requests")]
    assert rec.resource_record("b", status="completed", state_after=None)["skipped_parents"] == 1
    series = record["timeline"]["series"]
    totals = [sum(b[series.index(s)] for b in record["timeline"]["buckets"])
              for s in ("requests", "retries", "throttled", "pages", "records")]
    assert totals == [3, 2, 1, 1, 7]
    run = rec.run_record(status="completed", outcomes={"a": ResourceOutcome(
        name="a", tables={"a": 7}, schema_changes=["new table a"])})
    assert run["token_refreshes"] == 1 and run["notes"] == ["run-wide note"]
    assert run["resources"]["a"]["tables"] == {"a": 7}
    assert run["finished_at"] is not None and run["executor"]["restsync"]


def test_running_record_has_no_end() -> None:
    run = recorder([]).run_record(status="running")
    assert run["finished_at"] is None and run["seconds"] is None and run["resources"] == {}


def test_timeline_stays_bounded_and_keeps_every_count() -> None:
    timeline = Timeline()
    for second in range(0, 5000, 7):
        timeline.add(float(second), "requests")
    assert len(timeline.buckets) <= MAX_BUCKETS
    assert sum(b[0] for b in timeline.buckets) == len(range(0, 5000, 7))
    assert timeline.width * MAX_BUCKETS >= 4993


def test_waits_keep_the_longest() -> None:
    rec = recorder([])
    for i in range(MAX_WAITS + 50):
        rec(RetryScheduled(resource="a", url="u", attempt=1, max_attempts=2,
                           wait_seconds=float(i), reason="503"))
    waits = rec.resource_record("a", status="completed", state_after=None)["waits"]
    assert len(waits) == MAX_WAITS and min(w[1] for w in waits) == 50.0


def test_run_status() -> None:
    def outcomes(*statuses: Any) -> dict[str, ResourceOutcome]:
        return {str(i): ResourceOutcome(name=str(i), status=s) for i, s in enumerate(statuses)}

    assert run_status(outcomes("completed", "extracted")) == "completed"
    assert run_status(outcomes("completed", "stopped")) == "stopped"
    assert run_status(outcomes("stopped", "failed")) == "failed"


def test_destination_urls_lose_their_passwords_and_nothing_else() -> None:
    assert redacted_destination("duckdb:////abs/x.duckdb?memory_limit=1GB") == \
        "duckdb:////abs/x.duckdb?memory_limit=1GB"
    assert redacted_destination("postgresql://u:p%40ss@h:5/db?sslmode=require") == \
        "postgresql://u:***@h:5/db?sslmode=require"
    redacted = redacted_destination(
        "iceberg:///lake?catalog_uri=postgresql%2Bpsycopg%3A%2F%2Fu%3Ahunter2%40h%2Fdb")
    assert "hunter2" not in redacted and "u:***@h/db" in redacted
