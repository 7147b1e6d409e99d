"""The table of one-construct manifests (tests/airbyte/construct_cases.py,
construct_cases_more.py and construct_cases_parents.py), each run over
real HTTP against a scripted loopback server into DuckDB: the exact requests, their bodies
and headers, and the rows loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from restsync.normalize.naming import normalize_identifier
from tests.airbyte.construct_cases import CASES as FIRST_CASES
from tests.airbyte.construct_cases_more import MORE_CASES
from tests.airbyte.construct_cases_parents import PARENT_CASES
from tests.airbyte.construct_support import Case, run_case
from tests.e2e.dlt_support import check_request, expected_rows, table_rows
from tests.recording_server import recording_server

pytestmark = pytest.mark.slow  # about a second per case (a server and a DuckDB each)

CASES = [*FIRST_CASES, *MORE_CASES, *PARENT_CASES]


def test_case_ids_are_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 150


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_construct(case: Case, tmp_path: Path) -> None:
    with recording_server(case.exchanges, handler=case.handler) as server:
        info = run_case(case, server, tmp_path / "run.duckdb")
    outcomes = {n: o for n, o in info.outcomes.items() if o.status == "failed"}
    if case.fails is None:
        assert not outcomes, {n: o.error for n, o in outcomes.items()}
    else:
        assert outcomes, "the stream should have failed"
        assert any(case.fails in str(o.error) for o in outcomes.values()), outcomes
    assert server.keys() == case.expected_requests()
    if case.bodies is not None:
        assert [r.json() for r in server.requests] == case.bodies
    else:
        for request in server.requests:
            check_request(case, request)  # type: ignore[arg-type]
    for stream, rows in case.rows.items():
        table = normalize_identifier(stream)
        columns, expected = expected_rows(rows)
        found = table_rows(tmp_path / "run.duckdb", "ab", table, columns or ["id"])
        assert found == expected, (table, found)
