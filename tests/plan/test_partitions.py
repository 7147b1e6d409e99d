"""Plan stage: how a run is split into partitions, and their stable ids."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from restsync.errors import SpecError
from restsync.plan import build_plan, resource_partitions, split_plan
from restsync.plan.partitions import chunk_id
from restsync.plan.windows import as_bound, bound_text, windows
from restsync.spec.model import SourceConfig
from restsync.spec.steps import parse_step

NOW = datetime(2024, 4, 15, 12, 0, tzinfo=UTC)


def source(resources: list[dict[str, Any]], params: dict[str, list[Any]] | None = None
           ) -> SourceConfig:
    return SourceConfig.model_validate({
        "name": "t", "client": {"base_url": "http://api.test/"},
        "resources": resources, "params": params or {}})


def inc(step: Any, initial: Any = "2024-01-01T00:00:00Z", **extra: Any) -> dict[str, Any]:
    return {"incremental": {"cursor_path": "updated_at", "initial_value": initial,
                            "step": step, "start_param": "since", "end_param": "until",
                            **extra}}


def ids(spec: SourceConfig) -> dict[str, list[str]]:
    return {r.resource: [p.id for p in r.partitions]
            for r in split_plan(build_plan(spec), NOW)}


@pytest.mark.parametrize(("resources", "params", "expected"), [
    pytest.param([{"name": "users", "endpoint": {"path": "/users"}}], None,
                 {"users": ["users"]}, id="one-chain"),
    pytest.param([{"name": "repos", "endpoint": {"path": "/orgs/{org}/repos"}}],
                 {"org": ["acme", "zeta"]},
                 {"repos": ["repos[org=acme]", "repos[org=zeta]"]}, id="fanout"),
    pytest.param([{"name": "events", "endpoint": {"path": "/events", **inc("P1M")}}], None,
                 {"events": ["events@2024-01-01T00:00:00Z", "events@2024-02-01T00:00:00Z",
                             "events@2024-03-01T00:00:00Z", "events@2024-04-01T00:00:00Z"]},
                 id="monthly-windows-to-now"),
    pytest.param([{"name": "events", "endpoint": {
        "path": "/events", **inc("P7D", end_value="2024-01-20T00:00:00Z")}}], None,
                 {"events": ["events@2024-01-01T00:00:00Z", "events@2024-01-08T00:00:00Z",
                             "events@2024-01-15T00:00:00Z"]}, id="weekly-to-end-value"),
    pytest.param([{"name": "events", "endpoint": {"path": "/t/{tenant}/events",
                                                  **inc("P1M", end_value="2024-02-15")}}],
                 {"tenant": ["a", "b"]},
                 {"events": ["events[tenant=a]@2024-01-01T00:00:00Z",
                             "events[tenant=a]@2024-02-01T00:00:00Z",
                             "events[tenant=b]@2024-01-01T00:00:00Z",
                             "events[tenant=b]@2024-02-01T00:00:00Z"]},
                 id="fanout-times-windows"),
    pytest.param([{"name": "ticks", "endpoint": {"path": "/ticks", **inc(
        250, initial=0, end_value=600)}}], None,
                 {"ticks": ["ticks@0", "ticks@250", "ticks@500"]}, id="numeric-cursor"),
    pytest.param([{"name": "posts", "endpoint": {"path": "/posts"}},
                  {"name": "comments", "endpoint": {"path": "/posts/{post_id}/comments"}}],
                 None, {"posts": ["posts"], "comments": []}, id="child-chunks-at-run-time"),
])
def test_partition_ids(resources: list[dict[str, Any]], params: dict[str, list[Any]] | None,
                       expected: dict[str, list[str]]) -> None:
    assert ids(source(resources, params)) == expected


def test_ids_are_stable_and_a_stored_cursor_drops_done_windows() -> None:
    spec = source([{"name": "events", "endpoint": {"path": "/events", **inc("P1M")}}])
    rp = build_plan(spec).resources["events"]
    first = resource_partitions(rp, NOW)
    again = resource_partitions(rp, NOW)
    assert first == again
    later = resource_partitions(rp, NOW, start_for=lambda _: "2024-02-10T00:00:00Z")
    assert [p.id for p in later.partitions] == [p.id for p in first.partitions[1:]]
    # the first remaining window is clipped to the stored cursor, its id keeps the grid start
    assert later.partitions[0].window == (datetime(2024, 2, 10, tzinfo=UTC),
                                          datetime(2024, 3, 1, tzinfo=UTC))


def test_month_windows_do_not_drift_at_month_ends() -> None:
    step = parse_step("P1M")
    origin = datetime(2024, 1, 31, tzinfo=UTC)
    spans = windows(origin, origin, datetime(2024, 5, 1, tzinfo=UTC), step)
    assert [bound_text(a) for a, _, _ in spans] == [
        "2024-01-31T00:00:00Z", "2024-02-29T00:00:00Z", "2024-03-31T00:00:00Z",
        "2024-04-30T00:00:00Z"]
    assert spans[-1][2] == datetime(2024, 5, 1, tzinfo=UTC)  # clipped to the end
    assert all(a[2] == b[1] for a, b in itertools.pairwise(spans))  # no gap


def test_child_partitions_are_chunks_of_parent_records() -> None:
    spec = source([{"name": "posts", "endpoint": {"path": "/posts"}},
                   {"name": "comments", "endpoint": {"path": "/posts/{post_id}/comments"}}])
    [_, comments] = split_plan(build_plan(spec), NOW, chunk_size=25)
    assert (comments.parent, comments.chunk_size) == ("posts", 25)
    assert "chunks of 25 `posts` records" in comments.notes[0]
    assert chunk_id("comments", "posts", 3) == "comments[posts#3]"


@pytest.mark.parametrize(("value", "months", "seconds"), [
    ("P1M", 1, 0), ("P1Y", 12, 0), ("p7d", 0, 7 * 86_400), ("PT6H", 0, 6 * 3_600),
    ("P1DT12H", 0, 36 * 3_600), (3600, 0, 3600), (0.5, 0, 0.5),
])
def test_steps(value: Any, months: int, seconds: float) -> None:
    step = parse_step(value)
    assert (step.months, step.seconds) == (months, seconds)


@pytest.mark.parametrize(("value", "message"), [
    ("1 month", "not an ISO-8601 duration"), ("P0D", "is zero"), (0, "positive"),
    (-5, "positive"), (True, "ISO-8601 duration"), ("P", "not an ISO-8601 duration"),
])
def test_bad_steps_are_refused_at_their_path(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_step(value)
    from restsync.spec import load_spec
    with pytest.raises(SpecError) as err:
        load_spec({"client": {"base_url": "http://api.test/"}, "resources": [
            {"name": "events", "endpoint": {"path": "/events", **inc(value)}}]}, name="t")
    assert "resources[events].endpoint.incremental.step" in str(err.value)


@pytest.mark.parametrize(("incremental", "parent", "message"), [
    ({"step": "P1D"}, False, "needs initial_value"),
    ({"step": "P1M", "initial_value": 0, "end_value": 10}, False, "has months"),
    ({"step": 5, "initial_value": 0}, False, "needs end_value"),
    ({"step": "PT1S", "initial_value": "2024-01-01T00:00:00Z"}, False, "more than 10000"),
    ({"step": "P1D", "initial_value": "2024-01-01"}, True, "without parent"),
    ({"step": "P1D", "initial_value": "soon"}, False, "Invalid isoformat"),
])
def test_windows_that_cannot_be_made_name_the_step(incremental: dict[str, Any], parent: bool,
                                                   message: str) -> None:
    child = {"name": "events", "endpoint": {
        "path": "/posts/{post_id}/events" if parent else "/events",
        "incremental": {"cursor_path": "updated_at", **incremental}}}
    resources = [{"name": "posts", "endpoint": {"path": "/posts"}}, child] if parent else [child]
    with pytest.raises(SpecError) as err:
        split_plan(build_plan(source(resources)), NOW)
    assert "resources[events].endpoint.incremental.step" in str(err.value)
    assert message in str(err.value)


@pytest.mark.parametrize(("value", "fmt", "expected"), [
    ("2024-01-01T00:00:00Z", None, datetime(2024, 1, 1, tzinfo=UTC)),
    ("2024-01-01", None, datetime(2024, 1, 1, tzinfo=UTC)),
    (1704067200, "%s", datetime(2024, 1, 1, tzinfo=UTC)),
    ("1704067200000", "%ms", datetime(2024, 1, 1, tzinfo=UTC)),
    ("01/02/2024", "%d/%m/%Y", datetime(2024, 2, 1, tzinfo=UTC)),
    (42, None, 42.0),
])
def test_window_bounds_read_cursor_values(value: Any, fmt: str | None, expected: Any) -> None:
    assert as_bound(value, fmt) == expected
