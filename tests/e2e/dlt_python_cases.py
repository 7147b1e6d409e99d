"""Python API cases: dlt's paginator/auth/incremental objects and user callables.

With dlt installed (the ``oracle`` extra) the configs use dlt's own classes; without it,
stand-ins that have dlt's module and class names and set the same attributes dlt 1.31 sets
(restsync reads them duck-typed and never imports dlt), so the cases run either way.
"""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.dlt_cases import client, dated, ids, items, one
from tests.e2e.dlt_support import Case, Check
from tests.recording_server import Reply

_PAGINATORS = "dlt.sources.helpers.rest_client.paginators"
_AUTH = "dlt.sources.helpers.rest_client.auth"


def _standin(module: str, name: str, init: Any) -> type:
    return type(name, (), {"__module__": module, "__init__": init})


def _json_link(self: Any, next_url_path: str = "next") -> None:
    self.next_url_path = next_url_path


def _header_link(self: Any, links_next_key: str = "next") -> None:
    self.links_next_key = links_next_key


def _header_cursor(self: Any, cursor_key: str = "next", cursor_param: str = "cursor") -> None:
    self.cursor_key, self.cursor_param = cursor_key, cursor_param


def _cursor(self: Any, cursor_path: str = "cursors.next", cursor_param: str | None = None,
            cursor_body_path: str | None = None, *, stop_after_empty_page: bool = False,
            has_more_path: str | None = None) -> None:
    self.cursor_path, self.cursor_body_path = cursor_path, cursor_body_path
    self.cursor_param = "cursor" if cursor_param is None and cursor_body_path is None \
        else cursor_param
    self.stop_after_empty_page, self.has_more_path = stop_after_empty_page, has_more_path


def _range(self: Any, param: str, initial: int, base: int, maximum: int | None,
           total_path: str | None, stop: bool, more: str | None) -> None:
    self.param_name, self.param_body_path, self.initial_value = param, None, initial
    self.base_index, self.maximum_value, self.total_path = base, maximum, total_path
    self.stop_after_empty_page, self.has_more_path = stop, more


def _offset(self: Any, limit: int, offset: int = 0, offset_param: str | None = None,
            limit_param: str | None = None, total_path: str | None = "total",
            maximum_offset: int | None = None, stop_after_empty_page: bool = True, *,
            has_more_path: str | None = None) -> None:
    _range(self, offset_param or "offset", offset, 0, maximum_offset, total_path,
           stop_after_empty_page, has_more_path)
    self.limit, self.limit_param, self.limit_body_path = limit, limit_param or "limit", None


def _page_number(self: Any, base_page: int = 0, page: int | None = None,
                 page_param: str | None = None, total_path: str | None = "total",
                 maximum_page: int | None = None, stop_after_empty_page: bool = True, *,
                 has_more_path: str | None = None) -> None:
    _range(self, page_param or "page", base_page if page is None else page, base_page,
           maximum_page, total_path, stop_after_empty_page, has_more_path)


def _fields(*names: str, **defaults: Any) -> Any:
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        values = {**defaults, **dict(zip(names, args, strict=False)), **kwargs}
        for name in names:
            setattr(self, name, values.get(name))
    return init


def _incremental(self: Any, cursor_path: str, initial_value: Any = None,
                 end_value: Any = None, **kwargs: Any) -> None:
    self.cursor_path, self.initial_value, self.end_value = cursor_path, initial_value, end_value
    self.last_value_func, self.row_order, self.lag = max, None, kwargs.get("lag")
    self.on_cursor_value_missing = kwargs.get("on_cursor_value_missing", "raise")
    self.range_start, self.range_end = "closed", "open"
    self.allow_external_schedulers = None


class StandIns:
    """dlt's classes by name, as stand-ins."""

    JSONLinkPaginator = _standin(_PAGINATORS, "JSONLinkPaginator", _json_link)
    HeaderLinkPaginator = _standin(_PAGINATORS, "HeaderLinkPaginator", _header_link)
    HeaderCursorPaginator = _standin(_PAGINATORS, "HeaderCursorPaginator", _header_cursor)
    JSONResponseCursorPaginator = _standin(_PAGINATORS, "JSONResponseCursorPaginator", _cursor)
    OffsetPaginator = _standin(_PAGINATORS, "OffsetPaginator", _offset)
    PageNumberPaginator = _standin(_PAGINATORS, "PageNumberPaginator", _page_number)
    SinglePagePaginator = _standin(_PAGINATORS, "SinglePagePaginator", lambda self: None)
    BearerTokenAuth = _standin(_AUTH, "BearerTokenAuth", _fields("token"))
    APIKeyAuth = _standin(_AUTH, "APIKeyAuth", _fields("name", "api_key", "location",
                                                       name="Authorization",
                                                       location="header"))
    HttpBasicAuth = _standin(_AUTH, "HttpBasicAuth", _fields("username", "password"))
    OAuth2ClientCredentials = _standin(_AUTH, "OAuth2ClientCredentials", _fields(
        "access_token_url", "client_id", "client_secret", "access_token_request_data",
        "default_token_expiration", default_token_expiration=3600))
    incremental = _standin("dlt.extract.incremental", "Incremental", _incremental)


def kit() -> Any:
    """dlt's real classes when dlt is installed, else the stand-ins."""
    try:
        import dlt
        from dlt.sources.helpers.rest_client import auth, paginators
    except ImportError:
        return StandIns
    return type("Real", (), {**{n: getattr(paginators, n) for n in (
        "JSONLinkPaginator", "HeaderLinkPaginator", "HeaderCursorPaginator",
        "JSONResponseCursorPaginator", "OffsetPaginator", "PageNumberPaginator",
        "SinglePagePaginator")}, **{n: getattr(auth, n) for n in (
            "BearerTokenAuth", "APIKeyAuth", "HttpBasicAuth", "OAuth2ClientCredentials")},
        "incremental": dlt.sources.incremental})


def paged(paginator: Any) -> dict[str, Any]:
    return one({"path": "posts", "paginator": paginator})


def authed(auth: Any) -> dict[str, Any]:
    return {"client": client(auth=auth), "resources": ["posts"]}


def _drop_title(response: Any) -> Any:
    payload = response.json()
    for record in payload:
        record.pop("title", None)
    response._content = json.dumps(payload).encode()
    return response


def _retitle(response: Any) -> None:
    payload = response.json()
    response._content = json.dumps([{**r, "title": "x"} for r in payload]).encode()


PYTHON_CASES: list[Case] = [
    Case("py-json-link-instance", lambda b: paged(kit().JSONLinkPaginator(next_url_path="paging.n")),
         {"GET /posts": {"data": items(1), "paging": {"n": "/posts?p=2"}},
          "GET /posts?p=2": {"data": items(2), "paging": {}}},
         {"posts": ids(1, 2)}),
    Case("py-header-link-instance", lambda b: paged(kit().HeaderLinkPaginator()),
         {"GET /posts": Reply(items(1), headers={"Link": '<{base}/posts?page=2>; rel="next"'}),
          "GET /posts?page=2": items(2)},
         {"posts": ids(1, 2)}),
    Case("py-header-cursor-instance",
         lambda b: paged(kit().HeaderCursorPaginator(cursor_key="X-Next", cursor_param="c")),
         {"GET /posts": Reply(items(1), headers={"X-Next": "n"}), "GET /posts?c=n": items(2)},
         {"posts": ids(1, 2)}),
    Case("py-cursor-instance",
         lambda b: paged(kit().JSONResponseCursorPaginator(cursor_path="meta.next",
                                                         cursor_param="after")),
         {"GET /posts": {"data": items(1), "meta": {"next": "a2"}},
          "GET /posts?after=a2": {"data": items(2), "meta": {}}},
         {"posts": ids(1, 2)}),
    Case("py-offset-instance", lambda b: paged(kit().OffsetPaginator(limit=2, total_path=None)),
         {"GET /posts?offset=0&limit=2": {"data": items(1, 2)},
          "GET /posts?offset=2&limit=2": {"data": items(3)},
          "GET /posts?offset=4&limit=2": {"data": []}},
         {"posts": ids(1, 2, 3)}),
    Case("py-page-number-instance",
         lambda b: paged(kit().PageNumberPaginator(base_page=1, total_path="pages")),
         {"GET /posts?page=1": {"data": items(1), "pages": 2},
          "GET /posts?page=2": {"data": items(2), "pages": 2}},
         {"posts": ids(1, 2)}),
    Case("py-single-page-instance", lambda b: paged(kit().SinglePagePaginator()),
         {"GET /posts": {"data": items(1), "next": "/posts?page=2"}}, {"posts": ids(1)}),
    Case("py-bearer-instance", lambda b: authed(kit().BearerTokenAuth(token="bt")),
         {"GET /posts": items(1)}, {"posts": ids(1)}, auth=True,
         checks={"GET /posts": Check(headers={"authorization": "Bearer bt"})}),
    Case("py-api-key-instance",
         lambda b: authed(kit().APIKeyAuth(name="X-Key", api_key="ak", location="header")),
         {"GET /posts": items(1)}, {"posts": ids(1)}, auth=True,
         checks={"GET /posts": Check(headers={"x-key": "ak"})}),
    Case("py-api-key-query-instance",
         lambda b: authed(kit().APIKeyAuth(name="key", api_key="q1", location="query")),
         {"GET /posts?key=q1": items(1)}, {"posts": ids(1)}, auth=True),
    Case("py-basic-instance", lambda b: authed(kit().HttpBasicAuth("u", "p")),
         {"GET /posts": items(1)}, {"posts": ids(1)}, auth=True,
         checks={"GET /posts": Check(headers={"authorization": "Basic dTpw"})}),
    Case("py-oauth2-instance", lambda b: authed(kit().OAuth2ClientCredentials(
        access_token_url=b + "/oauth/token", client_id="ci", client_secret="cs")),
         {"POST /oauth/token": {"access_token": "ot"}, "GET /posts": items(1)},
         {"posts": ids(1)}, auth=True,
         checks={"POST /oauth/token": Check(form=[("client_id", "ci"),
                                                  ("client_secret", "cs"),
                                                  ("grant_type", "client_credentials")]),
                 "GET /posts": Check(headers={"authorization": "Bearer ot"})}),
    Case("py-incremental-param-instance", lambda b: one({"path": "posts", "params": {
        "since": kit().incremental(cursor_path="updated_at",
                                   initial_value="2024-01-02T00:00:00Z")}}),
         {"GET /posts?since=2024-01-02T00:00:00Z": [dated(1), dated(2), dated(3)]},
         {"posts": ids(2, 3)}),
    Case("py-filter-callable", lambda b: one("posts", processing_steps=[
        {"filter": lambda r: r["id"] != 2}]),
         {"GET /posts": items(1, 2, 3)}, {"posts": ids(1, 3)}),
    Case("py-map-callable", lambda b: one("posts", processing_steps=[
        {"map": lambda r: {**r, "title": r["title"].upper()}}]),
         {"GET /posts": items(1)}, {"posts": [{"id": 1, "title": "T1"}]}),
    Case("py-yield-map-callable", lambda b: one("posts", processing_steps=[
        {"yield_map": lambda r: [{"id": r["id"] * 10}, {"id": r["id"] * 10 + 1}]}]),
         {"GET /posts": items(1, 2)}, {"posts": ids(10, 11, 20, 21)}),
    Case("py-steps-in-order", lambda b: one("posts", processing_steps=[
        {"map": lambda r: {**r, "n": r["id"] * 2}}, {"filter": lambda r: r["n"] > 2}]),
         {"GET /posts": items(1, 2, 3)}, {"posts": [{"id": 2, "n": 4}, {"id": 3, "n": 6}]}),
    Case("py-steps-see-include-from-parent", lambda b: {"client": client(), "resources": [
        "posts", {"name": "comments", "endpoint": "posts/{resources.posts.id}/comments",
                  "include_from_parent": ["title"], "processing_steps": [
                      {"filter": lambda r: r["_posts_title"] != "t2"},
                      {"map": lambda r: {**r, "label": r["_posts_title"].upper()}}]}]},
         {"GET /posts": items(1, 2), "GET /posts/1/comments": [{"c": 1}],
          "GET /posts/2/comments": [{"c": 2}]},
         {"comments": [{"c": 1, "_posts_title": "t1", "label": "T1"}]}),
    Case("py-map-can-drop-include-from-parent", lambda b: {"client": client(), "resources": [
        "posts", {"name": "comments", "endpoint": "posts/{resources.posts.id}/comments",
                  "include_from_parent": ["title"], "processing_steps": [
                      {"map": lambda r: {"c": r["c"], "t": r.pop("_posts_title")}}]}]},
         {"GET /posts": items(1), "GET /posts/1/comments": [{"c": 1}]},
         {"comments": [{"c": 1, "t": "t1"}]}),
    Case("py-response-hook-entry", lambda b: one({"path": "posts",
                                                "response_actions": [_drop_title]}),
         {"GET /posts": items(1, 2)}, {"posts": [{"id": 1}, {"id": 2}]}),
    Case("py-response-hook-on-status", lambda b: one({"path": "posts", "response_actions": [
        {"status_code": 200, "action": _retitle}]}),
         {"GET /posts": items(1)}, {"posts": [{"id": 1, "title": "x"}]}),
    Case("py-incremental-convert", lambda b: one({"path": "posts", "incremental": {
        "cursor_path": "updated_at", "initial_value": "2024-01-02T00:00:00Z",
        "start_param": "since", "convert": lambda v: v[:10]}}),
         {"GET /posts?since=2024-01-02": [dated(2), dated(3)]}, {"posts": ids(2, 3)}),
    Case("py-convert-in-placeholder", lambda b: one({"path": "posts",
                                                   "params": {"s": "{incremental.start_value}"},
                                                   "incremental": {
        "cursor_path": "updated_at", "initial_value": "2024-01-02T00:00:00Z",
        "convert": lambda v: v.replace("-", "")}}),
         {"GET /posts?s=20240102T00:00:00Z": [dated(2)]}, {"posts": ids(2)}),
    Case("py-table-name-callable", lambda b: one("events", name="events",
                                               table_name=lambda r: f"events_{r['kind']}"),
         {"GET /events": [{"id": 1, "kind": "open"}, {"id": 2, "kind": "click"},
                          {"id": 3, "kind": "open"}]},
         {"events_open": ids(1, 3), "events_click": ids(2), "events": []}),
]
