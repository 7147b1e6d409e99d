"""cProfile of the loader thread during one bulk run (the run's critical path).

Run: ``.venv/bin/python -m bench.loader_profile [--quick] [--merge] [--top N]``. Starts the
mock API, runs restsync in this process on the bulk (or merge) scenario, profiles every call
made on the loader thread (normalize, stage, insert, commit) with :mod:`cProfile`, and prints
the top functions by cumulative and by own time, with the run's wall time and the loader
thread's busy time. The event loop is not profiled (its overhead would change the overlap).
Not a test; cProfile's overhead inflates Python-heavy functions against C ones.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.mock_api import MockApiProcess
from bench.runner import run_restsync
from bench.scenarios import build_scenarios


def main(argv: list[str]) -> None:
    from restsync.engine import loader as loader_module

    top = int(argv[argv.index("--top") + 1]) if "--top" in argv else 25
    name = "merge" if "--merge" in argv else "bulk"
    scenario = next(s for s in build_scenarios(quick="--quick" in argv) if s.name == name)
    profile = cProfile.Profile()
    busy = [0.0]
    original = loader_module.Loader.call

    async def call(self: Any, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        def profiled() -> Any:
            started = time.perf_counter()
            profile.enable()
            try:
                return fn(*args, **kwargs)
            finally:
                profile.disable()
                busy[0] += time.perf_counter() - started
        return await original(self, profiled)

    loader_module.Loader.call = call  # type: ignore[method-assign]
    with MockApiProcess([scenario.dataset]) as api, \
            tempfile.TemporaryDirectory(prefix="restsync-loader-profile-") as tmp:
        job = {"tool": "restsync", "kind": scenario.kind,
               "base_url": api.url(scenario.dataset.name),
               "write_disposition": scenario.write_disposition, "concurrency": 16}
        started = time.perf_counter()
        run_restsync(job, Path(tmp) / "out.duckdb")
        wall = time.perf_counter() - started
    print(f"# {scenario.name}: run {wall:.2f} s, loader thread busy {busy[0]:.2f} s "
          f"({busy[0] / wall:.0%}) under cProfile")
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).strip_dirs().sort_stats(order).print_stats(top)
        print(f"## by {order}")
        print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


if __name__ == "__main__":
    main(sys.argv[1:])
