"""Crash safety: SIGKILL at 36 points of a real run, then a normal run: nothing lost or doubled."""

from __future__ import annotations

from pathlib import Path

from tests.reliability.crash_harness import CRASH_POINTS, run_all


def test_kill_at_every_point_then_rerun_matches_a_clean_run(tmp_path: Path) -> None:
    assert len(CRASH_POINTS) >= 30
    results = run_all(tmp_path)
    problems = [r for r in results
                if not r.recovered or r.rows_lost or r.rows_duplicated or r.orphans]
    assert not problems, "\n".join(f"{r.point}: {r.detail}" for r in problems)
    # the harness really killed the process at (nearly) every point; a point past the end
    # of the run (e.g. a page number larger than the run has) may not be reached
    crashed = [r.point for r in results if r.crashed]
    assert len(crashed) >= 30, crashed
