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


def test_a_killed_worker_s_partition_runs_again_without_duplicates(
        tenant_api: TenantApi, local_ray: Any, tmp_path: Path) -> None:
    source = load_spec({
        "client": {"base_url": tenant_api.url,
                   "paginator": {"type": "json_link", "next_url_path": "next"}},
        "resource_defaults": {"endpoint": {"data_selector": "data"}, "primary_key": "id"},
        "resources": [{"name": "events", "endpoint": {"path": "t/{tenant}/events"}}],
    }, params={"tenant": TENANTS}, name="tenants")
    killed: list[int] = []
    killer = threading.Thread(target=kill_partition_workers, args=(tenant_api, killed))
    killer.start()
    db = tmp_path / "out.duckdb"
    info = Pipeline(destination=f"duckdb:///{db}", executor=RayExecutor(workers=2)).run(source)
    killer.join()
    assert killed, "no partition worker was running when tenant c's page 2 hung"
    assert info.ok, {n: o.error for n, o in info.outcomes.items()}
    con = duckdb.connect(str(db), read_only=True)
    try:
        [(rows, distinct)] = con.execute(
            "SELECT count(*), count(DISTINCT id) FROM tenants.events").fetchall()
    finally:
        con.close()
    assert rows == distinct == len(TENANTS) * PAGES * PER_PAGE
    # tenant c's sequence was fetched again from its first page by the re-run partition
    assert tenant_api.served.count(("c", 1)) == 2
    assert info.outcomes["events"].records == rows
