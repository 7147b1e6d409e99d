"""Arrow-native pages: JSON page bodies -> their records' ``StructArray``, no Python per record.

The dict path parses a body with orjson, selects the records and builds Arrow arrays from the
dicts (``pa.array``), one Python object per value. This module reads a batch of page bodies
with ``pyarrow.json`` instead (C++, the GIL released): every body is one row
of an "envelope" table, the selected list column is flattened into the records' struct array,
and the normalizer takes it from there exactly as it takes the array ``pa.array`` builds
(:meth:`~restsync.normalize.Normalizer.normalize_struct`). A batch is read as one block on the
calling thread (several blocks on several threads would order new fields by which thread
finished first); the GIL is released while it is read, so the event loop fetches meanwhile.

The array must be the one the dict path would build, value for value and field for field
(field order included: ids and child tables follow it). :func:`bodies_to_struct` returns
``None``, and the batch takes the dict path, whenever that is not certain:

* the reader refuses the batch: a type conflict in a column (a number and a string, a bool and
  a number, objects and scalars in one list), a key twice in one object, invalid JSON;
* the selector is not a plain path of keys (or the whole body), or the value there is not a
  list of objects in every body, or its length is not the number of records the dict path
  selected, or a record is ``null``;
* a floating-point value anywhere in the records has a magnitude of 2**53 or more: the reader
  reads integers past int64 as doubles, and an integer past 2**53 among floats loses digits,
  where our rules keep such integers exact (as text); the dict path applies them;
* the bodies are not all objects (a top-level array is wrapped as ``{"r": body}`` first, a
  copy of the body);
* the array the reader built is not valid (``validate(full=True)``): pyarrow 26 builds a list
  of two ``null`` values with a null child of length 1.

The reader guesses timestamps (``"2024-01-01"`` becomes ``timestamp[s]``); our rules decide
timestamps from the text (:mod:`restsync.normalize.kinds`). So when it inferred any
timestamp, the batch is read again with the inferred schema, timestamps replaced by strings:
the values stay the text the API sent.

Which path a run takes is a setting: :data:`PAGE_PATH_ENV` (``dict``, the default, or
``auto``); see ``docs/performance.md`` ("Arrow-native pages"). The fast path is opt-in until
it keeps the hostile-input bounds the dict path keeps: ``pyarrow.json`` reads a record with
500,000 distinct keys into a struct of as many fields (1.2 GB, 14 s) before any
``max_columns`` check can decline it, and a record nested 1,000 levels deep fails in the
flattening instead of being kept as JSON past ``max_nesting_depth``
(``tests/hostile/test_hostile_servers.py``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from restsync.errors import ConfigError
from restsync.normalize.kinds import MAX_EXACT_DOUBLE_INT

__all__ = ["PAGE_PATHS", "PAGE_PATH_ENV", "PageBody", "bodies_to_struct", "page_path"]

PAGE_PATH_ENV: Final = "RESTSYNC_PAGE_PATH"
"""Environment variable choosing how page bodies become Arrow (:data:`PAGE_PATHS`)."""
PAGE_PATHS: Final = ("auto", "dict")
"""``auto``: read bodies with ``pyarrow.json`` where it applies, else the dict path;
``dict``: always orjson + dicts (today's path)."""
_WRAP_KEY: Final = "r"
_MIN_BLOCK: Final = 1 << 20
_NON_SPACE: Final = re.compile(rb"\S")
_READ_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError)


def page_path(value: str | None = None) -> str:
    """The page path in force: ``value`` if given, else :data:`PAGE_PATH_ENV`, else ``dict``.

    Raises:
        ConfigError: Not one of :data:`PAGE_PATHS`.
    """
    chosen = (value or os.environ.get(PAGE_PATH_ENV) or "dict").strip().lower()
    if chosen not in PAGE_PATHS:
        raise ConfigError(f"page path must be one of {', '.join(PAGE_PATHS)}, got {chosen!r}",
                          location=PAGE_PATH_ENV)
    return chosen


@dataclass(frozen=True)
class PageBody:
    """One page's raw JSON body and what the dict path selected from it.

    Attributes:
        body: The response body as received.
        keys: The selector as a path of object keys (``("data",)``); ``()`` for the whole body.
        records: How many records the dict path selected from it.
    """

    body: bytes | bytearray
    keys: tuple[str, ...]
    records: int


def bodies_to_struct(pages: Sequence[PageBody]) -> pa.StructArray | None:
    """The records of ``pages`` (in order) as the struct array the dict path would build.

    Returns:
        The struct array (one row per record), or ``None`` when the fast path does not apply
        to this batch (see the module docstring): the caller takes the dict path.
    """
    if not pages or len({p.keys for p in pages}) != 1:
        return None
    keys = pages[0].keys
    whole = not keys
    lines: list[bytes | bytearray] = []
    for page in pages:
        start = _NON_SPACE.search(page.body)
        first = start.group(0) if start is not None else b""
        if whole and first == b"[":
            lines.append(b'{"' + _WRAP_KEY.encode() + b'":' + page.body + b"}")
        elif not whole and first == b"{":
            lines.append(page.body)
        else:
            return None
    table = _read(lines)
    if table is None or table.num_rows != len(pages):
        return None
    try:
        column = _select(table, keys or (_WRAP_KEY,))
        if column is None or column.null_count or not pa.types.is_list(column.type):
            return None
        # the reader has built invalid arrays (a list of two nulls: a null child of length 1)
        column.validate(full=True)
    except pa.ArrowException:
        return None
    lengths = pc.list_value_length(column)
    if lengths.to_pylist() != [p.records for p in pages]:
        return None
    records = pc.list_flatten(column)
    if not pa.types.is_struct(records.type) or records.null_count or \
            _has_big_floats(records):
        return None
    return records


def _read(lines: Sequence[bytes | bytearray]) -> pa.Table | None:
    """Read one JSON object per line; ``None`` when the reader refuses them."""
    multiline = any(b"\n" in line or b"\r" in line for line in lines)
    data = b"\n".join(lines)
    # One block: blocks parsed on several threads add new fields in the order the threads
    # finish, not in the order of the records (the field order decides columns and ids).
    read_options = pa_json.ReadOptions(block_size=max(_MIN_BLOCK, len(data) + 1),
                                       use_threads=False)
    try:
        table = pa_json.read_json(pa.py_buffer(data), read_options=read_options,
                                  parse_options=pa_json.ParseOptions(
                                      newlines_in_values=multiline))
        if not any(_has_timestamp(f.type) for f in table.schema):
            return table
        schema = pa.schema([pa.field(f.name, _without_timestamps(f.type)) for f in table.schema])
        return pa_json.read_json(pa.py_buffer(data), read_options=read_options,
                                 parse_options=pa_json.ParseOptions(
                                     newlines_in_values=multiline, explicit_schema=schema))
    except _READ_ERRORS:
        return None


def _select(table: pa.Table, keys: Sequence[str]) -> pa.Array | None:
    """The column at ``keys`` (through struct fields), one array; ``None`` when absent."""
    if keys[0] not in table.column_names:
        return None
    found = table.column(keys[0])
    column: pa.Array = found.combine_chunks() if isinstance(found, pa.ChunkedArray) else found
    for key in keys[1:]:
        if not pa.types.is_struct(column.type) or column.null_count or \
                column.type.get_field_index(key) < 0:
            return None
        column = column.field(key)
    return column


def _has_timestamp(arrow_type: pa.DataType) -> bool:
    return _without_timestamps(arrow_type) != arrow_type


def _without_timestamps(arrow_type: pa.DataType) -> pa.DataType:
    """``arrow_type`` with every timestamp replaced by string (any depth)."""
    if pa.types.is_timestamp(arrow_type):
        return pa.string()
    if pa.types.is_struct(arrow_type):
        return pa.struct([pa.field(f.name, _without_timestamps(f.type))
                          for f in arrow_type])
    if pa.types.is_list(arrow_type):
        return pa.list_(_without_timestamps(arrow_type.value_type))
    return arrow_type


def _has_big_floats(arr: pa.Array) -> bool:
    """Whether any floating-point value (any depth) has a magnitude of 2**53 or more."""
    todo: list[pa.Array] = [arr]
    while todo:
        current = todo.pop()
        t = current.type
        if pa.types.is_floating(t):
            if current.null_count < len(current):
                bounds = pc.min_max(current).as_py()
                if max(abs(bounds["min"]), abs(bounds["max"])) >= MAX_EXACT_DOUBLE_INT:
                    return True
        elif pa.types.is_struct(t):
            todo.extend(current.field(i) for i in range(t.num_fields))
        elif pa.types.is_list(t):
            todo.append(current.values)
    return False
