"""The per-host in-flight limit as a state machine: bounds from settings, growth in windows
while latency is flat, one cut per burst of 429/503, waiters, on an in-memory clock."""

from __future__ import annotations

import asyncio

import pytest

from restsync.extract.concurrency import (
    ConcurrencyBounds,
    ConcurrencyLimit,
    LimitChange,
    Ticket,
    concurrency_bounds,
    limit_notice,
    settled,
)


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def adaptive(start: int, ceiling: int = 64) -> tuple[ConcurrencyLimit, Clock, list[LimitChange]]:
    clock, changes = Clock(), []
    limit = ConcurrencyLimit("h:80", ConcurrencyBounds(start, ceiling, True), clock=clock,
                             on_change=changes.append)
    return limit, clock, changes


async def full_window(limit: ConcurrencyLimit, clock: Clock, latency: float,
                      status: int = 200) -> None:
    """``limit.limit`` requests at once (the limit is reached), all answered after ``latency``."""
    tickets = [await limit.acquire() for _ in range(limit.limit)]
    clock.now += latency
    for ticket in tickets:
        await limit.release(ticket, status=status)


@pytest.mark.parametrize(("initial", "maximum", "is_adaptive", "expected"), [
    (None, None, True, (16, 64, True)),     # defaults: start 16, grow up to 64
    (4, None, True, (4, 64, True)),
    (None, 8, True, (8, 8, True)),         # a ceiling under the default start is the start
    (4, 32, True, (4, 32, True)),
    (100, None, True, (100, 100, True)),   # a start above the default ceiling lifts it
    (None, None, False, (16, 16, False)),  # fixed: the start...
    (4, 12, False, (12, 12, False)),       # ...or max_concurrency when set
])
def test_bounds_from_settings(initial: int | None, maximum: int | None, is_adaptive: bool,
                              expected: tuple[int, int, bool]) -> None:
    bounds = concurrency_bounds(initial=initial, maximum=maximum, adaptive=is_adaptive)
    assert (bounds.start, bounds.ceiling, bounds.adaptive) == expected


async def test_slow_start_then_additive_growth_while_latency_is_flat() -> None:
    limit, clock, changes = adaptive(4)
    await full_window(limit, clock, 0.010)
    assert limit.limit == 6  # slow start: x1.5 per window
    await full_window(limit, clock, 0.010)
    assert limit.limit == 9
    await full_window(limit, clock, 0.030)  # latency tripled: hold, and slow start ends
    assert limit.limit == 9
    await full_window(limit, clock, 0.012)
    assert limit.limit == 10  # additive now
    assert [c.new for c in changes] == [6, 9, 10]


async def test_an_unused_limit_does_not_grow() -> None:
    limit, clock, changes = adaptive(4)
    for _ in range(100):  # one request at a time: the limit of 4 is never reached
        ticket = await limit.acquire()
        clock.now += 0.01
        await limit.release(ticket, status=200)
    assert limit.limit == 4 and changes == []


async def test_growth_stops_at_the_ceiling() -> None:
    limit, clock, _ = adaptive(4, ceiling=10)
    for _ in range(20):
        await full_window(limit, clock, 0.01)
    assert limit.limit == 10 and limit.peak == 10


@pytest.mark.parametrize("status", [429, 503])
async def test_a_burst_of_throttles_cuts_once_per_generation(status: int) -> None:
    limit, clock, changes = adaptive(10)
    await full_window(limit, clock, 0.01, status=status)  # 10 concurrent refusals: one cut
    assert limit.limit == 7 and limit.backoffs == 1
    await full_window(limit, clock, 0.01, status=status)  # sent after the cut: cut again
    assert limit.limit == 4 and limit.lowest == 4
    assert str(status) in changes[0].reason


async def test_the_cut_never_goes_below_one_and_other_statuses_are_neutral() -> None:
    limit, clock, _ = adaptive(2)
    for _ in range(5):
        await full_window(limit, clock, 0.01, status=429)
    assert limit.limit == 1
    for status in (500, 404, None):  # errors and transport failures neither cut nor grow
        await limit.release(await limit.acquire(), status=status)
    assert limit.limit == 1 and limit.backoffs == 5


async def test_after_a_cut_growth_is_additive() -> None:
    limit, clock, _ = adaptive(10)
    await full_window(limit, clock, 0.01, status=429)
    assert limit.limit == 7
    await full_window(limit, clock, 0.01)
    assert limit.limit == 8


async def test_a_fixed_limit_never_moves() -> None:
    clock = Clock()
    limit = ConcurrencyLimit("h:80", ConcurrencyBounds(4, 4, False), clock=clock)
    for status in (429, 200, 503, 200):
        await full_window(limit, clock, 0.01, status=status)
    assert limit.limit == 4 and limit.backoffs == 0


async def test_waiters_get_slots_in_order_and_a_cancelled_waiter_leaks_none() -> None:
    limit, _, _ = adaptive(2)
    a: Ticket = await limit.acquire()
    await limit.acquire()
    first = asyncio.create_task(limit.acquire())
    second = asyncio.create_task(limit.acquire())
    await asyncio.sleep(0)
    assert not first.done() and not second.done()
    first.cancel()
    await asyncio.sleep(0)
    await limit.release(a, status=None)
    await asyncio.wait_for(second, 1)
    assert limit.in_flight == 2
    assert first.cancelled()


async def test_a_cut_holds_waiters_until_in_flight_is_under_the_new_limit() -> None:
    limit, _, _ = adaptive(4)
    tickets = [await limit.acquire() for _ in range(4)]
    waiter = asyncio.create_task(limit.acquire())
    await limit.release(tickets[0], status=429)  # 4 -> 2 with 3 still in flight
    await asyncio.sleep(0)
    assert limit.limit == 2 and not waiter.done()
    for ticket in tickets[1:3]:
        await limit.release(ticket, status=200)
    await asyncio.wait_for(waiter, 1)  # 1 left in flight: the waiter's slot fits under 2
    assert limit.in_flight == 2


async def test_settled_reports_each_host_once() -> None:
    limit, clock, _ = adaptive(4)
    await full_window(limit, clock, 0.01)
    reported: set[str] = set()
    [event] = settled({"h:80": limit}, reported)
    assert (event.host, event.start, event.settled, event.peak, event.ceiling) == (
        "h:80", 4, 6, 6, 64)
    assert settled({"h:80": limit}, reported) == []


async def test_only_the_first_cut_of_a_host_is_announced() -> None:
    limit, clock, changes = adaptive(10)
    for _ in range(3):
        await full_window(limit, clock, 0.01, status=429)
    cuts = [c for c in changes if c.new < c.old]
    assert len(cuts) == 3
    texts = [limit_notice(c) for c in cuts]
    assert texts[1:] == [None, None]
    assert texts[0] is not None and "from 10 to 7" in texts[0] and "429" in texts[0]
    assert limit_notice(LimitChange("h:80", 4, 5, "latency flat, no 429/503")) is None


async def test_a_waiter_cancelled_while_a_slot_frees_up_leaks_nothing() -> None:
    limit, _, _ = adaptive(1)
    held = await limit.acquire()
    waiter = asyncio.create_task(limit.acquire())
    await asyncio.sleep(0)
    waiter.cancel()  # cancelled, but its task has not run its handler yet...
    await limit.release(held, status=200)  # ...when the slot frees up
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert limit.in_flight == 0
    await asyncio.wait_for(limit.acquire(), 1)  # the slot is free for the next one
