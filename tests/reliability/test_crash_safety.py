"""Crash safety: SIGKILL at named points of a real run, then a normal run: nothing lost or doubled.

DuckDB: 40 points of the whole seed run, in 4 chunks. Delta and Iceberg (a commit journal
instead of a transaction): every table commit and every journal of a run of two resources (a
parent and its fan-out child), plus engine points around them, one test per kind of point.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.crash_harness import (
    CRASH_POINTS,
    LAKE_ENGINE_POINTS,
    TrialResult,
    run_all,
)

# each trial is a killed run plus a recovery run: minutes in all (`make test-slow`)
pytestmark = pytest.mark.slow

LAKE_RESOURCES = ["labels", "labels_details"]


def problems(results: list[TrialResult]) -> str:
    bad = [r for r in results if not r.recovered or r.rows_lost or r.rows_duplicated or r.orphans]
    return "\n".join(f"{r.point}: {r.detail}" for r in bad)


CHUNKS = 4
"""The DuckDB points run as this many tests (each with its own clean run), so that a
parallel test run can spread the ~80 subprocess runs over its workers."""


def test_the_chunks_cover_every_point_once() -> None:
    chunks = [CRASH_POINTS[i::CHUNKS] for i in range(CHUNKS)]
    assert sorted(p for chunk in chunks for p in chunk) == sorted(CRASH_POINTS)
    assert len(CRASH_POINTS) >= 30


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_kill_at_every_point_then_rerun_matches_a_clean_run(tmp_path: Path, chunk: int) -> None:
    points = CRASH_POINTS[chunk::CHUNKS]
    results = run_all(tmp_path, points)
    assert [r.point for r in results] == points
    assert not problems(results), problems(results)
    # the harness really killed the process at (nearly) every point; a point past the end
    # of the run (e.g. a page number larger than the run has) may not be reached
    crashed = [r.point for r in results if r.crashed]
    assert len(crashed) >= len(points) - 2, crashed


@pytest.mark.parametrize("kind", ["engine", "lake.journal.written", "lake.commit.table"])
@pytest.mark.parametrize("scheme", ["delta", "iceberg"])
def test_lake_kill_at_every_table_commit_then_rerun_matches_a_clean_run(
        tmp_path: Path, scheme: str, kind: str) -> None:
    results = run_all(tmp_path, scheme=scheme, resources=LAKE_RESOURCES, kinds=(kind,))
    assert not problems(results), problems(results)
    if kind == "engine":
        assert [r.point for r in results] == LAKE_ENGINE_POINTS
        assert all(r.crashed for r in results), [r.point for r in results if not r.crashed]
        return
    assert results and all(r.point.startswith(f"{kind}:") for r in results)
    # every point was reached but the last (the one past the end of the run)
    assert all(r.crashed for r in results[:-1]) and not results[-1].crashed
    if kind == "lake.commit.table":
        assert len(results) - 1 >= 2 * len(LAKE_RESOURCES)
    else:
        # a journal per resource commit, and one per run record (the run's start and its
        # end: restsync.load.history); a kill at a run record's loses no row, doubles none
        assert len(results) - 1 == len(LAKE_RESOURCES) + 2
