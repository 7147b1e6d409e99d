"""Read a manifest with the Airbyte CDK (the differential oracle); run in an interpreter that
has ``airbyte-cdk`` (the ``airbyte`` extra), never imported by restsync.

``python bench/cdk_reader.py MANIFEST.yaml CONFIG.json [--streams a,b]`` reads every stream
(full refresh) and prints one JSON line per record: ``{"stream": ..., "data": {...}}``, then
``{"done": {stream: count}, "seconds": the read's duration}`` (``--count-only``: no
records). Errors the CDK reports are printed as ``{"error": ...}``.
``--batch JOBS.json`` reads several manifests in one interpreter (:func:`read_batch`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

os.environ.setdefault("DO_NOT_TRACK", "1")  # no telemetry


def read(manifest_path: Path, config_path: Path, streams: str | None, count_only: bool,
         emit: Callable[[str], None]) -> None:
    """Read every stream (or ``streams``) of one manifest, emitting one JSON line each."""
    import yaml
    from airbyte_cdk.models import (
        AirbyteStream,
        ConfiguredAirbyteCatalog,
        ConfiguredAirbyteStream,
        DestinationSyncMode,
        SyncMode,
        Type,
    )
    from airbyte_cdk.sources.declarative.concurrent_declarative_source import (
        ConcurrentDeclarativeSource,
    )

    manifest = yaml.safe_load(manifest_path.read_text())
    config = json.loads(config_path.read_text())
    source = ConcurrentDeclarativeSource(source_config=manifest, config=config, catalog=None,
                                         state=None)
    logger = logging.getLogger("cdk")
    names = [s.name for s in source.streams(config)]
    wanted = streams.split(",") if streams else names
    catalog = ConfiguredAirbyteCatalog(streams=[
        ConfiguredAirbyteStream(
            stream=AirbyteStream(name=n, json_schema={}, supported_sync_modes=[
                SyncMode.full_refresh]),
            sync_mode=SyncMode.full_refresh, destination_sync_mode=DestinationSyncMode.overwrite)
        for n in wanted])
    counts = dict.fromkeys(wanted, 0)
    started = time.perf_counter()
    for message in source.read(logger, config, catalog, None):
        if message.type == Type.RECORD and message.record is not None:
            counts[message.record.stream] = counts.get(message.record.stream, 0) + 1
            if not count_only:
                emit(json.dumps({"stream": message.record.stream,
                                 "data": message.record.data}, default=str))
        elif message.type == Type.TRACE and message.trace is not None \
                and message.trace.error is not None:
            emit(json.dumps({"error": message.trace.error.message}))
    emit(json.dumps({"done": counts, "seconds": time.perf_counter() - started}))


def read_batch(jobs_path: Path) -> None:
    """``--batch JOBS.json``: a list of ``{"manifest", "config", "out"}``, read one after
    another in this one interpreter (the CDK is imported once); each job's lines go to its
    ``out`` file, and a job the CDK raises on ends with ``{"exit": 1, "exception": ...}``."""
    for job in json.loads(jobs_path.read_text()):
        with open(job["out"], "w", encoding="utf-8") as out:
            def emit(line: str, out: TextIO = out) -> None:
                out.write(line + "\n")
            try:
                read(Path(job["manifest"]), Path(job["config"]), job.get("streams"), False, emit)
            except Exception as exc:  # the CDK refusing a manifest is a result
                emit(json.dumps({"exit": 1, "exception": f"{type(exc).__name__}: {exc}"}))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("manifest", type=Path, nargs="?")
    parser.add_argument("config", type=Path, nargs="?")
    parser.add_argument("--streams")
    parser.add_argument("--count-only", action="store_true",
                        help="print no records, only the counts and the read's seconds")
    parser.add_argument("--batch", type=Path, help="a JSON list of jobs (see read_batch)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    if args.batch:
        read_batch(args.batch)
        return 0
    if args.manifest is None or args.config is None:
        parser.error("MANIFEST and CONFIG are required without --batch")
    read(args.manifest, args.config, args.streams, args.count_only, print)
    return 0


if __name__ == "__main__":
    sys.exit(main())
