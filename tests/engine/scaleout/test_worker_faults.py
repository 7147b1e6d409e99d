"""A Ray worker killed mid-partition: Ray runs the partition again, and the table holds each
row exactly once (a worker writes nothing; the driver loads each partition's result once)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from restsync.engine import Pipeline
from restsync.engine.scaleout import RayExecutor
from restsync.engine.scaleout.permits import permit_service
from restsync.spec import load_spec
from tests.engine.scaleout.conftest import descendants, served

pytestmark = pytest.mark.slow

TENANTS = ["a", "b", "c", "d"]
PAGES, PER_PAGE = 3, 40


class TenantApi:
    """Three pages of records per tenant; the first request for tenant ``c``'s page 2 hangs
    (until its worker is killed) and says so through :attr:`hanging`."""

    def __init__(self) -> None:
        self.hanging = threading.Event()
        self.served: list[tuple[str, int]] = []
        self.url = ""

    def respond(self, target: str) -> tuple[int, Any] | None:
        url = urlsplit(target)
        tenant = url.path.split("/")[2]
        page = int(parse_qs(url.query).get("page", ["1"])[0])
        self.served.append((tenant, page))
        if (tenant, page) == ("c", 2) and not self.hanging.is_set():
            self.hanging.set()
            time.sleep(30)  # the worker dies meanwhile; nobody reads this answer
            return None
        rows = [{"id": f"{tenant}-{page}-{i}", "tenant": tenant, "n": i} for i in range(PER_PAGE)]
        return 200, {"data": rows,
                     "next": f"/t/{tenant}/events?page={page + 1}" if page < PAGES else None}


@pytest.fixture
def tenant_api() -> Iterator[TenantApi]:
    yield from served(TenantApi())


def kill_partition_workers(api: TenantApi, killed: list[int]) -> None:
    """Once tenant c's page 2 hangs, SIGKILL the Ray workers running partitions (ours)."""
    if not api.hanging.wait(120):
        return
    for pid in descendants(os.getpid()):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_text()
        except OSError:
            continue
        if title.startswith("ray::run_partition"):
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)


def tenants_source(api: TenantApi, **client: Any) -> Any:
    return load_spec({
        "client": {"base_url": api.url,
                   "paginator": {"type": "json_link", "next_url_path": "next"}, **client},
        "resource_defaults": {"endpoint": {"data_selector": "data"}, "primary_key": "id"},
        "resources": [{"name": "events", "endpoint": {"path": "t/{tenant}/events"}}],
    }, params={"tenant": TENANTS}, name="tenants")


def run_killing_workers(api: TenantApi, source: Any, db: Path) -> Any:
    """Run ``source`` on 2 workers, killing the partition workers once tenant c hangs; the
    run's info (the run must end within 3 minutes)."""
    killed: list[int] = []
    killer = threading.Thread(target=kill_partition_workers, args=(api, killed))
    killer.start()
    done: list[Any] = []
    runner = threading.Thread(target=lambda: done.append(Pipeline(
        destination=f"duckdb:///{db}", executor=RayExecutor(workers=2)).run(source)),
        daemon=True)
    runner.start()
    runner.join(180)
    killer.join()
    assert killed, "no partition worker was running when tenant c's page 2 hung"
    assert done, "the run did not end (a dead worker's permit never came back?)"
    return done[0]


def assert_every_row_once(info: Any, db: Path) -> int:
    """The run succeeded and loaded every row exactly once; the row count."""
    assert info.ok, {n: o.error for n, o in info.outcomes.items()}
    con = duckdb.connect(str(db), read_only=True)
    try:
        [(rows, distinct)] = con.execute(
            "SELECT count(*), count(DISTINCT id) FROM tenants.events").fetchall()
    finally:
        con.close()
    assert rows == distinct == len(TENANTS) * PAGES * PER_PAGE
    return int(rows)


def test_a_killed_worker_s_partition_runs_again_without_duplicates(
        tenant_api: TenantApi, local_ray: Any, tmp_path: Path) -> None:
    db = tmp_path / "out.duckdb"
    info = run_killing_workers(tenant_api, tenants_source(tenant_api), db)
    rows = assert_every_row_once(info, db)
    # tenant c's sequence was fetched again from its first page by the re-run partition
    assert tenant_api.served.count(("c", 1)) == 2
    assert info.outcomes["events"].records == rows


def test_the_permit_a_killed_worker_held_comes_back(tenant_api: TenantApi, local_ray: Any,
                                                    tmp_path: Path) -> None:
    """One request in flight for the whole run (global limits): the killed worker held the
    only slot while its request hung; the partition's re-run gets it back and the run ends
    with every row once."""
    service = permit_service(local_ray)
    reclaimed = local_ray.get(service.reclaimed_count.remote())
    source = tenants_source(tenant_api, max_concurrency=1, adaptive_concurrency=False)
    db = tmp_path / "out.duckdb"
    info = run_killing_workers(tenant_api, source, db)
    assert_every_row_once(info, db)
    assert local_ray.get(service.reclaimed_count.remote()) > reclaimed
