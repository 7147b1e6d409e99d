"""What the normalizer hands on: :class:`TableBatch`, the ``_dlt_*`` system columns, and the
constant columns a caller adds to every root row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from restsync.errors import FatalError
from restsync.normalize.arrowize import records_to_struct
from restsync.normalize.schema import TableSchema

__all__ = ["CHILD_SYSTEM_COLUMNS", "DLT_ID", "DLT_LIST_IDX", "DLT_LOAD_ID", "DLT_PARENT_ID",
           "DLT_ROOT_ID", "ROOT_SYSTEM_COLUMNS", "ConstantColumns", "TableBatch",
           "constant_arrays"]

DLT_ID = "_dlt_id"
DLT_LOAD_ID = "_dlt_load_id"
DLT_PARENT_ID = "_dlt_parent_id"
DLT_LIST_IDX = "_dlt_list_idx"
DLT_ROOT_ID = "_dlt_root_id"
ROOT_SYSTEM_COLUMNS = (DLT_LOAD_ID, DLT_ID)
CHILD_SYSTEM_COLUMNS = (DLT_PARENT_ID, DLT_LIST_IDX, DLT_ID, DLT_ROOT_ID)

ConstantColumns = Mapping[str, Any] | Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class TableBatch:
    """Rows for one table produced from one page.

    Attributes:
        table: Final table name (``email_events`` or ``email_events__tags``).
        parent_table: The parent table's name for child tables, None for the root table.
        arrow: The rows; column types are int64, float64, bool, string,
            ``timestamp[us, UTC]``, ``date32``, ``decimal128`` or the ``arrow.json``
            extension type (JSON text).
        schema: The normalizer's live schema of the table (columns, kinds, JSON paths,
            descriptions); destinations store the last one they saw at commit. None when the
            batch was built by hand.
    """

    table: str
    parent_table: str | None
    arrow: pa.Table
    schema: TableSchema | None = None


def constant_arrays(constant_columns: ConstantColumns | None, n: int, table_name: str
                    ) -> dict[str, pa.Array]:
    """The columns ``constant_columns`` adds to ``n`` root rows of ``table_name`` (see
    :meth:`~restsync.normalize.Normalizer.normalize`).

    Raises:
        FatalError: A sequence of mappings whose length is not ``n``.
    """
    if not constant_columns:
        return {}
    if isinstance(constant_columns, Mapping):
        return {name: pa.repeat(pa.scalar(value) if value is not None else pa.scalar(None), n)
                for name, value in constant_columns.items()}
    if len(constant_columns) != n:
        raise FatalError(f"constant_columns has {len(constant_columns)} entries for "
                         f"{n} records", location=f"table '{table_name}'")
    names: dict[str, None] = {}
    for mapping in constant_columns:
        names.update(dict.fromkeys(mapping))
    return {name: records_to_struct([{"v": m.get(name)} for m in constant_columns]).field(0)
            for name in names}
