"""The templated page loop's shortcuts change no result: run-constant templates rendered once,
no-op record steps skipped, and manifest pages handed to Arrow-native reading only when the
records are exactly the body's list.

The end-to-end tests run manifests through the engine with an in-memory transport (as
tests/engine/test_arrow_pages_wiring.py does for dlt's dialect) in both page modes.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from restsync.engine.loader import Loader
from restsync.engine.runner import PlanRunner
from restsync.extract import ApiClient
from restsync.extract.http import MemoryTransport, Request, Response, json_response
from restsync.extract.retry import RecordingSleeper
from restsync.extract.template_constants import RunConstants, run_constant
from restsync.extract.template_records import (
    body_keys,
    decode_body,
    extract_records,
    transform_records,
)
from restsync.load import Destination
from restsync.normalize import arrow_pages as arrow_pages_module
from restsync.normalize.arrow_pages import PAGE_PATH_ENV, PageBody
from restsync.plan import build_plan
from restsync.spec.airbyte import load_manifest
from restsync.spec.airbyte.interpolation import Template
from restsync.spec.templated import RecordPipeline, TemplatedEndpoint, Transformation
from tests.engine.test_arrow_pages_wiring import TableDestination

BASE = "https://api.test/v1/"


class CountingTemplate(Template):
    """A template that counts its renderings."""

    def __init__(self, text: str) -> None:
        super().__init__(text, where="test")
        self.renders = 0

    def render(self, variables: Any) -> Any:
        self.renders += 1
        return super().render(variables)


@pytest.mark.parametrize(("text", "constant"), [
    ("{{ config['base'] }}", True),
    ("{{ config.key | hash('md5') }}-{{ parameters.name }}", False),  # a call: kept per page
    ("{{ parameters.name }}/items", True),
    ("events", True),
    ("{{ stream_slice.id }}", False),
    ("{{ next_page_token.next_page_token }}", False),
    ("{{ now_utc() }}", False),
    ("{{ [config.a, config.b] | random }}", False),
    ("{{ config.get('base') }}", False),  # conservative: any call is rendered each time
])
def test_run_constant_templates_read_only_config_and_call_nothing(text: str,
                                                                  constant: bool) -> None:
    assert run_constant(Template(text)) is constant


def test_a_run_constant_template_is_rendered_once_per_sequence() -> None:
    base, slice_path = CountingTemplate("{{ config['base'] }}"), \
        CountingTemplate("items/{{ stream_slice.id }}")
    constants = RunConstants()
    seen = [(constants.render(base, {"config": {"base": "https://x/"}}),
             constants.render(slice_path, {"config": {}, "stream_slice": {"id": n}}))
            for n in range(3)]
    assert seen == [("https://x/", f"items/{n}") for n in range(3)]
    assert (base.renders, slice_path.renders) == (1, 3)
    assert RunConstants().render(base, {"config": {"base": "https://y/"}}) == "https://y/"


def test_a_failing_constant_template_fails_every_time() -> None:
    missing = CountingTemplate("{{ config['base']['x']['y'] }}")
    constants = RunConstants()
    for _ in range(2):
        with pytest.raises(ValueError, match="test"):
            constants.render(missing, {"config": {"base": 1}})
    assert missing.renders == 2


def test_no_record_step_returns_the_extracted_list_itself() -> None:
    records = [{"a": 1}, {"a": 2}]
    assert transform_records(records, RecordPipeline(), {}) is records
    dropped = RecordPipeline(filter=Template("{{ record.a > 1 }}", default="False"))
    assert transform_records(records, dropped, {}) == [{"a": 2}]
    removed = RecordPipeline(transformations=(Transformation(kind="remove", paths=(("a",),)),))
    assert transform_records([{"a": 1, "b": 2}], removed, {}) == [{"b": 2}]


@pytest.mark.parametrize(("document", "path", "expected"), [
    ({"items": [{"a": 1}, {"a": 2}]}, ["items"], [{"a": 1}, {"a": 2}]),
    ({"items": [{"a": 1}, 2, "x"]}, ["items"], [{"a": 1}, {"value": 2}, {"value": "x"}]),
    ({"items": {"a": 1}}, ["items"], [{"a": 1}]),
    ([{"a": 1}, 3], [], [{"a": 1}, {"value": 3}]),
    ({"x": [{"a": 1}, {"a": 2}]}, ["x", "*"], [{"a": 1}, {"a": 2}]),
    ({"x": [{"items": [{"a": 1}]}]}, ["x", "*", "items"], [{"value": [{"a": 1}]}]),
    ({"items": []}, ["items"], []),
    ({"other": 1}, ["items"], []),
])
def test_extraction_keeps_the_dpath_rules(document: Any, path: list[str],
                                          expected: list[Any]) -> None:
    assert extract_records([document], path) == expected


def test_decode_body_reads_bytes_and_bytearrays_alike() -> None:
    pipeline = RecordPipeline()
    assert decode_body(bytearray(b' {"a": [1]} '), pipeline, "here") == [{"a": [1]}]
    assert decode_body(b" \r\n\t", pipeline, "here") == [{}]
    assert decode_body(b"", pipeline, "here") == [{}]
    assert decode_body(gzip.compress(b'{"a": 1}'), pipeline, "here") == [{"a": 1}]


def _endpoint(**records: Any) -> TemplatedEndpoint:
    return TemplatedEndpoint(url_base=Template(BASE), path=Template("events"),
                             records=RecordPipeline(**records))


def _keys(te: TemplatedEndpoint, path: list[str], document: Any,
          body: bytes | None = None, status: int = 200) -> tuple[str, ...] | None:
    body = orjson.dumps(document) if body is None else body
    response = Response(status=status, headers=json_response({}).headers, url=BASE, body=body)
    documents = decode_body(body, te.records, "here")
    raw = extract_records(documents, path)
    records = transform_records(raw, te.records, {})
    return body_keys(te, path, response, documents, raw, records)


def test_body_keys_only_when_the_records_are_the_bodys_list() -> None:
    page = {"data": {"items": [{"a": 1}, {"a": 2}]}}
    assert _keys(_endpoint(), ["data", "items"], page) == ("data", "items")
    assert _keys(_endpoint(), [], [{"a": 1}]) == ()
    # scalars wrapped as {"value": ...}: not the body's items
    assert _keys(_endpoint(), ["items"], {"items": [{"a": 1}, 2]}) is None
    # one object as one record; nothing found; an empty list
    assert _keys(_endpoint(), ["items"], {"items": {"a": 1}}) is None
    assert _keys(_endpoint(), ["items"], {"other": [{"a": 1}]}) is None
    assert _keys(_endpoint(), ["items"], {"items": []}) is None
    # wildcards and list indexes are not a path of object keys
    assert _keys(_endpoint(), ["*"], {"items": [{"a": 1}]}) is None
    assert _keys(_endpoint(), ["items", "0"], {"items": [[{"a": 1}]]}) is None
    # a filter or a transformation makes other records than the body's
    kept = _endpoint(filter=Template("{{ true }}", default="False"))
    assert _keys(kept, ["items"], {"items": [{"a": 1}]}) is None
    added = _endpoint(transformations=(Transformation(kind="keys_to_lower"),))
    assert _keys(added, ["items"], {"items": [{"A": 1}]}) is None
    # other decoders, gzip
    assert _keys(_endpoint(decoder="jsonl"), [], None, body=b'{"a": 1}\n{"a": 2}\n') is None
    assert _keys(_endpoint(), ["items"], None,
                 body=gzip.compress(b'{"items": [{"a": 1}]}')) is None


# --------------------------------------------------------------------------- end to end

EVENTS = [{"id": i, "kind": "a" if i % 2 else "b", "tags": [f"t{i}"] * (i % 3),
           "meta": {"n": i * 1.5}} for i in range(1, 12)]


def _stream(name: str, **selector: Any) -> dict[str, Any]:
    return {
        "type": "DeclarativeStream", "name": name, "primary_key": "id",
        "retriever": {
            "type": "SimpleRetriever",
            "requester": {"type": "HttpRequester", "url_base": "{{ config['base'] }}",
                          "path": "events"},
            "record_selector": {"type": "RecordSelector",
                                "extractor": {"type": "DpathExtractor",
                                              "field_path": ["data"]}, **selector},
            "paginator": {
                "type": "DefaultPaginator", "page_token_option": {"type": "RequestPath"},
                "pagination_strategy": {
                    "type": "CursorPagination", "cursor_value": "{{ response.next }}",
                    "stop_condition": "{{ not response.next }}"}}}}


MANIFEST = {
    "version": "6.44.0", "type": "DeclarativeSource",
    "check": {"type": "CheckStream", "stream_names": ["plain"]},
    "streams": [
        _stream("plain"),
        _stream("filtered", record_filter={"type": "RecordFilter",
                                           "condition": "{{ record.kind == 'a' }}"}),
        {**_stream("added"), "transformations": [{"type": "AddFields", "fields": [
            {"type": "AddedFieldDefinition", "path": ["source"],
             "value": "{{ config['base'] }}"}]}]},
    ],
}


def handler(request: Request) -> Response:
    assert urlsplit(request.url).path.endswith("/events")
    page = int(parse_qs(urlsplit(request.url).query).get("page", ["1"])[0])
    chunk = EVENTS[(page - 1) * 4: page * 4]
    more = page * 4 < len(EVENTS)
    return json_response({"data": chunk, "next": f"{BASE}events?page={page + 1}" if more
                          else None})


async def _run(monkeypatch: pytest.MonkeyPatch, mode: str
               ) -> tuple[TableDestination, list[tuple[int, bool]]]:
    """Run MANIFEST in page mode ``mode``: the destination, and per batch read from bodies
    (records, whether the Arrow reader took it)."""
    monkeypatch.setenv(PAGE_PATH_ENV, mode)
    batches: list[tuple[int, bool]] = []
    read = arrow_pages_module.bodies_to_struct
    monkeypatch.setattr(arrow_pages_module, "bodies_to_struct",
                        lambda pages, record_type: _noted(batches, pages, record_type, read))
    source = load_manifest(MANIFEST, config={"base": BASE}, name="unit")
    dest = TableDestination()
    loader = Loader()
    try:
        async with ApiClient(source.client, transport=MemoryTransport(handler),
                             sleeper=RecordingSleeper()) as client:
            outcomes = await PlanRunner(build_plan(source), client, cast(Destination, dest),
                                        loader, "L1", lambda _: None).run()
    finally:
        loader.shutdown()
    assert {o.status for o in outcomes.values()} == {"completed"}
    return dest, batches


def _noted(batches: list[tuple[int, bool]], pages: Sequence[PageBody], record_type: Any,
           read: Any) -> Any:
    struct = read(pages, record_type)
    batches.append((sum(p.records for p in pages), struct is not None))
    return struct


def _tables(dest: TableDestination) -> dict[tuple[str, str], list[Any]]:
    return {(resource, table): [(part.schema, part.to_pylist()) for part in parts]
            for resource, load in dest.loads.items() for table, parts in load.tables.items()}


async def test_a_manifest_streams_unchanged_records_are_read_from_their_bodies(
        monkeypatch: pytest.MonkeyPatch) -> None:
    dest, calls = await _run(monkeypatch, "auto")
    # one batch (11 records, 3 pages) of `plain`; `filtered` and `added` keep the dict path
    assert calls == [(11, True)]
    assert dest.committed["plain"][1] == {"plain": 11, "plain__tags": 12}
    assert dest.committed["filtered"][1]["filtered"] == 6
    assert dest.committed["added"][1]["added"] == 11


async def test_a_manifest_gives_the_same_tables_in_both_page_modes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    auto, _ = await _run(monkeypatch, "auto")
    dict_dest, batches = await _run(monkeypatch, "dict")
    assert batches == []
    assert auto.loads.keys() == {"plain", "filtered", "added"}
    assert _tables(auto) == _tables(dict_dest)
    added = auto.loads["added"].tables["added"][0].to_pylist()
    assert {row["source"] for row in added} == {BASE}


def test_is_template_answers_as_isinstance() -> None:
    from restsync.extract.template_constants import is_template
    from restsync.spec.templated import TemplateValue

    for value in (Template("{{ config.a }}"), Template("plain"), CountingTemplate("x"), None,
                  5, "text", {"a": 1}, ["x"]):
        for _ in range(2):  # the second answer comes from the per-type memo
            assert is_template(value) is isinstance(value, TemplateValue)
