"""Crash safety: SIGKILL at named points of a real run, then a normal run: nothing lost or doubled.

DuckDB: 40 points of the whole seed run. Delta and Iceberg (a commit journal instead of a
transaction): every table commit and every journal of a run of two resources (a parent and
its fan-out child), plus engine points around them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.crash_harness import CRASH_POINTS, TrialResult, run_all

# each trial is a killed run plus a recovery run: minutes in all (`make test-slow`)
pytestmark = pytest.mark.slow

LAKE_RESOURCES = ["labels", "labels_details"]


def problems(results: list[TrialResult]) -> str:
    bad = [r for r in results if not r.recovered or r.rows_lost or r.rows_duplicated or r.orphans]
    return "\n".join(f"{r.point}: {r.detail}" for r in bad)


def test_kill_at_every_point_then_rerun_matches_a_clean_run(tmp_path: Path) -> None:
    assert len(CRASH_POINTS) >= 30
    results = run_all(tmp_path)
    assert not problems(results), problems(results)
    # the harness really killed the process at (nearly) every point; a point past the end
    # of the run (e.g. a page number larger than the run has) may not be reached
    crashed = [r.point for r in results if r.crashed]
    assert len(crashed) >= 30, crashed


@pytest.mark.parametrize("scheme", ["delta", "iceberg"])
def test_lake_kill_at_every_table_commit_then_rerun_matches_a_clean_run(
        tmp_path: Path, scheme: str) -> None:
    results = run_all(tmp_path, scheme=scheme, resources=LAKE_RESOURCES)
    assert not problems(results), problems(results)
    engine = [r for r in results if not r.point.startswith("lake.")]
    assert all(r.crashed for r in engine), [r.point for r in engine if not r.crashed]
    commits = [r for r in results if r.point.startswith("lake.commit.table:")]
    journals = [r for r in results if r.point.startswith("lake.journal.written:")]
    # every point was reached but the last of each kind (the one past the end of the run)
    assert all(r.crashed for r in commits[:-1]) and not commits[-1].crashed
    assert all(r.crashed for r in journals[:-1]) and not journals[-1].crashed
    # a journal per resource commit, and one per run record (the run's start and its end:
    # restsync.load.history); a kill at a run record's loses no row and doubles none either
    assert len(commits) - 1 >= 2 * len(LAKE_RESOURCES)
    assert len(journals) - 1 == len(LAKE_RESOURCES) + 2
