"""The Airbyte CDK as a differential oracle: our sandbox manifests read by the CDK and by
restsync from the same loopback sandbox must give the same records per stream and ask for
the same requests.

The CDK runs in its own interpreter (``tests/airbyte/cdk.py``: ``make test`` builds it;
without it these tests fail unless ``RESTSYNC_SKIP_CDK_ORACLE=1``). The CDK reads a parent
stream again for each child; restsync once per run: requests are compared as sets.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from restsync.sandbox import start_sandboxes
from tests.airbyte.cdk import read_with_cdk
from tests.airbyte.support import MANIFESTS, ManifestRun, sandbox_config
from tests.e2e.helpers import assert_ok

pytestmark = pytest.mark.slow

PRIMARY_KEYS = {"email_events_api": {"domains": "id", "events": "id"},
                "calendar_api": {"grants": "id", "calendars": "id", "events": "id",
                                 "scheduled_messages": "schedule_id"},
                "email_api": {"drafts": "id", "messages": "id", "labels_details": "id"},
                "marketing_api": {"campaigns": "id", "email_clicks": "id"},
                "project_api": {"projects": "id", "schedule_entries": "id", "todos": "id",
                                "messages": "id"}}


def request_keys(server: Any) -> set[tuple[str, str, str]]:
    return {(r.method, r.path, "&".join(sorted(r.query_string.split("&"))))
            for r in server.requests if r.server == "api"}


def read_sandbox_with_cdk(python: str, name: str, tmp_path: Path) -> tuple[
        dict[str, list[Any]], set[Any]]:
    with start_sandboxes([name]) as group:
        server = group[name]
        records = read_with_cdk(python, MANIFESTS / f"{name}.yaml",
                                sandbox_config(name, server), tmp_path)
        return records, request_keys(server)


@pytest.mark.parametrize("name", sorted(PRIMARY_KEYS))
def test_same_records_and_requests_as_the_cdk(name: str, cdk_python: str,
                                              tmp_path: Path) -> None:
    cdk_records, cdk_requests = read_sandbox_with_cdk(cdk_python, name, tmp_path)
    with start_sandboxes([name]) as group:
        run = ManifestRun(name=name, server=group[name], db_path=tmp_path / "rs.duckdb")
        info = run.run()
        assert_ok(info)
        ours = request_keys(run.server)
    counts = {stream: outcome.tables.get(stream, 0) for stream, outcome in info.outcomes.items()}
    assert counts == {stream: len(rows) for stream, rows in cdk_records.items()} | {
        s: 0 for s in counts if s not in cdk_records}
    for stream, key in PRIMARY_KEYS[name].items():
        loaded = Counter(str(r[0]) for r in run.query(f'SELECT "{key}" FROM {name}.{stream}'))
        assert loaded == Counter(str(r[key]) for r in cdk_records.get(stream, [])), stream
    assert ours == cdk_requests
