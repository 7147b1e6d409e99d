"""One-construct manifests written for restsync's tests, each with the exact requests it
must send and the rows it must load (format: :mod:`tests.airbyte.construct_support`).

Grouped by component family: requester, record selection, paging, partitions, incremental
windows, auth, error handling, record transformations and decoders, manifest mechanics.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from tests.airbyte.construct_cases_parents import empty_otherwise
from tests.airbyte.construct_support import Case, Check, Reply, ids, stream
from tests.recording_server import Recorded


def opt(inject_into: str, field_name: str) -> dict[str, Any]:
    return {"type": "RequestOption", "inject_into": inject_into, "field_name": field_name}


def cursor(cursor_value: str, token: dict[str, Any] | None = None, **strategy: Any
           ) -> dict[str, Any]:
    return {"type": "DefaultPaginator",
            "page_token_option": token or opt("request_parameter", "cursor"),
            "pagination_strategy": {"type": "CursorPagination", "cursor_value": cursor_value,
                                    **strategy}}


def pages(kind: str, size: int | None = 2, token: dict[str, Any] | None = None,
          size_option: dict[str, Any] | None = None, **strategy: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "DefaultPaginator",
                           "page_token_option": token or opt("request_parameter", "page"),
                           "pagination_strategy": {"type": kind, **strategy}}
    if size is not None:
        out["pagination_strategy"]["page_size"] = size
    if size_option is not None:
        out["page_size_option"] = size_option
    return out


def data(*values: int, **extra: Any) -> dict[str, Any]:
    return {"data": ids(*values), **extra}


REQUESTER = [
    Case("plain-get", [stream()], {"GET /items": data(1, 2)}, {"items": ids(1, 2)}),
    Case("static-parameters",
         [stream(requester={"request_parameters": {"status": "open", "limit": "50"}})],
         {"GET /items?status=open&limit=50": data(1)}, {"items": ids(1)}),
    Case("parameter-from-config",
         [stream(requester={"request_parameters": {"account": "{{ config['account'] }}"}})],
         {"GET /items?account=acme": data(1)}, {"items": ids(1)}, config={"account": "acme"}),
    Case("parameter-rendering-empty-is-left-out",
         [stream(requester={"request_parameters": {"a": "{{ config.get('missing', '') }}",
                                                   "b": "1"}})],
         {"GET /items?b=1": data(1)}, {"items": ids(1)}),
    Case("parameter-rendering-none-is-sent-as-text-as-the-cdk-does",
         [stream(requester={"request_parameters": {"a": "{{ config.get('missing') }}"}})],
         {"GET /items?a=None": data(1)}, {"items": ids(1)}),
    Case("parameter-list-repeats",
         [stream(requester={"request_parameters": {"tag": "{{ ['x', 'y'] }}"}})],
         {"GET /items?tag=x&tag=y": data(1)}, {"items": ids(1)}),
    Case("headers",
         [stream(requester={"request_headers": {"X-Tenant": "{{ config.tenant }}",
                                                "Accept": "application/json"}})],
         {"GET /items": data(1)}, {"items": ids(1)}, config={"tenant": "t-9"},
         checks={"GET /items": Check(headers={"x-tenant": "t-9"})}),
    Case("post-json-body",
         [stream(requester={"http_method": "POST",
                            "request_body_json": {"query": {"since": "{{ config.since }}"},
                                                  "size": 10}})],
         {"POST /items": data(1, 2)}, {"items": ids(1, 2)}, config={"since": "2024"},
         # as the CDK: a rendering that reads as a literal is that value (2024, not "2024")
         checks={"POST /items": Check(json={"query": {"since": 2024}, "size": 10})}),
    Case("post-form-body",
         [stream(requester={"http_method": "POST",
                            "request_body_data": {"user": "{{ config.user }}", "n": "1"}})],
         {"POST /items": data(3)}, {"items": ids(3)}, config={"user": "ann"},
         checks={"POST /items": Check(form=[("user", "ann"), ("n", "1")])}),
    Case("url-base-with-path-and-path-without-slash",
         [{**stream(path="items"),
           "retriever": {**stream(path="items")["retriever"],
                         "requester": {"type": "HttpRequester",
                                       "url_base": "{{ config['base'] }}/api/v2/",
                                       "path": "items"}}}],
         {"GET /api/v2/items": data(1)}, {"items": ids(1)}),
    Case("path-leading-slash-keeps-the-base-path",
         [{**stream(), "retriever": {**stream()["retriever"],
                                     "requester": {"type": "HttpRequester",
                                                   "url_base": "{{ config['base'] }}/api",
                                                   "path": "/items"}}}],
         {"GET /api/items": data(1)}, {"items": ids(1)}),
    Case("path-from-parameters",
         [stream(path="/{{ parameters.resource }}/list", **{"$parameters": {"resource": "users"}})],
         {"GET /users/list": data(5)}, {"items": ids(5)}),
    Case("request-body-typed-json",
         [stream(requester={"http_method": "POST", "request_body": {
             "type": "RequestBodyJsonObject", "value": {"q": "x"}}})],
         {"POST /items": data(1)}, {"items": ids(1)},
         checks={"POST /items": Check(json={"q": "x"})}),
    Case("default-types-left-out",
         [{"type": "DeclarativeStream", "name": "items", "primary_key": "id",
           "retriever": {"requester": {"url_base": "{{ config['base'] }}", "path": "/items"},
                         "record_selector": {"extractor": {"field_path": ["data"]}}}}],
         {"GET /items": data(1, 2)}, {"items": ids(1, 2)}),
]

SELECTORS = [
    Case("whole-body-list", [stream(field_path=())], {"GET /items": ids(1, 2, 3)},
         {"items": ids(1, 2, 3)}),
    Case("nested-path", [stream(field_path=("result", "rows"))],
         {"GET /items": {"result": {"rows": ids(4, 5)}}}, {"items": ids(4, 5)}),
    Case("wildcard-over-list", [stream(field_path=("groups", "*", "member"))],
         {"GET /items": {"groups": [{"member": {"id": 1}}, {"member": {"id": 2}}]}},
         {"items": ids(1, 2)}),
    Case("wildcard-over-object-values", [stream(field_path=("by_id", "*"))],
         {"GET /items": {"by_id": {"a": {"id": 1}, "b": {"id": 2}}}}, {"items": ids(1, 2)}),
    Case("object-is-one-record", [stream(field_path=("profile",))],
         {"GET /items": {"profile": {"id": 9}}}, {"items": ids(9)}),
    Case("missing-path-no-records", [stream(field_path=("nothing",))],
         {"GET /items": {"data": ids(1)}}, {"items": []}),
    Case("field-path-template", [stream(field_path=("{{ parameters.key }}",),
                                        **{"$parameters": {"key": "users"}})],
         {"GET /items": {"users": ids(7)}}, {"items": ids(7)}),
    Case("record-filter",
         [stream(retriever={"record_selector": {
             "type": "RecordSelector", "extractor": {"type": "DpathExtractor",
                                                     "field_path": ["data"]},
             "record_filter": {"type": "RecordFilter",
                               "condition": "{{ record['id'] > config.min_id }}"}}})],
         {"GET /items": data(1, 2, 3)}, {"items": ids(3)}, config={"min_id": 2}),
    Case("empty-body-no-records", [stream()], {"GET /items": Reply(b"", status=200)},
         {"items": []}),
]

PAGING = [
    Case("cursor-from-body",
         [stream(paginator=cursor("{{ response.next }}",
                                  stop_condition="{{ not response.next }}"))],
         {"GET /items": data(1, next="c2"), "GET /items?cursor=c2": data(2, next=None)},
         {"items": ids(1, 2)}),
    Case("cursor-empty-value-stops",
         [stream(paginator=cursor("{{ response.get('next', '') }}"))],
         {"GET /items": data(1, next="c2"), "GET /items?cursor=c2": data(2)},
         {"items": ids(1, 2)}),
    Case("cursor-from-header",
         [stream(paginator=cursor("{{ headers['X-Next'] }}",
                                  stop_condition="{{ 'X-Next' not in headers }}"))],
         {"GET /items": Reply(data(1), headers={"X-Next": "n2"}),
          "GET /items?cursor=n2": data(2)},
         {"items": ids(1, 2)}),
    Case("cursor-header-names-keep-their-case-as-the-server-sent-them",
         # as the CDK's CursorPagination: `headers` is a plain dict of the response's headers
         [stream(paginator=cursor("{{ headers['x-next'] }}",
                                  stop_condition="{{ 'x-next' not in headers }}"))],
         {"GET /items": Reply(data(1), headers={"X-Next": "n2"})},
         {"items": ids(1)}),
    Case("cursor-link-header-as-path",
         [stream(paginator=cursor("{{ headers['link']['next']['url'] }}",
                                  token={"type": "RequestPath"},
                                  stop_condition="{{ 'next' not in headers['link'] }}"))],
         {"GET /items": Reply(data(1), headers={"Link": '<{base}/items?p=2>; rel="next"'}),
          "GET /items?p=2": data(2)},
         {"items": ids(1, 2)}),
    Case("cursor-next-url-in-body",
         [stream(paginator=cursor("{{ response.links.next }}", token={"type": "RequestPath"},
                                  stop_condition="{{ not response.links.next }}"))],
         {"GET /items": data(1, links={"next": "{base}/items?after=1"}),
          "GET /items?after=1": data(2, links={"next": None})},
         {"items": ids(1, 2)}),
    Case("cursor-last-record",
         [stream(paginator=cursor("{{ last_record['id'] }}",
                                  token=opt("request_parameter", "after"),
                                  stop_condition="{{ last_page_size < 2 }}"))],
         {"GET /items": data(1, 2), "GET /items?after=2": data(3)},
         {"items": ids(1, 2, 3)}),
    Case("cursor-with-page-size",
         [stream(paginator={**cursor("{{ response.next }}",
                                     stop_condition="{{ not response.next }}", page_size=2),
                            "page_size_option": opt("request_parameter", "limit")})],
         {"GET /items?limit=2": data(1, 2, next="x"),
          "GET /items?limit=2&cursor=x": data(3)},
         {"items": ids(1, 2, 3)}),
    Case("cursor-token-in-header",
         [stream(paginator=cursor("{{ response.next }}", token=opt("header", "X-Page"),
                                  stop_condition="{{ not response.next }}"))],
         {"GET /items": data(1, next="p2")}, {"items": ids(1, 1)}, requests=[
             "GET /items", "GET /items"],
         handler=lambda r, base: Reply(data(1)) if r.headers.get("x-page") == "p2" else None),
    Case("cursor-token-in-json-body",
         [stream(requester={"http_method": "POST", "request_body_json": {"q": "all"}},
                 paginator=cursor("{{ response.next }}", token=opt("body_json", "after"),
                                  stop_condition="{{ not response.next }}"))],
         {}, {"items": ids(1, 2)}, requests=["POST /items", "POST /items"],
         handler=lambda r, base: Reply(data(2) if (r.json() or {}).get("after") == "a"
                                       else data(1, next="a")),
         bodies=[{"q": "all"}, {"q": "all", "after": "a"}]),
    Case("page-increment",
         [stream(paginator=pages("PageIncrement", size=2, start_from_page=1,
                                 size_option=opt("request_parameter", "per_page")))],
         {"GET /items?per_page=2": data(1, 2), "GET /items?per_page=2&page=2": data(3, 4),
          "GET /items?per_page=2&page=3": data(5)},
         {"items": ids(1, 2, 3, 4, 5)}),
    Case("page-increment-first-page-injected",
         [stream(paginator=pages("PageIncrement", size=2, start_from_page=1,
                                 inject_on_first_request=True))],
         {"GET /items?page=1": data(1, 2), "GET /items?page=2": data()},
         {"items": ids(1, 2)}),
    Case("page-increment-from-zero",
         [stream(paginator=pages("PageIncrement", size=1))],
         {"GET /items": data(1), "GET /items?page=1": data(2), "GET /items?page=2": data()},
         {"items": ids(1, 2)}),
    Case("page-increment-without-size-stops-on-empty",
         [stream(paginator=pages("PageIncrement", size=None, start_from_page=1))],
         {"GET /items": data(1, 2, 3), "GET /items?page=2": data(4),
          "GET /items?page=3": data()},
         {"items": ids(1, 2, 3, 4)}),
    Case("offset-increment",
         [stream(paginator=pages("OffsetIncrement", size=2, token=opt("request_parameter",
                                                                      "offset"),
                                 size_option=opt("request_parameter", "limit")))],
         {"GET /items?limit=2": data(1, 2), "GET /items?limit=2&offset=2": data(3, 4),
          "GET /items?limit=2&offset=4": data()},
         {"items": ids(1, 2, 3, 4)}),
    Case("offset-increment-first-offset-injected",
         [stream(paginator=pages("OffsetIncrement", size=2, inject_on_first_request=True,
                                 token=opt("request_parameter", "offset")))],
         {"GET /items?offset=0": data(1, 2), "GET /items?offset=2": data(3)},
         {"items": ids(1, 2, 3)}),
    Case("offset-counts-records-before-the-filter",
         [stream(paginator=pages("OffsetIncrement", size=2,
                                 token=opt("request_parameter", "offset")),
                 retriever={"record_selector": {
                     "type": "RecordSelector",
                     "extractor": {"type": "DpathExtractor", "field_path": ["data"]},
                     "record_filter": {"condition": "{{ record.id != 2 }}"}}})],
         {"GET /items": data(1, 2), "GET /items?offset=2": data(3)},
         {"items": ids(1, 3)}),
    Case("page-size-in-header",
         [stream(paginator=pages("PageIncrement", size=2, start_from_page=1,
                                 size_option=opt("header", "X-Per-Page")))],
         {"GET /items": data(1)}, {"items": ids(1)},
         checks={"GET /items": Check(headers={"x-per-page": "2"})}),
    Case("page-size-from-config",
         [stream(paginator=pages("OffsetIncrement", size="{{ config.size }}",
                                 token=opt("request_parameter", "offset"),
                                 size_option=opt("request_parameter", "limit")))],
         {"GET /items?limit=3": data(1, 2, 3), "GET /items?limit=3&offset=3": data(4)},
         {"items": ids(1, 2, 3, 4)}, config={"size": 3}),
    Case("no-pagination", [stream(paginator={"type": "NoPagination"})],
         {"GET /items": data(1, next="ignored")}, {"items": ids(1)}),
]


def substream(parent: dict[str, Any], **config: Any) -> dict[str, Any]:
    return {"type": "SubstreamPartitionRouter", "parent_stream_configs": [
        {"type": "ParentStreamConfig", "parent_key": "id", "partition_field": "pid",
         "stream": parent, **config}]}


PARENT = stream("parents", "/parents")


def router_over(parent: dict[str, Any], field: str, **config: Any) -> dict[str, Any]:
    return {"type": "SubstreamPartitionRouter", "parent_stream_configs": [
        {"type": "ParentStreamConfig", "parent_key": "id", "partition_field": field,
         "stream": parent, **config}]}


GRANTS = stream("grants", "/grants")
CALENDARS = stream("calendars", "/grants/{{ stream_partition.grant_id }}/calendars",
                   retriever={"partition_router": router_over(GRANTS, "grant_id")})

PAIRS = {"GET /grants": data(1, 2), "GET /grants/1/calendars": data(10),
         "GET /grants/2/calendars": data(20, 21),
         "GET /grants/1/events?calendar_id=10": data(100),
         "GET /grants/2/events?calendar_id=20": data(200),
         "GET /grants/2/events?calendar_id=21": data(210)}

PARTITIONS = [
    Case("list-router-into-parameter",
         [stream(retriever={"partition_router": {
             "type": "ListPartitionRouter", "cursor_field": "region", "values": ["eu", "us"],
             "request_option": opt("request_parameter", "region")}})],
         {"GET /items?region=eu": data(1), "GET /items?region=us": data(2)},
         {"items": ids(1, 2)}),
    Case("list-router-values-from-config-in-path",
         [stream(path="/r/{{ stream_partition.region }}/items", retriever={"partition_router": {
             "type": "ListPartitionRouter", "cursor_field": "region",
             "values": "{{ config.regions }}"}})],
         {"GET /r/a/items": data(1), "GET /r/b/items": data(2), "GET /r/c/items": data(3)},
         {"items": ids(1, 2, 3)}, config={"regions": ["a", "b", "c"]}),
    Case("list-router-into-header",
         [stream(retriever={"partition_router": {
             "type": "ListPartitionRouter", "cursor_field": "k", "values": ["x"],
             "request_option": opt("header", "X-K")}})],
         {"GET /items": data(1)}, {"items": ids(1)},
         checks={"GET /items": Check(headers={"x-k": "x"})}),
    Case("substream-in-path",
         [PARENT, stream("children", "/parents/{{ stream_partition.pid }}/children",
                         retriever={"partition_router": substream(PARENT)})],
         {"GET /parents": data(1, 2), "GET /parents/1/children": data(10),
          "GET /parents/2/children": data(20, 21)},
         {"parents": ids(1, 2), "children": ids(10, 20, 21)}),
    Case("substream-request-option",
         [PARENT, stream("children", "/children", retriever={"partition_router": substream(
             PARENT, request_option=opt("request_parameter", "parent_id"))})],
         {"GET /parents": data(1, 2), "GET /children?parent_id=1": data(10),
          "GET /children?parent_id=2": data(20)},
         {"parents": ids(1, 2), "children": ids(10, 20)}),
    Case("substream-parent-not-a-stream-of-its-own",
         [stream("children", "/parents/{{ stream_partition.pid }}/children",
                 retriever={"partition_router": substream(PARENT)})],
         {"GET /parents": data(1), "GET /parents/1/children": data(10)},
         {"children": ids(10)}),
    Case("substream-nested-parent-key",
         [PARENT, stream("children", "/c/{{ stream_partition.owner }}",
                         retriever={"partition_router": {
                             "type": "SubstreamPartitionRouter", "parent_stream_configs": [{
                                 "type": "ParentStreamConfig", "stream": PARENT,
                                 "parent_key": "owner/login", "partition_field": "owner"}]}})],
         {"GET /parents": {"data": [{"id": 1, "owner": {"login": "ann"}}]},
          "GET /c/ann": data(5)},
         {"children": ids(5)}),
    Case("substream-extra-fields",
         [PARENT, stream("children", "/parents/{{ stream_partition.pid }}/children",
                         retriever={"partition_router": substream(
                             PARENT, extra_fields=[["name"]])},
                         transformations=[{"type": "AddFields", "fields": [
                             {"path": ["parent_name"],
                              "value": "{{ stream_slice.extra_fields['name'] }}"}]}])],
         {"GET /parents": {"data": [{"id": 1, "name": "alpha"}]},
          "GET /parents/1/children": data(10)},
         {"children": [{"id": 10, "parent_name": "alpha"}]}),
    Case("two-list-routers-cartesian-product",
         [stream(path="/{{ stream_partition.a }}/{{ stream_partition.b }}",
                 retriever={"partition_router": [
                     {"type": "ListPartitionRouter", "cursor_field": "a", "values": ["x", "y"]},
                     {"type": "ListPartitionRouter", "cursor_field": "b", "values": ["1", "2"]},
                 ]})],
         {"GET /x/1": data(1), "GET /x/2": data(2), "GET /y/1": data(3), "GET /y/2": data(4)},
         {"items": ids(1, 2, 3, 4)}),
    Case("parent-times-list-router",
         [PARENT, stream("children", "/p/{{ stream_partition.pid }}",
                         retriever={"partition_router": [
                             substream(PARENT),
                             {"type": "ListPartitionRouter", "cursor_field": "kind",
                              "values": ["a", "b"],
                              "request_option": opt("request_parameter", "kind")}]})],
         {"GET /parents": data(1, 2), "GET /p/1?kind=a": data(11), "GET /p/1?kind=b": data(12),
          "GET /p/2?kind=a": data(21), "GET /p/2?kind=b": data(22)},
         {"children": ids(11, 12, 21, 22)}),
    Case("two-parent-routers-second-a-child-of-the-first-run-as-pairs",
         [GRANTS, CALENDARS, stream(
             "events", "/grants/{{ stream_partition.grant_id }}/events",
             retriever={"partition_router": [
                 router_over(GRANTS, "grant_id"),
                 router_over(CALENDARS, "calendar_id",
                             request_option=opt("request_parameter", "calendar_id"))]})],
         PAIRS,
         {"events": ids(100, 200, 210),
          "calendars": [{"id": 10, "_grants_grant_id": 1}, {"id": 20, "_grants_grant_id": 2},
                        {"id": 21, "_grants_grant_id": 2}]},
         handler=empty_otherwise(PAIRS)),  # the CDK's crossing reads through (an empty page)
    Case("parent-paged-children-paged",
         [PARENT, stream("children", "/p/{{ stream_partition.pid }}",
                         paginator=cursor("{{ response.next }}",
                                          stop_condition="{{ not response.next }}"),
                         retriever={"partition_router": substream(PARENT)})],
         {"GET /parents": data(1), "GET /p/1": data(1, next="n"), "GET /p/1?cursor=n": data(2)},
         {"children": ids(1, 2)}),
]


def cursor_sync(**options: Any) -> dict[str, Any]:
    return {"type": "DatetimeBasedCursor", "cursor_field": "updated",
            "datetime_format": "%Y-%m-%d",
            "start_datetime": {"type": "MinMaxDatetime", "datetime": "{{ config.start }}",
                               "datetime_format": "%Y-%m-%d"},
            "end_datetime": {"type": "MinMaxDatetime", "datetime": "{{ config.end }}",
                             "datetime_format": "%Y-%m-%d"},
            "start_time_option": opt("request_parameter", "from"),
            "end_time_option": opt("request_parameter", "to"), **options}


def unsent_window(**options: Any) -> dict[str, Any]:
    """:func:`cursor_sync` without request options (left out: the CDK's schema refuses null)."""
    out = cursor_sync(**options)
    del out["start_time_option"], out["end_time_option"]
    return out


def dated(i: int, day: str) -> dict[str, Any]:
    return {"id": i, "updated": day}


WINDOW = {"start": "2024-01-01", "end": "2024-01-03"}

INCREMENTAL = [
    Case("one-window",
         [stream(primary_key="id", incremental_sync=cursor_sync())],
         {"GET /items?from=2024-01-01&to=2024-01-03": {"data": [dated(1, "2024-01-02")]}},
         {"items": ids(1)}, config=WINDOW),
    Case("daily-windows-with-granularity",
         [stream(primary_key="id", incremental_sync=cursor_sync(step="P1D",
                                                                cursor_granularity="P1D"))],
         # as the CDK's concurrent cursor: the last window ends at the end itself
         {"GET /items?from=2024-01-01&to=2024-01-01": {"data": [dated(1, "2024-01-01")]},
          "GET /items?from=2024-01-02&to=2024-01-03": {"data": [dated(2, "2024-01-02"),
                                                               dated(3, "2024-01-03")]}},
         {"items": ids(1, 2, 3)}, config=WINDOW),
    Case("weekly-step-is-one-window-when-the-range-is-shorter",
         [stream(primary_key="id", incremental_sync=cursor_sync(step="P7D",
                                                                cursor_granularity="P1D"))],
         {"GET /items?from=2024-01-01&to=2024-01-03": {"data": [dated(1, "2024-01-01")]}},
         {"items": ids(1)}, config=WINDOW),
    Case("interval-in-path-and-body",
         [stream(primary_key="id",
                 path="/items/{{ stream_interval.start_time }}",
                 requester={"http_method": "POST",
                            "request_body_json": {"until": "{{ stream_slice.end_time }}"}},
                 incremental_sync=unsent_window())],
         {"POST /items/2024-01-01": {"data": [dated(1, "2024-01-02")]}},
         {"items": ids(1)}, config=WINDOW,
         checks={"POST /items/2024-01-01": Check(json={"until": "2024-01-03"})}),
    Case("epoch-seconds-format",
         [stream(primary_key="id", incremental_sync={
             **cursor_sync(), "datetime_format": "%s", "cursor_datetime_formats": ["%s"]})],
         {"GET /items?from=1704067200&to=1704240000": {"data": [{"id": 1,
                                                                  "updated": 1704100000}]}},
         {"items": ids(1)}, config=WINDOW),
    Case("client-side-filter",
         [stream(primary_key="id", incremental_sync={
             **unsent_window(), "is_client_side_incremental": True})],
         {"GET /items": {"data": [dated(1, "2023-12-31"), dated(2, "2024-01-02"),
                                  dated(3, "2024-01-05")]}},
         {"items": ids(2)}, config=WINDOW),
    Case("without-filter-the-api-decides",
         [stream(primary_key="id", incremental_sync={
             **unsent_window()})],
         {"GET /items": {"data": [dated(1, "2023-12-31"), dated(2, "2024-01-02")]}},
         {"items": ids(1, 2)}, config=WINDOW),
    Case("data-feed-stops-paging",
         [stream(primary_key="id", paginator=pages("PageIncrement", size=1, start_from_page=1),
                 incremental_sync={**unsent_window(), "is_data_feed": True})],
         # as the CDK: the record before the start ends paging and is not kept
         {"GET /items": {"data": [dated(2, "2024-01-02")]},
          "GET /items?page=2": {"data": [dated(1, "2023-12-01")]}},
         {"items": ids(2)}, config=WINDOW),
    Case("start-min-max",
         [stream(primary_key="id", incremental_sync={**cursor_sync(), "start_datetime": {
             "type": "MinMaxDatetime", "datetime": "{{ config.start }}",
             "datetime_format": "%Y-%m-%d", "min_datetime": "2024-01-02"}})],
         {"GET /items?from=2024-01-02&to=2024-01-03": {"data": [dated(1, "2024-01-02")]}},
         {"items": ids(1)}, config=WINDOW),
    Case("windows-per-partition",
         [stream(primary_key="id", path="/{{ stream_partition.k }}",
                 retriever={"partition_router": {"type": "ListPartitionRouter",
                                                 "cursor_field": "k", "values": ["a", "b"]}},
                 incremental_sync=cursor_sync(step="P1D", cursor_granularity="P1D"))],
         {"GET /a?from=2024-01-01&to=2024-01-01": {"data": [dated(1, "2024-01-01")]},
          "GET /a?from=2024-01-02&to=2024-01-03": {"data": []},
          "GET /b?from=2024-01-01&to=2024-01-01": {"data": []},
          "GET /b?from=2024-01-02&to=2024-01-03": {"data": [dated(2, "2024-01-03")]}},
         {"items": ids(1, 2)}, config=WINDOW),
]


def authed(authenticator: dict[str, Any], **requester: Any) -> dict[str, Any]:
    return stream(requester={"authenticator": authenticator, **requester})


def token_answers(path: str, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    def handle(request: Recorded, base: str) -> Reply | None:
        if request.method == "POST" and request.path == path:
            return Reply(body)
        return None
    return handle


AUTH = [
    Case("api-key-header",
         [authed({"type": "ApiKeyAuthenticator", "api_token": "{{ config.key }}",
                  "header": "X-Api-Key"})],
         {"GET /items": data(1)}, {"items": ids(1)}, config={"key": "k-123456"}, auth=True,
         checks={"GET /items": Check(headers={"x-api-key": "k-123456"})}),
    Case("api-key-inject-into-header-with-prefix",
         [authed({"type": "ApiKeyAuthenticator", "api_token": "Token {{ config.key }}",
                  "inject_into": opt("header", "Authorization")})],
         {"GET /items": data(1)}, {"items": ids(1)}, config={"key": "k-123456"}, auth=True,
         checks={"GET /items": Check(headers={"authorization": "Token k-123456"})}),
    Case("api-key-parameter",
         [authed({"type": "ApiKeyAuthenticator", "api_token": "{{ config.key }}",
                  "inject_into": opt("request_parameter", "api_key")})],
         {"GET /items?api_key=k-123456": data(1)}, {"items": ids(1)},
         config={"key": "k-123456"}, auth=True),
    Case("bearer",
         [authed({"type": "BearerAuthenticator", "api_token": "{{ config.token }}"})],
         {"GET /items": data(1)}, {"items": ids(1)}, config={"token": "t-abcdef"}, auth=True,
         checks={"GET /items": Check(headers={"authorization": "Bearer t-abcdef"})}),
    Case("basic",
         [authed({"type": "BasicHttpAuthenticator", "username": "{{ config.user }}",
                  "password": "{{ config.password }}"})],
         {"GET /items": data(1)}, {"items": ids(1)}, config={"user": "u", "password": "p"},
         auth=True, checks={"GET /items": Check(headers={"authorization": "Basic dTpw"})}),
    Case("basic-without-password",
         [authed({"type": "BasicHttpAuthenticator", "username": "{{ config.user }}"})],
         {"GET /items": data(1)}, {"items": ids(1)}, config={"user": "u"}, auth=True,
         checks={"GET /items": Check(headers={"authorization": "Basic dTo="})}),
    Case("no-auth", [authed({"type": "NoAuth"})], {"GET /items": data(1)}, {"items": ids(1)}),
    Case("oauth-refresh-token",
         [authed({"type": "OAuthAuthenticator",
                  "token_refresh_endpoint": "{{ config.base }}/oauth/token",
                  "client_id": "{{ config.cid }}", "client_secret": "{{ config.cs }}",
                  "refresh_token": "{{ config.rt }}"})],
         {"GET /items": data(1)}, {"items": ids(1)},
         config={"cid": "client-1", "cs": "secret-1", "rt": "refresh-1"}, auth=True,
         requests=["POST /oauth/token", "GET /items"],
         handler=token_answers("/oauth/token", {"access_token": "at-1", "expires_in": 3600}),
         checks={"GET /items": Check(headers={"authorization": "Bearer at-1"}),
                 "POST /oauth/token": Check(form=[  # the CDK's order
                     ("grant_type", "refresh_token"), ("client_id", "client-1"),
                     ("client_secret", "secret-1"), ("refresh_token", "refresh-1")])}),
    Case("oauth-client-credentials",
         [authed({"type": "OAuthAuthenticator", "grant_type": "client_credentials",
                  "token_refresh_endpoint": "{{ config.base }}/oauth/token",
                  "client_id": "{{ config.cid }}", "client_secret": "{{ config.cs }}"})],
         {"GET /items": data(1)}, {"items": ids(1)},
         config={"cid": "client-1", "cs": "secret-1"}, auth=True,
         requests=["POST /oauth/token", "GET /items"],
         handler=token_answers("/oauth/token", {"access_token": "at-2"}),
         checks={"GET /items": Check(headers={"authorization": "Bearer at-2"}),
                 "POST /oauth/token": Check(form=[  # the CDK's order
                     ("grant_type", "client_credentials"), ("client_id", "client-1"),
                     ("client_secret", "secret-1")])}),
    Case("session-token-bearer",
         [authed({"type": "SessionTokenAuthenticator",
                  "login_requester": {"type": "HttpRequester", "url_base": "{{ config.base }}",
                                      "path": "/login", "http_method": "POST",
                                      "request_body_json": {"user": "{{ config.user }}",
                                                            "password": "{{ config.pw }}"}},
                  "session_token_path": ["session", "token"],
                  "request_authentication": {"type": "Bearer"}})],
         {"GET /items": data(1)}, {"items": ids(1)},
         config={"user": "ann", "pw": "pw-123456"}, auth=True,
         requests=["POST /login", "GET /items"],
         handler=token_answers("/login", {"session": {"token": "sess-1"}}),
         checks={"GET /items": Check(headers={"authorization": "Bearer sess-1"}),
                 "POST /login": Check(json={"user": "ann", "password": "pw-123456"})}),
    Case("session-token-api-key-header-and-basic-login",
         [authed({"type": "SessionTokenAuthenticator",
                  "login_requester": {
                      "type": "HttpRequester", "url_base": "{{ config.base }}",
                      "path": "/login", "http_method": "POST",
                      "authenticator": {"type": "BasicHttpAuthenticator",
                                        "username": "u", "password": "{{ config.pw }}"}},
                  "session_token_path": ["token"], "expiration_duration": "PT1H",
                  "request_authentication": {"type": "ApiKey",
                                             "inject_into": opt("header", "X-Session")}})],
         {"GET /items": data(1)}, {"items": ids(1)}, config={"pw": "p"}, auth=True,
         requests=["POST /login", "GET /items"],
         handler=token_answers("/login", {"token": "sess-2"}),
         checks={"GET /items": Check(headers={"x-session": "sess-2", "authorization": None}),
                 "POST /login": Check(headers={"authorization": "Basic dTpw"})}),
    Case("selective-authenticator",
         [authed({"type": "SelectiveAuthenticator",
                  "authenticator_selection_path": ["credentials", "kind"],
                  "authenticators": {
                      "token": {"type": "BearerAuthenticator",
                                "api_token": "{{ config.credentials.token }}"},
                      "key": {"type": "ApiKeyAuthenticator", "header": "X-Key",
                              "api_token": "{{ config.credentials.token }}"}}})],
         {"GET /items": data(1)}, {"items": ids(1)},
         config={"credentials": {"kind": "key", "token": "k-777777"}}, auth=True,
         checks={"GET /items": Check(headers={"x-key": "k-777777", "authorization": None})}),
]


def handler_of(*filters: dict[str, Any], **handler: Any) -> dict[str, Any]:
    return {"error_handler": {"type": "DefaultErrorHandler", "response_filters": list(filters),
                              **handler}}


def flaky(status: int, times: int, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """Answer ``status`` to the first ``times`` requests of each server, then the exchanges
    (counted per server: restsync and the CDK each read a case from a server of its own)."""
    seen: dict[str, int] = {}

    def handle(request: Recorded, base: str) -> Reply | None:
        seen[base] = seen.get(base, 0) + 1
        if seen[base] <= times:
            return Reply({"error": "busy"}, status=status, headers=headers or {})
        return None
    return handle


ERRORS = [
    Case("ignore-404",
         [stream(requester=handler_of({"type": "HttpResponseFilter", "action": "IGNORE",
                                       "http_codes": [404]}))],
         {"GET /items": Reply({"error": "gone"}, status=404)}, {"items": []}),
    Case("ignore-by-message",
         [stream(requester=handler_of({"action": "IGNORE",
                                       "error_message_contains": "no data yet"}))],
         {"GET /items": Reply({"error": "no data yet for this account"}, status=400)},
         {"items": []}),
    Case("fail-by-predicate-on-200",
         [stream(requester=handler_of({"action": "FAIL",
                                       "predicate": "{{ 'error' in response }}",
                                       "error_message": "the API said {{ response.error }}"}))],
         {"GET /items": {"error": "quota", "data": []}}, {"items": []}, fails="200"),
    Case("default-404-fails",
         [stream()], {"GET /items": Reply({"error": "nope"}, status=404)}, {"items": []},
         fails="404"),
    Case("default-500-retried",  # the default filters; a short backoff (the CDK waits 5 s)
         [stream(requester=handler_of(backoff_strategies=[
             {"type": "ExponentialBackoffStrategy", "factor": 0.05}]))],
         {"GET /items": data(1)}, {"items": ids(1)},
         requests=["GET /items", "GET /items"], handler=flaky(500, 1)),
    Case("retry-on-custom-status-with-constant-backoff",
         [stream(requester=handler_of(
             {"action": "RETRY", "http_codes": [418]},
             backoff_strategies=[{"type": "ConstantBackoffStrategy",
                                  "backoff_time_in_seconds": 0.1}]))],
         {"GET /items": data(1)}, {"items": ids(1)},
         requests=["GET /items", "GET /items", "GET /items"], handler=flaky(418, 2)),
    Case("rate-limited-wait-from-header",
         [stream(requester=handler_of(
             {"action": "RATE_LIMITED", "http_codes": [429]},
             backoff_strategies=[{"type": "WaitTimeFromHeader", "header": "Retry-After"}]))],
         {"GET /items": data(1)}, {"items": ids(1)},
         requests=["GET /items", "GET /items"], handler=flaky(429, 1, {"Retry-After": "1"})),
    Case("composite-handler-first-match",
         [stream(requester={"error_handler": {"type": "CompositeErrorHandler",
                                              "error_handlers": [
                                                  handler_of({"action": "IGNORE",
                                                              "http_codes": [403]})["error_handler"],
                                                  handler_of({"action": "FAIL",
                                                              "http_codes": [403]})["error_handler"],
                                              ]}})],
         {"GET /items": Reply({}, status=403)}, {"items": []}),
    Case("ignore-ends-only-that-partition",
         [stream(path="/{{ stream_partition.k }}", retriever={"partition_router": {
             "type": "ListPartitionRouter", "cursor_field": "k", "values": ["a", "b"]}},
             requester=handler_of({"action": "IGNORE", "http_codes": [403]}))],
         {"GET /a": Reply({}, status=403), "GET /b": data(2)}, {"items": ids(2)}),
    Case("max-retries-then-fail",
         [stream(requester=handler_of(
             {"action": "RETRY", "http_codes": [503]}, max_retries=2,
             backoff_strategies=[{"type": "ConstantBackoffStrategy",
                                  "backoff_time_in_seconds": 0.1}]))],
         {"GET /items": Reply({}, status=503)}, {"items": []},
         requests=["GET /items"] * 3, fails="503"),
]


def gz(payload: bytes) -> bytes:
    return gzip.compress(payload)


def kept(**columns: Any) -> list[dict[str, Any]]:
    return [columns]


RECORDS = [
    Case("add-fields-static-and-from-record",
         [stream(transformations=[{"type": "AddFields", "fields": [
             {"path": ["source"], "value": "api"},
             {"path": ["label"], "value": "{{ record.name }}-{{ config.suffix }}"}]}])],
         {"GET /items": {"data": [{"id": 1, "name": "a"}]}},
         {"items": kept(id=1, source="api", label="a-x")}, config={"suffix": "x"}),
    Case("add-fields-value-type",
         [stream(transformations=[{"type": "AddFields", "fields": [
             {"path": ["n"], "value": "{{ record.s }}", "value_type": "integer"}]}])],
         {"GET /items": {"data": [{"id": 1, "s": "42"}]}}, {"items": kept(id=1, n=42)}),
    Case("add-fields-nested-path",
         [stream(transformations=[{"type": "AddFields", "fields": [
             {"path": ["meta", "origin"], "value": "x"}]}])],
         {"GET /items": {"data": [{"id": 1}]}}, {"items": kept(id=1, meta__origin="x")}),
    Case("add-fields-condition",
         [stream(transformations=[{"type": "AddFields", "condition": "{{ record.id > 1 }}",
                                   "fields": [{"path": ["big"], "value": "yes"}]}])],
         {"GET /items": data(1, 2)}, {"items": [{"id": 1, "big": None}, {"id": 2, "big": "yes"}]}),
    Case("remove-fields",
         [stream(transformations=[{"type": "RemoveFields",
                                   "field_pointers": [["secret"], ["meta", "drop"]]}])],
         {"GET /items": {"data": [{"id": 1, "secret": "s", "meta": {"drop": 1, "keep": 2}}]}},
         {"items": kept(id=1, meta__keep=2)}),
    Case("remove-fields-condition",
         # as the CDK: `property` is the field's value
         [stream(transformations=[{"type": "RemoveFields", "field_pointers": [["x"]],
                                   "condition": "{{ property == 'drop' }}"}])],
         {"GET /items": {"data": [{"id": 1, "x": "drop"}, {"id": 2, "x": "keep"}]}},
         {"items": [{"id": 1, "x": None}, {"id": 2, "x": "keep"}]}),
    Case("keys-to-lower",
         [stream(transformations=[{"type": "KeysToLower"}])],
         {"GET /items": {"data": [{"ID": 1, "Name": "a"}]}}, {"items": kept(id=1, name="a")}),
    Case("keys-to-snake-case",
         [stream(transformations=[{"type": "KeysToSnakeCase"}])],
         {"GET /items": {"data": [{"id": 1, "firstName": "a"}]}},
         {"items": kept(id=1, first_name="a")}),
    Case("flatten-fields",
         [stream(transformations=[{"type": "FlattenFields"}])],
         {"GET /items": {"data": [{"id": 1, "a": {"b": 2}}]}}, {"items": kept(id=1, a_b=2)}),
    Case("jsonl-decoder",
         [stream(field_path=(), retriever={"decoder": {"type": "JsonlDecoder"}})],
         {"GET /items": Reply(b'{"id": 1}\n{"id": 2}\n',
                              headers={"Content-Type": "application/jsonl"})},
         {"items": ids(1, 2)}),
    Case("gzip-json",
         [stream(retriever={"decoder": {"type": "GzipDecoder",
                                        "decoder": {"type": "JsonDecoder"}}})],
         {"GET /items": Reply(gz(json.dumps(data(1, 2)).encode()),
                              headers={"Content-Type": "application/octet-stream"})},
         {"items": ids(1, 2)}),
    Case("csv-decoder",
         [stream(field_path=(), retriever={"decoder": {"type": "CsvDecoder"}})],
         {"GET /items": Reply(b"id,name\n1,a\n2,b\n", headers={"Content-Type": "text/csv"})},
         {"items": [{"id": "1", "name": "a"}, {"id": "2", "name": "b"}]}),
    Case("csv-decoder-written-as-a-composite-raw-decoder",  # the CDK 6 form
         [stream(field_path=(), retriever={"decoder": {
             "type": "CompositeRawDecoder", "parser": {"type": "CsvParser"}}})],
         {"GET /items": Reply(b"id,name\n1,a\n2,b\n", headers={"Content-Type": "text/csv"})},
         {"items": [{"id": "1", "name": "a"}, {"id": "2", "name": "b"}]}),
]

MECHANICS = [
    Case("ref-with-override",
         [{"$ref": "#/definitions/base_stream", "name": "items"}], {"GET /items": data(1)},
         {"items": ids(1)},
         top={"definitions": {"base_stream": stream("ignored", "/items")}}),
    Case("ref-string-value",
         [stream(path="#/definitions/items_path")], {"GET /items": data(1)},
         {"items": ids(1)}, top={"definitions": {"items_path": "/items"}}),
    Case("parameters-flow-down",
         [{**stream(path="/{{ parameters.name }}", field_path=("{{ parameters.name }}",)),
           "name": "things", "$parameters": {"name": "things"}}],
         {"GET /things": {"things": ids(1)}}, {"things": ids(1)}),
    Case("parameters-fill-missing-fields",
         [{"type": "DeclarativeStream", "$parameters": {"name": "things", "path": "/things",
                                                        "url_base": "{{ config['base'] }}"},
           "retriever": {"type": "SimpleRetriever",
                         "requester": {"type": "HttpRequester"},
                         "record_selector": {"type": "RecordSelector", "extractor": {
                             "type": "DpathExtractor", "field_path": ["data"]}}}}],
         {"GET /things": data(1)}, {"things": ids(1)}),
    Case("stream-name-is-the-table",
         [stream("Mixed Case-Name")], {"GET /items": data(1)}, {"mixed_case_name": ids(1)}),
]

CASES: list[Case] = [*REQUESTER, *SELECTORS, *PAGING, *PARTITIONS, *INCREMENTAL, *AUTH,
                     *ERRORS, *RECORDS, *MECHANICS]
