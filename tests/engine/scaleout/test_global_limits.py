"""Per-host limits hold across all Ray workers of a run, counted at the server: at most
``max_concurrency`` requests in flight, and no more than the proactive rate allows."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restsync.engine import Pipeline
from restsync.engine.scaleout import RayExecutor
from restsync.engine.scaleout.permits import permit_service
from restsync.spec import load_spec
from tests.engine.scaleout.conftest import served

pytestmark = pytest.mark.slow

TENANTS = [f"t{i}" for i in range(8)]
RATE = 8.0  # requests per second, burst 1
SERVICE_SECONDS = 0.05


class CountingApi:
    """One page per tenant; each request takes a while; arrivals and in-flight counted."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.arrivals: list[float] = []
        self.url = ""

    def respond(self, target: str) -> tuple[int, Any]:
        with self.lock:
            self.arrivals.append(time.monotonic())
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(SERVICE_SECONDS)
        with self.lock:
            self.in_flight -= 1
        return 200, [{"id": target}]


@pytest.fixture
def counting_api() -> Iterator[CountingApi]:
    yield from served(CountingApi())


def run(api: CountingApi, tmp_path: Path, *, global_limits: bool) -> None:
    source = load_spec({
        "client": {"base_url": api.url, "paginator": "single_page", "max_concurrency": 1,
                   "rate_limit": {"requests_per_second": RATE}},
        "resources": [{"name": "events", "endpoint": {"path": "t/{tenant}/events"}}],
    }, params={"tenant": TENANTS}, name="limits")
    executor = RayExecutor(workers=2, global_limits=global_limits)
    info = Pipeline(destination=f"duckdb:///{tmp_path / 'out.duckdb'}",
                    executor=executor).run(source)
    assert info.ok, {n: o.error for n, o in info.outcomes.items()}
    assert info.outcomes["events"].records == len(TENANTS)


def test_two_workers_keep_one_in_flight_and_the_rate(counting_api: CountingApi,
                                                     local_ray: Any, tmp_path: Path) -> None:
    run(counting_api, tmp_path, global_limits=True)
    assert counting_api.most_in_flight == 1
    arrivals = sorted(counting_api.arrivals)
    assert len(arrivals) == len(TENANTS)
    # a lower bound only (a slow machine makes the span longer, never shorter): the bucket
    # lets one request start every 1/RATE s; 0.8 allows for delivery jitter at the server
    assert arrivals[-1] - arrivals[0] >= 0.8 * (len(arrivals) - 1) / RATE


def test_without_the_permit_service_each_worker_paces_alone(counting_api: CountingApi,
                                                            local_ray: Any,
                                                            tmp_path: Path) -> None:
    """The control: the same run with per-worker limits exceeds them (so the test above
    can fail)."""
    for attempt in range(3):  # the two workers overlap in at least one of three runs
        folder = tmp_path / str(attempt)
        folder.mkdir()
        run(counting_api, folder, global_limits=False)
        if counting_api.most_in_flight > 1:
            break
    assert counting_api.most_in_flight == 2


def test_the_runs_of_one_connection_share_one_permit_service(counting_api: CountingApi,
                                                             local_ray: Any,
                                                             tmp_path: Path) -> None:
    """The service outlives a run (starting an actor is a process start): the second run is
    served by the same actor, which counted the calls of both."""
    counts = []
    for attempt in range(2):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        run(counting_api, folder, global_limits=True)
        counts.append(local_ray.get(permit_service(local_ray).call_count.remote()))
    # per tenant: one slot lease and one rate token, awaited (and one return of the slot,
    # not awaited: it may arrive after the count was read)
    assert counts[0] >= 2 * len(TENANTS)
    assert counts[1] - counts[0] >= 2 * len(TENANTS)  # a new actor would count from 0
