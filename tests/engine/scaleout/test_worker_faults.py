"""A Ray worker killed mid-partition: Ray runs the partition again, and the table holds each
row exactly once (a worker writes nothing; the driver loads each partition's result once)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from restsync.engine import Pipeline
from restsync.engine.scaleout import RayExecutor
from restsync.spec import load_spec
from tests.engine.scaleout.conftest import _descendants

pytestmark = pytest.mark.slow

TENANTS = ["a", "b", "c", "d"]
PAGES, PER_PAGE = 3, 40


class TenantApi:
    """Three pages of records per tenant; the first request for tenant ``c``'s page 2 hangs
    (until its worker is killed) and says so through :attr:`hanging`."""

    def __init__(self) -> None:
        self.hanging = threading.Event()
        self.served: list[tuple[str, int]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                tenant = url.path.split("/")[2]
                page = int(parse_qs(url.query).get("page", ["1"])[0])
                api.served.append((tenant, page))
                if (tenant, page) == ("c", 2) and not api.hanging.is_set():
                    api.hanging.set()
                    time.sleep(30)  # the worker dies meanwhile; nobody reads this answer
                    return
                rows = [{"id": f"{tenant}-{page}-{i}", "tenant": tenant, "n": i}
                        for i in range(PER_PAGE)]
                nxt = f"/t/{tenant}/events?page={page + 1}" if page < PAGES else None
                body = json.dumps({"data": rows, "next": nxt}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"


@pytest.fixture
def tenant_api() -> Iterator[TenantApi]:
    api = TenantApi()
    thread = threading.Thread(target=api.server.serve_forever, daemon=True)
    thread.start()
    yield api
    api.server.shutdown()
    api.server.server_close()


def kill_partition_workers(api: TenantApi, killed: list[int]) -> None:
    """Once tenant c's page 2 hangs, SIGKILL the Ray workers running partitions (ours)."""
    if not api.hanging.wait(120):
        return
    for pid in _descendants(os.getpid()):
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
