"""Under Ray, where the in-flight limits settled is reported as in one process: the permit
service holds the run's only limits, and the driver reports them when the run closes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from restsync.engine import Pipeline
from restsync.engine.scaleout import RayExecutor
from restsync.events import ConcurrencySettled, Event
from restsync.spec import load_spec
from tests.e2e.test_adaptive_concurrency import (
    ITEMS,
    InFlightServer,
    detail_rows,
    fan_out_spec,
)

pytestmark = pytest.mark.slow


def test_a_ray_run_reports_where_the_cut_limit_settled(local_ray: Any, tmp_path: Path) -> None:
    events: list[Event] = []
    db = tmp_path / "run.duckdb"
    with InFlightServer(refuse_above=1, delay=0.02) as server:
        source = load_spec(fan_out_spec(server.url, initial_concurrency=6, max_concurrency=12),
                           name="fan")
        info = Pipeline(destination=f"duckdb:///{db}", events=events.append,
                        executor=RayExecutor(workers=2)).run(source)
    assert info.ok, {n: o.error for n, o in info.outcomes.items()}
    assert detail_rows(db) == (ITEMS, ITEMS, 3 * sum(range(ITEMS)))
    refused = [flight for flight, status in server.arrivals if status == 429]
    assert refused  # the server did cut it
    [settled] = [e for e in events if isinstance(e, ConcurrencySettled)]
    assert settled.host == server.url.removeprefix("http://")
    assert (settled.start, settled.ceiling, settled.adaptive) == (6, 12, True)
    assert settled.backoffs >= 1 and settled.lowest < 6
