"""The table format of the dlt-dialect cases and the code that runs one through restsync.

A :class:`Case` is a dlt ``rest_api_source`` config (plain data, or built by a function for
the Python API cases), the exchanges a loopback server scripts for it, the exact requests
expected (method, path, query; bodies and headers where they matter) and the rows expected
in the destination. ``http://BASE`` in a config (and ``{base}`` in a scripted body or
header) is the server's URL.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

import restsync
from restsync.engine import RunInfo
from restsync.events import Event
from restsync.spec.values import ValueResolver
from tests.recording_server import Recorded, RecordingServer, Reply, normalize_key

BASE = "http://BASE"


@dataclass(frozen=True)
class Check:
    """What one request must carry besides its request line.

    Attributes:
        json: The JSON body (``None``: not checked unless ``no_body``).
        form: The form body as ``(name, value)`` pairs, in order.
        raw: The raw body text.
        headers: Headers it must have (lower-case names), value or ``None`` = must be absent.
    """

    json: Any = None
    form: list[tuple[str, str]] | None = None
    raw: str | None = None
    headers: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """One dlt-dialect config, run over HTTP.

    Attributes:
        id: Test id.
        config: The config (``BASE`` for the server), or a function building it from the
            server's URL (Python API: objects inside are not searched for ``BASE``).
        exchanges: Request line -> reply body / :class:`Reply`.
        rows: Table -> expected rows (the columns named in the first row are compared,
            order-insensitive); ``[]``: the table is empty or absent. With ``second``: the
            rows after both runs.
        requests: The expected request lines, sorted on comparison (default: the keys of
            ``exchanges``, each once).
        checks: Request line -> :class:`Check`.
        env: Environment variables the run sees (credentials from configuration).
        auth: The case sends credentials (else no request may carry Authorization/Cookie).
        oracle: Run it through dlt in the differential test (plain data that dlt runs).
        dlt_differs: Why dlt's requests/rows differ (documented deliberate differences).
        second: Exchanges of a second run of the same config into the same destination
            (merge and incremental cases: what the first run stored decides what the second
            one does); its expected requests are its keys.
        fails: ``(resource, words)``: the run fails that resource (and only it) with an
            error holding ``words``; dlt fails its whole run (the oracle checks it fails).
    """

    id: str
    config: dict[str, Any] | Callable[[str], dict[str, Any]]
    exchanges: Mapping[str, Any]
    rows: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[str] | None = None
    checks: Mapping[str, Check] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    auth: bool = False
    oracle: bool = True
    dlt_differs: str | None = None
    second: Mapping[str, Any] | None = None
    fails: tuple[str, str] | None = None

    def expected_requests(self) -> list[str]:
        lines = self.requests if self.requests is not None else list(self.exchanges)
        return sorted(normalize_key(line) for line in lines)

    def runs(self) -> list[Mapping[str, Any]]:
        """The exchanges of each run, in order."""
        return [self.exchanges] if self.second is None else [self.exchanges, self.second]

    def build(self, base_url: str) -> dict[str, Any]:
        config = self.config(base_url) if callable(self.config) else copy.deepcopy(self.config)
        return with_base(config, base_url)


def with_base(value: Any, base_url: str) -> Any:
    """Replace ``BASE`` in the strings of a config (not inside objects)."""
    if isinstance(value, str):
        return value.replace(BASE, base_url)
    if isinstance(value, dict):
        return {k: with_base(v, base_url) for k, v in value.items()}
    if isinstance(value, list):
        return [with_base(v, base_url) for v in value]
    return value


def run_restsync(case: Case, server: RecordingServer, db_path: Path,
                 dataset: str = "ds") -> tuple[RunInfo, list[Event]]:
    """Run the case's config through restsync into ``db_path``."""
    events: list[Event] = []
    values = ValueResolver(environ=dict(case.env), use_files=False)
    source = restsync.rest_api_source(case.build(server.base_url), values=values)
    info = restsync.pipeline(destination=f"duckdb:///{db_path}", dataset_name=dataset,
                             events=events.append).run(source)
    return info, events


def table_rows(db_path: Path, dataset: str, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    """Rows of a table projected on ``columns`` (sorted; ``[]`` when the table is absent)."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        known = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
            [dataset]).fetchall()}
        if table not in known:
            return []
        cols = ", ".join(f'"{c}"' for c in columns)
        return sorted(con.execute(f'SELECT {cols} FROM "{dataset}"."{table}"').fetchall(),
                      key=repr)
    finally:
        con.close()


def expected_rows(rows: list[dict[str, Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    columns = list(rows[0]) if rows else []
    return columns, sorted((tuple(r.get(c) for c in columns) for r in rows), key=repr)


CREDENTIAL_HEADERS = ("authorization", "cookie", "x-api-key")


def check_request(case: Case, request: Recorded) -> None:
    """A request carries exactly the body and headers the case says (no stray credentials)."""
    check = next((c for line, c in case.checks.items() if normalize_key(line) == request.key),
                 None)
    if check is None or (check.json is None and check.form is None and check.raw is None):
        assert request.body == b"", (request.key, request.body)
    if check is not None:
        if check.json is not None:
            assert request.json() == check.json, request.key
            assert request.headers.get("content-type") == "application/json", request.key
        if check.form is not None:
            assert request.form() == check.form, request.key
            assert request.headers.get("content-type") == \
                "application/x-www-form-urlencoded", request.key
        if check.raw is not None:
            assert request.body.decode() == check.raw, request.key
        for name, value in check.headers.items():
            assert request.headers.get(name) == value, (request.key, name)
    if not case.auth:
        for name in CREDENTIAL_HEADERS:
            assert name not in request.headers, (request.key, name)


def token_endpoint(token: str = "tok-1", expires_in: int = 3600) -> Callable[[Recorded, str],
                                                                             Reply | None]:
    """A handler answering ``POST /oauth/token`` with an access token."""
    def handle(request: Recorded, base: str) -> Reply | None:
        if request.method == "POST" and request.path == "/oauth/token":
            return Reply({"access_token": token, "expires_in": expires_in})
        return None
    return handle
