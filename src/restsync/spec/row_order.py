"""Infer an incremental feed's row order from the sort parameters the endpoint sends.

Conservative: an order is inferred only when the parameters name the cursor field itself and a
direction, in one of the common spellings:

* ``sort=updated_at&direction=desc`` (also ``order``, ``sort_order``, ``sortOrder``, ``dir``);
* ``order_by=updated_at&sort=desc``, ``sortBy=updated_at&sortDirection=DESC``...;
* ``sort=-updated_at`` (a leading ``-`` means descending, ``+`` ascending);
* ``sort=updated_at desc`` / ``updated_at:desc`` / ``updated_at.desc``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["infer_row_order"]

_FIELD_KEYS = ("sort", "sort_by", "sortby", "order_by", "orderby", "ordering", "sort_field",
               "sortfield", "order")
_DIRECTION_KEYS = ("direction", "dir", "order", "sort_order", "sortorder", "sort_direction",
                   "sortdirection", "order_direction", "orderdirection", "sort_dir", "sort")
_WORDS = {"desc": "desc", "descending": "desc", "asc": "asc", "ascending": "asc"}
_COMBINED = re.compile(r"^\s*([+-]?)\s*([\w.]+)(?:\s*[\s:.]\s*(asc|desc|ascending|descending))?\s*$",
                       re.IGNORECASE)


def _norm(name: str) -> str:
    return name.lower().replace("-", "_")


def _field_name(cursor_path: str) -> str:
    return cursor_path.rsplit(".", 1)[-1].strip("$[]'\" ").lower()


def infer_row_order(params: Mapping[str, Any] | None, cursor_path: str) -> tuple[str, str] | None:
    """``("asc" | "desc", why)`` when the params sort on the cursor field, else ``None``.

    Args:
        params: The endpoint's query parameters (only string values are read).
        cursor_path: The incremental cursor path (its last segment is the sort field).
    """
    if not params:
        return None
    field = _field_name(cursor_path)
    lowered = {_norm(str(k)): (k, v) for k, v in params.items() if isinstance(v, str)}
    for key in _FIELD_KEYS:
        if key not in lowered:
            continue
        name, value = lowered[key]
        match = _COMBINED.match(value)
        if match is None or match.group(2).lower().rsplit(".", 1)[-1] != field:
            continue
        sign, word = match.group(1), match.group(3)
        if word:
            return _WORDS[word.lower()], f"{name}={value}"
        if sign:
            return ("desc" if sign == "-" else "asc"), f"{name}={value}"
        for dkey in _DIRECTION_KEYS:
            if dkey == key or dkey not in lowered:
                continue
            dname, dvalue = lowered[dkey]
            direction = _WORDS.get(dvalue.strip().lower())
            if direction:
                return direction, f"{name}={value}&{dname}={dvalue}"
    return None
