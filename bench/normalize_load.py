"""Micro-benchmark: Normalizer + DuckDB load of nested email-event-like records.

Run: ``.venv/bin/python bench/normalize_load.py [records] [page_size]`` (default 200000, 1000).
Prints rows/s for normalize alone, load alone and both. Not a test.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from restsync.load import open_destination
from restsync.normalize import Normalizer, TableBatch

EVENTS = ["delivered", "opened", "clicked", "failed", "accepted"]


def make_records(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """Email-event-like records (Mailgun style): nested objects, lists of scalars/objects."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        user = f"user{i % 977}@example.com"
        out.append({
            "id": f"ev-{i:08d}-{rnd.randrange(1 << 30):x}",
            "event": EVENTS[i % 5],
            "timestamp": 1700000000.0 + i * 0.37,
            "recipient": user,
            "log-level": "info",
            "message": {"headers": {"message-id": f"<{i}@mail.example.com>",
                                    "from": "news@example.com", "to": user,
                                    "subject": f"Issue {i % 50}"},
                        "attachments": [], "size": 1000 + i % 3000},
            "delivery-status": {"code": 250, "message": "OK", "attempt-no": 1 + i % 3,
                                "tls": True, "mx-host": "mx.example.net",
                                "session-seconds": 0.25 + (i % 10) / 10},
            "flags": {"is-routed": False, "is-authenticated": True, "is-test-mode": False},
            "envelope": {"sender": "bounce@example.com", "targets": user, "transport": "smtp",
                         "sending-ip": "10.0.0.1"},
            "tags": ["newsletter", f"t{i % 7}"] if i % 3 else [],
            "campaigns": [{"id": f"c{i % 11}", "name": f"Campaign {i % 11}"}],
            "user-variables": {"customer-id": str(i % 5000), "plan": "pro"},
            "client-info": {"client-type": "browser", "client-os": "Linux",
                            "device-type": "desktop", "client-name": "Firefox",
                            "user-agent": "Mozilla/5.0 (X11; Linux x86_64)"},
            "geolocation": {"country": "US", "region": "CA", "city": "SF"},
            "storage": {"url": f"https://storage.example.com/v3/messages/{i}", "key": f"k{i}"},
            "created_at": f"2024-01-{1 + i % 28:02d}T10:{i % 60:02d}:00.123Z",
        })
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    page = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    records = make_records(n)
    norm = Normalizer(table_name="events", primary_key=["id"], load_id="bench")
    t0 = time.perf_counter()
    batches: list[TableBatch] = []
    for start in range(0, n, page):
        batches.extend(norm.normalize(records[start:start + page]))
    t_norm = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        dest = open_destination(f"duckdb:///{Path(tmp) / 'bench.duckdb'}", "bench")
        t1 = time.perf_counter()
        load = dest.begin("events", load_id="bench", write_disposition="merge",
                          primary_key=["id"], root_table="events")
        for batch in batches:
            load.write(batch)
        t_stage = time.perf_counter() - t1
        report = load.commit({"cursor": "x"})
        t_load = time.perf_counter() - t1
        dest.close()
    total = t_norm + t_load
    print(f"records: {n}, page size: {page}, rows written: {sum(report.rows.values())} "
          f"in {len(report.rows)} tables")
    print(f"normalize: {t_norm:6.2f} s  {n / t_norm:10,.0f} records/s")
    print(f"load:      {t_load:6.2f} s  {n / t_load:10,.0f} records/s "
          f"(staging {t_stage:.2f} s, merge commit {t_load - t_stage:.2f} s)")
    print(f"total:     {total:6.2f} s  {n / total:10,.0f} records/s")


if __name__ == "__main__":
    main()
