"""Lake-format tools of the benchmark: restsync into Delta and Iceberg, dlt into Delta.

* ``restsync-delta`` / ``restsync-iceberg``: restsync's Python API with ``delta:///`` and
  ``iceberg:///`` destinations (same config as ``restsync``);
* ``dlt-delta``: dlt's ``rest_api_source`` into its filesystem destination with
  ``table_format="delta"`` on every resource (merge as dlt's ``upsert`` strategy, the one its
  Delta support documents), with dlt's defaults otherwise.

Rows are counted with each format's own reader (deltalake, pyiceberg), not DuckDB.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

DATASET = "bench"
LAKE_TOOLS = ("restsync-delta", "restsync-iceberg", "dlt-delta")
LAKE_SCENARIOS = ("bulk", "merge")
"""The lake tools run in these scenarios (others leave them out unless named)."""


def import_tool(tool: str) -> None:
    """Import everything the tool needs before the clock starts."""
    import pyarrow.parquet

    if tool == "dlt-delta":
        os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
        import deltalake
        import dlt.destinations.impl.filesystem.filesystem
        import dlt.sources.rest_api  # noqa: F401
        return
    import aiohttp  # noqa: F401
    import pyarrow.compute  # noqa: F401

    import restsync.engine
    if tool == "restsync-delta":
        import deltalake  # noqa: F401

        import restsync.load.delta.format
    else:
        import pyiceberg.catalog.sql  # noqa: F401

        import restsync.load.iceberg.format  # noqa: F401


def run(tool: str, job: dict[str, Any], config: dict[str, Any], folder: Path) -> None:
    """Load ``config`` (dlt's dialect) into a lake under ``folder``."""
    if tool == "dlt-delta":
        _run_dlt(job, config, folder)
        return
    import restsync

    config["client"]["max_concurrency"] = job["concurrency"]
    scheme = "delta" if tool == "restsync-delta" else "iceberg"
    source = restsync.rest_api_source(config, name="bench")
    info = restsync.pipeline(destination=f"{scheme}:///{folder}",
                             dataset_name=DATASET).run(source)
    if not info.ok:
        raise SystemExit(f"restsync run failed: {info.failed} "
                         f"{[o.error for o in info.outcomes.values()]}")


def _run_dlt(job: dict[str, Any], config: dict[str, Any], folder: Path) -> None:
    import dlt
    from dlt.sources.rest_api import rest_api_source

    for resource in config["resources"]:
        resource["table_format"] = "delta"
        if resource.get("write_disposition") == "merge":
            resource["write_disposition"] = {"disposition": "merge", "strategy": "upsert"}
    with tempfile.TemporaryDirectory(prefix="dlt-pipelines-") as pipelines_dir:
        pipeline = dlt.pipeline(pipeline_name="bench", pipelines_dir=pipelines_dir,
                                destination=dlt.destinations.filesystem(
                                    bucket_url=folder.as_uri()),
                                dataset_name=DATASET)
        pipeline.run(rest_api_source(config))  # type: ignore[arg-type]


def count(tool: str, folder: Path, roots: list[str]) -> tuple[dict[str, int], int]:
    """Rows per data table (bookkeeping tables left out) and distinct ids over ``roots``."""
    import pyarrow.compute as pc

    tables: dict[str, Any] = {}
    if tool == "restsync-iceberg":
        from restsync.load import open_destination

        dest: Any = open_destination(f"iceberg:///{folder}", DATASET)
        try:
            tables = {t: dest.fmt.read(t) for t in dest.tables()}
        finally:
            dest.close()
    else:
        from deltalake import DeltaTable

        base = folder / DATASET
        for path in sorted(base.iterdir()) if base.exists() else []:
            if (path / "_delta_log").is_dir() and not path.name.startswith(("_dlt", "_restsync")):
                tables[path.name] = DeltaTable(str(path)).to_pyarrow_table()
    counts = {name: t.num_rows for name, t in sorted(tables.items())}
    distinct = sum(pc.count_distinct(tables[r].column("id")).as_py() for r in roots
                   if r in tables)
    return counts, distinct
