"""``python -m bench``: every scenario, restsync vs dlt, the Airbyte CDK and two ceilings.

One mock API process serves every scenario; each run of each tool is its own child process
(peak RSS per run). Results: medians of ``--repeat`` runs (``--dlt-repeat`` for dlt,
whose runs take minutes at full size). Examples::

    python -m bench                         # the full run (tens of minutes, dlt's defaults dominate)
    python -m bench --quick                 # 10x smaller smoke run
    python -m bench --scenarios bulk,fanout --tools restsync,ceiling --repeat 5
    python -m bench --profile bulk,fanout   # py-spy profiles of restsync (see bench/profile.py)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson

from bench.measure import RunResult, run_job, time_command
from bench.mock_api import MockApiProcess
from bench.report import Summary, render
from bench.scenarios import TOOLS, Scenario, build_scenarios

CHECK_SECRETS = {"CLIENT_ID": "bench-client", "CLIENT_SECRET": "bench-secret",
                 "CLIENT_REFRESH_TOKEN": "bench-refresh"}


def _median_result(runs: list[RunResult]) -> RunResult:
    ok = [r for r in runs if r.error is None]
    if not ok:
        return runs[-1]
    by_time = sorted(ok, key=lambda r: r.seconds)
    median = by_time[len(by_time) // 2]
    return RunResult(tool=median.tool, seconds=statistics.median(r.seconds for r in ok),
                     rows=median.rows, peak_rss_mb=statistics.median(r.peak_rss_mb for r in ok),
                     tables=median.tables, distinct_ids=median.distinct_ids,
                     cpu_s=statistics.median(r.cpu_s for r in ok),
                     load_avg=max(r.load_avg for r in ok), note=median.note)


def run_scenario(scenario: Scenario, api: MockApiProcess, tools: list[str], args: argparse.Namespace,
                 log: Any) -> Summary:
    concurrency = concurrency_for(scenario, args)
    summary = Summary(scenario=scenario, concurrency=concurrency)
    for tool in tools:
        if tool in scenario.skip_by_default and not args.tools_given:
            summary.skipped[tool] = "skipped by default (name it with --tools to run it)"
            continue
        repeat = args.dlt_repeat if tool.startswith("dlt") or tool == "airbyte-cdk" else args.repeat
        job = {"tool": tool, "kind": scenario.kind, "base_url": api.url(scenario.dataset.name),
               "write_disposition": scenario.write_disposition, "concurrency": concurrency}
        runs = []
        for i in range(repeat):
            result = run_job(job, timeout=args.timeout)
            runs.append(result)
            state = result.error or (f"{result.seconds:8.2f} s {result.rows_per_s:>10,.0f} rows/s "
                                     f"{result.peak_rss_mb:>8,.0f} MB  cpu {result.cpu_s:7.2f} s  "
                                     f"load {result.load_avg:.1f}")
            print(f"  {scenario.name:<7} {tool:<12} run {i + 1}/{repeat}: {state}", file=log, flush=True)
        summary.runs[tool] = runs
        summary.results[tool] = _median_result(runs)
    return summary


def concurrency_for(scenario: Scenario, args: argparse.Namespace) -> int:
    """Requests in flight per host for every tool in ``scenario``."""
    return int(args.fanout_concurrency if scenario.kind == "fanout" else args.concurrency)


def measure_check(repeat: int) -> list[float]:
    """Wall times of ``restsync check examples/seeds/email_api.md`` (interpreter start included)."""
    env = {**os.environ, **CHECK_SECRETS}
    exe = str(Path(sys.executable).with_name("restsync"))
    args = [exe, "check", "examples/seeds/email_api.md"]
    time_command(args, env, 1)  # warm the file cache and .pyc files
    return time_command(args, env, repeat)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    names = [s.name for s in build_scenarios()]
    parser.add_argument("--scenarios", default=",".join(names), help=f"comma list of {names}")
    parser.add_argument("--tools", default=None, help=f"comma list of {list(TOOLS)}")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool (median)")
    parser.add_argument("--dlt-repeat", type=int, default=1,
                        help="runs of dlt-default, dlt-fast and airbyte-cdk (minutes per run "
                             "at full size)")
    parser.add_argument("--quick", action="store_true", help="10x smaller data (smoke run)")
    parser.add_argument("--concurrency", type=int, default=16,
                        help="requests in flight per host for every tool (restsync's default)")
    parser.add_argument("--fanout-concurrency", type=int, default=32,
                        help="the same for the fan-out scenario, where it decides the wall time "
                             "(every tool but restsync, which runs at its defaults: adaptive)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument("--no-check", action="store_true", help="skip the `restsync check` timing")
    parser.add_argument("--json", type=Path, help="also write raw results here")
    parser.add_argument("--profile", default=None,
                        help="profile restsync on these scenarios with py-spy instead")
    args = parser.parse_args(argv)
    scenarios = {s.name: s for s in build_scenarios(args.quick)}
    wanted = [scenarios[n] for n in args.scenarios.split(",") if n]
    if args.profile:
        from bench.profile import profile_scenarios

        chosen = [scenarios[n] for n in args.profile.split(",")]
        out_dir = Path(tempfile.gettempdir()) / "restsync-bench-profiles"
        return profile_scenarios(chosen, [concurrency_for(s, args) for s in chosen], out_dir)
    args.tools_given = args.tools is not None
    tools = args.tools.split(",") if args.tools else list(TOOLS)
    unknown = set(tools) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tools {sorted(unknown)}")
    started = time.perf_counter()
    print(f"restsync benchmark: {os.cpu_count()} cores, python {sys.version.split()[0]}, "
          f"repeat {args.repeat} (dlt {args.dlt_repeat}), concurrency {args.concurrency} "
          f"(fan-out {args.fanout_concurrency})"
          f"{', QUICK sizes' if args.quick else ''}", flush=True)
    datasets = {s.dataset.name: s.dataset for s in wanted}
    summaries = []
    with MockApiProcess(list(datasets.values())) as api:
        print(f"mock API at {api.origin} (own process)", flush=True)
        for scenario in wanted:
            print(f"scenario {scenario.name}: {scenario.title}", flush=True)
            summaries.append(run_scenario(scenario, api, tools, args, sys.stdout))
    check_times = [] if args.no_check else measure_check(max(args.repeat, 5))
    print()
    print(render(summaries, check_times))
    print(f"\ntotal benchmark time {time.perf_counter() - started:,.0f} s")
    if args.json:
        args.json.write_bytes(orjson.dumps({
            "cores": os.cpu_count(), "quick": args.quick, "concurrency": args.concurrency,
            "fanout_concurrency": args.fanout_concurrency,
            "check_seconds": check_times,
            "scenarios": [{"name": s.scenario.name, "dataset": asdict(s.scenario.dataset),
                           "runs": {t: [asdict(r) for r in rs] for t, rs in s.runs.items()}}
                          for s in summaries]}, option=orjson.OPT_INDENT_2))
    failed = [s.scenario.name for s in summaries if s.problems()]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
