"""Processing steps through the sandbox."""

from __future__ import annotations

import pytest

from restsync.errors import ConfigError, ResponseError
from restsync.extract.processing import RecordProcessor
from restsync.spec.model import ProcessingStep


def test_filter_then_map() -> None:
    steps = [ProcessingStep(filter="record.name == 'schedule'"),
             ProcessingStep(map={"label": "str(record.id) + ':' + record.name"})]
    proc = RecordProcessor(steps, where="resources[schedules].processing_steps")
    rows = [{"id": 1, "name": "schedule"}, {"id": 2, "name": "todos"}]
    assert proc.apply(rows, location="p") == [{"id": 1, "name": "schedule", "label": "1:schedule"}]
    assert rows[0] == {"id": 1, "name": "schedule"}  # input untouched


def test_errors_name_step_and_record() -> None:
    with pytest.raises(ConfigError, match=r"processing_steps\[0\].filter"):
        RecordProcessor([ProcessingStep(filter="record.__class__")], where="resources[x].processing_steps")
    proc = RecordProcessor([ProcessingStep(map={"n": "record.a + 1"})], where="w")
    with pytest.raises(ResponseError, match="record 1"):
        proc.apply([{"a": 1}, {"a": "x"}], location="resource 'x', page 1")
