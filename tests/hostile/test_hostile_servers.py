"""Hostile servers (issue 15): every case of the issue, against the real CLI in a subprocess.

Each test starts its own loopback server (:mod:`tests.hostile.servers`) and runs
``python -m restsync.cli run`` under a memory cap and a time limit
(:mod:`tests.hostile.harness`). What is asserted: the exit code, the message (resource, page,
setting), what reached the server, and that the run stayed under its caps. Nothing is
asserted about speed.

Measuring: ``HOSTILE_REPORT=FILE`` appends one JSON line per CLI run (test, exit code, peak
RSS, seconds); ``HOSTILE_SRC=DIR`` runs the CLI of another checkout's ``src`` (to compare
before/after a change; its runs are expected to fail these tests).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
import yaml

from tests.hostile.harness import CliRun, run_cli
from tests.hostile.servers import HostileServer, RawRequest, Reply, gzip_stream, repeated

# subprocess runs against misbehaving servers under memory limits (`make test-slow`)
pytestmark = pytest.mark.slow

MiB = 1024 * 1024
DEFAULT_MAX_BODY = 256 * MiB
FAST_RETRY = {"statuses": [429, 500, 502, 503, 504, "transport"], "max_retries": 2,
              "backoff_factor": 0.05}
TOKEN = "tok/3n+Sec/ret-77"  # holds the characters servers escape: / and +


def flat(text: str) -> str:
    """Output with line wrapping undone."""
    return " ".join(text.split())


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


def write_spec(workdir: Path, base: str, resources: list[Any], **client: Any) -> Path:
    spec = {"client": {"base_url": base + "/", **client}, "resources": resources}
    path = workdir / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def run(workdir: Path, spec: Path, *extra: str, command: str = "run", rss_cap_mb: int = 768,
        timeout: float = 180, env: dict[str, str] | None = None) -> CliRun:
    args = [command, str(spec)]
    args += ["--destination", f"duckdb:///{workdir / 'out.duckdb'}"]
    result = run_cli([*args, *extra], cwd=workdir, env=env, rss_cap_mb=rss_cap_mb,
                     timeout=timeout, python_path=os.environ.get("HOSTILE_SRC"))
    report = os.environ.get("HOSTILE_REPORT")
    if report:
        with open(report, "a") as out:
            out.write(json.dumps({
                "test": os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0],
                "command": command, "code": result.code, "killed": result.killed,
                "rss_mb": round(result.peak_rss_mb), "vm_mb": round(result.peak_vm_mb),
                "seconds": round(result.seconds, 1),
                "last_line": (result.stderr.strip().splitlines() or [""])[-1][:300]}) + "\n")
    return result


def table_rows(workdir: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(workdir / "out.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def data(*records: Any) -> bytes:
    return orjson.dumps({"data": list(records)})


async def json_body(body: bytes, reply: Reply, status: int = 200, **headers: str) -> None:
    await reply.send(status, body, {"Content-Type": "application/json", **headers})


def serving(body: bytes, status: int = 200) -> Any:
    """A route answering ``body`` (JSON) to every request."""
    async def route(request: RawRequest, reply: Reply) -> None:
        await json_body(body, reply, status)
    return route


def one_resource(server: HostileServer, workdir: Path, name: str, route: Any, *,
                 endpoint: dict[str, Any] | None = None, **client: Any) -> Path:
    """Serve ``route`` at ``/name`` and write a spec with one resource reading ``data``."""
    server.routes[f"/{name}"] = route
    return write_spec(workdir, server.base, [{"name": name, "endpoint": {
        "path": name, "data_selector": "data", **(endpoint or {})}}], **client)


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer({}) as srv:
        yield srv


# =========================================================================== handled before


def test_slowloris_is_a_clear_timeout(server: HostileServer, workdir: Path) -> None:
    async def drip(request: RawRequest, reply: Reply) -> None:
        await reply.raw(b"HTTP/1.1 200 OK\r\n")
        for _ in range(600):  # one header byte every 0.2 s, for two minutes
            await reply.raw(b"X", pause=0.2)
    server.routes["/slow"] = drip
    spec = write_spec(workdir, server.base, [{"name": "slow", "endpoint": "slow"}],
                      timeout=1, retry=FAST_RETRY)
    result = run(workdir, spec, timeout=90)
    assert result.code == 1, result.describe()
    text = flat(result.output)
    assert f"resource 'slow', page 1, GET {server.base}/slow: transport: timeout after 1 s" \
        in text and "gave up after 3 attempt(s)" in text


def test_redirect_loops_are_bounded_and_located(server: HostileServer, workdir: Path) -> None:
    async def loop(request: RawRequest, reply: Reply) -> None:
        await reply.send(302, b"", {"Location": "/loop"})
    server.routes["/loop"] = loop
    spec = write_spec(workdir, server.base, [{"name": "loop", "endpoint": "loop"}])
    result = run(workdir, spec, timeout=60)
    assert result.code == 1, result.describe()
    assert f"resource 'loop', page 1, GET {server.base}/loop: more than 5 redirects" \
        in flat(result.output)
    assert len(server.requests) == 6


def test_cross_host_next_links_go_without_credentials(workdir: Path) -> None:
    with HostileServer({}) as api, HostileServer({}) as other:
        async def first(request: RawRequest, reply: Reply) -> None:
            await reply.json({"data": [{"id": 1}], "next": f"{other.base}/more"})

        async def more(request: RawRequest, reply: Reply) -> None:
            await reply.json({"data": [{"id": 2}], "next": None})
        api.routes["/items"] = first
        other.routes["/more"] = more
        spec = write_spec(workdir, api.base, [{"name": "items", "endpoint": {
            "path": "items", "data_selector": "data",
            "paginator": {"type": "json_link", "next_url_path": "next"}}}],
            auth={"type": "bearer", "token": "${secrets.api_token}"})
        result = run(workdir, spec, env={"API_TOKEN": TOKEN}, timeout=60)
    assert result.code == 0, result.describe()
    assert api.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert [r.path for r in other.requests] == ["/more"]
    assert "authorization" not in other.requests[0].headers
    assert table_rows(workdir, "SELECT id FROM spec.items ORDER BY id") == [(1,), (2,)]


@pytest.mark.parametrize(("body", "said"), [
    (b'{"data": [{"name": "caf\xe9"}]}', "body is not valid JSON"),  # latin-1, not UTF-8
    (b'{"data": [{"ratio": NaN}]}', "body is not valid JSON"),
    (b"<html><body>Please log in</body></html>", "expected JSON, got text/html (status 200)"),
])
def test_bodies_that_are_not_json_get_a_located_error(server: HostileServer, workdir: Path,
                                                       body: bytes, said: str) -> None:
    async def answer(request: RawRequest, reply: Reply) -> None:
        ctype = "text/html" if body.startswith(b"<") else "application/json"
        await reply.send(200, body, {"Content-Type": ctype})
    spec = one_resource(server, workdir, "odd", answer)
    result = run(workdir, spec, timeout=60)
    assert result.code == 1, result.describe()
    assert f"resource 'odd', page 1, GET {server.base}/odd: {said}" in flat(result.output)


def test_error_bodies_echoing_the_token_in_any_form_are_masked(server: HostileServer,
                                                                workdir: Path) -> None:
    escaped = TOKEN.replace("/", "\\/")  # PHP's default json_encode
    url_encoded = TOKEN.replace("/", "%2F").replace("+", "%2B")

    async def echo(request: RawRequest, reply: Reply) -> None:
        body = ('{"error": "invalid token", "raw": "' + TOKEN + '", "php": "' + escaped
                + '", "url": "' + url_encoded + '", "unicode": "'
                + TOKEN.replace("/", "\\u002f") + '"}')
        await json_body(body.encode(), reply, status=403)
    server.routes["/private"] = echo
    spec = write_spec(workdir, server.base, [{"name": "private", "endpoint": "private"}],
                      auth={"type": "bearer", "token": "${secrets.api_token}"})
    result = run(workdir, spec, env={"API_TOKEN": TOKEN}, timeout=60)
    assert result.code == 1, result.describe()
    assert "403" in result.output and "invalid token" in result.output
    for form in (TOKEN, escaped, url_encoded, "3n+Sec", "3n%2BSec", "Sec\\/ret", "Sec\\u002fret"):
        assert form not in result.output, form
    database = (workdir / "out.duckdb").read_bytes() if (workdir / "out.duckdb").exists() else b""
    assert TOKEN.encode() not in database and escaped.encode() not in database


def test_truncated_bodies_are_retried_then_fail_cleanly(server: HostileServer,
                                                        workdir: Path) -> None:
    async def cut(request: RawRequest, reply: Reply) -> None:
        await reply.raw(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 1000\r\n\r\n" + data({"id": 1})[:20])
        reply.keep_alive = False
    server.routes["/cut"] = cut
    spec = write_spec(workdir, server.base, [{"name": "cut", "endpoint": "cut"}],
                      retry=FAST_RETRY)
    result = run(workdir, spec, timeout=60)
    assert result.code == 1, result.describe()
    text = flat(result.output)
    assert f"resource 'cut', page 1, GET {server.base}/cut: transport: truncated body" in text
    assert "gave up after 3 attempt(s)" in text
    assert len(server.requests) >= 3


def endless_feed(page_size: int) -> Any:
    async def feed(request: RawRequest, reply: Reply) -> None:
        n = int(request.query.get("cursor", "0"))
        records = [{"id": n * page_size + i, "text": "x" * 200} for i in range(page_size)]
        await reply.json({"data": records, "next": str(n + 1)})
    return feed


def test_endless_paging_stops_at_max_pages_with_flat_memory(server: HostileServer,
                                                            workdir: Path) -> None:
    spec = one_resource(server, workdir, "feed", endless_feed(1000), endpoint={"paginator": {
        "type": "cursor", "cursor_path": "next", "cursor_param": "cursor"}})
    result = run(workdir, spec, "--set", "client.limits.max_pages=300", rss_cap_mb=600)
    assert result.code == 3, result.describe()
    text = flat(result.output)
    assert "stopped after 300 pages (client.limits.max_pages=300)" in text
    assert "next run resumes at page 301" in text
    assert table_rows(workdir, "SELECT count(*) FROM spec.feed") == [(300_000,)]
    again = run(workdir, spec, "--set", "client.limits.max_pages=300", rss_cap_mb=600)
    assert again.code == 3 and server.requests[-1].query["cursor"] == "599", again.describe()
    assert table_rows(workdir, "SELECT count(DISTINCT id) FROM spec.feed") == [(600_000,)]


# =========================================================================== size limits


def test_a_gzip_bomb_is_refused_while_inflating(server: HostileServer, workdir: Path) -> None:
    """2.3 MB of gzip that inflates to 2.3 GB (the issue's bomb)."""
    size = 2_300_000_000

    async def bomb(request: RawRequest, reply: Reply) -> None:
        head, tail = b'{"data": [{"id": 1}], "pad": "', b'"}'
        body = [head, *repeated(b" " * MiB, size - len(head) - len(tail)), tail]
        await reply.send(200, gzip_stream(body), {"Content-Type": "application/json",
                                                  "Content-Encoding": "gzip"})
    spec = one_resource(server, workdir, "bomb", bomb)
    result = run(workdir, spec, rss_cap_mb=768, timeout=120)
    assert result.code == 1, result.describe()
    text = flat(result.output)
    assert (f"resource 'bomb', page 1, GET {server.base}/bomb: response body goes on, more than "
            f"the {DEFAULT_MAX_BODY:,} bytes allowed (counted after decompression)") in text
    assert f"client.limits.max_response_bytes={DEFAULT_MAX_BODY}" in text


@pytest.mark.parametrize("declared", [False, True])
def test_a_huge_body_is_refused_while_streaming(server: HostileServer, workdir: Path,
                                                declared: bool) -> None:
    """1.5 GB of JSON, chunked (the size shows while reading) or with a Content-Length."""
    size = 1_500_000_000

    async def huge(request: RawRequest, reply: Reply) -> None:
        head, tail = b'{"data": [{"id": 1}], "pad": "', b'"}'
        body = [head, *repeated(b"x" * MiB, size - len(head) - len(tail)), tail]
        await reply.send(200, body, {"Content-Type": "application/json"},
                         length=size if declared else None)
    spec = one_resource(server, workdir, "huge", huge)
    result = run(workdir, spec, rss_cap_mb=768, timeout=120)
    assert result.code == 1, result.describe()
    seen = f"declares {size:,} bytes" if declared else "goes on"
    assert f"resource 'huge', page 1, GET {server.base}/huge: response body {seen}" \
        in flat(result.output)


# =========================================================================== path injection


def test_parent_ids_cannot_change_the_child_path(server: HostileServer, workdir: Path) -> None:
    async def parents(request: RawRequest, reply: Reply) -> None:
        await reply.json({"data": [{"id": i} for i in ("..", ".", "a/b", "ok")]})

    async def child(request: RawRequest, reply: Reply) -> None:
        await reply.json({"data": [{"n": 1}]})
    server.routes["/parents"] = parents
    server.routes["/parents/.+/children"] = child
    spec = write_spec(workdir, server.base, [
        {"name": "parents", "endpoint": {"path": "parents", "data_selector": "data"}},
        {"name": "children", "endpoint": {"path": "parents/{parent_id}/children",
                                          "data_selector": "data"}}])
    result = run(workdir, spec, timeout=60)
    targets = [r.target for r in server.requests if r.target != "/parents"]
    assert len(targets) == 4, targets
    for target in targets:
        segments = target.split("?")[0].split("/")
        assert len(segments) == 4 and segments[1] == "parents" and segments[3] == "children"
        assert segments[2] not in (".", ".."), target
    assert result.code == 0, result.describe()


# =========================================================================== wide maps


def test_a_map_of_10_000_keys_becomes_a_json_column(server: HostileServer,
                                                    workdir: Path) -> None:
    counts = {f"user{i}": i for i in range(10_000)}

    async def stats(request: RawRequest, reply: Reply) -> None:
        await reply.json({"data": [{"id": 1, "counts": counts}, {"id": 2, "counts": {"a": 1}}]})
    spec = one_resource(server, workdir, "stats", stats)
    result = run(workdir, spec, timeout=120)
    assert result.code == 0, result.describe()
    text = flat(result.output)
    assert "Current transaction is aborted" not in text
    assert ("stats: table `stats`: `counts` has 10,001 keys: kept as one JSON column instead "
            "of a column per key (the table would have 10,002 columns, more than "
            "client.limits.max_columns=1000); first seen in page 1") in text
    [(stored,)] = table_rows(workdir, "SELECT counts FROM spec.stats WHERE id = 1")
    assert orjson.loads(stored) == counts
    checked = run(workdir, spec, command="check", timeout=60)
    assert checked.code == 0, checked.describe()
    assert ("resource `stats`, table `stats`: column `counts` (`counts`) is kept as JSON since "
            "a run found it too wide: a map with a key per column "
            "(client.limits.max_columns=1000)") in flat(checked.output)
    counts = {"b": 2}  # the next run's map is narrow: it stays one JSON column
    again = run(workdir, spec, timeout=120)
    assert again.code == 0, again.describe()
    assert table_rows(workdir, "SELECT count(*) FROM duckdb_columns() WHERE schema_name = "
                               "'spec' AND table_name = 'stats' AND column_name LIKE "
                               "'counts\\_\\_%' ESCAPE '\\'") == [(0,)]
    assert table_rows(workdir, "SELECT counts FROM spec.stats ORDER BY _dlt_load_id DESC, id "
                               "LIMIT 1") == [('{"b":2}',)]


def test_a_map_of_10_000_keys_loads_as_columns_when_allowed(server: HostileServer,
                                                            workdir: Path) -> None:
    """With the limit raised, the 10,003-column insert DuckDB itself accepts works too."""
    body = orjson.dumps({"data": [{"id": j, "counts": {f"u{i}": i for i in range(10_000)}}
                                  for j in range(3)]})
    spec = one_resource(server, workdir, "stats", serving(body))
    result = run(workdir, spec, "--set", "client.limits.max_columns=20000", rss_cap_mb=1536,
                 timeout=180)
    assert result.code == 0, result.describe()
    [(columns,)] = table_rows(workdir, "SELECT count(*) FROM duckdb_columns() WHERE "
                                       "schema_name = 'spec' AND table_name = 'stats'")
    assert columns == 10_003  # id, 10,000 counts__*, _dlt_load_id, _dlt_id


@pytest.mark.parametrize("spread", [True, False], ids=["over-500-records", "in-one-record"])
def test_500_000_distinct_keys_keep_memory_bounded(server: HostileServer, workdir: Path,
                                                   spread: bool) -> None:
    """5 pages of 100 records, each with 1,000 keys no other record has; or one record."""
    async def stats(request: RawRequest, reply: Reply) -> None:
        page = int(request.query.get("page", "0"))
        if not spread:
            await reply.json({"data": [{"id": 0, "counts": {f"k{i}": i for i in range(500_000)}}],
                              "next": None})
            return
        records = [{"id": page * 100 + r,
                    "counts": {f"k{(page * 100 + r) * 1000 + i}": i for i in range(1000)}}
                   for r in range(100)]
        await reply.json({"data": records, "next": str(page + 1) if page < 4 else None})
    spec = one_resource(server, workdir, "stats", stats, endpoint={"paginator": {
        "type": "cursor", "cursor_path": "next", "cursor_param": "page"}})
    result = run(workdir, spec, rss_cap_mb=1024, timeout=180)
    assert result.code == 0, result.describe()
    assert "kept as one JSON column" in flat(result.output)
    rows = 500 if spread else 1
    assert table_rows(workdir, "SELECT count(*), count(counts) FROM spec.stats") == \
        [(rows, rows)]


# =========================================================================== deep nesting


def nested(levels: int) -> bytes:
    return b'{"a": ' * levels + b"1" + b"}" * levels


def test_1000_levels_are_kept_as_json_below_the_depth_limit(server: HostileServer,
                                                            workdir: Path) -> None:
    body = b'{"data": [{"id": 1, "tree": ' + nested(1000) + b"}]}"
    spec = one_resource(server, workdir, "deep", serving(body))
    result = run(workdir, spec, timeout=120)
    assert result.code == 0, result.describe()
    text = flat(result.output)
    assert "RecursionError" not in text
    assert "holds values nested deeper than 64 levels: kept as JSON " \
           "(client.limits.max_nesting_depth=64); first seen in page 1" in text
    [(column,)] = table_rows(workdir, "SELECT column_name FROM duckdb_columns() WHERE "
                                      "schema_name = 'spec' AND table_name = 'deep' AND "
                                      "column_name LIKE 'tree%'")
    assert column == "tree" + "__a" * 64


def test_50_000_levels_are_not_called_invalid_json(server: HostileServer,
                                                   workdir: Path) -> None:
    spec = one_resource(server, workdir, "deeper", serving(b'{"data": [' + nested(50_000) + b"]}"))
    result = run(workdir, spec, timeout=60)
    assert result.code == 1, result.describe()
    text = flat(result.output)
    assert "not valid JSON" not in text
    assert (f"resource 'deeper', page 1, GET {server.base}/deeper: body nests objects/lists "
            "more than 1,024 levels deep") in text
    assert "client.limits.max_nesting_depth=64" in text


# =========================================================================== waits and pages


def test_a_retry_after_of_999999999_stops_cleanly(server: HostileServer, workdir: Path) -> None:
    async def quota(request: RawRequest, reply: Reply) -> None:
        await reply.json({"error": "quota"}, status=429, headers={"Retry-After": "999999999"})
    server.routes["/quota"] = quota
    spec = write_spec(workdir, server.base, [{"name": "quota", "endpoint": "quota"}])
    result = run(workdir, spec, timeout=60)
    assert result.code == 3, result.describe()
    text = flat(result.output)
    assert (f"resource 'quota', page 1, GET {server.base}/quota: 429 Too Many Requests: the "
            "retry policy asks to wait 1e+09 s before attempt 2/4, more than the 7200 s "
            "allowed (client.limits.max_retry_wait=7200)") in text or \
        "stopped instead of waiting 999999999s" in text
    assert "client.limits.max_retry_wait=7200" in text
    assert len(server.requests) == 1


def test_stop_condition_sees_the_page_counter(server: HostileServer, workdir: Path) -> None:
    spec = one_resource(server, workdir, "feed", endless_feed(10), endpoint={"paginator": {
        "type": "cursor", "cursor_path": "next", "cursor_param": "cursor",
        "stop_condition": "page >= 5"}})
    result = run(workdir, spec, timeout=60)
    assert result.code == 0, result.describe()
    assert len(server.requests) == 5
    assert table_rows(workdir, "SELECT count(*) FROM spec.feed") == [(50,)]


def test_max_pages_is_a_known_key_with_a_located_error_for_bad_values(
        server: HostileServer, workdir: Path) -> None:
    spec = write_spec(workdir, server.base, [{"name": "feed", "endpoint": "feed",
                                              "limits": {"max_pages": 0}}])
    result = run(workdir, spec, command="check", timeout=60)
    assert result.code == 2, result.describe()
    assert re.search(r"resources\[feed\]\.limits\.max_pages.*greater than or equal to 1",
                     flat(result.output))
