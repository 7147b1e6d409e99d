"""``--executor ray`` against the real sandbox servers: the seed documents give the same
tables, rows and state as the default executor, over a local Ray instance on loopback."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from restsync.engine import Pipeline, RunInfo
from restsync.engine.scaleout import RayExecutor
from tests.e2e.helpers import assert_complete_tables, assert_ok
from tests.engine.scaleout.conftest import listening_addresses

pytestmark = pytest.mark.slow

SEEDS = ["email_api", "calendar_api", "marketing_api", "project_api", "email_events_api"]


def run_with(run: Any, executor: Any, destination: str) -> RunInfo:
    pipe = Pipeline(destination=destination, executor=executor)
    return pipe.run(run.source())


def table_counts(run: Any, destination_file: str) -> dict[str, int]:
    run.db_path = run.db_path.with_name(destination_file)
    return {t: run.count(t) for t in sorted(run.tables())}


def is_loopback(address: str) -> bool:
    if address == "*":
        return False
    ip = ipaddress.ip_address(address.strip("[]"))
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def test_every_ray_process_listens_on_loopback_only(local_ray: Any) -> None:
    found = listening_addresses()
    assert found, "the local Ray instance listens on nothing we can see"
    assert all(is_loopback(a) for a in found), found


@pytest.mark.parametrize("seed", SEEDS)
def test_seed_gives_the_same_tables_and_counts_as_the_default_executor(
        seed: str, seed_run: Any, local_ray: Any) -> None:
    run = seed_run(seed)
    default_db = run.db_path.with_name(f"{seed}_default.duckdb")
    ray_db = run.db_path.with_name(f"{seed}_ray.duckdb")
    default = run_with(run, None, f"duckdb:///{default_db}")
    assert_ok(default)
    on_ray = run_with(run, RayExecutor(workers=2, chunk_size=3), f"duckdb:///{ray_db}")
    assert_ok(on_ray)
    run.db_path = ray_db
    assert_complete_tables(run, on_ray)
    ray_counts = {t: run.count(t) for t in sorted(run.tables())}
    run.db_path = default_db
    assert ray_counts == {t: run.count(t) for t in sorted(run.tables())}
    assert {n: (o.status, o.records, o.tables, o.skipped_parents)
            for n, o in on_ray.outcomes.items()} == {
        n: (o.status, o.records, o.tables, o.skipped_parents)
        for n, o in default.outcomes.items()}
    state = "SELECT resource, state FROM {}._restsync_state ORDER BY resource"
    run.db_path = ray_db
    ray_state = run.query(state.format(seed))
    run.db_path = default_db
    assert ray_state == run.query(state.format(seed))


def test_a_failing_partition_fails_its_resource_and_children_as_in_process(
        seed_run: Any, local_ray: Any) -> None:
    run = seed_run("email_events_api")
    run.server.faults.add(r"/v1/domains$", status=403, times=None)
    default = run_with(run, None, f"duckdb:///{run.db_path.with_name('default.duckdb')}")
    on_ray = run_with(run, RayExecutor(workers=2),
                      f"duckdb:///{run.db_path.with_name('ray.duckdb')}")
    assert default.failed, "the fault did not fail anything"
    assert {n: (o.status, o.error) for n, o in on_ray.outcomes.items()} == {
        n: (o.status, o.error) for n, o in default.outcomes.items()}
    run.db_path = run.db_path.with_name("ray.duckdb")
    assert not {str(n) for n in on_ray.failed} & run.tables()
