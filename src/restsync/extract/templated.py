"""Pages of a templated endpoint: every request rendered from templates.

For one work item (a partition, see :mod:`restsync.extract.partitions`), the date windows of
an incremental stream are walked in order; in each window the paginator's token is carried
from page to page and the request is rendered again from the endpoint's templates with
``stream_slice`` (partition + window), ``next_page_token`` and ``config``. Responses are judged
by the endpoint's error rules (first match), then restsync's retry policy; records are
decoded, extracted, filtered and transformed (:mod:`.template_records`).

Paging follows the strategy's rules exactly (see :class:`~restsync.spec.templated.PageStrategy`);
restsync adds one guard: a cursor that comes back twice in a row stops with a
:class:`~restsync.errors.PaginationError` (an API ignoring the token would loop for ever).
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, cast
from urllib.parse import parse_qs, urlsplit

from restsync.errors import ConfigError, PaginationError, ResponseError
from restsync.events import PageFetched
from restsync.extract.http import Request, Response
from restsync.extract.page import Page, ResourceStats, page_limit_error
from restsync.extract.template_constants import RunConstants, is_template, run_constant
from restsync.extract.template_page import feed_ended, page_records, window_filter
from restsync.extract.template_records import (
    truthy,
)
from restsync.extract.template_responses import error_actions, paging_headers
from restsync.extract.template_split import RecordSplit, last_record
from restsync.extract.windows import Window, date_windows
from restsync.spec.limits import Limits
from restsync.spec.model import EndpointConfig, ResponseAction
from restsync.spec.templated import (
    PageStrategy,
    RequestOption,
    TemplatedEndpoint,
    join_manifest_url,
    render_nested,
)


class PageClient(Protocol):
    """What the page loop uses of :class:`~restsync.extract.client.ApiClient`."""

    stats: dict[str, ResourceStats]
    auth_flows: Any

    async def _fetch(self, resource: str, page: int, request: Request,
                     actions: Callable[[Response], list[ResponseAction]],
                     resume: Callable[[], dict[str, Any]] | None = None,
                     limits: Limits | None = None) -> Response | None: ...

    def redact(self, text: str) -> str: ...

    def _location(self, resource: str, page: int, request: Request,
                  url: str | None = None) -> str: ...

    def _events(self, event: Any) -> None: ...

__all__ = ["PARTITION", "STORED_CURSOR", "templated_pages"]

PARTITION = "stream_partition"
"""Key of a work item's ``path_values`` holding its partition (``{"id": 7, ...}``)."""
EXTRA_FIELDS = "stream_partition.extra_fields"
"""Key of a work item's ``path_values`` holding its partition's extra fields."""
OPTIONS = "stream_partition.request_options"
"""Key of a work item's ``path_values`` holding ``[(RequestOption, value)]`` of its routers."""
STORED_CURSOR = "incremental.start_value"
"""Key of ``path_values`` the incremental state fills with the partition's stored cursor."""


def slice_variables(te: TemplatedEndpoint, partition: Mapping[str, Any],
                    interval: Mapping[str, Any], extra: Mapping[str, Any],
                    stored: Any = None) -> dict[str, Any]:
    """The variables of one request sequence (before a token or a response)."""
    from restsync.spec.airbyte.interpolation import slice_view  # a mapping with attributes
    stream_slice = slice_view(partition, interval, extra)
    state = {te.windows.cursor_field: stored} if te.windows is not None and stored else {}
    return {"config": te.config, "parameters": te.parameters, "stream_slice": stream_slice,
            "stream_state": state, "next_page_token": None, **dict(extra)}


# --------------------------------------------------------------------------- rendering


def _render_flat(value: Any, variables: Mapping[str, Any], where: str,
                 constants: RunConstants) -> Any:
    """A mapping of templates (``None`` values left out), or one template's mapping/text."""
    if value is None:
        return {}
    if is_template(value):
        rendered = constants.render(value, variables)
        if rendered in (None, ""):
            return {}
        if isinstance(rendered, dict | str):
            return rendered
        raise ConfigError(f"rendered to a {type(rendered).__name__}, expected a mapping",
                          location=where)
    out: dict[str, Any] = {}
    for k, v in value.items():
        key = constants.render(k, variables) if is_template(k) else k
        rendered = constants.render(v, variables) if is_template(v) else v
        if rendered is not None:
            out[str(key)] = rendered
    return out


def _inject(option: RequestOption, value: Any, config: Mapping[str, Any],
            targets: dict[str, Any]) -> None:
    scope = {"config": config}
    if option.inject_into == "body_json" and option.field_path:
        node = targets["body_json"]
        *parents, leaf = [str(p.render(scope)) for p in option.field_path]
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
        return
    assert option.field_name is not None
    name = str(option.field_name.render(scope))
    key = {"request_parameter": "params", "header": "headers", "body_data": "body_data",
           "body_json": "body_json"}[option.inject_into]
    if key == "body_data" and isinstance(targets[key], str):
        raise ConfigError("a form field cannot be added to a text body", location=name)
    targets[key][name] = value


def _dedupe(url: str, params: dict[str, Any]) -> dict[str, Any]:
    """Leave out parameters the URL already carries with the same value (the CDK does)."""
    query = urlsplit(url).query
    if not query:
        return params
    present = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
    return {k: v for k, v in params.items() if not (k in present and str(v) == present[k])}


def render_request(te: TemplatedEndpoint, variables: Mapping[str, Any], token: Any,
                   options: list[tuple[RequestOption, Any]], where: str,
                   constants: RunConstants | None = None) -> Request:
    """The request of one page: the requester's templates plus every request option (the
    paginator's token and page size, the partition's and the window's values).

    ``constants`` keeps the values of run-constant templates from page to page."""
    constants = constants or RunConstants()
    targets: dict[str, Any] = {
        "params": _render_flat(te.params, variables, f"{where}.request_parameters", constants),
        "headers": _render_flat(te.headers, variables, f"{where}.request_headers", constants),
        "body_data": _render_flat(te.body_data, variables, f"{where}.request_body_data",
                                  constants),
        "body_json": render_nested(copy.copy(te.body_json), variables) or {},
    }
    if not isinstance(targets["body_json"], dict):
        raise ConfigError("request_body_json must render to an object",
                          location=f"{where}.request_body_json")
    for key in ("params", "headers"):
        if not isinstance(targets[key], dict):
            raise ConfigError(f"{key} must render to a mapping", location=where)
    paging = te.paging
    path_token = token is not None and paging.token_option is not None \
        and paging.token_option.inject_into == "path"
    extra = list(options)
    if token is not None and paging.token_option is not None and not path_token:
        extra.append((paging.token_option, token))
    if paging.page_size_option is not None and paging.page_size is not None:
        size = constants.render(paging.page_size, {"config": te.config}) \
            if is_template(paging.page_size) else paging.page_size
        extra.append((paging.page_size_option, size))
    for option, value in extra:
        if option.inject_into != "path":
            _inject(option, value, te.config, targets)
    base = str(constants.render(te.url_base, variables))
    if path_token:
        path = str(token)
    else:
        path = str(constants.render(te.path, variables)).lstrip("/") \
            if te.path is not None else ""
    url = join_manifest_url(base, path)
    params = _dedupe(url, {k: v for k, v in targets["params"].items() if v is not None})
    request = Request(method=te.method, url=url, params=params)
    headers = {}
    for name, value in targets["headers"].items():
        text = str(value)
        if "\r" in text or "\n" in text:
            raise ResponseError(f"header {name}: the rendered value holds a line break; not "
                                "sent", location=where)
        headers[name] = text
    request.headers = headers
    if te.method == "POST":
        if targets["body_json"]:
            request.json = targets["body_json"]
        elif targets["body_data"]:
            request.data = targets["body_data"]
    return request


# --------------------------------------------------------------------------- paging


class _Pager:
    """The paging state of one window (CDK's stop rules)."""

    def __init__(self, strategy: PageStrategy, config: Mapping[str, Any], where: str) -> None:
        self.s = strategy
        self.config = config
        self.where = where
        self.last_token: Any = None
        if strategy.kind == "page" and strategy.inject_on_first_request:
            self.last_token = strategy.start_from_page
        elif strategy.kind == "offset" and strategy.inject_on_first_request:
            self.last_token = 0

    def _size(self, response_body: Any) -> int | None:
        size = self.s.page_size
        if is_template(size):
            value = size.render({"config": self.config, "response": response_body})
            return int(value) if value not in (None, "") else None
        return cast(int | None, size)

    def next_token(self, response: Response, body: Any, extracted: int,
                   kept: Sequence[dict[str, Any]], variables: Mapping[str, Any]) -> Any:
        s = self.s
        if s.kind == "none":
            return None
        if s.kind == "cursor":
            assert s.cursor_value is not None
            scope = {**variables, "response": body, "headers": paging_headers(response),
                     "last_record": last_record(kept), "last_page_size": len(kept)}
            if s.stop_condition is not None and truthy(s.stop_condition.render(scope)):
                return None
            token = s.cursor_value.render(scope)
            if not token:
                return None
            if token == self.last_token:
                raise PaginationError(
                    f"the API returned the same cursor twice ({str(token)[:120]!r}); stopping "
                    "to avoid an endless loop", location=self.where)
            self.last_token = token
            return token
        count = extracted if s.count_extracted else len(kept)
        size = self._size(body)
        if (size and count < size) or count == 0:
            return None
        if s.kind == "page":
            token = s.start_from_page + 1 if self.last_token is None else self.last_token + 1
        else:
            token = count if self.last_token is None else self.last_token + count
        self.last_token = token
        return token


def _window_options(te: TemplatedEndpoint, window: Window | None) -> list[tuple[RequestOption, Any]]:
    w = te.windows
    if w is None or window is None:
        return []
    out: list[tuple[RequestOption, Any]] = []
    if w.start_option is not None:
        out.append((w.start_option, window.interval[w.start_field]))
    if w.end_option is not None:
        out.append((w.end_option, window.interval[w.end_field]))
    return out


async def templated_pages(client: PageClient, *, resource: str, endpoint: EndpointConfig,
                          path_values: Mapping[str, Any],
                          resume_from: Mapping[str, Any] | None = None,
                          limits: Limits, now: datetime | None = None,
                          raw_records: bool = False) -> AsyncIterator[Page]:
    """The pages of one work item of a templated endpoint (see the module docstring).

    ``raw_records``: the caller reads nothing of the records but their body (it loads them
    from it): pages whose records need no parsing on the way
    (:class:`~restsync.extract.template_split.RecordSplit`) carry them unparsed.

    ``resume_from`` (a page's ``resume_state``) continues at the window and token it names.

    Raises:
        FatalError: As :meth:`ApiClient.pages`.
    """
    te = endpoint.templated
    assert te is not None
    where = f"resources[{resource}].endpoint"
    stats = client.stats.setdefault(resource, ResourceStats())
    partition = dict(path_values.get(PARTITION) or {})
    extra = dict(path_values.get(EXTRA_FIELDS) or {})
    router_options = list(path_values.get(OPTIONS) or [])
    stored = path_values.get(STORED_CURSOR)
    base_vars = slice_variables(te, partition, {}, extra, stored)
    windows: list[Window | None] = [None]
    if te.windows is not None:
        windows = list(date_windows(te.windows, base_vars, stored, now=now,
                                    where=f"{where}.incremental_sync"))
    real = [w for w in windows if w is not None]
    bounds = (real[0].lower, real[-1].upper) if real else None
    auth = client.auth_flows.for_endpoint(endpoint)
    first_window, first_token, number = 0, None, 0
    if resume_from is not None:
        state = resume_from.get("templated")
        if not isinstance(state, Mapping):
            raise ConfigError("not a resume state of this resource",
                              location=f"resource '{resource}' resume state")
        first_window = int(state.get("window", 0))
        first_token = state.get("token")
        number = int(resume_from.get("page", 1)) - 1
    fetched = 0
    constants = RunConstants()
    field_path = [str(constants.render(p, {"config": te.config, "parameters": te.parameters}))
                  for p in te.records.field_path] if all(
        run_constant(p) for p in te.records.field_path) else None
    splitter = RecordSplit.plan(te, field_path) if raw_records else None
    for index in range(first_window, len(windows)):
        window = windows[index]
        interval = window.interval if window is not None else {}
        variables = slice_variables(te, partition, interval, extra, stored)
        pager = _Pager(te.paging, te.config, f"{where}.paginator")
        token = pager.last_token
        if index == first_window and first_token is not None:
            token = pager.last_token = first_token
        options = router_options + _window_options(te, window)
        actions = error_actions(te.error_rules, variables)
        while True:
            number += 1
            page_vars = {**variables,
                         "next_page_token": {"next_page_token": token} if token is not None
                         else None}
            request = render_request(te, page_vars, token, options, where, constants)
            request.auth = auth

            def resume_here(w: int = index, t: Any = token, n: int = number) -> dict[str, Any]:
                return {"templated": {"window": w, "token": t}, "page": n}
            response = await client._fetch(resource, number, request, actions,
                                           resume_here, limits)
            if response is None:  # ignored by an error rule: this window ends here
                break
            url = client.redact(response.url)
            location = client._location(resource, number, request, url)
            records, extracted, body, keys = page_records(
                te, response, location, splitter, field_path, page_vars, bounds)
            token = pager.next_token(response, body, extracted, records, page_vars)
            if token is not None and feed_ended(te, records, bounds):
                token = None
            records = window_filter(te, records, bounds, feed=True)
            stats.pages += 1
            stats.records += len(records)
            more = token is not None or index + 1 < len(windows)
            resume = ({"templated": {"window": index if token is not None else index + 1,
                                     "token": token}, "page": number + 1} if more else None)
            client._events(PageFetched(resource=resource, page=number,
                                       records=len(records), url=url))
            yield Page(resource=resource, number=number, records=records, url=url,
                       resume_state=resume,
                       # Arrow-native pages (issue 13): the records are the body's list at keys
                       body=response.body if keys is not None else None, records_keys=keys)
            if token is None:
                break
            fetched += 1
            if fetched >= limits.max_pages:
                raise page_limit_error(resource=resource, fetched=fetched, next_page=number + 1,
                                       resume=resume, limits=limits, location=location,
                                       hint="raise the limit if the feed is really that long")
