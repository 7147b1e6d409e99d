"""Per-partition progress under Ray: a driver killed (SIGKILL) after two partition commits
leaves those partitions committed and named in the state; a re-run, with either executor,
fetches only the others and ends with exactly the default executor's tables and state."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from restsync.engine import Pipeline
from restsync.engine.scaleout import RayExecutor
from restsync.spec import load_spec
from tests.engine.scaleout.conftest import served

pytestmark = pytest.mark.slow

TENANTS = ["a", "b", "c", "d", "e", "f"]
PAGES, PER_PAGE = 2, 5


class TenantApi:
    """Two pages per tenant; every request counted by ``(tenant, page)``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.served: Counter[tuple[str, int]] = Counter()
        self.url = ""

    def respond(self, target: str) -> tuple[int, Any]:
        url = urlsplit(target)
        tenant = url.path.split("/")[2]
        page = int(parse_qs(url.query).get("page", ["1"])[0])
        with self.lock:
            self.served[tenant, page] += 1
        rows = [{"id": f"{tenant}-{page}-{i}", "n": 10 * page + i} for i in range(PER_PAGE)]
        return 200, {"data": rows,
                     "next": f"/t/{tenant}/events?page={page + 1}" if page < PAGES else None}


@pytest.fixture
def tenant_api() -> Iterator[TenantApi]:
    yield from served(TenantApi())


def document(url: str) -> dict[str, Any]:
    return {
        "client": {"base_url": url, "paginator": {"type": "json_link", "next_url_path": "next"}},
        "resource_defaults": {"endpoint": {"data_selector": "data"}, "primary_key": "id"},
        "resources": [{"name": "events", "write_disposition": "append", "endpoint": {
            "path": "t/{tenant}/events",
            "incremental": {"cursor_path": "n", "initial_value": 0}}}],
    }


def source(url: str) -> Any:
    return load_spec(document(url), params={"tenant": TENANTS}, name="tenants")


CRASHING_RUN = """
import json, sys
from restsync.engine import Pipeline
from restsync.engine.scaleout import RayExecutor
from restsync.spec import load_spec
doc, db, tenants = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
executor = RayExecutor(workers=2, checkpoint_seconds=0)
Pipeline(destination=f"duckdb:///{db}", executor=executor).run(
    load_spec(doc, params={"tenant": tenants}, name="tenants"))
"""


def crash_after_two_checkpoints(url: str, db: Path) -> None:
    """A Ray run in a child process that SIGKILLs itself right after its 2nd partition
    commit (the faultpoint); its own local Ray instance goes with its session."""
    env = {**os.environ, "RESTSYNC_CRASH_AT": "scaleout.checkpoint.after:2"}
    child = subprocess.Popen([sys.executable, "-c", CRASHING_RUN, json.dumps(document(url)),
                              str(db), ",".join(TENANTS)], env=env, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, err = child.communicate(timeout=240)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)  # whatever of its session is left
    assert child.returncode == -signal.SIGKILL, err[-2000:]


def snapshot(db: Path) -> tuple[list[tuple[Any, ...]], Any]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT id, n FROM tenants.events ORDER BY id").fetchall()
        [(state,)] = con.execute("SELECT state FROM tenants._restsync_state "
                                 "WHERE resource = 'events'").fetchall()
    finally:
        con.close()
    return rows, json.loads(state) if isinstance(state, str) else state


def test_a_rerun_after_a_driver_crash_redoes_only_the_unfinished_partitions(
        tenant_api: TenantApi, local_ray: Any, tmp_path: Path) -> None:
    expected_db = tmp_path / "default.duckdb"
    assert Pipeline(destination=f"duckdb:///{expected_db}").run(source(tenant_api.url)).ok
    expected = snapshot(expected_db)
    assert len(expected[0]) == len(TENANTS) * PAGES * PER_PAGE

    crashed = tmp_path / "crashed.duckdb"
    tenant_api.served.clear()
    crash_after_two_checkpoints(tenant_api.url, crashed)
    rows, state = snapshot(crashed)
    done = state["partitions_done"]
    assert sorted(done) == ["events[tenant=a]", "events[tenant=b]"]  # committed in order
    assert sorted({r[0].split("-")[0] for r in rows}) == ["a", "b"]
    assert len(rows) == 2 * PAGES * PER_PAGE
    assert state.get("incremental", {}).get("per_parent") in (None, {})  # cursor not advanced

    for executor in (RayExecutor(workers=2, checkpoint_seconds=0), None):
        db = tmp_path / f"rerun-{'ray' if executor else 'default'}.duckdb"
        for suffix in ("", ".wal"):  # the crash left its last commits in DuckDB's WAL
            if crashed.with_name(crashed.name + suffix).exists():
                shutil.copy(crashed.with_name(crashed.name + suffix),
                            db.with_name(db.name + suffix))
        tenant_api.served.clear()
        info = Pipeline(destination=f"duckdb:///{db}", executor=executor).run(
            source(tenant_api.url))
        assert info.ok, {n: o.error for n, o in info.outcomes.items()}
        # the committed partitions are not fetched again; every other page once
        assert all(t not in ("a", "b") for t, _ in tenant_api.served), tenant_api.served
        assert sorted(tenant_api.served) == [(t, p) for t in TENANTS[2:]
                                             for p in range(1, PAGES + 1)]
        assert snapshot(db) == expected  # same rows, no duplicates; same state
