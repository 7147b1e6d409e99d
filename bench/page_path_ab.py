"""The bulk scenario with the dict path and with Arrow-native pages, runs interleaved.

Run: ``.venv/bin/python -m bench.page_path_ab [repeats] [--quick]`` (default 5). One mock API
serves both; runs alternate ``RESTSYNC_PAGE_PATH=dict`` / ``auto`` so that a busy machine
weighs on both alike. Prints each run, the medians and the same-run ratios (wall time and CPU
seconds). Not a test.
"""

from __future__ import annotations

import os
import statistics
import sys

from bench.measure import RunResult, run_job
from bench.mock_api import MockApiProcess
from bench.scenarios import build_scenarios

MODES = ("dict", "auto")


def main(argv: list[str]) -> None:
    repeats = int(next((a for a in argv if a.isdigit()), "5"))
    scenario = next(s for s in build_scenarios(quick="--quick" in argv) if s.name == "bulk")
    results: dict[str, list[RunResult]] = {mode: [] for mode in MODES}
    with MockApiProcess([scenario.dataset]) as api:
        job = {"tool": "restsync", "kind": scenario.kind, "base_url": api.url(scenario.dataset.name),
               "write_disposition": scenario.write_disposition, "concurrency": 16}
        for i in range(repeats):
            for mode in MODES if i % 2 == 0 else reversed(MODES):
                os.environ["RESTSYNC_PAGE_PATH"] = mode
                result = run_job(job)
                if result.error or result.rows != scenario.expected_rows:
                    raise SystemExit(f"{mode}: {result.error or result.rows}")
                results[mode].append(result)
                print(f"  run {i + 1} {mode:<5} {result.seconds:6.2f} s  {result.rows_per_s:8,.0f} "
                      f"rows/s  cpu {result.cpu_s:5.1f} s  rss {result.peak_rss_mb:4.0f} MB  "
                      f"load {result.load_avg:.1f}", flush=True)
    med = {mode: (statistics.median(r.seconds for r in runs),
                  statistics.median(r.cpu_s for r in runs),
                  statistics.median(r.peak_rss_mb for r in runs))
           for mode, runs in results.items()}
    for mode, (wall, cpu, rss) in med.items():
        print(f"{mode:<5} median wall {wall:6.2f} s ({scenario.expected_rows / wall:,.0f} rows/s)"
              f"  cpu {cpu:5.1f} s  rss {rss:4.0f} MB")
    print(f"auto / dict: wall {med['dict'][0] / med['auto'][0]:.2f}x faster, "
          f"cpu {med['dict'][1] / med['auto'][1]:.2f}x less")


if __name__ == "__main__":
    main(sys.argv[1:])
