"""Bounding a batch's shape before it becomes columns: the ``max_columns`` limit.

A map keyed by data (counts per user, per day) would make one column per key, and a table of
10,000 or 500,000 columns; Arrow would build every one of them for every row before anyone
could look. So the shape of a batch is known first (:func:`shape_of_type` from
``pa.infer_type``, or :func:`shape_of_values` when Arrow cannot infer the page), and
:func:`plan_cuts` picks the nested objects to keep whole as one JSON column, widest first,
until every table fits; :func:`cut_records` then replaces those values by their JSON text in
copies of the records (the records themselves are never changed: a parent's records also feed
its children). Nothing here builds a column.

The walk mirrors :class:`~restsync.normalize.flatten.Flattener`: the root row's fields are at
level 0, every object or list descended adds one; one at a level ``>= nesting`` is a JSON
column; a list is a child table, counted as one column of its parent for this limit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

__all__ = ["Cut", "Node", "ShapeLimits", "cut_records", "plan_cuts", "shape_of_type",
           "shape_of_values"]

Path = tuple[str, ...]


@dataclass(frozen=True)
class ShapeLimits:
    """The limits the normalizer enforces (``None``: no limit).

    Attributes:
        max_columns: Most data columns per table (``_dlt_*`` columns not counted; a child
            table counts as one column of its parent).
        max_depth: Deepest level turned into columns/child tables; deeper objects and lists
            are kept as JSON (with dlt's ``max_table_nesting``, the smaller one applies).
        columns_setting: How to name ``max_columns`` in messages
            (``client.limits.max_columns=1000``).
        depth_setting: How to name ``max_depth`` in messages.
    """

    max_columns: int | None = None
    max_depth: int | None = None
    columns_setting: str = "max_columns"
    depth_setting: str = "max_nesting_depth"


@dataclass
class Node:
    """What one place of the batch holds (a key of the records, or the items of a list).

    Attributes:
        fields: Keys seen in objects here (``None``: no object here).
        element: What the lists here hold (``None``: no list here).
        scalar: A non-null scalar was seen here.
    """

    fields: dict[str, Node] | None = None
    element: Node | None = None
    scalar: bool = False

    def field(self, name: str) -> Node:
        """The node of key ``name`` (created on first use)."""
        if self.fields is None:
            self.fields = {}
        node = self.fields.get(name)
        if node is None:
            node = self.fields[name] = Node()
        return node

    def items(self) -> Node:
        """The node of this place's list items (created on first use)."""
        if self.element is None:
            self.element = Node()
        return self.element


def shape_of_type(arrow_type: pa.DataType) -> Node:
    """The shape an inferred Arrow type describes (no recursion: any depth)."""
    root = Node()
    todo: list[tuple[Node, pa.DataType]] = [(root, arrow_type)]
    while todo:
        node, typ = todo.pop()
        if pa.types.is_struct(typ):
            if node.fields is None:
                node.fields = {}
            for i in range(typ.num_fields):
                child = typ.field(i)
                todo.append((node.field(child.name), child.type))
        elif pa.types.is_list(typ) or pa.types.is_large_list(typ):
            todo.append((node.items(), typ.value_type))
        elif not pa.types.is_null(typ):
            node.scalar = True
    return root


def shape_of_values(records: Sequence[Any], nesting: int | None) -> Node:
    """The shape of Python records (used when Arrow cannot infer the batch's type).

    Records that are not objects count as ``{"value": record}`` (as they are loaded). Objects
    and lists at a level ``>= nesting`` are not descended (they are JSON columns).
    """
    root = Node(fields={})
    todo: list[tuple[Node, Any, int, bool]] = [
        (root, r if isinstance(r, dict) else {"value": r}, 0, True) for r in records]
    while todo:
        node, value, level, is_object = todo.pop()
        if is_object:  # the fields of ``value`` are met at ``level``
            if node.fields is None:
                node.fields = {}
            for key, item in value.items():
                child = node.field(str(key))
                _place(todo, child, item, level, nesting)
        else:  # a list: its items' fields are met at ``level``
            items = node.items()
            for item in value:
                if isinstance(item, dict):
                    todo.append((items, item, level, True))
                elif isinstance(item, list | tuple):
                    if nesting is not None and level >= nesting:
                        items.scalar = True
                    else:
                        todo.append((items, item, level + 1, False))
                elif item is not None:
                    items.scalar = True
    return root


def _place(todo: list[tuple[Node, Any, int, bool]], node: Node, item: Any, level: int,
           nesting: int | None) -> None:
    """Record one value met at ``level`` at ``node``."""
    if isinstance(item, dict | list | tuple):
        if nesting is not None and level >= nesting:
            node.scalar = True  # kept whole as JSON: one column
        else:
            todo.append((node, item, level + 1, isinstance(item, dict)))
    elif item is not None:
        node.scalar = True


@dataclass(frozen=True)
class Cut:
    """A nested object kept whole as one JSON column because its table was too wide.

    Attributes:
        path: Keys from the root record to the object (list levels are implicit; ``list``
            stands for the items of a list of lists, as in child table names).
        table: Keys of the table's list from the root record (``()``: the root table).
        keys: How many keys the object had in the batch (the columns it would have made).
        width: The table's width before the cut.
    """

    path: Path
    table: Path
    keys: int
    width: int


@dataclass
class _Table:
    path: Path
    row: Node
    level: int
    parent: Path = ()
    leaves: set[Path] = field(default_factory=set)
    lists: dict[Path, tuple[Node, int]] = field(default_factory=dict)
    objects: dict[Path, int] = field(default_factory=dict)


@dataclass
class Plan:
    """What :func:`plan_cuts` decided.

    Attributes:
        cuts: Objects to keep as JSON columns.
        too_wide: Tables still too wide with nothing left to cut (their rows' own keys):
            ``(table path, width)``.
    """

    cuts: list[Cut] = field(default_factory=list)
    too_wide: list[tuple[Path, int]] = field(default_factory=list)


def plan_cuts(root: Node, *, max_columns: int, nesting: int | None,
              is_json: Callable[[Path], bool],
              known_columns: Callable[[Path], set[Path]]) -> Plan:
    """Choose the objects to keep whole so that no table passes ``max_columns``.

    A table's width is its columns (known before, plus this batch's) plus one per child
    table. Columns it already has never count against it: a table stored wider than the
    limit may keep its columns, it only may not grow. The object cut first is the one with
    the most keys (the map); a child table whose rows' own keys are too many is cut in its
    parent (its list becomes one JSON column); the root table cannot be cut.

    Args:
        root: The batch's shape (the records' fields).
        max_columns: The limit.
        nesting: The level from which objects and lists are JSON anyway.
        is_json: Whether a full path is already a JSON column (declared, or cut before).
        known_columns: The column paths (relative to the row) a table already has.
    """
    plan = Plan()
    todo = [_Table((), root, 0)]
    while todo:
        table = todo.pop()
        _collect(table, nesting, is_json)
        known = known_columns(table.path)
        allowed = max(max_columns, len(known))
        width = len(known | table.leaves) + len(table.lists)
        while width > allowed:
            target = _widest(table)
            if target is None:
                break
            plan.cuts.append(Cut((*table.path, *target), table.path, table.objects[target],
                                 width))
            _cut(table, target)
            width = len(known | table.leaves) + len(table.lists)
        if width > allowed:
            if table.path:  # the parent keeps the list whole instead
                plan.cuts.append(Cut(table.path, table.parent, len(table.leaves), width))
                continue
            plan.too_wide.append((table.path, width))
        for rel, (items, level) in table.lists.items():
            todo.append(_Table((*table.path, *rel), items, level, table.path))
    return plan


def _collect(table: _Table, nesting: int | None, is_json: Callable[[Path], bool]) -> None:
    """Fill a table's leaves, child lists and cuttable objects from its row node."""
    row = table.row
    if row.scalar:
        table.leaves.add(("value",))
    if row.element is not None:
        if nesting is not None and table.level >= nesting:
            table.leaves.add(("list",))
        else:
            table.lists[("list",)] = (row.element, table.level + 1)
    stack: list[tuple[Path, Node, int]] = [((), row, table.level)]
    while stack:
        prefix, node, level = stack.pop()
        for name, child in (node.fields or {}).items():
            rel = (*prefix, name)
            if is_json((*table.path, *rel)):
                table.leaves.add(rel)
                continue
            deep = nesting is not None and level >= nesting
            if child.scalar:
                table.leaves.add(rel)
            if child.fields is not None:
                if deep:
                    table.leaves.add(rel)
                else:
                    table.objects[rel] = len(child.fields)
                    stack.append((rel, child, level + 1))
            if child.element is not None:
                if deep:
                    table.leaves.add(rel)
                else:
                    table.lists[rel] = (child.element, level + 1)


def _widest(table: _Table) -> Path | None:
    """The object with the most keys (ties: the shallowest)."""
    if not table.objects:
        return None
    return max(table.objects, key=lambda rel: (table.objects[rel], -len(rel)))


def _cut(table: _Table, target: Path) -> None:
    """Replace everything under ``target`` by one leaf."""
    def under(rel: Path) -> bool:
        return rel[:len(target)] == target
    table.leaves = {rel for rel in table.leaves if not under(rel)} | {target}
    table.lists = {rel: v for rel, v in table.lists.items() if not under(rel)}
    table.objects = {rel: n for rel, n in table.objects.items() if not under(rel)}


# --------------------------------------------------------------------------- applying cuts

_END = ""  # trie key marking a cut path's end (keys are never matched against it)


def cut_records(records: Sequence[Any], cuts: Iterable[Path], encode: Callable[[Any], str]
                ) -> list[Any]:
    """Copies of ``records`` whose values at ``cuts`` are replaced by ``encode(value)``.

    Only the dicts and lists on the way to a cut are copied; the rest is shared. A cut path
    goes through lists implicitly (each item is followed), ``list`` names the items of a
    list of lists. ``None`` values stay ``None``.
    """
    trie: dict[str, Any] = {}
    for path in cuts:
        node = trie
        for key in path:
            node = node.setdefault(key, {})
        node[_END] = True
    return [_cut_object(r, trie, encode) if isinstance(r, dict) else r for r in records]


def _cut_object(obj: dict[str, Any], trie: dict[str, Any], encode: Callable[[Any], str]
                ) -> dict[str, Any]:
    out: dict[str, Any] | None = None
    for key, sub in trie.items():
        if key == _END or key not in obj:
            continue
        value = obj[key]
        new = value if value is None else (
            encode(value) if _END in sub else _cut_inside(value, sub, encode))
        if new is not value:
            if out is None:
                out = dict(obj)
            out[key] = new
    return obj if out is None else out


def _cut_inside(value: Any, trie: dict[str, Any], encode: Callable[[Any], str]) -> Any:
    if isinstance(value, dict):
        return _cut_object(value, trie, encode)
    if not isinstance(value, list):
        return value
    items: list[Any] | None = None
    for i, item in enumerate(value):
        new: Any
        if isinstance(item, dict):
            new = _cut_object(item, trie, encode)
        elif isinstance(item, list) and "list" in trie:
            sub = trie["list"]
            new = encode(item) if _END in sub else _cut_inside(item, sub, encode)
        else:
            continue
        if new is not item:
            if items is None:
                items = list(value)
            items[i] = new
    return value if items is None else items
