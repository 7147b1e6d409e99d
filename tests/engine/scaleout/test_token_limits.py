"""Per-credential limits hold across all Ray workers of a run, counted at the server: no
token has more than its ``max_concurrency`` in flight or passes its rate, whichever worker
sends its requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from restsync.engine import Pipeline
from restsync.engine.scaleout import RayExecutor
from tests.token_server import TokenServer, most_in_any_window, tenant_source, token_server

pytestmark = pytest.mark.slow

TOKENS = {"alpha": "tok-alpha-1c9d0e", "bravo": "tok-bravo-88f3a1"}
PARTS = [f"p{i}" for i in range(6)]
RATE, WINDOW, JITTER = 4.0, 0.5, 1


def run(api: TokenServer, tmp_path: Path, *, global_limits: bool) -> None:
    source = tenant_source(api.url, TOKENS, PARTS, max_concurrency=4, token_limits={
        "max_concurrency": 1, "rate_limit": {"requests_per_second": RATE}})
    executor = RayExecutor(workers=2, global_limits=global_limits)
    info = Pipeline(destination=f"duckdb:///{tmp_path / 'out.duckdb'}",
                    executor=executor).run(source)
    assert info.ok, {n: o.error for n, o in info.outcomes.items()}
    assert all(info.outcomes[n].records == len(PARTS) for n in TOKENS)


def test_two_workers_keep_each_tokens_limits(local_ray: Any, tmp_path: Path) -> None:
    with token_server(service_seconds=0.05) as api:
        run(api, tmp_path, global_limits=True)
    allowed = int(1 + RATE * WINDOW) + JITTER  # burst 1
    for token in TOKENS.values():
        assert len(api.arrivals[token]) == len(PARTS)
        assert api.most_in_flight[token] == 1, token
        assert most_in_any_window(api.arrivals[token], WINDOW) <= allowed, token


def test_without_the_permit_service_a_token_gets_two_in_flight(local_ray: Any,
                                                               tmp_path: Path) -> None:
    """The control: each worker pacing alone lets a token's requests overlap (so the test
    above can fail)."""
    most = 0
    for attempt in range(3):  # the two workers overlap on one token in at least one run
        folder = tmp_path / str(attempt)
        folder.mkdir()
        with token_server(service_seconds=0.3) as api:
            run(api, folder, global_limits=False)
        most = max(api.most_in_flight[t] for t in TOKENS.values())
        if most > 1:
            break
    assert most == 2
