"""dlt-dialect merge configs run twice into one destination: ``merge_key`` with and without
``primary_key``, keys as column hints, the upsert strategy, merge keys with incremental
loading and child tables. Written for restsync's tests (not taken from dlt's suite); each
case gives both runs' exact requests and the rows after the second run (the differential
oracle runs them through dlt too and compares the rows dlt loads into DuckDB).
"""

from __future__ import annotations

from typing import Any

from tests.e2e.dlt_cases import client, one
from tests.e2e.dlt_support import Case


def day(i: int, d: str, v: str = "", **extra: Any) -> dict[str, Any]:
    """A record ``{"id": i, "day": d, "v": v or "v<i>"}``."""
    return {"id": i, "day": d, "v": v or f"v{i}", **extra}


def rows(*specs: tuple[int, str, str]) -> list[dict[str, Any]]:
    """Expected rows ``(id, day, v)``."""
    return [{"id": i, "day": d, "v": v} for i, d, v in specs]


MERGE = {"write_disposition": "merge"}
UPSERT = {"write_disposition": {"disposition": "merge", "strategy": "upsert"}}

MERGE_CASES: list[Case] = [
    Case("merge-key-replaces-each-loaded-day",
         one("posts", **MERGE, merge_key="day"),
         {"GET /posts": [day(1, "d1"), day(2, "d1"), day(3, "d2")]},
         {"posts": rows((3, "d2", "v3"), (4, "d1", "v4"))},
         second={"GET /posts": [day(4, "d1")]}),
    Case("merge-key-or-primary-key",
         one("posts", **MERGE, primary_key="id", merge_key="day"),
         {"GET /posts": [day(1, "d1"), day(2, "d2"), day(3, "d2"), day(4, "d4")]},
         {"posts": rows((2, "d1", "moved"), (3, "d2", "v3"), (4, "d4", "v4"),
                        (5, "d3", "v5"))},
         second={"GET /posts": [day(2, "d1", "moved"), day(5, "d3")]}),
    Case("merge-key-alone-keeps-duplicates",
         one("posts", **MERGE, merge_key="day"),
         {"GET /posts": [day(1, "d1"), day(2, "d2")]},
         {"posts": rows((2, "d2", "v2"), (7, "d1", "x"), (7, "d1", "y"))},
         second={"GET /posts": [day(7, "d1", "x"), day(7, "d1", "y")]}),
    Case("merge-key-compound",
         one("posts", **MERGE, merge_key=["day", "region"]),
         {"GET /posts": [day(1, "d1", region="eu"), day(2, "d1", region="us"),
                         day(3, "d2", region="eu")]},
         {"posts": [{"id": 2, "region": "us"}, {"id": 3, "region": "eu"},
                    {"id": 9, "region": "eu"}]},
         second={"GET /posts": [day(9, "d1", region="eu")]}),
    Case("merge-key-replaces-child-rows",
         one("posts", **MERGE, merge_key="day"),
         {"GET /posts": [day(1, "d1", tags=["a", "b"]), day(2, "d2", tags=["c"])]},
         {"posts": rows((2, "d2", "v2"), (3, "d1", "v3")),
          "posts__tags": [{"value": "c"}, {"value": "n"}]},
         second={"GET /posts": [day(3, "d1", tags=["n"])]}),
    Case("merge-key-and-primary-key-replace-child-rows",
         one("posts", **MERGE, primary_key="id", merge_key="day"),
         {"GET /posts": [day(1, "d1", tags=["a"]), day(2, "d2", tags=["b"]),
                         day(3, "d3", tags=["c"])]},
         {"posts": rows((1, "d9", "new"), (3, "d3", "v3"), (4, "d2", "v4")),
          "posts__tags": [{"value": "c"}, {"value": "n1"}, {"value": "n2"}]},
         second={"GET /posts": [day(1, "d9", "new", tags=["n1"]), day(4, "d2", tags=["n2"])]}),
    Case("merge-key-column-hint",
         one("posts", **MERGE, columns={"day": {"merge_key": True}}),
         {"GET /posts": [day(1, "d1"), day(2, "d2")]},
         {"posts": rows((2, "d2", "v2"), (3, "d1", "v3"))},
         second={"GET /posts": [day(3, "d1")]}),
    Case("primary-key-column-hint",
         one("posts", **MERGE, columns={"id": {"primary_key": True}}),
         {"GET /posts": [day(1, "d1"), day(2, "d1")]},
         {"posts": rows((1, "d1", "v1"), (2, "d1", "new"))},
         second={"GET /posts": [day(2, "d1", "new")]}),
    Case("merge-key-resource-over-column-hint",
         one("posts", **MERGE, merge_key="day", columns={"v": {"merge_key": True}}),
         {"GET /posts": [day(1, "d1", "same"), day(2, "d2", "same")]},
         {"posts": rows((2, "d2", "same"), (3, "d1", "same"))},
         second={"GET /posts": [day(3, "d1", "same")]}),
    Case("merge-key-ignored-by-upsert",
         one("posts", **UPSERT, primary_key="id", merge_key="day"),
         {"GET /posts": [day(1, "d1"), day(2, "d1")]},
         {"posts": rows((1, "d1", "v1"), (2, "d1", "new"))},
         second={"GET /posts": [day(2, "d1", "new")]}),
    Case("upsert-replaces-child-rows",
         one("posts", **UPSERT, primary_key="id"),
         {"GET /posts": [day(1, "d1", tags=["a", "b"]), day(2, "d1", tags=["c"])]},
         {"posts": rows((1, "d1", "new"), (2, "d1", "v2")),
          "posts__tags": [{"value": "c"}, {"value": "z"}]},
         second={"GET /posts": [day(1, "d1", "new", tags=["z"])]}),
    Case("merge-key-no-effect-on-append",
         one("posts", merge_key="day"),
         {"GET /posts": [day(1, "d1")]},
         {"posts": rows((1, "d1", "v1"), (2, "d1", "v2"))},
         second={"GET /posts": [day(2, "d1")]}),
    Case("merge-key-from-resource-defaults",
         {"client": client(), "resource_defaults": {**MERGE, "merge_key": "day"},
          "resources": ["posts"]},
         {"GET /posts": [day(1, "d1"), day(2, "d2")]},
         {"posts": rows((1, "d1", "v1"), (5, "d2", "v5"))},
         second={"GET /posts": [day(5, "d2")]}),
    Case("merge-key-with-incremental",
         one({"path": "posts", "incremental": {
             "cursor_path": "updated_at", "initial_value": "2024-01-01T00:00:00Z",
             "start_param": "since"}}, **MERGE, merge_key="day"),
         {"GET /posts?since=2024-01-01T00:00:00Z": [
             day(1, "d1", updated_at="2024-01-01T10:00:00Z"),
             day(2, "d2", updated_at="2024-01-02T00:00:00Z")]},
         {"posts": rows((1, "d1", "v1"), (3, "d2", "v3"))},
         second={"GET /posts?since=2024-01-02T00:00:00Z": [
             day(3, "d2", updated_at="2024-01-02T05:00:00Z")]}),
]
