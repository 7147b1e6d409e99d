"""Loopback mock API for the benchmarks, run in its own process.

Serves any number of *datasets* side by side, each configured by its URL prefix, so one
server process answers every scenario of an invocation::

    GET /{dataset}/events?from=<offset>  -> {"items": [...], "paging": {"next": <abs URL>|absent}}
    GET /{dataset}/events/{id}           -> {"data": {...one event...}}   (fan-out details)

A dataset is ``name:records=200000,page_size=1000,latency_ms=0,fault_rate=0``. Records are
nested email events shaped like seed 002's (nested objects, lists of scalars and of objects,
optional keys that come and go). ``paging.next`` is an absolute URL and is left out on the
last page. With ``fault_rate`` > 0 that share of requests answers 429 or 503 (alternating)
with ``Retry-After: 0`` before any data is sent; the retried request then gets the real page.
``latency_ms`` delays every answer (faults included).

Run standalone: ``python -m bench.mock_api --dataset bulk:records=200000`` prints
``READY http://127.0.0.1:<port>`` on stdout once listening; :class:`MockApiProcess` does this
from the benchmark driver.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import subprocess
import sys
from dataclasses import asdict, dataclass
from typing import Any

import orjson
from aiohttp import web

_TEMPLATES = 1024
_KINDS = ("accepted", "delivered", "failed", "opened", "clicked", "unsubscribed",
          "complained", "rejected")
_CLIENTS = (("browser", "Linux", "desktop", "Firefox"),
            ("mobile browser", "iOS", "mobile", "Mobile Safari"),
            ("email client", "Windows", "desktop", "Outlook"))


@dataclass(frozen=True)
class Dataset:
    """One dataset the mock API serves under ``/{name}/``.

    Attributes:
        name: URL prefix.
        records: Number of events.
        page_size: Events per list page.
        latency_ms: Delay added to every response.
        fault_rate: Share of requests (0..1) answered 429/503 with ``Retry-After: 0``.
    """

    name: str
    records: int = 200_000
    page_size: int = 1000
    latency_ms: float = 0.0
    fault_rate: float = 0.0

    def spec(self) -> str:
        """The ``--dataset`` string that recreates this dataset."""
        fields = asdict(self)
        name = fields.pop("name")
        return name + ":" + ",".join(f"{k}={v}" for k, v in fields.items())

    @classmethod
    def parse(cls, text: str) -> Dataset:
        """Parse ``name:key=value,...``."""
        name, _, rest = text.partition(":")
        kwargs: dict[str, Any] = {}
        for part in filter(None, rest.split(",")):
            key, _, value = part.partition("=")
            kwargs[key] = float(value) if key in ("latency_ms", "fault_rate") else int(value)
        return cls(name=name, **kwargs)


def event_id(i: int) -> str:
    """The unique id of event number ``i``."""
    return f"evt{i:08d}{i * 2654435761 % 2**32:08x}"


def _template(i: int, rng: random.Random) -> dict[str, Any]:
    kind = _KINDS[rng.randrange(len(_KINDS))]
    domain = f"mail{rng.randrange(40):05d}.example.net"
    rcpt = rng.choice(("example.com", "example.org", "example.edu"))
    event: dict[str, Any] = {
        "event": kind,
        "log-level": "error" if kind in ("failed", "rejected") else "info",
        "recipient": f"user{rng.randrange(5000)}@{rcpt}", "recipient-domain": rcpt,
        "envelope": {"sender": f"news@{domain}", "transport": "smtp",
                     "targets": f"user@{rcpt}", "sending-ip": "203.0.113.7"},
        "flags": {"is-routed": False, "is-authenticated": True, "is-system-test": False,
                  "is-test-mode": False},
        "message": {"headers": {"to": f"user@{rcpt}", "message-id": f"{i}.{rng.getrandbits(24):x}@{domain}",
                                "from": f"news@{domain}", "subject": "Monthly news"},
                    "attachments": [], "size": rng.randint(1000, 60_000)},
        "storage": {"url": f"https://storage.example.net/v3/domains/{domain}/messages/{i}",
                    "key": f"msg{i}"},
        "campaigns": [{"id": f"c{j}", "name": f"Campaign {j}"} for j in range(rng.randint(0, 2))],
        "tags": rng.sample(["newsletter", "promo", "welcome", "transactional"], rng.randint(0, 2)),
        "user-variables": {"customer-id": str(rng.randrange(10**6))} if rng.random() < 0.6 else {},
    }
    if kind in ("delivered", "failed"):
        event["delivery-status"] = {
            "code": 250 if kind == "delivered" else 550, "attempt-no": 1,
            "message": "OK" if kind == "delivered" else "mailbox unavailable",
            "tls": True, "mx-host": f"mx.{rcpt}", "session-seconds": round(rng.random() * 3, 3)}
    if kind == "failed":
        event["severity"] = rng.choice(("permanent", "temporary"))
    if kind in ("opened", "clicked", "unsubscribed", "complained"):
        ctype, os_, device, client = rng.choice(_CLIENTS)
        event["client-info"] = {"client-type": ctype, "client-os": os_, "device-type": device,
                                "client-name": client, "user-agent": f"Mozilla/5.0 ({os_}) {client}"}
        event["geolocation"] = {"country": "DE", "region": "BE", "city": "Berlin"}
    return event


_TEMPLATE_LIST = [_template(i, random.Random(i)) for i in range(_TEMPLATES)]


def make_event(i: int) -> dict[str, Any]:
    """Event number ``i`` (a template with its own id and timestamp; nested parts shared)."""
    return {"id": event_id(i), "timestamp": 1_704_067_200.0 + i * 0.25, **_TEMPLATE_LIST[i % _TEMPLATES]}


def make_page(start: int, count: int) -> list[dict[str, Any]]:
    """Events ``start .. start+count-1``."""
    return [make_event(i) for i in range(start, start + count)]


class MockApi:
    """The aiohttp application serving the configured datasets."""

    def __init__(self, datasets: list[Dataset], seed: int = 0) -> None:
        self.datasets = {d.name: d for d in datasets}
        self.rng = random.Random(seed)
        self.faults_sent = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{dataset}/events", self.list_events)
        app.router.add_get("/{dataset}/events/{event_id}", self.event_detail)
        app.router.add_get("/health", self.health)
        return app

    async def health(self, _: web.Request) -> web.Response:
        return web.json_response({"ok": True, "faults_sent": self.faults_sent})

    async def _prelude(self, request: web.Request) -> tuple[Dataset, web.Response | None]:
        dataset = self.datasets.get(request.match_info["dataset"])
        if dataset is None:
            raise web.HTTPNotFound(text="unknown dataset")
        if dataset.latency_ms:
            await asyncio.sleep(dataset.latency_ms / 1000)
        if dataset.fault_rate and self.rng.random() < dataset.fault_rate:
            self.faults_sent += 1
            status = 429 if self.faults_sent % 2 else 503
            return dataset, web.Response(status=status, text="try again",
                                         headers={"Retry-After": "0"})
        return dataset, None

    async def list_events(self, request: web.Request) -> web.Response:
        dataset, fault = await self._prelude(request)
        if fault is not None:
            return fault
        start = int(request.query.get("from", "0"))
        count = max(0, min(dataset.page_size, dataset.records - start))
        body: dict[str, Any] = {"items": make_page(start, count), "paging": {}}
        if start + count < dataset.records:
            body["paging"]["next"] = str(request.url.with_query({"from": str(start + count)}))
        return web.Response(body=orjson.dumps(body), content_type="application/json")

    async def event_detail(self, request: web.Request) -> web.Response:
        _, fault = await self._prelude(request)
        if fault is not None:
            return fault
        raw = request.match_info["event_id"]
        index = int(raw[3:11])
        if event_id(index) != raw:
            raise web.HTTPNotFound(text="no such event")
        return web.Response(body=orjson.dumps({"data": make_event(index)}),
                            content_type="application/json")


async def _serve(datasets: list[Dataset], host: str, port: int) -> None:
    runner = web.AppRunner(MockApi(datasets).app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024)
    await site.start()
    bound = runner.addresses[0]
    print(f"READY http://{bound[0]}:{bound[1]}", flush=True)
    await asyncio.Event().wait()


class MockApiProcess:
    """Starts the mock API in a child process; use as a context manager.

    Args:
        datasets: What to serve.
    """

    def __init__(self, datasets: list[Dataset]) -> None:
        self.datasets = datasets
        self.proc: subprocess.Popen[str] | None = None
        self.origin = ""

    def __enter__(self) -> MockApiProcess:
        args = [sys.executable, "-m", "bench.mock_api"]
        for d in self.datasets:
            args += ["--dataset", d.spec()]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("READY "):
            self.proc.kill()
            raise RuntimeError(f"mock API did not start: {line!r}")
        self.origin = line.split(" ", 1)[1]
        return self

    def url(self, dataset: str) -> str:
        """Base URL of ``dataset`` (ends with ``/``)."""
        return f"{self.origin}/{dataset}/"

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description="restsync benchmark mock API")
    parser.add_argument("--dataset", action="append", default=[],
                        help="name:records=N,page_size=N,latency_ms=X,fault_rate=X (repeatable)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    datasets = [Dataset.parse(t) for t in args.dataset] or [Dataset(name="bulk")]
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(datasets, args.host, args.port))


if __name__ == "__main__":
    main()
