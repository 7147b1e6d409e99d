"""Run documents from a dataset's run and load records (restsync.engine.runs)."""

from __future__ import annotations

from restsync.engine.runs import merge_history


def test_interrupted_run_shows_its_committed_resources_and_old_loads_are_runs() -> None:
    runs = [{"run_id": "r2", "status": "running", "started_at": "2026-01-02T00:00:00+00:00",
             "finished_at": None, "record": {"run_id": "r2", "status": "running",
                                             "resources": {}}}]
    loads = [
        {"load_id": "r2", "resource": "a", "rows": 3, "started_at": "s", "finished_at": "f",
         "details": {"status": "completed", "tables": {"a": 2, "a__x": 1}, "requests": 4}},
        {"load_id": "r1", "resource": "a", "rows": 5, "started_at": "2026-01-01T00:00:00",
         "finished_at": "2026-01-01T00:00:01", "details": {}},
    ]
    found = {r["run_id"]: r for r in merge_history("ds", runs, loads)}
    r2 = found["r2"]
    assert r2["status"] == "running" and r2["dataset"] == "ds"
    assert r2["resources"]["a"]["tables"] == {"a": 2, "a__x": 1}
    assert r2["totals"]["rows"] == 3 and r2["totals"]["requests"] == 4
    r1 = found["r1"]
    assert r1["status"] == "unrecorded" and r1["totals"]["rows"] == 5
    assert r1["started_at"] == "2026-01-01T00:00:00"


def test_run_record_wins_over_load_details() -> None:
    runs = [{"run_id": "r", "status": "failed", "started_at": "t", "finished_at": "u",
             "record": {"resources": {"a": {"status": "completed", "tables": {"a": 1}},
                                      "b": {"status": "failed", "error": "HTTP 500"}}}}]
    loads = [{"load_id": "r", "resource": "a", "rows": 1, "details": {"tables": {"a": 99}}}]
    [run] = merge_history("ds", runs, loads)
    assert run["resources"]["a"]["tables"] == {"a": 1}
    assert run["totals"]["resources"] == {"completed": 1, "failed": 1}
