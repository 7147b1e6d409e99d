"""Arrow-native pages: JSON page bodies -> their records' ``StructArray``, bounded first.

The dict path builds Arrow arrays from the records' dicts (``pa.array``), one Python object
per value. This module reads a batch of page bodies with ``pyarrow.json`` instead (C++, the GIL
released): every body is one row of an "envelope" table, the selected list column is flattened
into the records' struct array, and the normalizer takes it from there exactly as it takes the
array ``pa.array`` builds (:meth:`~restsync.normalize.Normalizer.normalize` with ``pages``).

**Bounded before the reader runs.** The reader never infers a schema: it is given the records'
type, which the caller infers from the records the client already parsed
(:func:`~restsync.normalize.arrowize.infer_struct_type`, the dict path's own first step, C++,
no array built) and checks against the shape limits (``max_columns``; :func:`type_depth`
against ``max_nesting_depth``) before calling :func:`bodies_to_struct`. The reader then builds
exactly those fields, in that order; every other key of the envelope (a cursor, a hostile map
next to the records) is skipped while parsing (``unexpected_field_behavior="ignore"``), never
built. A record of 500,000 distinct keys or nested 1,000 levels deep is thus declined before
any byte is read by ``pyarrow.json``. Because the type is the dict path's, field order, absent
keys (nulls) and all-null fields (``null`` type) are the dict path's too, and timestamps stay
the text the API sent (the type says ``string``).

The array must be the one the dict path would build, value for value and field for field.
:func:`bodies_to_struct` returns ``None``, and the batch takes the dict path, whenever that is
not certain:

* the reader refuses the batch under the given type: a value of another type than the one the
  records' type has (a bool in a double column, the dict path makes such a column text), a key
  twice in one object, an integer past the type's range;
* the selector is not a plain path of keys (or the whole body), or the value there is not a
  list in every body, or its length is not the number of records the dict path selected, or a
  record is ``null``;
* a floating-point value anywhere in the records has a magnitude of 2**53 or more: the reader
  reads an integer literal in a double column as a double and loses digits past 2**53, where
  the dict path keeps such integers exact (as text);
* the bodies are not all objects (a top-level array is wrapped as ``{"r": body}`` first, a
  copy of the body);
* the array the reader built is not valid (``validate(full=True)``): pyarrow 26 builds a list
  of two ``null`` values with a null child of length 1.

Which path a run takes is a setting: :data:`PAGE_PATH_ENV` (``auto``, the default, or
``dict``); see ``docs/performance.md`` ("Arrow-native pages").
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from restsync.errors import ConfigError
from restsync.normalize.kinds import MAX_EXACT_DOUBLE_INT

__all__ = ["FAST_PATH_MAX_DEPTH", "MAX_RAW_REFUSALS", "PAGE_PATHS", "PAGE_PATH_ENV", "PageBody",
           "PageReader", "bodies_to_struct", "page_path", "raw_records_to_struct", "type_depth"]

PAGE_PATH_ENV: Final = "RESTSYNC_PAGE_PATH"
"""Environment variable choosing how page bodies become Arrow (:data:`PAGE_PATHS`)."""
PAGE_PATHS: Final = ("auto", "dict")
"""``auto`` (default): read bodies with ``pyarrow.json`` where it applies, else the dict path;
``dict``: always orjson + dicts."""
DEFAULT_PAGE_PATH: Final = "auto"
FAST_PATH_MAX_DEPTH: Final = 64
"""Records nesting deeper (:func:`type_depth`) take the dict path whatever the limits say."""
MAX_RAW_REFUSALS = 3
"""Batches of unparsed records that may not fit the type of the batch before
(:meth:`PageReader.from_text`) before a resource parses every later batch: a feed whose keys
keep changing would pay for two reads of each batch."""
_WRAP_KEY: Final = "r"
_MIN_BLOCK: Final = 1 << 20
_NON_SPACE: Final = re.compile(rb"\S")
_READ_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError)


def page_path(value: str | None = None) -> str:
    """The page path in force: ``value`` if given, else :data:`PAGE_PATH_ENV`, else ``auto``.

    Raises:
        ConfigError: Not one of :data:`PAGE_PATHS`.
    """
    chosen = (value or os.environ.get(PAGE_PATH_ENV) or DEFAULT_PAGE_PATH).strip().lower()
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
        records_json: The records' JSON array exactly as in the body, when the client kept it
            apart (:class:`~restsync.extract.raw_records.RawRecords`): then a batch can be
            read with the type of the batch before (:func:`raw_records_to_struct`).
    """

    body: bytes | bytearray
    keys: tuple[str, ...]
    records: int
    records_json: bytes | None = None


class PageReader:
    """One resource's Arrow-native reads, bounded before the reader runs.

    A batch is read from its bodies with the type inferred from its records
    (:meth:`from_bodies`), or, when its records were never parsed, from their JSON text with
    the type of the last batch read from bodies (:meth:`from_text`).

    Args:
        max_depth: ``max_nesting_depth`` (None: no limit); a type nesting deeper, or deeper
            than :data:`FAST_PATH_MAX_DEPTH`, is not read.
        fits: Whether a batch of records of a type needs no cut of the column bounds (the
            normalizer's ``ShapeGuard.fits``).
    """

    def __init__(self, max_depth: int | None, fits: Callable[[pa.DataType], bool]) -> None:
        self._max_depth = min(max_depth or FAST_PATH_MAX_DEPTH, FAST_PATH_MAX_DEPTH)
        self._fits = fits
        self._earlier: pa.DataType | None = None  # of the last batch read from its bodies
        self.refusals = 0

    def from_bodies(self, pages: Sequence[PageBody], arrow_type: pa.DataType | None
                    ) -> pa.StructArray | None:
        """The records read from their bodies as ``arrow_type`` (their inferred type), or
        None when that type is past a limit (the records need the dict path's cuts or depth
        handling; checked before the reader sees a byte) or the reader refuses them."""
        if arrow_type is None or not pa.types.is_struct(arrow_type) or \
                type_depth(arrow_type) > self._max_depth or not self._fits(arrow_type):
            return None
        struct = bodies_to_struct(pages, arrow_type)
        if struct is not None:
            self._earlier = arrow_type
        return struct

    def from_text(self, pages: Sequence[PageBody]) -> pa.StructArray | None:
        """The records read from their JSON text as the type of the last batch read from its
        bodies (:func:`raw_records_to_struct`); None when there is no such type yet, it no
        longer passes the column bounds, the records do not fit it, or
        :data:`MAX_RAW_REFUSALS` batches did not."""
        earlier = self._earlier
        if earlier is None or self.refusals >= MAX_RAW_REFUSALS or not self._fits(earlier):
            return None
        struct = raw_records_to_struct(pages, earlier)
        if struct is None:
            self.refusals += 1
        return struct


def type_depth(arrow_type: pa.DataType) -> int:
    """How many objects and lists deep a record of ``arrow_type`` nests (no recursion).

    A record of scalars is 0; ``{"a": {}}``, ``{"a": {"b": 1}}`` and ``{"a": [1]}`` are 1;
    ``{"a": [{"b": 1}]}`` is 2. This counts every container (more than the flattener's levels,
    where a list's objects are rows of a child table at the list's level), so a type within a
    depth bound by this count is within it by the flattener's too.
    """
    if not pa.types.is_struct(arrow_type):
        return 0
    deepest = 0
    todo = [(arrow_type.field(i).type, 1) for i in range(arrow_type.num_fields)]
    while todo:
        current, depth = todo.pop()
        if pa.types.is_struct(current):
            deepest = max(deepest, depth)
            todo.extend((current.field(i).type, depth + 1) for i in range(current.num_fields))
        elif pa.types.is_list(current) or pa.types.is_large_list(current):
            deepest = max(deepest, depth)
            todo.append((current.value_type, depth + 1))
    return deepest


def bodies_to_struct(pages: Sequence[PageBody], record_type: pa.StructType
                     ) -> pa.StructArray | None:
    """The records of ``pages`` (in order), read as ``record_type``, or ``None``.

    Args:
        pages: The batch's pages (one data selector for all).
        record_type: The records' type as the dict path infers it
            (:func:`~restsync.normalize.arrowize.infer_struct_type`), already checked against
            the shape limits: the reader builds these fields and no other.

    Returns:
        The struct array (one row per record), equal to ``pa.array(records, record_type)``, or
        ``None`` when the fast path does not apply to this batch (see the module docstring):
        the caller takes the dict path.
    """
    if not pages or len({p.keys for p in pages}) != 1 or not pa.types.is_struct(record_type):
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
    selector = keys or (_WRAP_KEY,)
    table = _read(lines, _envelope_schema(selector, record_type), unexpected="ignore")
    if table is None or table.num_rows != len(pages):
        return None
    try:
        column = _select(table, selector)
    except pa.ArrowException:
        return None
    return _records(column, pages, record_type)


def raw_records_to_struct(pages: Sequence[PageBody], record_type: pa.StructType
                          ) -> pa.StructArray | None:
    """The records of ``pages`` read from their records' own JSON text
    (:attr:`PageBody.records_json`) as ``record_type``, the type of an earlier batch of the
    same resource, or ``None``.

    No record's dicts exist to infer this batch's type from, so the reader is held to the
    earlier type: a key the type lacks (at any depth), a value of another type, a key twice
    or an integer out of range makes it refuse the batch (``unexpected_field_behavior=
    "error"``), before it builds anything past the type. It therefore builds nothing a bound
    did not already pass, and a batch that brings anything new takes the dict path (the
    caller parses its records). What the earlier type has and a record lacks is null, as a
    missing key is; an integer in a double column is read as a double, as the column's values
    are stored (checked below 2**53, as for :func:`bodies_to_struct`).
    """
    if not pages or any(p.records_json is None for p in pages) or \
            not pa.types.is_struct(record_type):
        return None
    lines = [b'{"' + _WRAP_KEY.encode() + b'":' + (p.records_json or b"") + b"}"
             for p in pages]
    table = _read(lines, _envelope_schema((_WRAP_KEY,), record_type), unexpected="error")
    if table is None or table.num_rows != len(pages):
        return None
    return _records(table.column(_WRAP_KEY).combine_chunks(), pages, record_type)


def _records(column: pa.Array | None, pages: Sequence[PageBody], record_type: pa.DataType
             ) -> pa.StructArray | None:
    """The records in ``column`` (one list per page) when they are exactly the pages' records
    as ``record_type`` (see the module docstring), else ``None``."""
    try:
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
    if records.type != record_type or records.null_count or _has_big_floats(records):
        return None
    return records


def _envelope_schema(selector: Sequence[str], record_type: pa.DataType) -> pa.Schema:
    """The schema of a body holding a list of ``record_type`` at ``selector``, and only that."""
    value: pa.DataType = pa.list_(record_type)
    for key in reversed(selector[1:]):
        value = pa.struct([pa.field(key, value)])
    return pa.schema([pa.field(selector[0], value)])


def _read(lines: Sequence[bytes | bytearray], schema: pa.Schema, *, unexpected: str
          ) -> pa.Table | None:
    """Read one JSON object per line as ``schema`` (keys it lacks: ``unexpected``, skipped
    or refused); ``None`` when the reader refuses them."""
    multiline = any(b"\n" in line or b"\r" in line for line in lines)
    data = b"\n".join(lines)
    read_options = pa_json.ReadOptions(block_size=max(_MIN_BLOCK, len(data) + 1),
                                       use_threads=False)
    parse_options = pa_json.ParseOptions(explicit_schema=schema, newlines_in_values=multiline,
                                         unexpected_field_behavior=unexpected)
    try:
        return pa_json.read_json(pa.py_buffer(data), read_options=read_options,
                                 parse_options=parse_options)
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
