"""Applying a schema contract to one table's rows of one batch (columnar).

A violation is located: the table, the column, the JSON path of the value inside the page
(``[3].delivery-status.code`` for the root table, ``[3].campaigns[1].name`` for a child row)
and the value itself, truncated, and redacted when the column name says it is a secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from restsync.errors import SchemaContractError
from restsync.normalize.fitting import first_value
from restsync.normalize.naming import render_path

MAX_VALUE_TEXT: Final = 60
_SECRET_NAME = re.compile(
    r"pass(word|wd)?|secret|token|api_?key|authorization|credential|private_?key|smtp_login",
    re.IGNORECASE)


def shown_value(column: str, value: Any) -> str:
    """A value for a message: redacted for secret-looking columns, truncated to 60 chars."""
    if _SECRET_NAME.search(column):
        return "<redacted>"
    text = repr(value)
    return text if len(text) <= MAX_VALUE_TEXT else text[:MAX_VALUE_TEXT - 3] + "..."


@dataclass
class RowLocator:
    """Renders where a row of a table sits in the page (for messages).

    Attributes:
        root_index: Index of each row's root record in the page.
        list_path: JSON path of the table's list from the root record (``()`` for the root).
        list_idx: Position of each row in its list (child tables).
    """

    root_index: pa.Array
    list_path: tuple[str, ...] = ()
    list_idx: pa.Array | None = None

    def render(self, row: int, column_path: tuple[str, ...]) -> str:
        """``[3].a.b`` or ``[3].campaigns[1].name``."""
        text = f"[{self.root_index[row].as_py()}]"
        if self.list_path:
            text += "." + render_path(self.list_path)
            if self.list_idx is not None:
                text += f"[{self.list_idx[row].as_py()}]"
        if column_path:
            text += "." + render_path(column_path)
        return text


@dataclass
class RowDrops:
    """Rows of one table to drop (``discard_row``), accumulated as a boolean mask."""

    size: int
    mask: pa.Array | None = None
    reasons: list[str] = field(default_factory=list)

    def add(self, mask: pa.Array, reason: str) -> None:
        """Drop the rows where ``mask`` is true (nulls count as false)."""
        mask = pc.fill_null(mask, False)
        if not pc.any(mask).as_py():
            return
        self.mask = mask if self.mask is None else pc.or_(self.mask, mask)
        self.reasons.append(reason)

    @property
    def count(self) -> int:
        """How many rows are dropped."""
        return 0 if self.mask is None else int(pc.sum(pc.cast(self.mask, pa.int64())).as_py())


def violation(kind: str, *, table: str, column: str | None, path: tuple[str, ...],
              arr: pa.Array | None, locator: RowLocator, mask: pa.Array | None = None,
              detail: str) -> SchemaContractError:
    """Build the error of a ``freeze`` violation, located at the first offending value."""
    row, value = (0, None) if arr is None else first_value(arr, mask)
    where = locator.render(max(row, 0), path)
    shown = shown_value(column or "", value) if arr is not None else "(a list)"
    what = f"column `{column}` of table `{table}`" if column else f"table `{table}`"
    return SchemaContractError(
        f"schema contract ({kind}: freeze): {detail} — {what}, JSON path `{where}`, "
        f"value {shown}; nothing of this batch was loaded",
        table=table, column=column, json_path=where, value=shown,
        location=f"table '{table}'",
        hint=f"set schema_contract {kind} to evolve, discard_value or discard_row, or "
             "declare the column")
