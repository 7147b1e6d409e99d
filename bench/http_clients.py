"""Compare async HTTP clients on a loopback aiohttp server (requests per second).

Each client fetches the same ~50 KB JSON page N times with concurrency 1 and 16 over one
keep-alive session, and parses each body with orjson (as the extract stage does).
Run: ``.venv/bin/python bench/http_clients.py [--requests 2000]``. httpx and niquests are
bench-only dependencies (``pip install httpx niquests``); missing ones are skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

PAYLOAD = orjson.dumps({"data": [{"id": i, "name": f"item {i}", "email": f"u{i}@example.com",
                                  "updated_at": "2024-01-01T00:00:00.000Z", "tags": ["a", "b"],
                                  "score": i * 1.5} for i in range(400)]})


async def start_server() -> tuple[web.AppRunner, str]:
    async def page(_: web.Request) -> web.Response:
        return web.Response(body=PAYLOAD, content_type="application/json")
    app = web.Application()
    app.router.add_get("/page", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/page"


Fetch = Callable[[], Awaitable[None]]


async def run(fetch: Fetch, total: int, concurrency: int) -> float:
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await fetch()
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - start)


async def bench_aiohttp(url: str, total: int, concurrency: int) -> float:
    import aiohttp
    connector = aiohttp.TCPConnector(limit_per_host=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def fetch() -> None:
            async with session.get(url) as resp:
                orjson.loads(await resp.read())
        await fetch()
        return await run(fetch, total, concurrency)


async def bench_httpx(url: str, total: int, concurrency: int) -> float:
    import httpx
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:
        async def fetch() -> None:
            resp = await client.get(url)
            orjson.loads(resp.content)
        await fetch()
        return await run(fetch, total, concurrency)


async def bench_niquests(url: str, total: int, concurrency: int) -> float:
    import niquests
    async with niquests.AsyncSession(pool_maxsize=concurrency) as session:
        async def fetch() -> None:
            resp = await session.get(url)
            orjson.loads(resp.content or b"null")
        await fetch()
        return await run(fetch, total, concurrency)


CLIENTS: dict[str, Callable[[str, int, int], Awaitable[float]]] = {
    "aiohttp": bench_aiohttp, "httpx": bench_httpx, "niquests": bench_niquests,
}


async def main(total: int, repeats: int) -> None:
    runner, url = await start_server()
    print(f"payload {len(PAYLOAD) / 1024:.1f} KB, {total} GETs per run, best of {repeats}")
    print(f"{'client':<10} {'version':<9} {'c=1 req/s':>10} {'c=16 req/s':>11}")
    try:
        for name, bench in CLIENTS.items():
            try:
                module: Any = __import__(name)
            except ImportError:
                print(f"{name:<10} not installed, skipped")
                continue
            results = []
            for concurrency in (1, 16):
                results.append(max([await bench(url, total, concurrency) for _ in range(repeats)]))
            print(f"{name:<10} {getattr(module, '__version__', '?'):<9} "
                  f"{results[0]:>10.0f} {results[1]:>11.0f}")
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.repeats))
