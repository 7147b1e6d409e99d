"""Looking at an API before loading it: ``restsync preview``.

:func:`preview_source` fetches the first pages of each resource (of a child, for its first
parent items) and describes every step: each request (method, redacted URL, status, time,
content type), the paginator's decision, what the selector found, the first records and the
columns they would make, errors in place with a redacted body excerpt. It writes nothing and
saves no state. ``restsync schema --diff`` is :mod:`restsync.engine.schema_preview`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from restsync.engine.items import WorkItem, work_items
from restsync.engine.preview_views import (
    PageView,
    RequestView,
    ResourceSample,
    SequenceView,
    SourcePreview,
)
from restsync.engine.records import (
    item_pages,
    processing_steps,
    resource_limits,
    resource_normalizer,
)
from restsync.engine.runner import SKIP_STATUSES
from restsync.engine.state import ResourceState
from restsync.errors import HTTPStatusError, RestsyncError
from restsync.events import Event, EventSink, RunTimeInference, discard
from restsync.extract import ApiClient
from restsync.extract.http import Request, Response
from restsync.extract.tap import Exchange, TapTransport, transport_for
from restsync.plan import ResourcePlan, ValueLookup, build_plan
from restsync.spec.model import SourceConfig

# ---------------------------------------------------------------------------- restsync preview

DEFAULT_PAGES = 3
DEFAULT_RECORDS = 3
DEFAULT_PARENTS = 2
DEFAULT_MAX_WAIT = 30.0
MAX_SKIPPED_FACTOR = 5
"""A child is requested for at most ``parents`` x this many parent items, when the first
ones are skipped (404/410), to find items that answer."""
EXCERPT_CHARS = 300


async def preview_source(source: SourceConfig, *, resources: Sequence[str] | None = None,
                         pages: int = DEFAULT_PAGES, records: int = DEFAULT_RECORDS,
                         parents: int = DEFAULT_PARENTS, max_wait: float = DEFAULT_MAX_WAIT,
                         lookup: ValueLookup | None = None, events: EventSink = discard,
                         transport: Any = None) -> SourcePreview:
    """Fetch the first pages of each resource and describe every step: ``restsync preview``.

    Requests go out as a first run's would (no stored state: the incremental window starts at
    ``initial_value``); nothing is written anywhere and no state is saved. A child resource
    is requested for the first ``parents`` items of its parent that answer (items answering
    404/410, which a run skips, are shown and passed over). Errors do not raise: they are
    shown in place (:attr:`SequenceView.error`), with the exchanges of the failing page.

    Args:
        source: The source.
        resources: Resources to preview (default: those a run loads); their parents are
            fetched too.
        pages: Pages per request sequence at most.
        records: Records to show per resource.
        parents: Parent items a child resource is requested for.
        max_wait: Longest retry wait to sleep through (a longer one ends the sequence).
        lookup: Finds config values for free path placeholders.
        events: Receives the client's events.
        transport: The transport to send through (default: a real one).

    Returns:
        The preview (every text redacted).
    """
    plan = build_plan(source, selected=list(resources) if resources is not None else None,
                      lookup=lookup)
    watch = _Watch(source)
    inner = transport if transport is not None else transport_for(source.client)
    tap = TapTransport(inner, watch.exchanges.append)

    def sink(event: Event) -> None:
        if isinstance(event, RunTimeInference) and event.resource is not None:
            watch.inferences.setdefault(event.resource, []).append(event.message)
        events(event)

    out = SourcePreview(source=source.name, base_url="", pages=pages)
    kept: dict[str, list[dict[str, Any]]] = {}
    try:
        async with ApiClient(source.client, events=sink, transport=tap,
                             max_wait=max_wait) as client:
            watch.redact = client.redact
            out.base_url = client.redact(source.client.base_url)
            for rp in plan.to_run():
                name = rp.name
                sample, kept[name] = await _sample(client, rp, kept, watch, pages=pages,
                                                   parents=parents)
                sample.records = _redacted_records(kept[name][:records], client.redact)
                sample.columns = _columns(rp, kept[name], source)
                sample.inferences = watch.inferences.get(name, [])
                out.resources.append(sample)
    finally:
        if transport is None:
            await inner.close()
    return out


class _Watch:
    """The exchanges seen so far and how to show them."""

    def __init__(self, source: SourceConfig) -> None:
        self.exchanges: list[Exchange] = []
        self.inferences: dict[str, list[str]] = {}
        self.redact: Any = lambda text: text
        auth = source.client.auth
        url = getattr(auth, "token_url", None) or getattr(auth, "access_token_url", None)
        self.token_url = str(url) if url else None

    def views(self, start: int) -> list[RequestView]:
        """The exchanges from ``start`` on, redacted."""
        return [self.view(x) for x in self.exchanges[start:]]

    def view(self, x: Exchange) -> RequestView:
        response = x.response
        url = x.request.full_url()
        kind = "token" if self.token_url and url.split("?")[0] == self.token_url else "api"
        view = RequestView(method=x.request.method, url=self.redact(url),
                           status=response.status if response is not None else None,
                           seconds=round(x.seconds, 4), kind=kind, error=x.error)
        if response is not None:
            view.content_type = response.content_type
            view.bytes = len(response.body)
            if response.status >= 400:
                view.excerpt = self.excerpt(response)
        return view

    def excerpt(self, response: Response) -> str:
        return str(self.redact(response.text_excerpt(EXCERPT_CHARS)))

    def last_body_keys(self) -> list[str] | None:
        """The top-level keys of the last response's body, when it is a JSON object."""
        for x in reversed(self.exchanges):
            if x.response is not None:
                try:
                    body = x.response.json()
                except ValueError:
                    return None
                return [str(k) for k in body][:12] if isinstance(body, dict) else None
        return None


async def _sample(client: ApiClient, rp: ResourcePlan, kept: Mapping[str, list[dict[str, Any]]],
                  watch: _Watch, *, pages: int, parents: int
                  ) -> tuple[ResourceSample, list[dict[str, Any]]]:
    ep = rp.config.endpoint
    sample = ResourceSample(resource=rp.name, request=f"{ep.method} {ep.path}",
                            paginator=rp.paginator.type if rp.paginator else "single_page",
                            selector=ep.data_selector, parent=rp.parent, loaded=rp.load)
    records: list[dict[str, Any]] = []
    state = ResourceState(rp, {}, datetime.now(UTC))
    tried = 0
    try:
        for item in _items(rp, kept):
            sequence = await _sequence(client, rp, item, state, watch, records, pages=pages)
            sample.sequences.append(sequence)
            tried += 1
            answered = [s for s in sample.sequences if s.skipped is None]
            if rp.parent is None and not rp.fanout_params:
                break
            if len(answered) >= parents or tried >= parents * MAX_SKIPPED_FACTOR:
                break
    except RestsyncError as exc:  # a parent record without the field a placeholder needs
        sample.error = str(exc)
    if rp.parent is not None and not tried and sample.error is None:
        sample.error = f"not requested: its parent `{rp.parent}` gave no records to request it for"
    fetched = [p for s in sample.sequences for p in s.pages]
    if fetched and not any(p.selected for p in fetched) and not sample.failed:
        sample.warnings.append("no records on any page: check the data selector and the "
                               "request (a wrong path or filter often answers an empty list)")
    return sample, records


def _items(rp: ResourcePlan, kept: Mapping[str, list[dict[str, Any]]]) -> Iterator[WorkItem]:
    if rp.parent is None:
        yield from work_items(rp)
        return
    for index, parent in enumerate(kept.get(rp.parent, [])):
        yield from work_items(rp, parent, index)


async def _sequence(client: ApiClient, rp: ResourcePlan, item: WorkItem, state: ResourceState,
                    watch: _Watch, kept: list[dict[str, Any]], *, pages: int) -> SequenceView:
    view = SequenceView(label=item.label)
    limits = resource_limits(rp, client.config.limits)
    mark = len(watch.exchanges)
    previous: PageView | None = None
    previous_digest: bytes | None = None
    try:
        async for page, records in item_pages(
                client, rp, item, incremental=state.filter_for(item.path_values),
                steps=processing_steps(rp), limits=limits):
            requests = watch.views(mark)
            mark = len(watch.exchanges)
            pv = PageView(number=page.number, requests=requests,
                          selector=_selector_text(rp, watch), selected=len(page.records),
                          kept=len(records), decision=page.decision)
            if page.resume_state is not None:
                pv.next_request = client.redact(_next_url(page.resume_state))
            digest = _digest(list(page.records))
            _page_warnings(pv, previous, watch, same_records=digest == previous_digest)
            view.pages.append(pv)
            kept.extend(records)
            previous, previous_digest = pv, digest
            if page.resume_state is not None and len(view.pages) >= pages:
                view.stopped = (f"stopped after {pages} page(s) (--pages); the paginator "
                                "would go on")
                break
    except RestsyncError as exc:
        view.error = str(exc)
        view.error_requests = watch.views(mark)
        answers = [x.response for x in watch.exchanges[mark:] if x.response is not None]
        if view.error_requests and answers and view.error_requests[-1].excerpt is None:
            view.error_requests[-1].excerpt = watch.excerpt(answers[-1])
        if isinstance(exc, HTTPStatusError) and exc.status in SKIP_STATUSES and \
                (rp.parent is not None or rp.fanout_params):
            view.skipped = f"HTTP {exc.status}: a run skips this parent item and goes on"
            view.error = None
    return view


def _page_warnings(pv: PageView, previous: PageView | None, watch: _Watch, *,
                   same_records: bool) -> None:
    if pv.selected == 0 and pv.number == 1:
        keys = watch.last_body_keys()
        pv.warnings.append(f"no records on the first page: the selector {pv.selector} matched "
                           "nothing or an empty list"
                           + (f"; the body has the keys: {', '.join(keys)}" if keys else ""))
    elif pv.selected and not pv.kept:
        pv.warnings.append(f"all {pv.selected} records were dropped (incremental filter or "
                           "processing steps)")
    if previous is not None:
        sent = pv.requests[-1].url if pv.requests else None
        if sent is not None and previous.requests and sent == previous.requests[-1].url:
            pv.warnings.append("this page was requested with the same URL as the page before: "
                               "the cursor did not change")
        if same_records and pv.selected:
            pv.warnings.append(f"the same records as page {previous.number}: the API seems to "
                               "ignore the paging parameter")
        if pv.next_request is not None and pv.next_request == previous.next_request:
            pv.warnings.append(f"the next request is the same as after page {previous.number}: "
                               "the cursor never changes")


def _selector_text(rp: ResourcePlan, watch: _Watch) -> str:
    selector = rp.config.endpoint.data_selector
    if selector is None:
        detected = [m for m in watch.inferences.get(rp.name, []) if "record" in m or "body" in m]
        return f"detected ({detected[0]})" if detected else "detected"
    return "(the whole body)" if selector in ("$", "", "[]") else f"`{selector}`"


def _next_url(resume: Mapping[str, Any]) -> str:
    request = Request(method="GET", url=str(resume.get("url", "")),
                      params=dict(resume.get("params") or {}))
    text = request.full_url()
    if resume.get("json") is not None:
        text += f" with body {orjson.dumps(resume['json']).decode()[:200]}"
    return text


def _digest(records: list[dict[str, Any]]) -> bytes:
    return hashlib.blake2b(orjson.dumps(records, default=str, option=orjson.OPT_SORT_KEYS),
                           digest_size=16).digest()


def _redacted_records(records: list[dict[str, Any]], redact: Any) -> list[Any]:
    out: list[Any] = []
    for record in records:
        text = redact(orjson.dumps(record, default=str).decode())
        try:
            out.append(orjson.loads(text))
        except orjson.JSONDecodeError:
            out.append(text)
    return out


def _columns(rp: ResourcePlan, records: list[dict[str, Any]], source: SourceConfig
             ) -> dict[str, dict[str, str]]:
    if not records:
        return {}
    normalizer = resource_normalizer(rp, load_id="preview", stored=None,
                                     limits=resource_limits(rp, source.client.limits))
    try:
        normalizer.normalize([dict(r) for r in records])
    except RestsyncError as exc:
        return {"(not normalized)": {"error": str(exc)}}
    return {t.name: {c.name: c.type_text() if c.data_type else "unknown (no value seen)"
                     for c in t.columns.values()}
            for t in normalizer.table_schemas().values()}
