"""Crash harness: kill ``restsync run`` at named points, run again, compare with a clean run.

Each trial runs the real CLI in a subprocess against a loopback sandbox with
``RESTSYNC_CRASH_AT=<point>:<n>`` (the process SIGKILLs itself the n-th time it reaches the
point, like ``kill -9``), then runs it again normally into the same destination, and compares
every table with a clean run's: rows lost, rows duplicated, orphaned child rows.

Destinations: DuckDB (a file) and the lake formats (Delta, Iceberg, Parquet: a folder, read
back with the format's own reader). For a lake format the points are every table commit of the
run (``lake.commit.table:1`` .. the last one: found by trying the next until a run no longer
reaches it), every journal written before a resource's first table commit
(``lake.journal.written``), and points of the engine around them.

Run it directly for the figures in docs/reliability.md::

    .venv/bin/python -m tests.reliability.crash_harness [duckdb|delta|iceberg|parquet ...]
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

from restsync.load import open_destination
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


LAKE_ENGINE_POINTS: list[str] = (
    [f"extract.page:{n}" for n in (1, 2, 3)]
    + [f"engine.{point}:{n}" for point in ("staged", "commit.before", "commit.after")
       for n in (1, 2)]
)
"""Points of a lake run besides its table commits and journals (those are all tried)."""
LAKES = ("delta", "iceberg", "parquet")


def destination_url(scheme: str, path: Path) -> str:
    """The destination of one trial: a DuckDB file or a lake folder at ``path``."""
    if scheme == "duckdb":
        return f"duckdb:///{path.with_suffix('.duckdb')}"
    return f"{scheme}:///{path}"


@dataclass
class TrialResult:
    point: str
    crashed: bool  # the first run died by SIGKILL at the point
    recovered: bool  # the second run exited 0
    rows_lost: int
    rows_duplicated: int
    orphans: int
    detail: str = ""


def run_cli(server: SandboxServer, url: str, crash_at: str | None, cwd: Path,
            resources: list[str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RESTSYNC_CRASH_AT"}
    env.update({k.upper(): v for k, v in server.secrets.items()})
    if crash_at:
        env["RESTSYNC_CRASH_AT"] = crash_at
    args = [sys.executable, "-m", "restsync.cli", "run",
            str(ROOT / "examples" / "seeds" / f"{DOCUMENT}.md"), "--destination", url]
    if resources:
        args += ["--resources", ",".join(resources)]
    for override in server.overrides():
        args += ["--set", override]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=cwd, check=False)


def snapshot(url: str) -> dict[str, Any]:
    """Per table: a multiset of rows without dlt bookkeeping columns, and orphan count."""
    if url.startswith("duckdb:///"):
        return snapshot_duckdb(Path(url[len("duckdb:///"):]))
    dest: Any = open_destination(url, DATASET)  # completes a pending commit, as a run would
    try:
        tables = {t: dest.fmt.read(t) for t in dest.tables()}
        loads = Counter((r["load_id"], r["resource"]) for r in dest.loads())
        versions = Counter((h["table"], h["version"], h["change"], h["column"])
                           for h in dest.schema_history())
    finally:
        dest.close()
    # a commit applied twice records its load (and its schema changes) twice
    out: dict[str, Any] = {
        "_restsync_loads (twice)": (Counter({k: n - 1 for k, n in loads.items() if n > 1}), 0),
        "_restsync_schema_changes (twice)": (
            Counter({k: n - 1 for k, n in versions.items() if n > 1}), 0)}
    for table, arrow in tables.items():
        keep = [c for c in arrow.column_names if c not in _DLT_COLUMNS]
        values = [tuple(None if v is None else str(v) for v in row.values())
                  for row in arrow.select(keep).to_pylist()] if keep else \
            [(1,)] * arrow.num_rows
        orphans = 0
        if "__" in table and "_dlt_root_id" in arrow.column_names:
            root = tables.get(table.split("__")[0])
            roots = set(root.column("_dlt_id").to_pylist()) if root is not None else set()
            orphans = sum(1 for r in arrow.column("_dlt_root_id").to_pylist() if r not in roots)
        out[table] = (Counter(values), orphans)
    return out


def snapshot_duckdb(db: Path) -> dict[str, Any]:
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


def trial(server: SandboxServer, workdir: Path, point: str, clean: dict[str, Any],
          scheme: str = "duckdb", resources: list[str] | None = None) -> TrialResult:
    url = destination_url(scheme, workdir / f"crash_{point.replace(':', '_').replace('.', '_')}")
    first = run_cli(server, url, point, workdir, resources)
    crashed = first.returncode == -9
    second = run_cli(server, url, None, workdir, resources)
    recovered = second.returncode == 0
    if scheme == "duckdb" and not Path(url[len("duckdb:///"):]).exists():
        return TrialResult(point, crashed, recovered, -1, -1, -1, "no database")
    lost, dup, orphans, notes = compare(clean, snapshot(url))
    if not recovered:
        notes = f"second run exit {second.returncode}: {second.stderr[-300:]} {notes}"
    if first.returncode not in (-9, 0):
        notes = f"first run exit {first.returncode}: {first.stderr[-300:]} {notes}"
    return TrialResult(point, crashed, recovered, lost, dup, orphans, notes)


LAKE_POINT_KINDS = ("engine", "lake.journal.written", "lake.commit.table")
"""The kinds of lake points :func:`run_all` tries: :data:`LAKE_ENGINE_POINTS`, then every
journal and every table commit the run reaches."""


def run_all(workdir: Path, points: list[str] | None = None, *, scheme: str = "duckdb",
            resources: list[str] | None = None,
            kinds: tuple[str, ...] = LAKE_POINT_KINDS) -> list[TrialResult]:
    """Every trial of ``points`` (default: :data:`CRASH_POINTS` for DuckDB; for a lake format
    the points of each of ``kinds``: :data:`LAKE_ENGINE_POINTS`, every journal, every table
    commit of the run)."""
    with start_sandboxes([DOCUMENT], options={DOCUMENT: SANDBOX_OPTIONS}) as group:
        server = group[DOCUMENT]
        clean_url = destination_url(scheme, workdir / "clean")
        result = run_cli(server, clean_url, None, workdir, resources)
        if result.returncode != 0:
            raise RuntimeError(f"clean run failed: {result.stderr[-500:]}")
        clean = snapshot(clean_url)
        if points is not None or scheme == "duckdb":
            return [trial(server, workdir, p, clean, scheme, resources)
                    for p in (points or CRASH_POINTS)]
        unknown = set(kinds) - set(LAKE_POINT_KINDS)
        if unknown:
            raise ValueError(f"unknown lake point kinds {sorted(unknown)}; "
                             f"known: {', '.join(LAKE_POINT_KINDS)}")
        results = [trial(server, workdir, p, clean, scheme, resources)
                   for p in LAKE_ENGINE_POINTS] if "engine" in kinds else []
        for point in LAKE_POINT_KINDS[1:]:
            if point not in kinds:
                continue
            n = 1
            while True:  # every one the run reaches; the first it does not reach ends it
                result_n = trial(server, workdir, f"{point}:{n}", clean, scheme, resources)
                results.append(result_n)
                if not result_n.crashed:
                    break
                n += 1
        return results


def main() -> None:  # pragma: no cover - manual figures
    import tempfile

    for scheme in sys.argv[1:] or ["duckdb"]:
        with tempfile.TemporaryDirectory() as tmp:
            results = run_all(Path(tmp), scheme=scheme)
        print(f"== {scheme}")
        report(results)


def report(results: list[TrialResult]) -> None:  # pragma: no cover - manual figures
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
