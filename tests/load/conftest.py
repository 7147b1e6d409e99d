from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from restsync.load import Destination, LoadReport, open_destination
from restsync.normalize import Normalizer

DATASET = "data"  # same name as the database file: must not be ambiguous


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "out" / "data.duckdb"


@pytest.fixture
def dest(db_path: Path) -> Iterator[Destination]:
    d = open_destination(f"duckdb:///{db_path}", DATASET)
    yield d
    d.close()


def run_load(dest: Destination, resource: str, pages: Sequence[list[dict[str, Any]]], *,
             disposition: str = "merge", primary_key: Sequence[str] | None = ("id",),
             load_id: str = "L1", state: Mapping[str, Any] | None = None) -> LoadReport:
    norm = Normalizer(table_name=resource, primary_key=primary_key, load_id=load_id)
    load = dest.begin(resource, load_id=load_id, write_disposition=disposition,  # type: ignore[arg-type]
                      primary_key=primary_key, root_table=norm.table_name)
    for page in pages:
        for batch in norm.normalize(page):
            load.write(batch)
    return load.commit(state)


def count(dest: Destination, table: str) -> int:
    return int(dest.sql(f"SELECT count(*) FROM {dest.ref(DATASET, table)}")[0][0])


def rows(dest: Destination, sql: str) -> list[tuple[Any, ...]]:
    return dest.sql(sql.replace("DS.", f"{dest.ref(DATASET)}."))
