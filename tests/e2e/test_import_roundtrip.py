"""``restsync import``: the written spec loads exactly the same tables as the document, on
each of the five seeds (same sandbox data, same overrides and --param values)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from restsync.engine import Pipeline
from restsync.engine.importer import import_spec
from restsync.load import open_destination
from restsync.sandbox import start_sandboxes
from restsync.spec import load_spec
from restsync.spec.values import ValueResolver
from tests.e2e.helpers import assert_ok
from tests.table_snapshot import assert_same_tables, snapshot

SEEDS_DIR = Path(__file__).resolve().parents[2] / "examples" / "seeds"
SEEDS = ["email_api", "calendar_api", "email_events_api", "marketing_api", "project_api"]


def stored_schema(db: Path, dataset: str) -> dict[str, Any]:
    dest = open_destination(f"duckdb:///{db}", dataset)
    try:
        return {name: {c: (col.data_type, col.description, col.json_path)
                       for c, col in table.columns.items()}
                for name, table in dest.stored_schema().items()}
    finally:
        dest.close()


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_the_written_spec_loads_the_same_tables_as_the_document(seed: str,
                                                                tmp_path: Path) -> None:
    document = SEEDS_DIR / f"{seed}.md"
    with start_sandboxes([seed]) as group:
        server = group[seed]
        imported = import_spec(document, params=server.params)
        written = tmp_path / "spec.yaml"
        written.write_text(imported.text)
        values = ValueResolver.from_values(secrets=server.secrets, config=server.config)
        infos = {}
        for label, spec in (("document", document), ("written", written)):
            infos[label] = Pipeline(destination=f"duckdb:///{tmp_path / label}.duckdb").run(
                load_spec(spec, overrides=server.overrides(), params=server.params,
                          values=values))
            assert_ok(infos[label])
    assert imported.name == seed
    assert {n: o.tables for n, o in infos["document"].outcomes.items()} == \
        {n: o.tables for n, o in infos["written"].outcomes.items()}
    assert_same_tables(snapshot(tmp_path / "document.duckdb", seed),
                       snapshot(tmp_path / "written.duckdb", seed))
    assert stored_schema(tmp_path / "document.duckdb", seed) == \
        stored_schema(tmp_path / "written.duckdb", seed)

    # secrets stay references, and every inference is written out
    text = imported.text
    for value in server.secrets.values():
        assert value not in text
    spec = yaml.safe_load(text)
    assert spec["name"] == seed
    auth = spec["client"]["auth"]
    assert any(str(v).startswith("${secrets.") for v in auth.values())
    assert "retry" in spec["client"]  # the Error Handling prose, written out
    assert imported.inferences
    for _, message in imported.inferences:
        assert message.split()[0] in text
