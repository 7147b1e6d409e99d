"""A scaled-out run ships its plan to the workers by pickle: a compiled Airbyte manifest's
templates must survive it (a Jinja template does not pickle: it is compiled again)."""

from __future__ import annotations

import pickle

from restsync.spec.airbyte import load_manifest
from restsync.spec.airbyte.interpolation import Template
from tests.airbyte.construct_cases import CASES
from tests.airbyte.construct_support import manifest_of


def test_a_template_renders_the_same_after_pickling() -> None:
    template = Template("/parents/{{ stream_partition.pid }}/{{ config['kind'] | upper }}")
    variables = {"stream_partition": {"pid": 7}, "config": {"kind": "open"}}
    again = pickle.loads(pickle.dumps(template))
    assert again.render(variables) == template.render(variables) == "/parents/7/OPEN"


def test_a_compiled_manifest_pickles() -> None:
    case = next(c for c in CASES if c.id == "substream-extra-fields")
    source = load_manifest(manifest_of(case.streams), config={"base": "http://127.0.0.1:9/"},
                           name="ab")
    again = pickle.loads(pickle.dumps(source))
    assert [r.name for r in again.resources] == [r.name for r in source.resources]
