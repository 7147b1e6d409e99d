"""Crash harness: kill ``restsync run`` at named points, run again, compare with a clean run.

Each trial runs the real CLI in a subprocess against a loopback sandbox with
``RESTSYNC_CRASH_AT=<point>:<n>`` (the process SIGKILLs itself the n-th time it reaches the
point, like ``kill -9``), then runs it again normally into the same DuckDB file, and compares
every table with a clean run's: rows lost, rows duplicated, orphaned child rows.

Run it directly for the figures in docs/reliability.md::

    .venv/bin/python -m tests.reliability.crash_harness
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from restsync.sandbox import SandboxServer, start_sandboxes

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = "email_api"
DATASET = "email_api"
SANDBOX_OPTIONS = {"drafts": 120, "messages": 150, "threads": 90, "default_page_size": 50}
"""Small enough for ~1 s runs, still several pages per list and ~250 pages in all."""
_DLT_COLUMNS = ("_dlt_id", "_dlt_load_id", "_dlt_parent_id", "_dlt_root_id", "_dlt_list_idx")

CRASH_POINTS: list[str] = (
    [f"extract.page:{n}" for n in (1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 200)]
    + [f"engine.staged:{n}" for n in (1, 3, 5, 8)]
    + [f"engine.commit.before:{n}" for n in (1, 3, 5, 8)]
    + [f"load.commit.data:{n}" for n in range(1, 9)]  # inside the transaction: rows applied
    + [f"load.commit.state:{n}" for n in range(1, 9)]  # inside it: rows and state written
    + [f"engine.commit.after:{n}" for n in (1, 3, 5, 8)]
)


@dataclass
class TrialResult:
    point: str
    crashed: bool  # the first run died by SIGKILL at the point
    recovered: bool  # the second run exited 0
    rows_lost: int
    rows_duplicated: int
    orphans: int
    detail: str = ""


def run_cli(server: SandboxServer, db: Path, crash_at: str | None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RESTSYNC_CRASH_AT"}
    env.update({k.upper(): v for k, v in server.secrets.items()})
    if crash_at:
        env["RESTSYNC_CRASH_AT"] = crash_at
    args = [sys.executable, "-m", "restsync.cli", "run",
            str(ROOT / "examples" / "seeds" / f"{DOCUMENT}.md"),
            "--destination", f"duckdb:///{db}"]
    for override in server.overrides():
        args += ["--set", override]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=db.parent, check=False)


def snapshot(db: Path) -> dict[str, Any]:
    """Per table: a multiset of rows without dlt bookkeeping columns, and orphan count."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? "
            "AND NOT starts_with(table_name, '_restsync')", [DATASET]).fetchall()]
        out: dict[str, Any] = {}
        for table in tables:
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND "
                "table_name = ? ORDER BY column_index", [DATASET, table]).fetchall()]
            keep = [c for c in cols if c not in _DLT_COLUMNS]
            select = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in keep) or "1"
            rows = con.execute(f'SELECT {select} FROM "{DATASET}"."{table}"').fetchall()
            orphans = 0
            if "__" in table and "_dlt_root_id" in cols:
                root = table.split("__")[0]
                [(orphans,)] = con.execute(
                    f'SELECT count(*) FROM "{DATASET}"."{table}" c WHERE NOT EXISTS '
                    f'(SELECT 1 FROM "{DATASET}"."{root}" r WHERE r._dlt_id = c._dlt_root_id)'
                ).fetchall()
            out[table] = (Counter(rows), orphans)
        return out
    finally:
        con.close()


def compare(clean: dict[str, Any], got: dict[str, Any]) -> tuple[int, int, int, str]:
    lost = duplicated = orphans = 0
    notes = []
    for table, (want, _) in clean.items():
        have, table_orphans = got.get(table, (Counter(), 0))
        missing = want - have
        extra = have - want
        lost += sum(missing.values())
        duplicated += sum(extra.values())
        orphans += table_orphans
        if missing or extra or table_orphans:
            notes.append(f"{table}: -{sum(missing.values())} +{sum(extra.values())} "
                         f"orphans {table_orphans}")
    for table in set(got) - set(clean):
        duplicated += sum(got[table][0].values())
        notes.append(f"{table}: unexpected table")
    return lost, duplicated, orphans, "; ".join(notes)


def trial(server: SandboxServer, workdir: Path, point: str,
          clean: dict[str, Any]) -> TrialResult:
    db = workdir / f"crash_{point.replace(':', '_').replace('.', '_')}.duckdb"
    first = run_cli(server, db, point)
    crashed = first.returncode == -9
    second = run_cli(server, db, None)
    recovered = second.returncode == 0
    if not db.exists():
        return TrialResult(point, crashed, recovered, -1, -1, -1, "no database")
    lost, dup, orphans, notes = compare(clean, snapshot(db))
    if not recovered:
        notes = f"second run exit {second.returncode}: {second.stderr[-300:]} {notes}"
    return TrialResult(point, crashed, recovered, lost, dup, orphans, notes)


def run_all(workdir: Path, points: list[str] | None = None) -> list[TrialResult]:
    with start_sandboxes([DOCUMENT], options={DOCUMENT: SANDBOX_OPTIONS}) as group:
        server = group[DOCUMENT]
        clean_db = workdir / "clean.duckdb"
        result = run_cli(server, clean_db, None)
        if result.returncode != 0:
            raise RuntimeError(f"clean run failed: {result.stderr[-500:]}")
        clean = snapshot(clean_db)
        return [trial(server, workdir, p, clean) for p in (points or CRASH_POINTS)]


def main() -> None:  # pragma: no cover - manual figures
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        results = run_all(Path(tmp))
    print(f"{'point':28} crashed recovered lost dup orphans")
    for r in results:
        print(f"{r.point:28} {r.crashed!s:7} {r.recovered!s:9} {r.rows_lost:4} "
              f"{r.rows_duplicated:3} {r.orphans:7} {r.detail}")
    crashed = sum(r.crashed for r in results)
    print(f"points tried {len(results)}, crashed at {crashed}, "
          f"rows lost {sum(max(r.rows_lost, 0) for r in results)}, "
          f"rows duplicated {sum(max(r.rows_duplicated, 0) for r in results)}, "
          f"orphans {sum(max(r.orphans, 0) for r in results)}")


if __name__ == "__main__":  # pragma: no cover
    main()
