"""Differential oracle: dlt itself runs each plain-data case of the dlt table, restsync runs
the same config, both against the same kind of recording loopback server; the requests
(method, path, query, bodies, auth and custom headers) and the rows must be the same.

Needs the optional ``oracle`` extra (``pip install -e '.[oracle]'``: dlt[duckdb] 1.31; ``make
test`` installs it); without it the module fails, unless ``RESTSYNC_SKIP_ORACLE=1`` says on
purpose that this machine runs without the oracle. dlt is a test oracle only, never a runtime dependency.
Cases whose difference is deliberate carry ``dlt_differs`` (the reason) and are skipped here;
docs/spec.md ("Coming from dlt") lists them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.dlt_cases import CASES
from tests.e2e.dlt_merge_cases import MERGE_CASES
from tests.e2e.dlt_python_cases import PYTHON_CASES
from tests.e2e.dlt_support import Case, expected_rows, run_restsync, table_rows
from tests.e2e.test_dlt_dialect import body_handler
from tests.recording_server import Recorded, RecordingServer, recording_server

# dlt must not phone home from a test (its anonymous telemetry is on by default)
os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
if os.environ.get("RESTSYNC_SKIP_ORACLE") == "1":
    pytest.skip("RESTSYNC_SKIP_ORACLE=1: this machine runs without the dlt oracle",
                allow_module_level=True)
try:
    import dlt
    import dlt.sources.rest_api as rest_api
except ImportError as exc:  # CI installs the extra (make test does): a missing oracle fails
    raise ImportError("the differential oracle needs the 'oracle' extra: "
                      "pip install -e '.[oracle]' (or set RESTSYNC_SKIP_ORACLE=1)") from exc

pytestmark = pytest.mark.slow

COMPARED_HEADERS = ("authorization", "cookie", "content-type", "if-modified-since")
ORACLE_CASES = [c for c in [*CASES, *MERGE_CASES, *PYTHON_CASES] if c.oracle]


def _headers(request: Recorded) -> dict[str, str]:
    out = {k: v for k, v in request.headers.items()
           if k in COMPARED_HEADERS or k.startswith("x-")}
    if not request.body:
        out.pop("content-type", None)
    return out


def _body(request: Recorded) -> Any:
    if not request.body:
        return None
    if request.headers.get("content-type", "").startswith("application/json"):
        return request.json()
    if request.headers.get("content-type", "").startswith("application/x-www-form"):
        return request.form()
    return request.body.decode()


def exchanges(server: RecordingServer) -> list[str]:
    """Every request as one comparable line: request line, body, compared headers."""
    return sorted(f"{r.key} body={_body(r)!r} headers={sorted(_headers(r).items())}"
                  for r in server.requests)


@pytest.fixture
def environ(request: pytest.FixtureRequest) -> Iterator[None]:
    """The case's credentials in os.environ (dlt reads them there); restored after."""
    case: Case = request.node.callspec.params["case"]
    saved = {k: os.environ.get(k) for k in case.env}
    os.environ.update(case.env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_dlt(case: Case, server: RecordingServer, workdir: Path) -> None:
    """One run of the case through dlt (a second run continues the first's pipeline)."""
    source = rest_api.rest_api_source(case.build(server.base_url))
    pipe = dlt.pipeline(pipeline_name=f"oracle_{abs(hash(case.id))}",
                        destination=dlt.destinations.duckdb(str(workdir / "dlt.duckdb")),
                        dataset_name="ds", pipelines_dir=str(workdir / "pipelines"))
    pipe.run(source)


@pytest.mark.parametrize("case", ORACLE_CASES, ids=[c.id for c in ORACLE_CASES])
def test_restsync_sends_what_dlt_sends(case: Case, tmp_path: Path, environ: None) -> None:
    if case.dlt_differs:
        pytest.skip(f"deliberate difference: {case.dlt_differs}")
    for run in case.runs():  # merge cases run twice into the same destination
        with recording_server(run, body_handler(case.id)) as server:
            if case.fails is None:
                run_dlt(case, server, tmp_path)
            else:  # dlt fails the run where restsync fails the resource
                with pytest.raises(Exception, match=re.escape(case.fails[0])):
                    run_dlt(case, server, tmp_path)
            dlt_sent = exchanges(server)
        with recording_server(run, body_handler(case.id)) as server:
            info, _ = run_restsync(case, server, tmp_path / "restsync.duckdb")
            restsync_sent = exchanges(server)
        failed = [n for n, o in info.outcomes.items() if o.status == "failed"]
        assert failed == ([case.fails[0]] if case.fails else []), failed
        assert restsync_sent == dlt_sent
    for table, rows in case.rows.items():
        columns, _ = expected_rows(rows)
        columns = columns or ["_dlt_id"]
        ours = table_rows(tmp_path / "restsync.duckdb", "ds", table, columns)
        theirs = table_rows(tmp_path / "dlt.duckdb", "ds", table, columns)
        assert ours == theirs, table


def test_oracle_covers_the_table() -> None:
    """Most of the table runs through dlt; the rest says why not."""
    compared = [c for c in ORACLE_CASES if not c.dlt_differs]
    assert len(compared) >= 100
