"""restsync.normalize stage: records -> Arrow tables in dlt's relational layout.

Knows nothing of HTTP, auth, the spec model or destinations. See :class:`Normalizer`.
"""

from restsync.normalize.batch import (
    CHILD_SYSTEM_COLUMNS,
    DLT_ID,
    DLT_LIST_IDX,
    DLT_LOAD_ID,
    DLT_PARENT_ID,
    DLT_ROOT_ID,
    ROOT_SYSTEM_COLUMNS,
    ConstantColumns,
    TableBatch,
)
from restsync.normalize.naming import normalize_identifier, normalize_path
from restsync.normalize.normalizer import Normalizer
from restsync.normalize.schema import ColumnHint, ColumnSchema, SchemaContract, TableSchema
from restsync.normalize.shape import ShapeLimits

__all__ = [
    "CHILD_SYSTEM_COLUMNS",
    "DLT_ID",
    "DLT_LIST_IDX",
    "DLT_LOAD_ID",
    "DLT_PARENT_ID",
    "DLT_ROOT_ID",
    "ROOT_SYSTEM_COLUMNS",
    "ColumnHint",
    "ColumnSchema",
    "ConstantColumns",
    "Normalizer",
    "SchemaContract",
    "ShapeLimits",
    "TableBatch",
    "TableSchema",
    "normalize_identifier",
    "normalize_path",
]
