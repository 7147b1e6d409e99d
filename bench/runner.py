"""One benchmark run of one tool, in its own process (so peak RSS is per run).

``python -m bench.runner '<json job>'`` prints one JSON line on stdout:
``{"rows": .., "seconds": .., "tables": {table: rows}, "distinct_ids": .., "faults": ..}``.

Tools: ``restsync`` (its Python API), ``dlt-default`` (dlt's ``rest_api_source`` with its
defaults), ``dlt-fast`` (dlt with the settings its performance guide recommends: parquet
loader files, parallelized child resources, more extract/normalize workers, larger buffers)
``ceiling`` (a plain aiohttp + orjson loop that only fetches and parses the same pages, the
parse ceiling), and from :mod:`bench.peer_tools` ``airbyte-cdk`` (the same workload as a
manifest, read by the CDK, loaded nowhere) and ``fetch`` (bytes fetched, nothing parsed).
Every tool reads the same pages with the same nesting into DuckDB with the same
write disposition; the driver compares their table row counts.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from bench.lakes import LAKE_TOOLS
from bench.lakes import count as count_lake
from bench.lakes import import_tool as import_lake_tool
from bench.lakes import run as run_lake
from bench.peer_tools import fetch_body, fetch_only, run_cdk

DATASET = "bench"


def source_config(job: dict[str, Any]) -> dict[str, Any]:
    """The ``rest_api_source`` dict (dlt's dialect) both restsync and dlt run."""
    resources: list[dict[str, Any]] = [{
        "name": "events",
        "endpoint": {"path": "events", "data_selector": "items"},
        "write_disposition": job["write_disposition"],
    }]
    if job["write_disposition"] == "merge":
        resources[0]["primary_key"] = "id"
    if job["kind"] == "fanout":
        resources.append({
            "name": "event_details",
            "endpoint": {"path": "events/{event_id}", "data_selector": "data",
                         "params": {"event_id": {"type": "resolve", "resource": "events",
                                                 "field": "id"}}},
            "write_disposition": job["write_disposition"],
        })
    return {
        "client": {"base_url": job["base_url"],
                   "paginator": {"type": "json_link", "next_url_path": "paging.next"}},
        "resources": resources,
    }


# --------------------------------------------------------------------------- tools


def run_restsync(job: dict[str, Any], db: Path) -> str:
    """Run restsync; returns where its in-flight limit settled (text for the report).

    The fan-out runs at restsync's defaults (adaptive concurrency, no ceiling set); the other
    scenarios set ``max_concurrency`` to the job's concurrency, as every tool gets.
    """
    import restsync
    from restsync.events import ConcurrencySettled, Event

    config = source_config(job)
    if job["kind"] != "fanout":
        config["client"]["max_concurrency"] = job["concurrency"]
    source = restsync.rest_api_source(config, name="bench")
    settled: list[ConcurrencySettled] = []

    def keep(event: Event) -> None:
        if isinstance(event, ConcurrencySettled):
            settled.append(event)
    info = restsync.pipeline(destination=f"duckdb:///{db}", dataset_name=DATASET,
                             events=keep).run(source)
    if not info.ok:
        raise SystemExit(f"restsync run failed: {info.failed} "
                         f"{[o.error for o in info.outcomes.values()]}")
    return "; ".join(f"settled at {e.settled} in flight (start {e.start}, peak {e.peak}, "
                     f"{e.backoffs} cuts)" for e in settled)


def dlt_fast_environment(job: dict[str, Any]) -> dict[str, str]:
    """dlt's documented performance settings (configuration via environment variables)."""
    return {
        "EXTRACT__WORKERS": str(job["concurrency"]),        # threads for parallelized resources
        "EXTRACT__MAX_PARALLEL_ITEMS": str(max(20, job["concurrency"])),
        "DATA_WRITER__BUFFER_MAX_ITEMS": "50000",            # larger in-memory buffers
        "EXTRACT__DATA_WRITER__FILE_MAX_ITEMS": "100000",   # several files -> parallel normalize
        "NORMALIZE__WORKERS": str(os.cpu_count() or 2),     # one process per core
        "LOAD__WORKERS": "20",
    }


def run_dlt(job: dict[str, Any], db: Path, fast: bool) -> None:
    import dlt
    from dlt.sources.rest_api import rest_api_source

    config = source_config(job)
    if fast:
        for resource in config["resources"]:
            resource["parallelized"] = True
    with tempfile.TemporaryDirectory(prefix="dlt-pipelines-") as pipelines_dir:
        pipeline = dlt.pipeline(pipeline_name="bench", pipelines_dir=pipelines_dir,
                                destination=dlt.destinations.duckdb(str(db)),
                                dataset_name=DATASET)
        kwargs: dict[str, Any] = {"loader_file_format": "parquet"} if fast else {}
        pipeline.run(rest_api_source(config), **kwargs)  # type: ignore[arg-type]


async def _ceiling(job: dict[str, Any]) -> int:
    import aiohttp

    connector = aiohttp.TCPConnector(limit_per_host=job["concurrency"])
    rows = 0
    async with aiohttp.ClientSession(connector=connector) as session:
        async def get(url: str) -> Any:
            return orjson.loads(await fetch_body(session, url))

        limit = asyncio.Semaphore(job["concurrency"])
        details: list[asyncio.Task[Any]] = []

        async def detail(url: str) -> Any:
            async with limit:
                return await get(url)

        url: str | None = job["base_url"] + "events"
        while url:
            page = await get(url)
            rows += len(page["items"])
            if job["kind"] == "fanout":
                details += [asyncio.create_task(detail(f"{job['base_url']}events/{item['id']}"))
                            for item in page["items"]]
            url = page["paging"].get("next")
        for result in await asyncio.gather(*details):
            rows += 1 if result.get("data") else 0
    return rows


# --------------------------------------------------------------------------- counting


def count_tables(db: Path) -> dict[str, int]:
    """Rows per data table of the benchmark dataset (dlt/restsync bookkeeping tables left out)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "and table_name not like '\\_dlt%' escape '\\' "
            "and table_name not like '\\_restsync%' escape '\\'", [DATASET]).fetchall()]
        return {n: con.execute(f'select count(*) from {DATASET}."{n}"').fetchone()[0]  # type: ignore[index]
                for n in sorted(names)}
    finally:
        con.close()


def distinct_ids(db: Path, table: str) -> int:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(con.execute(f'select count(distinct id) from {DATASET}."{table}"').fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def _import_tool(job: dict[str, Any]) -> None:
    if job["tool"] in LAKE_TOOLS:
        import_lake_tool(job["tool"])
        return
    _import_warehouse_tool(job)


def _import_warehouse_tool(job: dict[str, Any]) -> None:
    """Import the tool before the clock starts (interpreter and import time are not timed).

    Each tool also imports some heavy libraries only when a run needs them (restsync: aiohttp,
    pyarrow.compute; dlt: its DuckDB destination, pyarrow for parquet); those are imported here
    too, so no tool's timed run includes import time.
    """
    if job["tool"] == "restsync":
        import aiohttp
        import pyarrow.compute

        import restsync.engine  # noqa: F401
    elif job["tool"].startswith("dlt"):
        os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
        if job["tool"] == "dlt-fast":
            os.environ.update(dlt_fast_environment(job))
            import pyarrow.parquet  # noqa: F401
        import dlt.destinations.impl.duckdb.duck
        import dlt.sources.rest_api  # noqa: F401
        import duckdb  # noqa: F401
    elif job["tool"] != "airbyte-cdk":  # the CDK imports in its own interpreter, untimed
        import aiohttp  # noqa: F401


def main() -> None:
    job = orjson.loads(sys.argv[1])
    tool = job["tool"]
    with tempfile.TemporaryDirectory(prefix="restsync-bench-") as tmp:
        db = Path(tmp) / "out.duckdb"
        _import_tool(job)
        started = time.perf_counter()
        note = ""
        if tool == "restsync":
            note = run_restsync(job, db)
        elif tool in ("dlt-default", "dlt-fast"):
            run_dlt(job, db, fast=tool == "dlt-fast")
        elif tool in LAKE_TOOLS:
            run_lake(tool, job, source_config(job), Path(tmp) / "lake")
        elif tool == "ceiling":
            rows = asyncio.run(_ceiling(job))
        elif tool == "fetch":
            rows, requests, size = asyncio.run(fetch_only(job))
            note = f"{requests:,} responses, {size / 2**20:,.1f} MiB, nothing parsed"
        elif tool == "airbyte-cdk":
            counts, cdk_seconds = run_cdk(job, Path(tmp))
        else:
            raise SystemExit(f"unknown tool {tool!r}")
        seconds = time.perf_counter() - started
        result: dict[str, Any] = {"tool": tool, "seconds": seconds, "note": note}
        roots = ["events"] + (["event_details"] if job["kind"] == "fanout" else [])
        if tool in ("ceiling", "fetch"):  # fetch: event ids found in the bytes + detail bodies
            result.update(rows=rows, tables={}, distinct_ids=None)
        elif tool == "airbyte-cdk":  # the read loop only; records loaded nowhere
            result.update(seconds=cdk_seconds, rows=sum(counts.get(t, 0) for t in roots),
                          tables={}, distinct_ids=None, note="records read, not loaded")
        elif tool in LAKE_TOOLS:
            tables, distinct = count_lake(tool, Path(tmp) / "lake", roots)
            result.update(rows=sum(tables.get(t, 0) for t in roots), tables=tables,
                          distinct_ids=distinct)
        else:
            tables = count_tables(db)
            result.update(rows=sum(tables.get(t, 0) for t in roots), tables=tables,
                          distinct_ids=sum(distinct_ids(db, t) for t in roots if t in tables))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
