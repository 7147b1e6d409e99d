"""The bulk scenario, two variants, runs interleaved: the page paths, or two versions.

Run: ``.venv/bin/python -m bench.page_path_ab [repeats] [--quick] [--merge]
[--baseline-src DIR]`` (default 5 repeats). One mock API serves every run; runs alternate so
that a busy machine weighs on both variants alike. Variants:

* default: ``RESTSYNC_PAGE_PATH=dict`` against ``auto`` (this tree's sources);
* ``--baseline-src DIR``: ``base`` (the ``restsync`` package found in ``DIR``, e.g. a
  ``git worktree add /tmp/base <commit>`` checkout's ``src``) against ``this`` tree, both
  with the default page path (``auto``).

``--merge`` runs the merge scenario instead of bulk. Prints each run, the medians and the
same-run ratios (wall time and CPU seconds of the child, interpreter start and imports
included). Not a test.
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

from bench.measure import RunResult, run_job
from bench.mock_api import MockApiProcess
from bench.scenarios import build_scenarios


def _variants(argv: list[str]) -> dict[str, tuple[str, Path | None]]:
    """Variant name -> (page path, sources to import instead of this tree's)."""
    if "--baseline-src" in argv:
        base = Path(argv[argv.index("--baseline-src") + 1]).resolve()
        if not (base / "restsync" / "__init__.py").exists():
            raise SystemExit(f"--baseline-src {base}: no restsync package there")
        return {"base": ("auto", base), "this": ("auto", None)}
    return {"dict": ("dict", None), "auto": ("auto", None)}


def main(argv: list[str]) -> None:
    repeats = int(next((a for a in argv if a.isdigit()), "5"))
    name = "merge" if "--merge" in argv else "bulk"
    scenario = next(s for s in build_scenarios(quick="--quick" in argv) if s.name == name)
    variants = _variants(argv)
    names = list(variants)
    results: dict[str, list[RunResult]] = {v: [] for v in names}
    with MockApiProcess([scenario.dataset]) as api:
        job = {"tool": "restsync", "kind": scenario.kind, "base_url": api.url(scenario.dataset.name),
               "write_disposition": scenario.write_disposition, "concurrency": 16}
        for i in range(repeats):
            for variant in names if i % 2 == 0 else reversed(names):
                mode, src = variants[variant]
                os.environ["RESTSYNC_PAGE_PATH"] = mode
                result = run_job(job, src=src)
                if result.error or result.rows != scenario.expected_rows:
                    raise SystemExit(f"{variant}: {result.error or result.rows}")
                results[variant].append(result)
                print(f"  run {i + 1} {variant:<5} {result.seconds:6.2f} s  "
                      f"{result.rows_per_s:8,.0f} rows/s  cpu {result.cpu_s:5.1f} s  "
                      f"rss {result.peak_rss_mb:4.0f} MB  load {result.load_avg:.1f}", flush=True)
    med = {v: (statistics.median(r.seconds for r in runs),
               statistics.median(r.cpu_s for r in runs),
               statistics.median(r.peak_rss_mb for r in runs))
           for v, runs in results.items()}
    for v, (wall, cpu, rss) in med.items():
        print(f"{v:<5} median wall {wall:6.2f} s ({scenario.expected_rows / wall:,.0f} rows/s)"
              f"  cpu {cpu:5.2f} s  rss {rss:4.0f} MB")
    first, second = names
    print(f"{second} / {first}: wall {med[first][0] / med[second][0]:.2f}x faster, "
          f"cpu {med[first][1] / med[second][1]:.2f}x less")


if __name__ == "__main__":
    main(sys.argv[1:])
