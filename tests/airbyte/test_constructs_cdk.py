"""The table of one-construct manifests read by the Airbyte CDK (the oracle, in its own
interpreter: tests/airbyte/cdk.py) from the same scripted loopback servers: the same distinct
requests, the same record ids per stream, and a failure exactly where the case expects one.

Every case of tests/airbyte/construct_cases*.py runs here. Where restsync deliberately reads a
construct otherwise (docs/airbyte.md), the case is in :data:`CDK_DIFFERS` with the reason,
and :data:`CDK_REQUESTS` holds the requests the CDK sends instead, which are checked: the
difference is measured, not assumed.

The cases are read in a few batches, each by one CDK interpreter (its import costs seconds),
with every server of the batch up at once. Bodies and headers are checked against the case
by tests/airbyte/test_constructs.py only.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest
import yaml

from restsync.normalize.naming import normalize_identifier
from tests.airbyte.cdk import CdkRead, run_cdk_batch
from tests.airbyte.construct_cases import CASES as FIRST_CASES
from tests.airbyte.construct_cases_more import MORE_CASES
from tests.airbyte.construct_cases_parents import CDK_PARENT_REQUESTS, PARENT_CASES
from tests.airbyte.construct_support import Case, manifest_of
from tests.recording_server import normalize_key, recording_server

pytestmark = pytest.mark.slow

CASES = [*FIRST_CASES, *MORE_CASES, *PARENT_CASES]

CDK_DIFFERS: dict[str, str] = {
    "two-parent-routers-second-a-child-of-the-first-run-as-pairs":
        "restsync pairs each calendar with the grant it came from; the CDK crosses every "
        "grant with every calendar",
    "two-routers-over-one-parent-read-one-record":
        "restsync reads both partition values from the same parent record; the CDK crosses "
        "every parent record with every other",
    "three-parent-routers-in-a-chain-run-as-tuples":
        "restsync reads each slot with the calendar and grant it came from; the CDK crosses "
        "every grant, calendar and slot",
    "csv-decoder-written-as-a-composite-raw-decoder":
        "the CDK 7 schema no longer accepts a CompositeRawDecoder as a retriever's decoder "
        "(CDK 6 manifests write it); restsync still reads it as the CSV decoder",
}
"""Case id -> why the CDK reads it otherwise (restsync's deliberate difference)."""

CDK_REQUESTS: dict[str, list[str]] = {
    **CDK_PARENT_REQUESTS,
    "csv-decoder-written-as-a-composite-raw-decoder": [],  # refused before any request
}
"""Case id -> the distinct requests the CDK sends for a case of :data:`CDK_DIFFERS`."""

BATCHES = 6


def test_every_difference_has_a_reason_and_the_cdk_requests() -> None:
    assert set(CDK_DIFFERS) == set(CDK_REQUESTS)
    assert set(CDK_DIFFERS) <= {c.id for c in CASES}
    assert all(reason.strip() for reason in CDK_DIFFERS.values())


def _compare(case: Case, read: CdkRead, requests: set[str]) -> list[str]:
    """What the CDK did otherwise than the case expects (empty: the same)."""
    if case.id in CDK_DIFFERS:
        want = {normalize_key(line) for line in CDK_REQUESTS[case.id]}
        return [] if requests == want else [
            f"the CDK's requests changed: {sorted(requests ^ want)}"]
    problems: list[str] = []
    if requests != set(case.expected_requests()):
        problems.append(f"requests differ: {sorted(requests ^ set(case.expected_requests()))}")
    failed = bool(read.errors) or read.returncode != 0
    if failed != (case.fails is not None):
        problems.append(f"failed={failed}, expected fails={case.fails!r}: "
                        f"{read.errors} {read.stderr[-500:]}")
    if case.fails is None:
        tables = {normalize_identifier(name): records for name, records in read.records.items()}
        for stream, rows in case.rows.items():
            got = sorted(str(r.get("id")) for r in tables.get(stream, []))
            want_ids = sorted(str(r.get("id")) for r in rows)
            if got != want_ids:
                problems.append(f"{stream}: ids {got}, expected {want_ids}")
    return problems


@pytest.mark.parametrize("batch", range(BATCHES), ids=lambda b: f"batch-{b + 1}-of-{BATCHES}")
def test_the_cdk_reads_each_construct_the_same(batch: int, cdk_python: str,
                                               tmp_path: Path) -> None:
    cases = CASES[batch::BATCHES]
    with ExitStack() as stack:
        servers = [stack.enter_context(recording_server(c.exchanges, handler=c.handler))
                   for c in cases]
        jobs = []
        for i, (case, server) in enumerate(zip(cases, servers, strict=True)):
            manifest = tmp_path / f"case_{i}.yaml"
            manifest.write_text(yaml.safe_dump(manifest_of(case.streams, **case.top)))
            jobs.append((manifest, {"base": server.base_url, **case.config}))
        reads = run_cdk_batch(cdk_python, jobs, tmp_path)
        seen = [set(server.keys()) for server in servers]
    differences = {case.id: problems for case, read, requests in zip(cases, reads, seen,
                                                                     strict=True)
                   if (problems := _compare(case, read, requests))}
    assert not differences, "\n".join(f"{name}: {'; '.join(problems)}"
                                       for name, problems in differences.items())
