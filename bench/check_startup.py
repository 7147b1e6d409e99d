"""``restsync check`` start-up (issue 13): wall and CPU time of whole commands, A/B interleaved.

    python -m bench.check_startup                      # this tree: check of seed 000, floors
    python -m bench.check_startup --base /tmp/base/src # and the same command on another tree
    python -m bench.check_startup --repeat 21 -- check examples/seeds/email_api.md --executor ray

Each run is a fresh interpreter (``python -m restsync.cli ARGS``, interpreter start included)
in an empty folder, with seed 000's secrets set. The trees (``--base`` is put first on
``PYTHONPATH``) take turns run by run, so a change of machine load hits both alike. CPU time
(user + sys of the child, from ``wait4``) is the figure to compare on a shared machine; wall
time is what a user waits. The load average is printed with every table.

Whether the trees' ``.pyc`` files exist is up to the caller: with ``PYTHONDONTWRITEBYTECODE=1``
a source tree is compiled on every start unless ``python -m compileall`` ran on it (a
``pip install`` of a wheel compiles it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRETS = {"CLIENT_ID": "bench-client", "CLIENT_SECRET": "bench-secret",
           "CLIENT_REFRESH_TOKEN": "bench-refresh"}
DEFAULT_ARGS = ["check", str(ROOT / "examples" / "seeds" / "email_api.md")]
FLOORS = {
    "python -c pass": "pass",
    "import typer": "import typer",
    "import rich.console, rich.table": "import rich.console, rich.table",
    "from pydantic import BaseModel": "from pydantic import BaseModel",
    "import restsync.spec.model (the spec's pydantic models)": "import restsync.spec.model",
    "import restsync.spec, restsync.plan": "import restsync.spec, restsync.plan",
}
"""Reference floors: what no ``check`` can take less than on this machine."""


@dataclass
class Timings:
    """Wall and CPU seconds of each run of one command."""

    label: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    codes: set[int] = field(default_factory=set)

    def row(self) -> str:
        return (f"| {self.label} | {statistics.median(self.wall):.3f} "
                f"({min(self.wall):.3f}-{max(self.wall):.3f}) | {statistics.median(self.cpu):.3f} "
                f"| {len(self.wall)} | {','.join(map(str, sorted(self.codes)))} |")


def run_once(argv: list[str], env: dict[str, str], cwd: str, into: Timings) -> None:
    """Run ``argv`` once; add its wall time and its CPU time (user + sys) to ``into``."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    into.wall.append(time.perf_counter() - started)
    into.cpu.append(usage.ru_utime + usage.ru_stime)
    into.codes.add(os.waitstatus_to_exitcode(status))
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait again


def env_for(src: Path | None) -> dict[str, str]:
    env = {**os.environ, **SECRETS}
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    return env


def measure(commands: dict[str, tuple[list[str], dict[str, str]]], repeat: int) -> list[Timings]:
    """Every command ``repeat`` times, taking turns; one warm-up run each first (file cache)."""
    out = {label: Timings(label) for label in commands}
    with tempfile.TemporaryDirectory(prefix="restsync-check-startup-") as cwd:
        for argv, env in commands.values():
            run_once(argv, env, cwd, Timings("warm-up"))
        for _ in range(repeat):
            for label, (argv, env) in commands.items():
                run_once(argv, env, cwd, out[label])
    return list(out.values())


def table(title: str, timings: list[Timings]) -> str:
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    head = (f"{title} (load average {load})\n\n| command | wall s, median (min-max) | CPU s, "
            "median | runs | exit |\n|---|---:|---:|---:|---|")
    return "\n".join([head, *(t.row() for t in timings)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.check_startup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15, help="runs per command (median)")
    parser.add_argument("--base", type=Path, default=None,
                        help="the src folder of another tree to compare (A/B, interleaved)")
    parser.add_argument("--no-floors", action="store_true", help="skip the reference floors")
    parser.add_argument("args", nargs="*", help=f"restsync arguments (default: {DEFAULT_ARGS})")
    opts = parser.parse_args(argv)
    # the runs happen in an empty folder: paths of this repository become absolute
    args = [str(ROOT / a) if not a.startswith("-") and (ROOT / a).exists() else a
            for a in opts.args or DEFAULT_ARGS]
    command = [sys.executable, "-m", "restsync.cli", *args]
    commands = {f"this tree: restsync {' '.join(a.replace(str(ROOT) + '/', '') for a in args)}":
                (command, env_for(ROOT / "src"))}
    if opts.base is not None:
        commands[f"base {opts.base}"] = (command, env_for(opts.base))
    print(table("restsync commands", measure(commands, opts.repeat)), flush=True)
    if not opts.no_floors:
        floors = {label: ([sys.executable, "-c", code], env_for(ROOT / "src"))
                  for label, code in FLOORS.items()}
        print("\n" + table("reference floors", measure(floors, opts.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
