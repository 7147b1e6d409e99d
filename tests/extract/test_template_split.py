"""Which manifest pages may keep their records unparsed (``RecordSplit.plan``), from a table."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from restsync.extract.raw_records import RawRecords
from restsync.extract.template_split import RecordSplit, last_record
from restsync.spec.airbyte.interpolation import Template
from restsync.spec.templated import (
    DateWindows,
    PageStrategy,
    RecordPipeline,
    TemplatedEndpoint,
    Transformation,
)

CURSOR = PageStrategy(kind="cursor", cursor_value=Template("{{ response.meta.next }}"),
                      stop_condition=Template("{{ not response.meta.next }}"))
WINDOWS = DateWindows(cursor_field="updated", datetime_format="%Y-%m-%d",
                      cursor_formats=(), start=Template("2024-01-01"), start_format="%Y-%m-%d",
                      step=timedelta(days=1))


def _endpoint(paging: PageStrategy = CURSOR, windows: DateWindows | None = None,
              **records: Any) -> TemplatedEndpoint:
    return TemplatedEndpoint(url_base=Template("http://api.test/"), path=Template("events"),
                             paging=paging, records=RecordPipeline(**records), windows=windows)


def _cursor(value: str, stop: str | None = None) -> PageStrategy:
    return PageStrategy(kind="cursor", cursor_value=Template(value),
                        stop_condition=Template(stop) if stop else None)


@pytest.mark.parametrize(("te", "path", "split"), [
    (_endpoint(), ["data"], RecordSplit(("data",), frozenset({"meta"}), False)),
    (_endpoint(), ["result", "items"], RecordSplit(("result", "items"), frozenset({"meta"}),
                                                   False)),
    (_endpoint(PageStrategy()), ["data"], RecordSplit(("data",), frozenset(), False)),
    (_endpoint(PageStrategy(kind="offset", page_size=100)), ["data"],
     RecordSplit(("data",), frozenset(), False)),
    (_endpoint(PageStrategy(kind="page", page_size=Template("{{ response.meta.size }}"))),
     ["data"], RecordSplit(("data",), frozenset({"meta"}), False)),
    (_endpoint(_cursor("{{ last_record.id }}")), ["data"],
     RecordSplit(("data",), frozenset(), True)),
    (_endpoint(windows=WINDOWS), ["data"], RecordSplit(("data",), frozenset({"meta"}), False)),
    # the records are read elsewhere, or not the body's list as it is
    (_endpoint(_cursor("{{ response.data[-1].id }}")), ["data"], None),
    (_endpoint(_cursor("{{ response.next }}", "{{ response | length == 0 }}")), ["data"], None),
    (_endpoint(), [], None),
    (_endpoint(), None, None),
    (_endpoint(), ["data", "*"], None),
    (_endpoint(), ["data", "0"], None),
    (_endpoint(decoder="jsonl"), ["data"], None),
    (_endpoint(gzip=True), ["data"], None),
    (_endpoint(filter=Template("{{ record.a }}")), ["data"], None),
    (_endpoint(transformations=(Transformation(kind="remove", paths=(("a",),)),)), ["data"],
     None),
    (_endpoint(windows=replace(WINDOWS, client_side=True)), ["data"], None),
    (_endpoint(windows=replace(WINDOWS, is_data_feed=True)), ["data"], None),
])
def test_plan(te: TemplatedEndpoint, path: list[str] | None, split: RecordSplit | None
              ) -> None:
    assert RecordSplit.plan(te, path) == split


def test_a_template_that_cannot_say_what_it_reads_is_not_split() -> None:
    class Opaque:
        text = "x"

        def render(self, variables: Any) -> Any:
            return variables["response"]

    paging = PageStrategy(kind="cursor", cursor_value=Opaque())  # type: ignore[arg-type]
    assert RecordSplit.plan(_endpoint(paging), ["data"]) is None


def test_last_record_of_a_split_page_is_the_one_parsed_alone() -> None:
    raw = RawRecords(b'[{"id": 1}, {"id": 2}]', 2, "p", last={"id": 2})
    assert last_record(raw) == {"id": 2}
    assert not raw.parsed
    assert last_record([{"id": 1}]) == {"id": 1}
    assert last_record([]) is None
