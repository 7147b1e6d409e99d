"""Micro-benchmark: ways to turn JSON page bodies into Arrow, in rows/s on one process.

Run: ``.venv/bin/python -m bench.page_parsers [pages] [page_size] [repeats] [--cpu]`` (default
40, 1000, 3; ``--cpu``: rows per CPU second of the process instead of per wall second, steadier
on a busy machine; DuckDB's own threads count too). The pages are the bulk scenario's (:func:`bench.mock_api.make_page`), bodies as the
mock API sends them (``{"items": [...], "paging": {...}}``); a batch is 5 pages (5,000
records, the run's staging batch). Prints the median rows/s of each candidate:

* ``orjson + normalize (dict path)``: today's path, parse + select + ``Normalizer.normalize``;
* ``orjson + pa.Table.from_pylist``: parse + select + one Arrow table (no flattening);
* ``pyarrow.json, envelope rows``: ``pyarrow.json.read_json`` on a batch's bodies (one row
  per page), the record list flattened; parse only;
* ``pyarrow.json, schema given``: the same with the first batch's schema as
  ``explicit_schema``;
* ``polars read_json``: ``polars.read_json`` per body, records exploded (when installed);
* ``duckdb read_json``: DuckDB ``read_json`` on a batch written as one NDJSON file, the
  records unnested to Arrow;
* ``orjson + normalize with pages (fast path)``: parse + select + ``Normalizer.normalize``
  given the bodies (Arrow-native pages), the same tables as the dict path;
* ``infer_type + pyarrow.json given it (bound + read)``: the fast path's bound (the records'
  type from their dicts) and its read, against ``pyarrow.json, envelope rows`` (the reader
  inferring the type itself, unbounded): what the bound costs;
* ``loader: ...``: ``Normalizer.normalize`` without / with the bodies on records parsed
  beforehand: the loader thread's share of each path.

Not a test; the figures depend on the machine and its load.
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from bench.mock_api import make_page
from restsync.normalize import Normalizer
from restsync.normalize.arrow_pages import PageBody, bodies_to_struct
from restsync.normalize.arrowize import infer_struct_type
from restsync.normalize.shape import ShapeLimits

BATCH_PAGES = 5


def make_bodies(pages: int, page_size: int) -> list[bytes]:
    """The bulk scenario's page bodies."""
    return [orjson.dumps({"items": make_page(i * page_size, page_size),
                          "paging": {"next": f"http://127.0.0.1/bulk/events?from={i}"}})
            for i in range(pages)]


def _batches(bodies: list[bytes]) -> list[list[bytes]]:
    return [bodies[i:i + BATCH_PAGES] for i in range(0, len(bodies), BATCH_PAGES)]


def _normalizer() -> Normalizer:
    return Normalizer(table_name="events", primary_key=["id"], load_id="L1",
                      limits=ShapeLimits(max_columns=1000, max_depth=64))


def dict_path(bodies: list[bytes]) -> int:
    norm = _normalizer()
    rows = 0
    for batch in _batches(bodies):
        records = [r for body in batch for r in orjson.loads(body)["items"]]
        rows += sum(len(t.arrow) for t in norm.normalize(records)[:1])
    return rows


def from_pylist(bodies: list[bytes]) -> int:
    return sum(len(pa.Table.from_pylist(orjson.loads(body)["items"])) for body in bodies)


def _read_envelopes(batch: list[bytes], schema: pa.Schema | None = None) -> pa.Array:
    table = pa_json.read_json(
        io.BytesIO(b"\n".join(batch)), read_options=pa_json.ReadOptions(block_size=1 << 22),
        parse_options=pa_json.ParseOptions(explicit_schema=schema))
    return pc.list_flatten(table.column("items").combine_chunks())


def pyarrow_json(bodies: list[bytes]) -> int:
    return sum(len(_read_envelopes(batch)) for batch in _batches(bodies))


def pyarrow_json_schema(bodies: list[bytes]) -> int:
    batches = _batches(bodies)
    schema = pa_json.read_json(io.BytesIO(b"\n".join(batches[0]))).schema
    return sum(len(_read_envelopes(batch, schema)) for batch in batches)


def polars_json(bodies: list[bytes]) -> int:
    import polars as pl

    rows = 0
    for body in bodies:
        frame = pl.read_json(io.BytesIO(body)).select("items").explode("items").unnest("items")
        rows += frame.to_arrow().num_rows
    return rows


def duckdb_json(bodies: list[bytes]) -> int:
    import duckdb

    rows = 0
    con = duckdb.connect()
    with tempfile.TemporaryDirectory() as tmp:
        for i, batch in enumerate(_batches(bodies)):
            path = Path(tmp) / f"batch{i}.json"
            path.write_bytes(b"\n".join(batch))
            rel = con.sql(f"SELECT unnest(items, recursive := true) FROM read_json('{path}', "
                          "format = 'newline_delimited', maximum_object_size = 1000000000)")
            rows += rel.fetch_arrow_table().num_rows
    return rows


def _pages(batch: list[bytes]) -> list[PageBody]:
    return [PageBody(b, ("items",), len(orjson.loads(b)["items"])) for b in batch]


_PARSED: dict[int, list[tuple[list[dict[str, Any]], list[PageBody]]]] = {}


def _parsed(bodies: list[bytes]) -> list[tuple[list[dict[str, Any]], list[PageBody]]]:
    """Each batch's records (parsed once, outside the timing: the client parses them on the
    event loop in a run) and its page bodies."""
    if id(bodies) not in _PARSED:
        _PARSED[id(bodies)] = [([r for b in batch for r in orjson.loads(b)["items"]],
                                _pages(batch)) for batch in _batches(bodies)]
    return _PARSED[id(bodies)]


def fast_path(bodies: list[bytes]) -> int:
    norm = _normalizer()
    rows = 0
    for batch in _batches(bodies):
        selected = [orjson.loads(body)["items"] for body in batch]
        pages = [PageBody(body, ("items",), len(items))
                 for body, items in zip(batch, selected, strict=True)]
        records = [r for items in selected for r in items]
        rows += sum(len(t.arrow) for t in norm.normalize(records, pages=pages)[:1])
    return rows


def bounded_read(bodies: list[bytes]) -> int:
    """The fast path's bound and read: the records' type from their dicts (checked against
    the limits in a run), then ``pyarrow.json`` given that type."""
    rows = 0
    for records, pages in _parsed(bodies):
        struct = bodies_to_struct(pages, infer_struct_type(records))
        if struct is None:
            raise RuntimeError("the fast path declined the bulk pages")
        rows += len(struct)
    return rows


def infer_only(bodies: list[bytes]) -> int:
    """The bound's own cost: ``pa.infer_type`` over the records' dicts (holds the GIL)."""
    rows = 0
    for records, _ in _parsed(bodies):
        infer_struct_type(records)
        rows += len(records)
    return rows


def array_given_type(bodies: list[bytes]) -> int:
    """What the bound's read replaces: ``pa.array`` over the dicts, type given (GIL held)."""
    return sum(len(pa.array(records, type=infer_struct_type(records)))
               for records, _ in _parsed(bodies))


def loader_dict(bodies: list[bytes]) -> int:
    norm = _normalizer()
    return sum(len(norm.normalize(records)[0].arrow) for records, _ in _parsed(bodies))


def loader_fast(bodies: list[bytes]) -> int:
    norm = _normalizer()
    return sum(len(norm.normalize(records, pages=pages)[0].arrow)
               for records, pages in _parsed(bodies))


CANDIDATES: dict[str, Callable[[list[bytes]], int]] = {
    "orjson + normalize (dict path)": dict_path,
    "orjson + pa.Table.from_pylist": from_pylist,
    "pyarrow.json, envelope rows": pyarrow_json,
    "pyarrow.json, schema given": pyarrow_json_schema,
    "polars read_json": polars_json,
    "duckdb read_json (batch file)": duckdb_json,
    "orjson + normalize with pages (fast path)": fast_path,
    "infer_type + pyarrow.json given it (bound + read)": bounded_read,
    "infer_type alone (the bound)": infer_only,
    "infer_type + pa.array given it (dict path's)": array_given_type,
    "loader: normalize(records) (dict path)": loader_dict,
    "loader: normalize(records, pages) (fast path)": loader_fast,
}


def measure(fn: Callable[[list[bytes]], int], bodies: list[bytes], repeats: int,
            clock: Callable[[], float] = time.perf_counter) -> float | str:
    """Median rows/s of ``repeats`` runs, or why the candidate could not run."""
    rates: list[float] = []
    for _ in range(repeats):
        start = clock()
        try:
            rows = fn(bodies)
        except ImportError as exc:
            return f"not installed ({exc.name})"
        rates.append(rows / max(clock() - start, 1e-9))
    return statistics.median(rates)


def main(argv: list[str]) -> None:
    cpu = "--cpu" in argv  # CPU seconds of this process: steadier than wall on a busy machine
    numbers = [a for a in argv if not a.startswith("--")]
    pages = int(numbers[0]) if numbers else 40
    page_size = int(numbers[1]) if len(numbers) > 1 else 1000
    repeats = int(numbers[2]) if len(numbers) > 2 else 3
    bodies = make_bodies(pages, page_size)
    _parsed(bodies)
    print(f"{pages} pages x {page_size} records, {sum(map(len, bodies)) / 1e6:.1f} MB, "
          f"median of {repeats}, pyarrow {pa.__version__}, rows per "
          f"{'CPU' if cpu else 'wall'} second")
    results: dict[str, Any] = {}
    clock = time.process_time if cpu else time.perf_counter
    for name, fn in CANDIDATES.items():
        results[name] = measure(fn, bodies, repeats, clock)
        value = results[name]
        text = f"{value:>12,.0f} rows/s" if isinstance(value, float) else value
        print(f"  {name:<38} {text}", flush=True)
    for label, fast, slow in [
            ("fast path / dict path, parse included", "orjson + normalize with pages (fast path)",
             "orjson + normalize (dict path)"),
            ("fast path / dict path, loader only", "loader: normalize(records, pages) (fast path)",
             "loader: normalize(records) (dict path)"),
            ("bound + read / unbounded read (reader infers)",
             "infer_type + pyarrow.json given it (bound + read)", "pyarrow.json, envelope rows")]:
        a, b = results[fast], results[slow]
        if isinstance(a, float) and isinstance(b, float):
            print(f"  {label} (same run): {a / b:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
