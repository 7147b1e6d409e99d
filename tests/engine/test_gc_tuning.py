"""The run's garbage-collector thresholds: raised while a run is active, restored after."""

import asyncio
import gc

import pytest

from restsync.engine.gc_tuning import YOUNG_THRESHOLD, fewer_collections


@pytest.fixture(autouse=True)
def default_thresholds():
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_thresholds_are_raised_inside_and_restored_after() -> None:
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
        assert gc.isenabled()
    assert gc.get_threshold() == (700, 10, 10)


def test_restored_even_when_the_run_raises() -> None:
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("boom")
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_runs_restore_only_when_the_last_one_ends() -> None:
    async def run(delay: float, seen: list[tuple[int, ...]]) -> None:
        with fewer_collections():
            await asyncio.sleep(delay)
            seen.append(gc.get_threshold())

    async def both() -> list[tuple[int, ...]]:
        seen: list[tuple[int, ...]] = []
        await asyncio.gather(run(0.01, seen), run(0.05, seen))
        return seen

    seen = asyncio.run(both())
    assert seen == [(YOUNG_THRESHOLD, 10, 10)] * 2  # the shorter run did not restore early
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_threshold_set_by_the_user_is_kept() -> None:
    gc.set_threshold(YOUNG_THRESHOLD * 2, 5, 5)
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG_THRESHOLD * 2, 5, 5)
    assert gc.get_threshold() == (YOUNG_THRESHOLD * 2, 5, 5)
