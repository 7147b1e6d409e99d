"""Read a manifest with the Airbyte CDK (the differential oracle); run in an interpreter that
has ``airbyte-cdk`` (the ``airbyte`` extra), never imported by restsync.

``python bench/cdk_reader.py MANIFEST.yaml CONFIG.json [--streams a,b]`` reads every stream
(full refresh) and prints one JSON line per record: ``{"stream": ..., "data": {...}}``, then
``{"done": {stream: count}, "seconds": the read's duration}`` (``--count-only``: no
records). Errors the CDK reports are printed as ``{"error": ...}``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")  # no telemetry


def main() -> int:
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

    parser = argparse.ArgumentParser()
    parser.add_argument("manifest", type=Path)
    parser.add_argument("config", type=Path)
    parser.add_argument("--streams")
    parser.add_argument("--count-only", action="store_true",
                        help="print no records, only the counts and the read's seconds")
    args = parser.parse_args()
    manifest = yaml.safe_load(args.manifest.read_text())
    config = json.loads(args.config.read_text())
    source = ConcurrentDeclarativeSource(source_config=manifest, config=config, catalog=None,
                                         state=None)
    logger = logging.getLogger("cdk")
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    names = [s.name for s in source.streams(config)]
    wanted = args.streams.split(",") if args.streams else names
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
            if not args.count_only:
                print(json.dumps({"stream": message.record.stream,
                                  "data": message.record.data}, default=str))
        elif message.type == Type.TRACE and message.trace is not None \
                and message.trace.error is not None:
            print(json.dumps({"error": message.trace.error.message}))
    print(json.dumps({"done": counts, "seconds": time.perf_counter() - started}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
