"""The bulk workload through a manifest: restsync end to end into DuckDB vs the Airbyte CDK's
own reader (records only, loaded nowhere), on the same loopback mock API, in one invocation.

``python -m bench.airbyte_speed [--records 200000] [--cdk-python PATH]``

The mock API (``bench.mock_api``, its own process) serves nested email events, 1,000 per
page, the next page as an absolute URL. The manifest is ours (below). restsync runs in this
process, timed from compile to the last committed row (imports not counted); the CDK runs in a child process of an
interpreter with ``airbyte-cdk`` (``--cdk-python``, default this one), timed around its read
loop only (its start-up is not counted). Telemetry is off (``DO_NOT_TRACK=1``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def run_restsync(manifest: Path, config: dict[str, str], folder: Path) -> tuple[int, float]:
    from restsync.engine import Pipeline  # imported before the clock starts, as the CDK's
    from restsync.spec.airbyte import load_manifest

    db = folder / "restsync_run.duckdb"
    started = time.perf_counter()
    source = load_manifest(manifest, config=config, name="bulk")
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
    return int(rows), seconds


def run_cdk(python: str, manifest: Path, config_path: Path) -> tuple[int, float]:
    done = subprocess.run([python, str(READER), str(manifest), str(config_path),
                           "--count-only"], capture_output=True, text=True, timeout=3600,
                          env={**os.environ, "DO_NOT_TRACK": "1"})
    if done.returncode != 0:
        raise SystemExit(f"the CDK failed: {done.stderr[-2000:]}")
    last = json.loads(done.stdout.splitlines()[-1])
    return int(last["done"]["events"]), float(last["seconds"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--cdk-python", default=sys.executable)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, \
            MockApiProcess([Dataset("bulk", records=args.records, page_size=1000)]) as api:
        folder = Path(tmp)
        manifest = folder / "manifest.yaml"
        manifest.write_text(MANIFEST)
        config = {"base": api.url("bulk")}
        config_path = folder / "config.json"
        config_path.write_text(json.dumps(config))
        ours, ours_s = run_restsync(manifest, config, folder)
        cdk, cdk_s = run_cdk(args.cdk_python, manifest, config_path)
    print(f"restsync, manifest -> DuckDB : {ours:,} rows in {ours_s:.1f} s "
          f"({ours / ours_s:,.0f} rows/s)")
    print(f"Airbyte CDK read (no load)   : {cdk:,} records in {cdk_s:.1f} s "
          f"({cdk / cdk_s:,.0f} records/s)")
    print(f"ratio                        : {cdk_s / ours_s:.1f}x")
    return 0 if ours == cdk == args.records else 1


if __name__ == "__main__":
    sys.exit(main())
