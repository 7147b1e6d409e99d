"""Two more tools of the benchmark: the Airbyte CDK and the fetch-only ceiling.

* ``airbyte-cdk``: the same workload as a declarative manifest (``manifest_for``), read by
  the CDK's in-process reader (``bench/cdk_reader.py``, run by an interpreter that has
  ``airbyte-cdk``: ``$BENCH_CDK_PYTHON``, else ``/tmp/cdkvenv/bin/python``). Records are
  counted, loaded nowhere; the time is the reader's read loop (the CDK's start-up and imports
  are not counted, as no tool's are). Telemetry off (``DO_NOT_TRACK=1``).
* ``fetch``: an aiohttp loop that reads every body as bytes and parses none of them: the next
  page's URL and the detail ids are found with a byte search. What the network and the mock
  API allow, nothing else.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

CDK_PYTHON = "/tmp/cdkvenv/bin/python"
READER = Path(__file__).resolve().parent / "cdk_reader.py"

def _stream(name: str, path: str, field: str, **retriever: Any) -> dict[str, Any]:
    return {
        "type": "DeclarativeStream", "name": name, "primary_key": "id",
        "retriever": {
            "type": "SimpleRetriever",
            "requester": {
                "type": "HttpRequester", "url_base": "{{ config['base'] }}", "path": path,
                "error_handler": {"type": "DefaultErrorHandler", "max_retries": 20,
                                  "backoff_strategies": [{"type": "WaitTimeFromHeader",
                                                          "header": "Retry-After"}]}},
            "record_selector": {"type": "RecordSelector",
                                "extractor": {"type": "DpathExtractor", "field_path": [field]}},
            **retriever}}


def manifest_for(job: dict[str, Any]) -> str:
    """The job's workload as an Airbyte declarative manifest (JSON text, which is YAML).

    ``events`` pages by following ``paging.next``; for a fan-out, ``event_details`` reads
    ``events/{id}`` for each event (a ``SubstreamPartitionRouter``). 429/503 answers wait for
    their ``Retry-After``, as every tool does; ``concurrency_level`` is the job's concurrency.
    """
    events = _stream("events", "events", "items", paginator={
        "type": "DefaultPaginator", "page_token_option": {"type": "RequestPath"},
        "pagination_strategy": {
            "type": "CursorPagination",
            "cursor_value": "{{ response.get('paging', {}).get('next', '') }}",
            "stop_condition": "{{ not response.get('paging', {}).get('next') }}"}})
    streams = [events]
    if job["kind"] == "fanout":
        streams.append(_stream(
            "event_details", "events/{{ stream_partition.event_id }}", "data",
            partition_router={"type": "SubstreamPartitionRouter", "parent_stream_configs": [
                {"type": "ParentStreamConfig", "parent_key": "id",
                 "partition_field": "event_id", "stream": events}]}))
    n = job["concurrency"]
    return json.dumps({
        "version": "6.44.0", "type": "DeclarativeSource",
        "check": {"type": "CheckStream", "stream_names": ["events"]},
        "concurrency_level": {"type": "ConcurrencyLevel", "default_concurrency": n,
                              "max_concurrency": n},
        "streams": streams,
        "spec": {"type": "Spec", "connection_specification": {
            "type": "object", "required": ["base"],
            "properties": {"base": {"type": "string"}}}},
    }, indent=1)


def run_cdk(job: dict[str, Any], folder: Path) -> tuple[dict[str, int], float]:
    """Read the job's manifest with the CDK: (records per stream, seconds of the read)."""
    manifest = folder / "manifest.yaml"
    manifest.write_text(manifest_for(job))
    config = folder / "config.json"
    config.write_text(json.dumps({"base": job["base_url"]}))
    python = os.environ.get("BENCH_CDK_PYTHON", CDK_PYTHON)
    done = subprocess.run([python, str(READER), str(manifest), str(config), "--count-only"],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "DO_NOT_TRACK": "1"})
    lines = done.stdout.splitlines()
    errors = [line for line in lines if line.startswith('{"error"')]
    if done.returncode != 0 or errors or not lines:
        raise SystemExit(f"the CDK failed: {(errors or [done.stderr[-1500:]])[0]}")
    last = json.loads(lines[-1])
    return {k: int(v) for k, v in last["done"].items()}, float(last["seconds"])


_NEXT = re.compile(rb'"next":"([^"]+)"')
_EVENT_ID = re.compile(rb'"id":"(evt[0-9a-f]+)"')


async def fetch_body(session: Any, url: str) -> bytes:
    """GET ``url`` with an aiohttp session, waiting out 429/503 (``Retry-After``): the body."""
    while True:
        async with session.get(url) as resp:
            body = await resp.read()
        if resp.status in (429, 503):
            await asyncio.sleep(float(resp.headers.get("Retry-After", "1")))
            continue
        resp.raise_for_status()
        return bytes(body)


async def fetch_only(job: dict[str, Any]) -> tuple[int, int, int]:
    """Fetch every page (and every detail) as bytes, parsing none.

    Returns:
        (rows seen: event ids counted in list pages plus detail bodies, requests answered,
        bytes read).
    """
    import aiohttp

    connector = aiohttp.TCPConnector(limit_per_host=job["concurrency"])
    limit = asyncio.Semaphore(job["concurrency"])
    seen = [0, 0, 0]  # rows, responses, bytes
    async with aiohttp.ClientSession(connector=connector) as session:
        async def get(url: str) -> bytes:
            body = await fetch_body(session, url)
            seen[1] += 1
            seen[2] += len(body)
            return body

        async def detail(event: bytes) -> None:
            async with limit:
                body = await get(f"{job['base_url']}events/{event.decode()}")
            seen[0] += body.startswith(b'{"data":{')

        tasks: list[asyncio.Task[None]] = []
        url: str | None = job["base_url"] + "events"
        while url:
            page = await get(url)
            ids = _EVENT_ID.findall(page)
            seen[0] += len(ids)
            if job["kind"] == "fanout":
                tasks += [asyncio.create_task(detail(m)) for m in ids]
            found = _NEXT.search(page)
            url = found.group(1).decode() if found else None
        await asyncio.gather(*tasks)
    return seen[0], seen[1], seen[2]
