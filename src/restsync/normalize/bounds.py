"""The normalizer's limits: ``max_columns`` (wide maps) and ``max_nesting_depth`` (deep values).

:class:`ShapeGuard` looks at each batch's shape before any column is built (see
:mod:`restsync.normalize.shape`), cuts the maps that would make a table too wide into JSON
columns (from then on, for the rest of the run and the next runs: the stored schema remembers
them), and words the notices the run summary shows. Depth needs no look ahead: the flattener
stops at the limit; the guard only words its notices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pyarrow as pa

from restsync.errors import LimitExceededError
from restsync.normalize.arrowize import infer_struct_type
from restsync.normalize.kinds import dumps
from restsync.normalize.naming import render_path
from restsync.normalize.shape import (
    Path,
    ShapeLimits,
    cut_records,
    plan_cuts,
    shape_of_type,
    shape_of_values,
)

__all__ = ["COLUMNS_LIMIT", "DEPTH_LIMIT", "ShapeGuard"]

COLUMNS_LIMIT = "max_columns"
"""``ColumnSchema.limit`` of a column cut by ``max_columns``."""
DEPTH_LIMIT = "max_nesting_depth"
"""``ColumnSchema.limit`` of a column kept whole by ``max_nesting_depth``."""


class ShapeGuard:
    """Keeps one resource's tables within its :class:`ShapeLimits`.

    Args:
        limits: The limits.
        nesting: The level from which values are JSON anyway (``max_table_nesting`` and the
            depth limit, the smaller one).
        is_declared_json: Whether a full path is a declared JSON column.
        resource: The resource's name (messages).
        cuts: Paths cut in earlier runs (from the stored schema).

    Attributes:
        cuts: Every path cut so far (raw keys from the root record).
        notes: One notice per cut and per depth-limited column, in order.
    """

    def __init__(self, limits: ShapeLimits, *, nesting: int | None,
                 is_declared_json: Callable[[Path], bool], resource: str,
                 cuts: Iterable[Path] = ()) -> None:
        self.limits = limits
        self._nesting = nesting
        self._is_declared_json = is_declared_json
        self._resource = resource
        self.cuts: set[Path] = set(cuts)
        self.notes: list[str] = []
        self._noted: set[tuple[str, Path]] = set()

    def is_json(self, path: Path) -> bool:
        """Whether ``path`` is a JSON column (declared or cut)."""
        return path in self.cuts or self._is_declared_json(path)

    def bound(self, records: Sequence[Any], *, known_columns: Callable[[Path], set[Path]],
              table_name: Callable[[Path], str], where: str | None,
              inferred: pa.DataType | None = None) -> tuple[Sequence[Any], pa.DataType | None]:
        """``records`` with too-wide maps cut, and their Arrow type when already known.

        ``inferred``: the records' type when the caller inferred it already.

        Raises:
            LimitExceededError: The root table's own keys are more than ``max_columns`` (no
                nested object to cut).
        """
        max_columns = self.limits.max_columns
        if max_columns is None:
            return records, inferred
        if self.cuts:
            records = cut_records(records, self.cuts, dumps)
            inferred = None
        arrow_type = inferred if inferred is not None else infer_struct_type(records)
        shape = shape_of_type(arrow_type) if arrow_type is not None and \
            pa.types.is_struct(arrow_type) else shape_of_values(records, self._nesting)
        plan = plan_cuts(shape, max_columns=max_columns, nesting=self._nesting,
                         is_json=self.is_json, known_columns=known_columns)
        if plan.too_wide:
            table_path, width = plan.too_wide[0]
            raise LimitExceededError(
                f"the records have {width:,} top-level fields, more than the "
                f"{max_columns:,} columns a table may have ({self.limits.columns_setting}); "
                "there is no nested object to keep as JSON instead",
                setting=self.limits.columns_setting,
                location=self._location(table_name(table_path), where),
                hint="the records are probably a map keyed by data: select the part holding "
                     "the records (data_selector), or raise the limit")
        if not plan.cuts:
            return records, arrow_type
        for cut in plan.cuts:
            self.cuts.add(cut.path)
            self._note(table_name(cut.table), cut.path,
                       f"`{render_path(cut.path)}` has {cut.keys:,} keys: kept as one JSON "
                       f"column instead of a column per key (the table would have "
                       f"{cut.width:,} columns, more than {self.limits.columns_setting})",
                       where)
        return cut_records(records, [cut.path for cut in plan.cuts], dumps), None

    def fits(self, arrow_type: pa.DataType, *,
             known_columns: Callable[[Path], set[Path]]) -> bool:
        """Whether a batch of records of ``arrow_type`` is left as it is by :meth:`bound`
        (no cut to apply, none to plan, no table too wide)."""
        max_columns = self.limits.max_columns
        if max_columns is None:
            return True
        if self.cuts or not pa.types.is_struct(arrow_type):
            return False
        plan = plan_cuts(shape_of_type(arrow_type), max_columns=max_columns,
                         nesting=self._nesting, is_json=self.is_json,
                         known_columns=known_columns)
        return not plan.cuts and not plan.too_wide

    def note_depth(self, table: str, path: Path, where: str | None) -> None:
        """Word the notice of a value kept as JSON because of the depth limit (once)."""
        self._note(table, path, f"`{render_path(path)}` holds values nested deeper than "
                                f"{self.limits.max_depth} levels: kept as JSON "
                                f"({self.limits.depth_setting})", where)

    def _note(self, table: str, path: Path, text: str, where: str | None) -> None:
        if (table, path) in self._noted:
            return
        self._noted.add((table, path))
        seen = f"; first seen in {where}" if where else ""
        self.notes.append(f"table `{table}`: {text}{seen}")

    def _location(self, table: str, where: str | None) -> str:
        text = f"resource '{self._resource}'"
        if where:
            text += f", {where}"
        return f"{text}, table '{table}'"
