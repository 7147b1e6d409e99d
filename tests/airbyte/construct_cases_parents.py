"""One-construct manifests of the parent-router shapes (format:
:mod:`tests.airbyte.construct_support`): several configurations in one
``SubstreamPartitionRouter``, ``incremental_dependency``, a product of routers over one
parent, and a chain of three parent routers.

Each server answers an unscripted request with an empty page (:func:`empty_otherwise`), so the
CDK's crossing of parent records (a deliberate difference, docs/airbyte.md) reads through and
its requests can be checked (:data:`CDK_PARENT_REQUESTS`); restsync's requests are exact.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

from tests.airbyte.construct_support import Case, Reply, ids, stream
from tests.recording_server import Recorded, normalize_key

__all__ = ["CDK_PARENT_REQUESTS", "PARENT_CASES", "empty_otherwise"]


def empty_otherwise(exchanges: Mapping[str, Any]) -> Callable[[Recorded, str], Reply | None]:
    """A handler answering every request not in ``exchanges`` with ``{"data": []}``."""
    scripted = {normalize_key(k) for k in exchanges}

    def handle(request: Recorded, base: str) -> Reply | None:
        return None if request.key in scripted else Reply({"data": []})
    return handle


def config_over(parent: dict[str, Any], key: str, field: str, **more: Any) -> dict[str, Any]:
    return {"type": "ParentStreamConfig", "parent_key": key, "partition_field": field,
            "stream": parent, **more}


def router(*configs: dict[str, Any]) -> dict[str, Any]:
    return {"type": "SubstreamPartitionRouter", "parent_stream_configs": list(configs)}


def case(id: str, streams: list[dict[str, Any]], exchanges: dict[str, Any],
         rows: dict[str, list[dict[str, Any]]]) -> Case:
    return Case(id, streams, exchanges, rows, handler=empty_otherwise(exchanges))


OWNED = stream("parents", "/parents")
OWNED_PAGE = {"data": [{"id": 1, "owner": "a"}, {"id": 2, "owner": "b"}]}

GRANTS = stream("grants", "/grants")
CALENDARS = stream("calendars", "/grants/{{ stream_partition.grant_id }}/calendars",
                   retriever={"partition_router": router(config_over(GRANTS, "id", "grant_id"))})
SLOTS = stream("slots", "/g/{{ stream_partition.grant_id }}/c/{{ stream_partition.calendar_id }}",
               retriever={"partition_router": [
                   router(config_over(GRANTS, "id", "grant_id")),
                   router(config_over(CALENDARS, "id", "calendar_id"))]})
CHAIN_PAGES = {
    "GET /grants": {"data": ids(1, 2)},
    "GET /grants/1/calendars": {"data": ids(10)},
    "GET /grants/2/calendars": {"data": ids(20)},
    "GET /g/1/c/10": {"data": ids(100)},
    "GET /g/2/c/20": {"data": ids(200, 201)},
}

DAYS = {"type": "DatetimeBasedCursor", "cursor_field": "updated", "datetime_format": "%Y-%m-%d",
        "start_datetime": {"type": "MinMaxDatetime", "datetime": "{{ config.start }}",
                           "datetime_format": "%Y-%m-%d"},
        "end_datetime": {"type": "MinMaxDatetime", "datetime": "{{ config.end }}",
                         "datetime_format": "%Y-%m-%d"},
        "start_time_option": {"type": "RequestOption", "inject_into": "request_parameter",
                              "field_name": "from"},
        "end_time_option": {"type": "RequestOption", "inject_into": "request_parameter",
                            "field_name": "to"}}
DATED_PARENT = stream("parents", "/parents", primary_key="id", incremental_sync=DAYS)

PARENT_CASES = [
    # one router, two configurations of one parent: one partition per record and configuration
    case("substream-two-configurations-of-one-parent",
         [OWNED, stream("children", "/children", retriever={"partition_router": router(
             config_over(OWNED, "id", "pid",
                         request_option={"type": "RequestOption", "field_name": "pid",
                                         "inject_into": "request_parameter"}),
             config_over(OWNED, "owner", "owner",
                         request_option={"type": "RequestOption", "field_name": "owner",
                                         "inject_into": "request_parameter"}))})],
         {"GET /parents": OWNED_PAGE, "GET /children?pid=1": {"data": ids(11)},
          "GET /children?pid=2": {"data": ids(12)}, "GET /children?owner=a": {"data": ids(13)},
          "GET /children?owner=b": {"data": ids(14)}},
         {"parents": ids(1, 2), "children": ids(11, 12, 13, 14)}),
    # an incremental parent, its window sent; on a first run every record makes a partition
    Case("substream-incremental-dependency",
         [DATED_PARENT, stream("children", "/parents/{{ stream_partition.pid }}/children",
                               retriever={"partition_router": router(config_over(
                                   DATED_PARENT, "id", "pid", incremental_dependency=True))})],
         {"GET /parents?from=2024-01-01&to=2024-01-03": {"data": [
             {"id": 1, "updated": "2024-01-02"}, {"id": 2, "updated": "2024-01-03"}]},
          "GET /parents/1/children": {"data": ids(10)},
          "GET /parents/2/children": {"data": ids(20)}},
         {"parents": ids(1, 2), "children": ids(10, 20)},
         config={"start": "2024-01-01", "end": "2024-01-03"}),
    # a product of two routers over one parent: both values from the same record
    case("two-routers-over-one-parent-read-one-record",
         [OWNED, stream("children",
                        "/p/{{ stream_partition.pid }}/o/{{ stream_partition.owner }}",
                        retriever={"partition_router": [
                            router(config_over(OWNED, "id", "pid")),
                            router(config_over(OWNED, "owner", "owner"))]})],
         {"GET /parents": OWNED_PAGE, "GET /p/1/o/a": {"data": ids(11)},
          "GET /p/2/o/b": {"data": ids(22)}},
         {"children": ids(11, 22)}),
    # grants -> calendars -> slots -> bookings: each slot with its calendar and grant
    case("three-parent-routers-in-a-chain-run-as-tuples",
         [GRANTS, CALENDARS, SLOTS, stream(
             "bookings", "/b/{{ stream_partition.grant_id }}/{{ stream_partition.calendar_id }}"
                         "/{{ stream_partition.slot_id }}",
             retriever={"partition_router": [
                 router(config_over(GRANTS, "id", "grant_id")),
                 router(config_over(CALENDARS, "id", "calendar_id")),
                 router(config_over(SLOTS, "id", "slot_id"))]})],
         {**CHAIN_PAGES, "GET /b/1/10/100": {"data": ids(1000)},
          "GET /b/2/20/200": {"data": ids(2000)}, "GET /b/2/20/201": {"data": ids(2010)}},
         {"bookings": ids(1000, 2000, 2010),
          "slots": [{"id": 100, "_grants_grant_id": 1, "_calendars_calendar_id": 10},
                    {"id": 200, "_grants_grant_id": 2, "_calendars_calendar_id": 20},
                    {"id": 201, "_grants_grant_id": 2, "_calendars_calendar_id": 20}]}),
]

_GRANT_CALENDARS = ["GET /grants", "GET /grants/1/calendars", "GET /grants/2/calendars"]
CDK_PARENT_REQUESTS: dict[str, list[str]] = {
    # every grant with every calendar (10, 20, 21 from the first table's case)
    "two-parent-routers-second-a-child-of-the-first-run-as-pairs": [
        *_GRANT_CALENDARS,
        *(f"GET /grants/{g}/events?calendar_id={c}" for g, c in itertools.product(
            (1, 2), (10, 20, 21)))],
    "two-routers-over-one-parent-read-one-record": [
        "GET /parents", *(f"GET /p/{p}/o/{o}" for p, o in itertools.product((1, 2), "ab"))],
    "three-parent-routers-in-a-chain-run-as-tuples": [
        *_GRANT_CALENDARS,
        *(f"GET /g/{g}/c/{c}" for g, c in itertools.product((1, 2), (10, 20))),
        *(f"GET /b/{g}/{c}/{s}" for g, c, s in itertools.product((1, 2), (10, 20),
                                                                 (100, 200, 201)))],
}
"""The distinct requests the CDK sends where it crosses parent records (restsync pairs)."""
