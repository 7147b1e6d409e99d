"""Sampling profiles of restsync runs (py-spy, every thread, idle time included).

``python -m bench --profile bulk,fanout`` runs restsync once per scenario under
``py-spy record --format raw --threads --idle`` against the mock API and prints, per thread,
the share of samples by stage (the first restsync module found walking from the leaf to the
root, else the library the leaf is in) and the top functions by self and inclusive samples.
Raw stacks are kept in ``$TMPDIR/restsync-bench-profiles/<scenario>.txt`` (flamegraph.pl / speedscope input).
"""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter, defaultdict
from pathlib import Path

from bench.measure import run_job
from bench.mock_api import MockApiProcess
from bench.scenarios import Scenario

_FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def _where(frame: str) -> tuple[str, str]:
    m = _FRAME.match(frame.strip())
    if not m:
        return frame, ""
    return m["func"], m["file"]


def stage_of(stack: list[str]) -> str:
    """A label for where a sample's time goes (stack: root first)."""
    for frame in reversed(stack):
        func, file = _where(frame)
        if "restsync/" in file:
            module = file.split("restsync/", 1)[1].removesuffix(".py")
            return f"restsync/{module}:{func}"
    func, file = _where(stack[-1]) if stack else ("?", "")
    for lib in ("aiohttp", "asyncio", "duckdb", "pyarrow", "concurrent", "threading", "selectors"):
        if f"/{lib}/" in file or file.endswith(f"{lib}.py"):
            return f"{lib}:{func}"
    return f"{Path(file).name}:{func}" if file else func


def summarize(raw: Path, top: int = 15) -> str:
    """Per-thread tables of a py-spy raw (collapsed stacks) file."""
    per_thread: dict[str, Counter[str]] = defaultdict(Counter)
    self_time: dict[str, Counter[str]] = defaultdict(Counter)
    inclusive: dict[str, Counter[str]] = defaultdict(Counter)
    for line in raw.read_text().splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack_text.split(";")
        thread, stack = frames[0], frames[1:]
        thread = re.sub(r"0x[0-9a-f]+", "", thread).strip() or "thread"
        per_thread[thread][stage_of(stack)] += count
        if stack:
            self_time[thread][stack[-1]] += count
            for frame in set(stack):
                if "restsync/" in frame:
                    inclusive[thread][frame] += count
    out = []
    for thread, stages in sorted(per_thread.items(), key=lambda kv: -sum(kv[1].values())):
        total = sum(stages.values())
        out.append(f"## {thread}: {total} samples")
        out.append("by stage (innermost restsync frame):")
        out += [f"  {n / total:6.1%}  {name}" for name, n in stages.most_common(top)]
        out.append("self time (leaf frames):")
        out += [f"  {n / total:6.1%}  {name}" for name, n in self_time[thread].most_common(top)]
        out.append("inclusive (restsync frames):")
        out += [f"  {n / total:6.1%}  {name}" for name, n in inclusive[thread].most_common(top)]
    return "\n".join(out)


def profile_scenarios(scenarios: list[Scenario], concurrency: list[int], out_dir: Path) -> int:
    """Profile restsync on each scenario (with its requests in flight); print the summaries.

    Returns an exit code.
    """
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("py-spy is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    out_dir.mkdir(parents=True, exist_ok=True)
    datasets = {s.dataset.name: s.dataset for s in scenarios}
    with MockApiProcess(list(datasets.values())) as api:
        for scenario, in_flight in zip(scenarios, concurrency, strict=True):
            raw = out_dir / f"{scenario.name}.txt"
            job = {"tool": "restsync", "kind": scenario.kind,
                   "base_url": api.url(scenario.dataset.name),
                   "write_disposition": scenario.write_disposition, "concurrency": in_flight}
            wrap = [spy, "record", "--format", "raw", "--threads", "--idle", "--rate", "250",
                    "--output", str(raw), "--"]
            result = run_job(job, wrap=wrap)
            print(f"# profile of restsync, scenario {scenario.name} ({scenario.title}): "
                  f"{result.error or f'{result.seconds:.2f} s, {result.rows_per_s:,.0f} rows/s'}"
                  f" under py-spy")
            if raw.exists():
                print(summarize(raw))
            print()
    return 0
