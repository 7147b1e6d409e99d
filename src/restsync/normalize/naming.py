"""Identifier naming compatible with dlt's default ``snake_case`` convention.

dlt users' SQL must keep working, so table and column names follow the same rules as dlt's
default naming (re-implemented here from its documented behaviour):

1. surrounding whitespace is dropped; an empty key becomes ``_empty``;
2. ``+ - * @ |`` become ``x _ x a l``; every other run of characters outside ``[A-Za-z0-9_]``
   becomes ``_``;
3. camelCase is split (``labelListVisibility`` -> ``label_list_visibility``,
   ``HTTPResponse`` -> ``http_response``) and everything is lower-cased;
4. a leading digit gets a ``_`` prefix (``1st`` -> ``_1st``);
5. each trailing ``_`` becomes ``x`` (``name_`` -> ``namex``);
6. runs of ``_`` collapse to one, so ``__`` only ever appears as the nesting separator.

Nested paths join the normalized fragments with ``__`` (``{"a": {"b": 1}}`` -> ``a__b``).

Collisions: two *different* JSON paths that normalize to the same name in one table (``aB``
and ``a_b``) are resolved by order of first appearance: the first keeps the name, the next
gets ``_2``, then ``_3`` ... (skipping names already taken). The ``_dlt_*`` system columns and
constant columns are reserved first, so a data key named ``_dlt_id`` becomes ``_dlt_id_2``.
"""

from __future__ import annotations

import re
from functools import lru_cache

PATH_SEPARATOR = "__"
EMPTY_KEY = "_empty"

_REDUCE = str.maketrans("+-*@|", "x_xal")
_NON_ALNUM = re.compile(r"[^a-zA-Z0-9_]+")
_BREAK_WORD = re.compile(r"([^_])([A-Z][a-z]+)")
_BREAK_CASE = re.compile(r"([a-z0-9])([A-Z])")
_UNDERSCORES = re.compile(r"__+")


@lru_cache(maxsize=65536)
def normalize_identifier(identifier: str) -> str:
    """Normalize one JSON key (or resource name) to a snake_case SQL identifier.

    Args:
        identifier: The raw key, e.g. ``labelListVisibility`` or ``delivery-status``.

    Returns:
        The normalized identifier, e.g. ``label_list_visibility`` / ``delivery_status``.
    """
    text = identifier.strip()
    if not text:
        return EMPTY_KEY
    text = _NON_ALNUM.sub("_", text.translate(_REDUCE))
    text = _BREAK_WORD.sub(r"\1_\2", text)
    text = _BREAK_CASE.sub(r"\1_\2", text).lower()
    if text[0].isdigit():
        text = "_" + text
    stripped = text.rstrip("_")
    text = stripped + "x" * (len(text) - len(stripped))
    return _UNDERSCORES.sub("_", text)


def normalize_path(path: tuple[str, ...]) -> str:
    """Join the normalized fragments of a nested JSON path with ``__``."""
    return PATH_SEPARATOR.join(normalize_identifier(part) for part in path)


def render_path(path: tuple[str, ...]) -> str:
    """Render a JSON path for humans and for the stored name mapping (``a.b.c``)."""
    return ".".join(path)


class NameRegistry:
    """Assigns unique names to JSON paths within one namespace (a table's columns, or tables).

    Args:
        prefix: Prepended (with ``__``) to every generated name; used for child table names.
    """

    def __init__(self, prefix: str = "") -> None:
        self._prefix = prefix
        self._by_path: dict[tuple[str, ...], str] = {}
        self._taken: dict[str, tuple[str, ...] | None] = {}
        self._reserved: dict[str, str] = {}

    def reserve(self, name: str) -> str:
        """Claim ``name`` as is (system and constant columns); suffixed only if a data path
        already owns it. Asking again for the same name returns the same answer."""
        found = self._reserved.get(name)
        if found is not None:
            return found
        final = self._free(name)
        self._taken[final] = None
        self._reserved[name] = final
        return final

    def resolve(self, path: tuple[str, ...]) -> str:
        """The name for ``path``: cached, or newly derived and de-duplicated."""
        found = self._by_path.get(path)
        if found is not None:
            return found
        base = normalize_path(path)
        if self._prefix:
            base = f"{self._prefix}{PATH_SEPARATOR}{base}" if base else self._prefix
        final = self._free(base)
        self._by_path[path] = final
        self._taken[final] = path
        return final

    def assign(self, path: tuple[str, ...], name: str) -> None:
        """Pin ``path`` to ``name`` (a name stored by an earlier run keeps its collisions'
        resolution stable: ``aB`` stays ``a_b_2`` even if ``a_b`` shows up first later)."""
        if path in self._by_path or name in self._taken:
            return
        self._by_path[path] = name
        self._taken[name] = path

    def paths(self) -> dict[str, tuple[str, ...]]:
        """Every assigned name -> the JSON path it came from (reserved names excluded)."""
        return {name: path for name, path in self._taken.items() if path is not None}

    def _free(self, base: str) -> str:
        if base not in self._taken:
            return base
        n = 2
        while f"{base}_{n}" in self._taken:
            n += 1
        return f"{base}_{n}"
