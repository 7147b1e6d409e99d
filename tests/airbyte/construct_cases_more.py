"""More one-construct manifests (format: :mod:`tests.airbyte.construct_support`): response
filters as the CDK reads ``SUCCESS`` and ``IGNORE``, the OAuth token request and response
options, and further variants of the most used components (in the order of
/work/shared/notes/airbyte-corpus.md: selection, request options, paging, partitions,
incremental windows, auth, transformations).
"""

from __future__ import annotations

from typing import Any

from tests.airbyte.construct_cases import (
    PARENT,
    WINDOW,
    authed,
    cursor,
    cursor_sync,
    data,
    dated,
    handler_of,
    opt,
    pages,
    substream,
    token_answers,
)
from tests.airbyte.construct_support import Case, Check, Reply, ids, stream


def composite(*filters: dict[str, Any]) -> dict[str, Any]:
    """A CompositeErrorHandler of one DefaultErrorHandler per filter, in order."""
    return {"error_handler": {"type": "CompositeErrorHandler", "error_handlers": [
        handler_of(f)["error_handler"] for f in filters]}}


RESPONSE_FILTERS = [
    Case("success-on-404-ends-quietly",
         [stream(requester=handler_of({"action": "SUCCESS", "http_codes": [404]}))],
         {"GET /items": Reply({"data": ids(9)}, status=404)}, {"items": []}),
    Case("success-on-500-is-not-retried",
         [stream(requester=handler_of({"action": "SUCCESS", "http_codes": [500]}))],
         {"GET /items": Reply({"data": ids(9)}, status=500)}, {"items": []}),
    Case("success-by-predicate-on-400",
         [stream(requester=handler_of({"action": "SUCCESS",
                                       "predicate": "{{ response.code == 'empty' }}"}))],
         {"GET /items": Reply({"code": "empty"}, status=400)}, {"items": []}),
    Case("success-on-200-reads-the-page",
         [stream(requester=handler_of({"action": "SUCCESS", "http_codes": [200]}))],
         {"GET /items": data(1, 2)}, {"items": ids(1, 2)}),
    Case("ignore-on-200-still-reads-the-page-and-pages-on",
         [stream(paginator=cursor("{{ response.next }}",
                                  stop_condition="{{ not response.next }}"),
                 requester=handler_of({"action": "IGNORE",
                                       "error_message_contains": "partial"}))],
         {"GET /items": data(1, note="partial", next="n"), "GET /items?cursor=n": data(2)},
         {"items": ids(1, 2)}),
    Case("success-on-error-stops-paging-keeps-earlier-pages",
         [stream(paginator=cursor("{{ response.next }}",
                                  stop_condition="{{ not response.next }}"),
                 requester=handler_of({"action": "SUCCESS", "http_codes": [404]}))],
         {"GET /items": data(1, next="n"), "GET /items?cursor=n": Reply({}, status=404)},
         {"items": ids(1)}),
    Case("success-ends-only-that-partition",
         [stream(path="/{{ stream_partition.k }}", retriever={"partition_router": {
             "type": "ListPartitionRouter", "cursor_field": "k", "values": ["a", "b"]}},
             requester=handler_of({"action": "SUCCESS", "http_codes": [403]}))],
         {"GET /a": Reply({"data": ids(7)}, status=403), "GET /b": data(2)},
         {"items": ids(2)}),
    Case("first-matching-filter-wins-success-before-fail",
         [stream(requester=composite({"action": "SUCCESS", "http_codes": [409]},
                                     {"action": "FAIL", "http_codes": [409]}))],
         {"GET /items": Reply({}, status=409)}, {"items": []}),
    Case("fail-on-a-status-fails",
         [stream(requester=handler_of({"action": "FAIL", "http_codes": [402],
                                       "error_message": "pay first"}))],
         {"GET /items": Reply({}, status=402)}, {"items": []}, fails="402"),
]


def oauth(**options: Any) -> dict[str, Any]:
    return {"type": "OAuthAuthenticator",
            "token_refresh_endpoint": "{{ config.base }}/oauth/token",
            "client_id": "{{ config.cid }}", "client_secret": "{{ config.cs }}", **options}


OAUTH_CONFIG = {"cid": "client-1", "cs": "secret-1", "rt": "refresh-1"}
TOKEN_THEN_ITEMS = ["POST /oauth/token", "GET /items"]


def oauth_case(name: str, authenticator: dict[str, Any], answer: dict[str, Any],
               form: list[tuple[str, str]], token: str = "at-1") -> Case:
    """One token request with exactly ``form``, then the API called with ``token``."""
    return Case(name, [authed(authenticator)], {"GET /items": data(1)}, {"items": ids(1)},
                config=OAUTH_CONFIG, auth=True, requests=TOKEN_THEN_ITEMS,
                handler=token_answers("/oauth/token", answer),
                checks={"GET /items": Check(headers={"authorization": f"Bearer {token}"}),
                        "POST /oauth/token": Check(form=form)})


REFRESH_FORM = [("grant_type", "refresh_token"), ("client_id", "client-1"),
                ("client_secret", "secret-1"), ("refresh_token", "refresh-1")]


OAUTH = [
    oauth_case("oauth-refresh-request-body-with-refresh-token-grant",
               oauth(refresh_token="{{ config.rt }}",
                     refresh_request_body={"type": "refresh",
                                           "refresh_token": "{{ config.rt }}"}),
               {"access_token": "at-1", "expires_in": 1209600},
               [*REFRESH_FORM, ("type", "refresh")]),
    oauth_case("oauth-refresh-request-body-never-overrides-the-standard-fields",
               oauth(refresh_token="{{ config.rt }}",
                     refresh_request_body={"grant_type": "password", "audience": "api"}),
               {"access_token": "at-1"}, [*REFRESH_FORM, ("audience", "api")]),
    oauth_case("oauth-client-credentials-with-body-and-scopes",
               oauth(grant_type="client_credentials", scopes=["read", "write"],
                     refresh_request_body={"audience": "{{ config.cid }}-api"}),
               {"access_token": "at-1"},
               [("grant_type", "client_credentials"), ("client_id", "client-1"),
                ("client_secret", "secret-1"), ("scopes", "read"), ("scopes", "write"),
                ("audience", "client-1-api")]),
    oauth_case("oauth-grant-type-from-config",
               oauth(grant_type="{{ config.get('grant', 'client_credentials') }}"),
               {"access_token": "at-1"},
               [("grant_type", "client_credentials"), ("client_id", "client-1"),
                ("client_secret", "secret-1")]),
    oauth_case("oauth-access-token-name",
               oauth(refresh_token="{{ config.rt }}", access_token_name="token"),
               {"token": "at-7", "access_token": "not-this"}, REFRESH_FORM, token="at-7"),
    oauth_case("oauth-token-nested-in-the-response",
               oauth(refresh_token="{{ config.rt }}"),
               {"data": {"access_token": "at-8", "expires_in": "3600"}}, REFRESH_FORM,
               token="at-8"),
    oauth_case("oauth-field-names",
               oauth(refresh_token="{{ config.rt }}", client_id_name="app_id",
                     client_secret_name="app_secret", refresh_token_name="rt",
                     grant_type_name="kind"),
               {"access_token": "at-1"},
               [("kind", "refresh_token"), ("app_id", "client-1"),
                ("app_secret", "secret-1"), ("rt", "refresh-1")]),
    oauth_case("oauth-expires-in-name",
               oauth(refresh_token="{{ config.rt }}", expires_in_name="valid_for"),
               {"access_token": "at-1", "valid_for": 7200}, REFRESH_FORM),
    oauth_case("oauth-expiry-is-a-date",
               oauth(refresh_token="{{ config.rt }}", expires_in_name="expires_at",
                     token_expiry_is_time_of_expiration=True,
                     token_expiry_date_format="%Y-%m-%dT%H:%M:%SZ"),
               {"access_token": "at-1", "expires_at": "2999-01-01T00:00:00Z"}, REFRESH_FORM),
]

SELECTION = [
    Case("deep-field-path",
         [stream(field_path=("result", "page", "rows"))],
         {"GET /items": {"result": {"page": {"rows": ids(1, 2)}}}}, {"items": ids(1, 2)}),
    Case("field-path-from-parameters",
         [{**stream(field_path=("{{ parameters.key }}",)), "$parameters": {"key": "things"}}],
         {"GET /items": {"things": ids(4)}}, {"items": ids(4)}),
    Case("wildcard-then-key",
         [stream(field_path=("data", "*", "item"))],
         {"GET /items": {"data": {"a": {"item": {"id": 1}}, "b": {"item": {"id": 2}}}}},
         {"items": ids(1, 2)}),
    Case("record-filter-on-partition",
         [stream(path="/{{ stream_partition.k }}", retriever={
             "partition_router": {"type": "ListPartitionRouter", "cursor_field": "k",
                                  "values": ["a", "b"]},
             "record_selector": {"type": "RecordSelector",
                                 "extractor": {"type": "DpathExtractor", "field_path": ["data"]},
                                 "record_filter": {"type": "RecordFilter", "condition":
                                                   "{{ record.kind == stream_partition.k }}"}}})],
         {"GET /a": {"data": [{"id": 1, "kind": "a"}, {"id": 2, "kind": "b"}]},
          "GET /b": {"data": [{"id": 3, "kind": "b"}]}},
         {"items": ids(1, 3)}),
    Case("record-filter-with-config",
         [stream(retriever={"record_selector": {
             "type": "RecordSelector",
             "extractor": {"type": "DpathExtractor", "field_path": ["data"]},
             "record_filter": {"condition": "{{ record.score >= config.min_score }}"}}})],
         {"GET /items": {"data": [{"id": 1, "score": 3}, {"id": 2, "score": 9}]}},
         {"items": ids(2)}, config={"min_score": 5}),
]

REQUESTS = [
    Case("parameter-from-partition",
         [stream(requester={"request_parameters": {"region": "{{ stream_partition.r }}"}},
                 retriever={"partition_router": {"type": "ListPartitionRouter",
                                                 "cursor_field": "r", "values": ["eu"]}})],
         {"GET /items?region=eu": data(1)}, {"items": ids(1)}),
    Case("header-from-config",
         [stream(requester={"request_headers": {"X-Account": "{{ config.account }}"}})],
         {"GET /items": data(1)}, {"items": ids(1)}, config={"account": "acc-1"},
         checks={"GET /items": Check(headers={"x-account": "acc-1"})}),
    Case("post-json-body-from-config-and-partition",
         [stream(requester={"http_method": "POST", "request_body_json": {
             "filter": {"team": "{{ config.team }}", "kind": "{{ stream_partition.k }}"}}},
             retriever={"partition_router": {"type": "ListPartitionRouter",
                                             "cursor_field": "k", "values": ["x"]}})],
         {"POST /items": data(1)}, {"items": ids(1)}, config={"team": "blue"},
         checks={"POST /items": Check(json={"filter": {"team": "blue", "kind": "x"}})}),
    Case("page-token-parameter-named-by-config",
         [stream(paginator=cursor("{{ response.next }}",
                                  token=opt("request_parameter", "{{ config.param }}"),
                                  stop_condition="{{ not response.next }}"))],
         {"GET /items": data(1, next="n"), "GET /items?after=n": data(2)},
         {"items": ids(1, 2)}, config={"param": "after"}),
    Case("path-from-config",
         [stream(path="/accounts/{{ config.account }}/items")],
         {"GET /accounts/acc-1/items": data(1)}, {"items": ids(1)},
         config={"account": "acc-1"}),
]

PAGING = [
    Case("page-increment-size-option",
         [stream(paginator=pages("PageIncrement", size=2,
                                 size_option=opt("request_parameter", "per_page")))],
         # start_from_page is 0 by default: the second page is 1
         {"GET /items?per_page=2": data(1, 2), "GET /items?page=1&per_page=2": data(3)},
         {"items": ids(1, 2, 3)}),
    Case("page-increment-start-from-page-zero-injected",
         [stream(paginator=pages("PageIncrement", size=1, start_from_page=0,
                                 inject_on_first_request=True))],
         {"GET /items?page=0": data(1), "GET /items?page=1": data(2),
          "GET /items?page=2": {"data": []}},
         {"items": ids(1, 2)}),
    Case("offset-increment-size-option",
         [stream(paginator=pages("OffsetIncrement", size=2,
                                 token=opt("request_parameter", "offset"),
                                 size_option=opt("request_parameter", "limit")))],
         {"GET /items?limit=2": data(1, 2), "GET /items?limit=2&offset=2": data(3)},
         {"items": ids(1, 2, 3)}),
    Case("cursor-stop-condition-on-a-flag",
         [stream(paginator=cursor("{{ response.next }}",
                                  stop_condition="{{ response.has_more == false }}"))],
         {"GET /items": data(1, next="n", has_more=True),
          "GET /items?cursor=n": data(2, next="m", has_more=False)},
         {"items": ids(1, 2)}),
    Case("cursor-last-page-size-stops",
         [stream(paginator=cursor("{{ last_record.id }}", page_size=2,
                                  stop_condition="{{ last_page_size < 2 }}"))],
         {"GET /items": data(1, 2), "GET /items?cursor=2": data(3)},
         {"items": ids(1, 2, 3)}),
    Case("offset-stops-on-empty-page-without-size",
         [stream(paginator=pages("OffsetIncrement", size=None,
                                 token=opt("request_parameter", "offset")))],
         {"GET /items": data(1, 2), "GET /items?offset=2": {"data": []}},
         {"items": ids(1, 2)}),
]

PARTITIONS = [
    Case("substream-parent-paged",
         [stream("parents", "/parents", paginator=pages("PageIncrement", size=1)),
          stream("children", "/parents/{{ stream_partition.pid }}/children",
                 retriever={"partition_router": substream(
                     stream("parents", "/parents", paginator=pages("PageIncrement", size=1)))})],
         {"GET /parents": data(1), "GET /parents?page=1": data(2),
          "GET /parents?page=2": {"data": []},
          "GET /parents/1/children": data(10), "GET /parents/2/children": data(20)},
         {"parents": ids(1, 2), "children": ids(10, 20)}),
    Case("substream-parent-key-other-than-id",
         [PARENT, stream("children", "/by/{{ stream_partition.slug }}", retriever={
             "partition_router": {"type": "SubstreamPartitionRouter", "parent_stream_configs": [
                 {"type": "ParentStreamConfig", "parent_key": "slug",
                  "partition_field": "slug", "stream": PARENT}]}})],
         {"GET /parents": {"data": [{"id": 1, "slug": "a"}, {"id": 2, "slug": "b"}]},
          "GET /by/a": data(10), "GET /by/b": data(20)},
         {"parents": ids(1, 2), "children": ids(10, 20)}),
    Case("substream-partition-in-add-fields",
         [PARENT, stream("children", "/parents/{{ stream_partition.pid }}/children",
                         retriever={"partition_router": substream(PARENT)},
                         transformations=[{"type": "AddFields", "fields": [
                             {"path": ["parent_id"], "value": "{{ stream_partition.pid }}"}]}])],
         {"GET /parents": data(5), "GET /parents/5/children": data(50)},
         {"parents": ids(5), "children": [{"id": 50, "parent_id": 5}]}),
    Case("list-router-into-json-body",
         [stream(requester={"http_method": "POST", "request_body_json": {"q": "x"}},
                 retriever={"partition_router": {
                     "type": "ListPartitionRouter", "cursor_field": "k", "values": ["v"],
                     "request_option": opt("body_json", "kind")}})],
         {"POST /items": data(1)}, {"items": ids(1)},
         checks={"POST /items": Check(json={"q": "x", "kind": "v"})}),
]

def without(component: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in component.items() if k not in keys}


INCREMENTAL = [
    Case("windows-in-the-path",
         [stream(path="/items/{{ stream_interval.start_time }}", primary_key="id",
                 incremental_sync=without(cursor_sync(step="P1D", cursor_granularity="P1D"),
                                          "start_time_option", "end_time_option"))],
         {"GET /items/2024-01-01": {"data": [dated(1, "2024-01-01")]},
          "GET /items/2024-01-02": {"data": [dated(2, "2024-01-02")]}},
         # the last window ends at the end: 01-01..01-01, 01-02..01-03
         {"items": ids(1, 2)}, config=WINDOW),
    Case("window-bounds-in-a-header",
         [stream(primary_key="id", incremental_sync={
             **without(cursor_sync(), "end_time_option"),
             "start_time_option": opt("header", "X-From")})],
         {"GET /items": {"data": [dated(1, "2024-01-02")]}}, {"items": ids(1)}, config=WINDOW,
         checks={"GET /items": Check(headers={"x-from": "2024-01-01"})}),
    Case("window-with-paging",
         [stream(primary_key="id", incremental_sync=cursor_sync(),
                 paginator=cursor("{{ response.next }}",
                                  stop_condition="{{ not response.next }}"))],
         {"GET /items?from=2024-01-01&to=2024-01-03": {"data": [dated(1, "2024-01-01")],
                                                      "next": "n"},
          "GET /items?cursor=n&from=2024-01-01&to=2024-01-03": {"data": [dated(2, "2024-01-02")]}},
         {"items": ids(1, 2)}, config=WINDOW),
]

TRANSFORMS = [
    Case("add-fields-from-config",
         [stream(transformations=[{"type": "AddFields", "fields": [
             {"path": ["account"], "value": "{{ config.account }}"}]}])],
         {"GET /items": data(1)}, {"items": [{"id": 1, "account": "acc-1"}]},
         config={"account": "acc-1"}),
    Case("add-fields-without-type",
         [stream(transformations=[{"type": "AddFields", "fields": [
             {"path": ["double"], "value": "{{ record.id * 2 }}", "value_type": "integer"}]}])],
         {"GET /items": data(3)}, {"items": [{"id": 3, "double": 6}]}),
    Case("remove-nested-field",
         [stream(transformations=[{"type": "RemoveFields",
                                   "field_pointers": [["meta", "secret"]]}])],
         {"GET /items": {"data": [{"id": 1, "meta": {"secret": "x", "kept": "y"}}]}},
         {"items": [{"id": 1, "meta__kept": "y"}]}),
    Case("remove-then-add",
         [stream(transformations=[
             {"type": "RemoveFields", "field_pointers": [["tmp"]]},
             {"type": "AddFields", "fields": [{"path": ["tag"], "value": "t"}]}])],
         {"GET /items": {"data": [{"id": 1, "tmp": 0}]}}, {"items": [{"id": 1, "tag": "t"}]}),
]

def retriever_with(requester: dict[str, Any]) -> dict[str, Any]:
    return {"type": "SimpleRetriever", "requester": requester,
            "record_selector": {"type": "RecordSelector",
                                "extractor": {"type": "DpathExtractor", "field_path": ["data"]}}}


MECHANICS = [
    Case("requester-by-ref-path-from-parameters",
         [{"type": "DeclarativeStream", "name": "items", "primary_key": [],
           "$parameters": {"path": "/things"},
           "retriever": retriever_with({"$ref": "#/definitions/requester"})}],
         {"GET /things": data(1)}, {"items": ids(1)},
         top={"definitions": {"requester": {"type": "HttpRequester",
                                            "url_base": "{{ config['base'] }}"}}}),
    Case("url-base-with-a-parameter",
         [{"type": "DeclarativeStream", "name": "items", "primary_key": [],
           "$parameters": {"version": "v2"},
           "retriever": retriever_with({"type": "HttpRequester", "path": "/items",
                                        "url_base": "{{ config['base'] }}/"
                                                    "{{ parameters.version }}"})}],
         {"GET /v2/items": data(1)}, {"items": ids(1)}),
]

MORE_CASES: list[Case] = [*RESPONSE_FILTERS, *OAUTH, *SELECTION, *REQUESTS, *PAGING,
                          *PARTITIONS, *INCREMENTAL, *TRANSFORMS, *MECHANICS]
