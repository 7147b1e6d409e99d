"""``python -m bench.scaleout``: the Ray executor against the default one (issue 12).

Workloads (one mock API process, :mod:`bench.mock_api`, serves a dataset per tenant; each
tenant is one fan-out partition, a cursor chain of pages):

* ``overhead``: many tenants of one tiny page each, no latency: the run is all per-partition
  cost. Run at two tenant counts; the slope of (Ray - default) over the count is the
  per-partition overhead, the intercept the fixed start cost of a run.
* ``cpu``: tenants with large pages of wide nested records, no latency: normalising them is
  the work (the mock server's own CPU counts against us).
* ``io``: tenants whose every page takes ``--io-latency-ms`` (400 ms): latency-bound.
* ``model``: the parts of the overhead model measured alone: an awaited call to the permit
  service (what a request under a ``rate_limit`` pays, and a partition per slot it leases),
  and the object store's cost per MB of a result handed from a worker to the driver.

Ray runs inside a local Ray instance of ``workers`` CPUs that the bench starts once per
worker count (its start-up is not timed: it is not a property of restsync; nor is one
untimed warm-up run that makes Ray start its worker processes), every Ray
process on loopback, usage stats off (:func:`restsync.engine.scaleout.cluster.ray_session`).
Each configuration runs ``--repeat`` times; the median is reported. Example::

    python -m bench.scaleout --workloads overhead,cpu,io --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.mock_api import Dataset, MockApiProcess
from restsync.engine import Pipeline
from restsync.engine.scaleout import RayExecutor
from restsync.engine.scaleout.cluster import ray_session
from restsync.spec import load_spec

Executor = Any


def tenants_spec(origin: str, tenants: list[str]) -> Any:
    """One resource, fanned out over ``tenants`` (each a cursor chain of the mock's pages)."""
    return load_spec({
        "client": {"base_url": origin + "/",
                   "paginator": {"type": "json_link", "next_url_path": "paging.next"}},
        "resource_defaults": {"endpoint": {"data_selector": "items"}, "primary_key": "id",
                              "write_disposition": "append"},
        "resources": [{"name": "events", "endpoint": {"path": "{tenant}/events"}}],
    }, params={"tenant": tenants}, name="scaleout")


def timed_run(origin: str, tenants: list[str], executor: Executor | None) -> tuple[float, int]:
    """Seconds of one run into a new DuckDB file, and its records."""
    with tempfile.TemporaryDirectory(prefix="scaleout-bench-") as folder:
        source = tenants_spec(origin, tenants)
        pipe = Pipeline(destination=f"duckdb:///{Path(folder) / 'out.duckdb'}",
                        executor=executor)
        started = time.perf_counter()
        info = pipe.run(source)
        seconds = time.perf_counter() - started
    if not info.ok:
        raise RuntimeError({n: o.error for n, o in info.outcomes.items()})
    return seconds, info.outcomes["events"].records


def median_of(repeat: int, run: Callable[[], tuple[float, int]]) -> tuple[float, int]:
    """Median seconds of ``repeat`` runs (and the records of the last); prints the CPU
    seconds per run of each process role (less sensitive to other jobs than the time)."""
    times, records = [], 0
    before = cpu_by_role()
    for _ in range(repeat):
        seconds, records = run()
        times.append(seconds)
    after = cpu_by_role()
    used = {role: (after[role] - before.get(role, 0.0)) / repeat for role in after}
    print("          cpu s per run: " + ", ".join(
        f"{role} {value:.2f}" for role, value in sorted(used.items()) if value >= 0.005),
        flush=True)
    return statistics.median(times), records


def cpu_by_role() -> dict[str, float]:
    """CPU seconds so far of this process and its descendants, by role: ``driver`` (this
    process: the default executor's whole run, or the Ray driver), ``mock`` (the API),
    ``workers`` (Ray task workers), ``permits`` (the permit service), ``ray`` (Ray's own
    processes). Linux (``/proc``); empty elsewhere."""
    procs = Path("/proc")
    if not procs.is_dir():
        return {}
    parents: dict[int, int] = {}
    for stat in procs.glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    ours, frontier = {os.getpid()}, {os.getpid()}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - ours
        ours |= frontier
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for pid in ours:
        try:
            fields = (procs / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
            command = (procs / str(pid) / "cmdline").read_text()
        except OSError:
            continue
        role = ("driver" if pid == os.getpid() else "mock" if "bench.mock_api" in command
                else "permits" if command.startswith("ray::PermitService")
                else "workers" if command.startswith(("ray::IDLE", "ray::run_partition"))
                else "ray")
        used[role] = used.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return used


def measure_model(ray: Any, calls: int = 300) -> dict[str, float]:
    """Milliseconds per awaited permit-service call, and per MB from a worker's result to the
    driver (``ray.get`` of a task's bytes, 32 MB minus 1 MB, over 31)."""
    import asyncio

    from restsync.engine.scaleout.permits import permit_service
    from restsync.spec.model import ClientConfig

    service = permit_service(ray)
    ray.get(service.open.remote("model", ClientConfig(base_url="http://127.0.0.1:9/")))

    async def round_trips() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            await service.rate.remote("model", "h:1")
        return (time.perf_counter() - started) / calls

    per_call = asyncio.run(round_trips())
    ray.get(service.close.remote("model"))

    @ray.remote(num_cpus=1)
    def payload(mb: int) -> bytes:
        return bytes(mb << 20)  # cheap to make: the transfer is what is timed

    def fetch(mb: int) -> float:
        ray.get(payload.remote(mb))  # warm
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            ray.get(payload.remote(mb))
            best = min(best, time.perf_counter() - started)
        return best

    per_mb = (fetch(32) - fetch(1)) / 31
    return {"permit call ms": 1000 * per_call, "result ms per MB": 1000 * per_mb}


def workload_datasets(name: str, args: argparse.Namespace) -> tuple[list[Dataset], list[int]]:
    """The datasets of a workload, and the tenant counts to run it at."""
    if name == "overhead":
        counts = [args.overhead_small, args.overhead_large]
        return [Dataset(f"o{i}", records=1, page_size=1) for i in range(max(counts))], counts
    if name == "cpu":
        return [Dataset(f"c{i}", records=args.cpu_records, page_size=args.cpu_page_size)
                for i in range(args.cpu_tenants)], [args.cpu_tenants]
    if name == "model":
        return [], []
    if name == "io":
        return [Dataset(f"i{i}", records=args.io_pages * 10, page_size=10,
                        latency_ms=args.io_latency_ms)
                for i in range(args.io_tenants)], [args.io_tenants]
    raise SystemExit(f"unknown workload {name!r}; known: overhead, cpu, io")


def main() -> None:
    parser = argparse.ArgumentParser(description="restsync --executor ray bench")
    parser.add_argument("--workloads", default="overhead,cpu,io")
    parser.add_argument("--workers", default="1,2", help="Ray worker counts")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--overhead-small", type=int, default=20)
    parser.add_argument("--overhead-large", type=int, default=120)
    parser.add_argument("--cpu-tenants", type=int, default=8)
    parser.add_argument("--cpu-records", type=int, default=6000)
    parser.add_argument("--cpu-page-size", type=int, default=1000)
    parser.add_argument("--io-tenants", type=int, default=16)
    parser.add_argument("--io-pages", type=int, default=5)
    parser.add_argument("--io-latency-ms", type=float, default=400.0)
    args = parser.parse_args()
    workloads = args.workloads.split(",")
    worker_counts = [int(w) for w in args.workers.split(",")]
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

    plans = {name: workload_datasets(name, args) for name in workloads}
    warmup = [Dataset(f"w{i}", records=1, page_size=1) for i in range(8)]
    datasets = [d for ds, _ in plans.values() for d in ds] + warmup
    results: list[tuple[str, int, str, float, int]] = []
    with MockApiProcess(datasets) as api:
        for name, (ds, counts) in plans.items():
            for count in counts:
                tenants = [d.name for d in ds[:count]]
                seconds, records = median_of(
                    args.repeat, lambda t=tenants: timed_run(api.origin, t, None))
                results.append((name, count, "default", seconds, records))
                print(f"{name:9} {count:4} tenants  default      {seconds:7.2f} s  "
                      f"{records} records", flush=True)
        for workers in worker_counts:
            with ray_session(None, workers):
                # untimed: Ray starts its worker processes (and restsync's permit service)
                # on first use, seconds each on a busy machine: not a cost of a run
                timed_run(api.origin, [d.name for d in warmup], RayExecutor(workers=workers))
                if "model" in workloads:
                    import ray

                    for key, value in measure_model(ray).items():
                        print(f"model     ray x{workers}: {key} {value:.2f}", flush=True)
                for name, (ds, counts) in plans.items():
                    for count in counts:
                        tenants = [d.name for d in ds[:count]]
                        seconds, records = median_of(args.repeat, lambda t=tenants, w=workers:
                                                     timed_run(api.origin, t,
                                                               RayExecutor(workers=w)))
                        label = f"ray x{workers}"
                        results.append((name, count, label, seconds, records))
                        print(f"{name:9} {count:4} tenants  {label:12} {seconds:7.2f} s  "
                              f"{records} records", flush=True)
    summarize(results, args)


def summarize(results: list[tuple[str, int, str, float, int]], args: argparse.Namespace) -> None:
    """Speed-ups and the per-partition overhead model from the medians."""
    by = {(w, n, e): s for w, n, e, s, _ in results}
    print(f"\nload average: {os.getloadavg()[0]:.1f} (2 cores shared with other jobs)")
    small, large = args.overhead_small, args.overhead_large
    for label in sorted({e for _, _, e, _, _ in results if e != "default"}):
        if ("overhead", large, label) in by and ("overhead", small, "default") in by:
            ray_slope = (by["overhead", large, label] - by["overhead", small, label]) / (large - small)
            default_slope = (by["overhead", large, "default"]
                             - by["overhead", small, "default"]) / (large - small)
            fixed = (by["overhead", small, label] - ray_slope * small) - (
                by["overhead", small, "default"] - default_slope * small)
            print(f"overhead {label}: {1000 * (ray_slope - default_slope):.1f} ms per partition "
                  f"over the default ({1000 * ray_slope:.1f} ms vs {1000 * default_slope:.1f} ms), "
                  f"fixed start {fixed:.2f} s")
    for workload in ("cpu", "io"):
        rows = {e: s for w, _, e, s, _ in results if w == workload}
        if "ray x1" in rows and "ray x2" in rows:
            print(f"{workload}: ray x2 is {rows['ray x1'] / rows['ray x2']:.2f}x ray x1, "
                  f"{rows['default'] / rows['ray x2']:.2f}x the default")


if __name__ == "__main__":
    sys.exit(main())
