"""The bulk workload through a manifest: restsync end to end into DuckDB vs the Airbyte CDK's
own reader (records only, loaded nowhere), and vs restsync on the same workload written in
dlt's dialect, on the same loopback mock API, in one invocation.

``python -m bench.airbyte_speed [--records 200000] [--repeat 3] [--tools ...]
[--cdk-python PATH] [--profile DIR]``

The mock API (``bench.mock_api``, its own process) serves nested email events, 1,000 per
page, the next page as an absolute URL. The manifest is ours (below). Every run is a child
process of its own (``--child``), timed from compiling the source to the last committed row,
imports not counted. Tools:

* ``manifest``: restsync runs the manifest (a full-refresh stream: ``replace``);
* ``dlt-replace`` / ``dlt-append``: restsync runs the same workload from a dlt-dialect config
  (``json_link`` paging on ``paging.next``), replacing or appending;
* ``manifest-dict`` / ``dlt-dict``: ``manifest`` / ``dlt-replace`` on the dict page path
  (``RESTSYNC_PAGE_PATH=dict``); every other restsync tool runs with the default page path,
  as a user's run does (Arrow-native pages, ``auto``: see ``docs/performance.md``);
* ``baseline`` / ``baseline-dict``: ``manifest`` / ``manifest-dict`` with restsync's
  sources from ``--baseline-src DIR`` (e.g. ``git archive <commit> src | tar -x -C DIR``):
  an A/B of two versions of restsync in one invocation;
* ``cdk``: the CDK's reader in an interpreter that has ``airbyte-cdk`` (``--cdk-python``,
  default ``$BENCH_CDK_PYTHON`` or ``.cdkvenv/bin/python``), timed around its read loop only
  (its start-up is not counted). Telemetry is off (``DO_NOT_TRACK=1``).

Runs are interleaved (one of each tool per repeat) so that a change in the machine's load
hits every tool alike; medians are printed, with every ratio to the CDK. ``--profile DIR``
runs each restsync tool once more under ``py-spy`` (every thread) and prints the summaries
of :mod:`bench.profile`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from bench.mock_api import Dataset, MockApiProcess

MANIFEST = """\
version: 6.44.0
type: DeclarativeSource
check: {type: CheckStream, stream_names: [events]}
streams:
  - type: DeclarativeStream
    name: events
    primary_key: id
    retriever:
      type: SimpleRetriever
      requester: {type: HttpRequester, url_base: "{{ config['base'] }}", path: events}
      record_selector:
        type: RecordSelector
        extractor: {type: DpathExtractor, field_path: [items]}
      paginator:
        type: DefaultPaginator
        page_token_option: {type: RequestPath}
        pagination_strategy:
          type: CursorPagination
          cursor_value: "{{ response.get('paging', {}).get('next', '') }}"
          stop_condition: "{{ not response.get('paging', {}).get('next') }}"
spec:
  type: Spec
  connection_specification: {type: object, required: [base], properties: {base: {type: string}}}
"""

READER = Path(__file__).resolve().parent / "cdk_reader.py"
ROOT = Path(__file__).resolve().parent.parent
TOOLS = ("manifest", "manifest-dict", "dlt-replace", "dlt-append", "dlt-dict", "cdk",
         "baseline", "baseline-dict")
DICT_PAGES = {"manifest-dict": "manifest", "dlt-dict": "dlt-replace",
              "baseline-dict": "manifest"}
"""Tools run with ``RESTSYNC_PAGE_PATH=dict`` (no Arrow-native pages), and the tool they are."""


def dlt_config(base: str, disposition: str) -> dict[str, Any]:
    """The same workload in dlt's dialect (``rest_api_source`` config)."""
    return {"client": {"base_url": base,
                       "paginator": {"type": "json_link", "next_url_path": "paging.next"}},
            "resources": [{"name": "events", "write_disposition": disposition,
                           "endpoint": {"path": "events", "data_selector": "items"}}]}


def _child(tool: str, base: str, folder: Path) -> None:
    """One restsync run (in this process): prints ``{"rows": ..., "seconds": ...}``."""
    import jsonschema  # noqa: F401  (imported lazily by a run; not timed, as the CDK's)
    import pyarrow.compute
    import pyarrow.json  # noqa: F401

    import restsync
    from restsync.engine import Pipeline
    from restsync.spec.airbyte import load_manifest

    db = folder / f"{tool}.duckdb"
    db.unlink(missing_ok=True)
    tool = DICT_PAGES.get(tool, tool)
    tool = "manifest" if tool == "baseline" else tool
    started = time.perf_counter()
    if tool == "manifest":
        manifest = folder / "manifest.yaml"
        source = load_manifest(manifest, config={"base": base}, name="bulk")
    else:
        source = restsync.rest_api_source(dlt_config(base, tool.split("-")[1]), name="bulk")
    info = Pipeline(destination=f"duckdb:///{db}").run(source)
    seconds = time.perf_counter() - started
    outcome = info.outcomes["events"]
    if outcome.status != "completed":
        raise SystemExit(f"restsync failed: {outcome.error}")
    con = duckdb.connect(str(db), read_only=True)
    try:
        [(rows,)] = con.execute("SELECT count(*) FROM bulk.events").fetchall()
    finally:
        con.close()
    print(json.dumps({"rows": int(rows), "seconds": seconds, "src": restsync.__file__}))


def run_restsync(tool: str, base: str, folder: Path, wrap: list[str] | None = None,
                 baseline: Path | None = None) -> tuple[int, float, float]:
    """(rows, wall seconds, CPU seconds of the child) of one restsync run in a child process."""
    args = [*(wrap or []), sys.executable, "-m", "bench.airbyte_speed", "--child", tool,
            "--base", base, "--folder", str(folder)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    path = str(ROOT)
    if tool.startswith("baseline"):
        if baseline is None:
            raise SystemExit(f"{tool} needs --baseline-src")
        path = f"{baseline / 'src'}{os.pathsep}{ROOT}"
    env = {key: value for key, value in os.environ.items() if key != "RESTSYNC_PAGE_PATH"}
    env["PYTHONPATH"] = path
    if tool in DICT_PAGES:
        env["RESTSYNC_PAGE_PATH"] = "dict"
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                            env=env)
    out, err = proc.communicate(timeout=3600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"restsync ({tool}) failed: {err.decode()[-2000:]}")
    last = json.loads([x for x in out.decode().splitlines() if x.startswith('{"rows"')][-1])
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if tool.startswith("baseline") and baseline is not None \
            and not last["src"].startswith(str(baseline)):
        raise SystemExit(f"{tool} imported restsync from {last['src']}, not {baseline}")
    return int(last["rows"]), float(last["seconds"]), cpu


def run_cdk(python: str, manifest: Path, config_path: Path) -> tuple[int, float]:
    """(records, seconds of the read loop) of the CDK's reader."""
    done = subprocess.run([python, str(READER), str(manifest), str(config_path),
                           "--count-only"], capture_output=True, text=True, timeout=3600,
                          env={**os.environ, "DO_NOT_TRACK": "1"})
    if done.returncode != 0:
        raise SystemExit(f"the CDK failed: {done.stderr[-2000:]}")
    last = json.loads(done.stdout.splitlines()[-1])
    return int(last["done"]["events"]), float(last["seconds"])


def _default_cdk_python() -> str:
    return os.environ.get("BENCH_CDK_PYTHON") or str(ROOT / ".cdkvenv" / "bin" / "python")


def _profile(tools: list[str], base: str, folder: Path, out_dir: Path) -> None:
    from bench.profile import summarize

    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise SystemExit("py-spy is not installed: pip install -e '.[bench]'")
    out_dir.mkdir(parents=True, exist_ok=True)
    for tool in tools:
        raw = out_dir / f"{tool}.txt"
        wrap = [spy, "record", "--format", "raw", "--threads", "--idle", "--rate", "250",
                "--output", str(raw), "--"]
        rows, seconds, _ = run_restsync(tool, base, folder, wrap)
        print(f"# profile of restsync, {tool}: {rows:,} rows in {seconds:.2f} s under py-spy")
        print(summarize(raw, top=25))
        print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--tools", default="manifest,dlt-replace,cdk",
                        help=f"comma-separated, of {', '.join(TOOLS)}")
    parser.add_argument("--cdk-python", default=None)
    parser.add_argument("--profile", type=Path, default=None,
                        help="also profile each restsync tool once (py-spy), raw stacks here")
    parser.add_argument("--baseline-src", type=Path, default=None,
                        help="a folder holding another version's src/restsync (baseline tools)")
    parser.add_argument("--child", choices=TOOLS, help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.base, args.folder)
        return 0
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = sorted(set(tools) - set(TOOLS))
    if unknown:
        parser.error(f"unknown tools {unknown}; known: {', '.join(TOOLS)}")
    cdk_python = args.cdk_python or _default_cdk_python()
    seconds: dict[str, list[float]] = {t: [] for t in tools}
    cpu: dict[str, list[float]] = {t: [] for t in tools if t != "cdk"}
    rows: dict[str, set[int]] = {t: set() for t in tools}
    loads: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, \
            MockApiProcess([Dataset("bulk", records=args.records, page_size=1000)]) as api:
        folder = Path(tmp)
        manifest = folder / "manifest.yaml"
        manifest.write_text(MANIFEST)
        base = api.url("bulk")
        config_path = folder / "config.json"
        config_path.write_text(json.dumps({"base": base}))
        for repeat in range(args.repeat):
            for tool in tools:
                if tool == "cdk":
                    n, s = run_cdk(cdk_python, manifest, config_path)
                else:
                    n, s, c = run_restsync(tool, base, folder, baseline=args.baseline_src)
                    cpu[tool].append(c)
                seconds[tool].append(s)
                rows[tool].add(n)
                loads.append(os.getloadavg()[0])
                used = f", CPU {cpu[tool][-1]:.2f} s" if tool != "cdk" else ""
                print(f"  run {repeat + 1} {tool:14s}: {n:,} rows in {s:.2f} s "
                      f"(load {loads[-1]:.1f}{used})", flush=True)
        if args.profile is not None:
            _profile([t for t in tools if t != "cdk"], base, folder, args.profile)
    print(f"\n{args.records:,} records, medians of {args.repeat} interleaved runs, "
          f"load average {min(loads):.1f}-{max(loads):.1f}")
    medians = {t: statistics.median(s) for t, s in seconds.items()}
    for tool in tools:
        runs = ", ".join(f"{s:.2f}" for s in seconds[tool])
        used = f"; CPU {statistics.median(cpu[tool]):.2f} s" if cpu.get(tool) else ""
        print(f"  {tool:14s}: {medians[tool]:7.2f} s ({args.records / medians[tool]:,.0f} "
              f"rows/s; runs {runs}{used})")
    if "cdk" in medians:
        for tool in tools:
            if tool != "cdk":
                print(f"  {tool} / cdk: {medians['cdk'] / medians[tool]:.2f}x")
    if "manifest" in medians:
        for tool in tools:
            if tool != "manifest" and tool != "cdk":
                print(f"  {tool} / manifest: {medians['manifest'] / medians[tool]:.2f}x")
    return 0 if all(r == {args.records} for r in rows.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
