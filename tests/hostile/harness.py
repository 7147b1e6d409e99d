"""Runs the real CLI in a child process under a memory cap and a time limit.

Bounds are the harness's, never wall-clock asserts on speed:

* the child sets ``RLIMIT_AS`` (address space) on itself, then becomes
  ``python -m restsync.cli ...``: an allocation past it fails inside the child;
* the harness polls the child's resident memory (``/proc/PID/status``, every 20 ms) and
  kills it with SIGKILL past ``rss_cap_mb``; its peak is the last ``VmHWM`` seen (the high
  water mark of the process image after ``exec``: ``wait4``'s ``ru_maxrss`` would include the
  test process's own memory, inherited when the child was spawned);
* a child still running after ``timeout`` seconds is killed.

A run that was killed has ``code=None`` and says why in ``killed``.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CliRun", "run_cli"]

_CAPPED = ("import os, resource, sys; limit = int(sys.argv[1]); "
           "resource.setrlimit(resource.RLIMIT_AS, (limit, limit)); os.chdir(sys.argv[2]); "
           "os.execv(sys.argv[3], sys.argv[3:])")
_POLL = 0.02


@dataclass
class CliRun:
    """What one capped CLI run did.

    Attributes:
        code: The exit code, or None when the harness killed the child.
        stdout: Its standard output.
        stderr: Its standard error.
        peak_rss_mb: Its peak resident memory (MiB, ``VmHWM``).
        peak_vm_mb: Its peak virtual memory (MiB, ``VmPeak``: what ``RLIMIT_AS`` caps).
        seconds: How long it ran.
        killed: ``"timeout"`` or ``"rss"`` when the harness killed it, else None.
    """

    code: int | None
    stdout: str
    stderr: str
    peak_rss_mb: float
    seconds: float
    killed: str | None
    peak_vm_mb: float = 0.0

    @property
    def output(self) -> str:
        """stdout and stderr together."""
        return self.stdout + self.stderr

    def describe(self) -> str:
        """One line for assertion messages."""
        return (f"exit {self.code} killed={self.killed} rss={self.peak_rss_mb:.0f} MiB "
                f"vm={self.peak_vm_mb:.0f} MiB "
                f"{self.seconds:.1f} s\n--- stdout\n{self.stdout[-3000:]}\n--- stderr\n"
                f"{self.stderr[-3000:]}")


def run_cli(args: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None,
            rss_cap_mb: int = 1024, address_space_mb: int = 4096, timeout: float = 180,
            python_path: str | None = None) -> CliRun:
    """Run ``python -m restsync.cli ARGS`` capped.

    Args:
        args: The CLI arguments (``["run", "spec.yaml", ...]``).
        cwd: Working directory of the run.
        env: Extra environment variables (secrets).
        rss_cap_mb: Resident memory at which the harness kills the child.
        address_space_mb: ``RLIMIT_AS`` of the child (virtual memory: libraries and thread
            stacks count, so it sits well above the RSS cap).
        timeout: Seconds after which the child is killed.
        python_path: Import restsync from there instead (a ``src`` folder; for comparing
            with another checkout).
    """
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("RESTSYNC_")}
    child_env.update(env or {})
    child_env["PYTHONDONTWRITEBYTECODE"] = "1"
    if python_path is not None:
        child_env["PYTHONPATH"] = python_path
    command = [sys.executable, "-c", _CAPPED, str(address_space_mb * 1024 * 1024), str(cwd),
               sys.executable, "-m", "restsync.cli", *args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        pid = os.posix_spawn(command[0], command, child_env,  # no preexec_fn: we have threads
                             file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                                           (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
        killed: str | None = None
        peak = {"VmHWM": 0.0, "VmPeak": 0.0}
        while True:
            done, status, _ = os.wait4(pid, os.WNOHANG)
            if done:
                break
            memory = _memory_mb(pid)
            for key in peak:
                peak[key] = max(peak[key], memory.get(key, 0.0))
            if time.monotonic() - started > timeout:
                killed = "timeout"
            elif memory.get("VmRSS", 0.0) > rss_cap_mb:
                killed = "rss"
            if killed:
                os.kill(pid, signal.SIGKILL)
                _, status, _ = os.wait4(pid, 0)
                break
            time.sleep(_POLL)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        code = None if killed else os.waitstatus_to_exitcode(status)
        return CliRun(code, out.read().decode(errors="replace"),
                      err.read().decode(errors="replace"), peak["VmHWM"], seconds, killed,
                      peak["VmPeak"])


def _memory_mb(pid: int) -> dict[str, float]:
    """``VmRSS``, ``VmHWM``, ``VmPeak`` of a process in MiB (empty once it is gone)."""
    out: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "VmPeak"):
                    out[key] = int(value.split()[0]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return out
