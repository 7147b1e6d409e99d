"""The table of one-construct manifests read by the Airbyte CDK (the oracle, in its own
interpreter: tests/airbyte/cdk.py) from the same scripted loopback server: the same distinct
requests, the same record ids per stream, and a failure exactly where the case expects one.

Bodies and headers are checked against the case by tests/airbyte/test_constructs.py only.
The cases of tests/airbyte/construct_cases_more.py run here; those of construct_cases.py are
not yet all checked against the CDK (some deliberately differ, docs/airbyte.md), so they
join this table once each is checked, the deliberate differences listed in
:data:`CDK_DIFFERS`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from restsync.normalize.naming import normalize_identifier
from tests.airbyte.cdk import run_cdk
from tests.airbyte.construct_cases_more import MORE_CASES
from tests.airbyte.construct_support import Case, manifest_of
from tests.recording_server import recording_server

pytestmark = pytest.mark.slow

CDK_DIFFERS: dict[str, str] = {}
"""Case id -> why the CDK reads it otherwise (restsync's deliberate difference)."""


@pytest.mark.parametrize("case", [c for c in MORE_CASES if c.id not in CDK_DIFFERS],
                         ids=lambda c: c.id)
def test_the_cdk_reads_each_construct_the_same(case: Case, cdk_python: str,
                                               tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(yaml.safe_dump(manifest_of(case.streams, **case.top)))
    with recording_server(case.exchanges, handler=case.handler) as server:
        read = run_cdk(cdk_python, manifest, {"base": server.base_url, **case.config},
                       tmp_path)
        requests = set(server.keys())
    assert requests == set(case.expected_requests())
    failed = bool(read.errors) or read.returncode != 0
    assert failed == (case.fails is not None), (read.errors, read.stderr[-2000:])
    if case.fails is None:
        tables = {normalize_identifier(name): records for name, records in read.records.items()}
        for stream, rows in case.rows.items():
            got = sorted(str(r.get("id")) for r in tables.get(stream, []))
            assert got == sorted(str(r.get("id")) for r in rows), stream
