"""CPU per request of the fan-out: restsync (one or more source trees) vs a bare aiohttp loop.

``python -m bench.fanout_cpu [--records 2000] [--src PATH ...] [--profile FILE]``

One mock API process (``bench.mock_api``, 20 ms per answer) serves the fan-out dataset at two
sizes (``--records`` and twice that; list pages of 100 + one detail request per item). Each
contender runs in its own child process, imports first, then is measured: process CPU time
(user + system, every thread) divided by the HTTP requests it made, and the marginal CPU per
request (the larger run's extra CPU over its extra requests: a run's fixed costs such as
opening DuckDB left out). ``--src`` runs restsync from other source trees too (a
checkout of an older commit's ``src``) so before/after come from one invocation; ``--profile``
writes a cProfile of the first restsync run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import orjson

from bench.mock_api import Dataset, MockApiProcess

_CHILD = r"""
import asyncio, cProfile, os, sys, time, orjson
job = orjson.loads(sys.argv[1])
import aiohttp, pyarrow.compute
if job["tool"] == "restsync":
    import restsync
    from restsync.engine import Pipeline
    from bench.runner import source_config
    source = restsync.rest_api_source(source_config(job), name="bench")
    def go():
        return Pipeline(destination="duckdb:///" + job["db"]).run(source)
else:
    from bench.runner import _ceiling
    def go():
        return asyncio.run(_ceiling(job))
profiler = cProfile.Profile() if job.get("profile") else None
cpu, wall = time.process_time(), time.perf_counter()
if profiler: profiler.enable()
go()
if profiler:
    profiler.disable(); profiler.dump_stats(job["profile"])
print(orjson.dumps({"cpu": time.process_time() - cpu,
                    "wall": time.perf_counter() - wall}).decode())
"""


def measure(tool: str, base_url: str, src: str | None, profile: str | None = None) -> float:
    """Process CPU seconds of one contender's run, in its own process."""
    with tempfile.TemporaryDirectory() as tmp:
        job = {"tool": tool, "kind": "fanout", "base_url": base_url, "concurrency": 32,
               "write_disposition": "append", "db": str(Path(tmp) / "out.duckdb"),
               "profile": profile}
        root = str(Path(__file__).resolve().parents[1])
        path = os.pathsep.join(p for p in (src, root) if p)
        env = {**os.environ, "PYTHONPATH": path}
        done = subprocess.run([sys.executable, "-c", _CHILD, orjson.dumps(job).decode()],
                              capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{tool} failed: {done.stderr[-1500:]}")
        return float(orjson.loads(done.stdout.splitlines()[-1])["cpu"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--src", action="append", default=[],
                        help="another restsync source tree to measure (repeatable)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", help="write a cProfile of the first restsync run here")
    args = parser.parse_args(argv)
    small, large = args.records, 2 * args.records
    datasets = [Dataset(f"fan{n}", records=n, page_size=100, latency_ms=20)
                for n in (small, large)]
    contenders = [("restsync", None, "this tree"),
                  *(("restsync", s, s) for s in args.src), ("ceiling", None, "bare aiohttp")]
    print(f"fan-out: {small:,} and {large:,} items (list pages of 100 + one detail each, "
          "20 ms per answer); CPU = process time of the run (imports excluded), every "
          "thread; marginal = the extra CPU of the larger run per extra request (fixed costs "
          "of a run left out); medians", flush=True)
    with MockApiProcess(datasets) as api:
        for tool, src, label in contenders:
            cpu: dict[int, list[float]] = {small: [], large: []}
            for i in range(args.repeat):
                for n in (small, large):
                    profile = (args.profile if (tool, src, i, n) == ("restsync", None, 0, small)
                               else None)
                    cpu[n].append(measure(tool, api.url(f"fan{n}"), src, profile))
            totals = {n: sorted(v)[len(v) // 2] for n, v in cpu.items()}
            per = {n: totals[n] * 1000 / _requests(n) for n in totals}
            marginal = (totals[large] - totals[small]) * 1000 / (_requests(large)
                                                                 - _requests(small))
            print(f"{label:<24} CPU per request {per[small]:.3f} ms ({_requests(small):,} "
                  f"requests), {per[large]:.3f} ms ({_requests(large):,}); marginal "
                  f"{marginal:.3f} ms per request; load {os.getloadavg()[0]:.1f}", flush=True)
    return 0


def _requests(records: int) -> int:
    return -(-records // 100) + records


if __name__ == "__main__":
    sys.exit(main())
