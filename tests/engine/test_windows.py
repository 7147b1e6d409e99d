"""Date windows (``incremental.step``) in the default executor: one request sequence per
window, its bounds sent as the start/end params, the cursor stored as the highest seen."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from restsync.extract.http import Request, Response, json_response
from tests.engine.test_runner import RecordingDestination, run, spec

EVENTS = [{"id": i, "updated_at": f"2024-0{1 + i // 10}-{1 + i % 10:02d}T00:00:00Z"}
          for i in range(30)]  # 2024-01-01 .. 2024-03-10, ten a month


def windowed_api(seen: list[tuple[str | None, str | None]]) -> Any:
    def handler(request: Request) -> Response:
        since, until = request.params.get("since"), request.params.get("until")
        seen.append((since, until))
        rows = [e for e in EVENTS if (since is None or e["updated_at"] >= since)
                and (until is None or e["updated_at"] < until)]
        return json_response({"data": rows, "next": None})
    return handler


def events_resource(**incremental: Any) -> dict[str, Any]:
    return {"name": "events", "endpoint": {"path": "events", "incremental": {
        "cursor_path": "updated_at", "initial_value": "2024-01-01T00:00:00Z",
        "start_param": "since", "end_param": "until", "step": "P1M", **incremental}}}


@pytest.mark.parametrize(("stored", "expected_windows"), [
    pytest.param({}, [("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"),
                      ("2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"),
                      ("2024-03-01T00:00:00Z", "2024-03-20T00:00:00Z")], id="first-run"),
    pytest.param({"incremental": {"cursor_path": "updated_at",
                                  "last_value": "2024-02-05T00:00:00Z"}},
                 [("2024-02-05T00:00:00Z", "2024-03-01T00:00:00Z"),
                  ("2024-03-01T00:00:00Z", "2024-03-20T00:00:00Z")], id="resumes-at-cursor"),
])
async def test_each_window_is_one_request_sequence_with_its_bounds(
        stored: dict[str, Any], expected_windows: list[tuple[str, str]]) -> None:
    seen: list[tuple[str | None, str | None]] = []
    dest = RecordingDestination(states={"events": stored})
    outcomes, _ = await run(spec([events_resource(end_value="2024-03-20T00:00:00Z")]),
                            windowed_api(seen), dest)
    assert outcomes["events"].status == "completed", outcomes["events"].error
    assert seen == expected_windows
    start = expected_windows[0][0]
    expected_rows = sum(1 for e in EVENTS if e["updated_at"] >= start)
    state, rows = dest.committed["events"]
    assert rows == {"events": expected_rows}
    assert outcomes["events"].items_total == len(expected_windows)
    assert state["incremental"]["last_value"] == "2024-03-10T00:00:00Z"


async def test_a_record_on_a_window_boundary_is_loaded_once() -> None:
    seen: list[tuple[str | None, str | None]] = []
    dest = RecordingDestination()
    # range_end closed would keep 2024-02-01 in the January window too: inner bounds are
    # half-open whatever range_end says; only the last window's end follows it
    outcomes, _ = await run(spec([events_resource(end_value="2024-03-01T00:00:00Z",
                                                  range_end="closed")]),
                            windowed_api(seen), dest)
    assert outcomes["events"].status == "completed", outcomes["events"].error
    assert [w[0] for w in seen] == ["2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"]
    assert dest.committed["events"][1] == {"events": 20}  # 2024-01-01 .. 2024-02-10, once


async def test_without_end_value_the_last_window_ends_at_the_run_start() -> None:
    seen: list[tuple[str | None, str | None]] = []
    dest = RecordingDestination()
    outcomes, _ = await run(spec([events_resource(initial_value="2024-03-01T00:00:00Z")]),
                            windowed_api(seen), dest)
    assert outcomes["events"].status == "completed", outcomes["events"].error
    assert seen[0] == ("2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z")
    last_end = datetime.fromisoformat(str(seen[-1][1]))
    assert last_end <= datetime.now(UTC)
    assert dest.committed["events"][1] == {"events": 10}
