"""Run one job in a child process and measure its wall time, rows and peak memory."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import psutil

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class RunResult:
    """What one run of one tool produced.

    Attributes:
        tool: Tool name.
        seconds: Wall time of the run inside the child (after imports).
        rows: Root-table rows loaded (fetched, for the ceiling).
        peak_rss_mb: Peak resident memory of the child and its own children (summed).
        tables: Rows per table.
        distinct_ids: Distinct ``id`` values over the root tables.
        cpu_s: User + system CPU seconds of the child process (its reaped workers included),
            whole process lifetime; far less sensitive to a busy machine than wall time.
        load_avg: The machine's 1-minute load average when the run ended.
        error: Why the run failed (``None`` when it succeeded).
        note: What the tool said about the run (restsync: where its concurrency settled).
    """

    tool: str
    seconds: float = 0.0
    rows: int = 0
    peak_rss_mb: float = 0.0
    tables: dict[str, int] = field(default_factory=dict)
    distinct_ids: int | None = None
    cpu_s: float = 0.0
    load_avg: float = 0.0
    error: str | None = None
    note: str = ""

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


class _RssSampler(threading.Thread):
    """Samples the summed RSS of a process tree every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.stopped.is_set():
            total = 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                return
            for proc in procs:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            self.peak = max(self.peak, total)
            self.stopped.wait(self.interval)


def run_job(job: dict[str, Any], *, timeout: float = 3600.0,
            wrap: list[str] | None = None, src: Path | None = None) -> RunResult:
    """Run ``python -m bench.runner <job>`` (optionally under ``wrap``, e.g. py-spy).

    ``src``: a directory holding another version's ``restsync`` package, imported instead of
    this tree's (an A/B of two versions against one mock API).

    Peak RSS is the larger of the sampled process-tree sum and the child's own
    ``ru_maxrss`` from ``wait4`` (which catches peaks shorter than the sampling interval).
    """
    args = [*(wrap or []), sys.executable, "-m", "bench.runner", orjson.dumps(job).decode()]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*([str(src)] if src else []), str(ROOT)])}
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    sampler = _RssSampler(proc.pid)
    sampler.start()
    chunks: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda n=n, s=s: chunks.__setitem__(n, s.read()), daemon=True)
               for n, s in (("out", proc.stdout), ("err", proc.stderr))]
    for reader in readers:
        reader.start()
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)  # reap it ourselves to get its own rusage
    finally:
        killer.cancel()
        sampler.stopped.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    out, err = chunks.get("out", b""), chunks.get("err", b"")
    peak = max(sampler.peak, usage.ru_maxrss * 1024)
    cpu_s = usage.ru_utime + usage.ru_stime
    load_avg = os.getloadavg()[0]
    if proc.returncode != 0:
        tail = err.decode(errors="replace").strip().splitlines()[-3:]
        return RunResult(tool=job["tool"], peak_rss_mb=peak / 2**20,
                         error=f"exit {proc.returncode}: {' | '.join(tail)}")
    lines = [x for x in out.decode().splitlines() if x.startswith('{"tool"')]
    if not lines:
        return RunResult(tool=job["tool"], peak_rss_mb=peak / 2**20, error="no result line")
    data = orjson.loads(lines[-1])
    return RunResult(tool=job["tool"], seconds=data["seconds"], rows=data["rows"],
                     peak_rss_mb=peak / 2**20, tables=data["tables"],
                     distinct_ids=data["distinct_ids"], cpu_s=cpu_s, load_avg=load_avg,
                     note=data.get("note", ""))


def time_command(args: list[str], env: dict[str, str], repeat: int) -> list[float]:
    """Wall times of running ``args`` ``repeat`` times (interpreter start included)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - started)
    return times
