"""dlt's table keys and merge strategy, resolved as dlt resolves them.

* ``primary_key`` and ``merge_key``: a column name (JSON key) or a list of them, on the
  resource or as column hints (``columns: {day: {merge_key: true}}``). A key given on the
  resource replaces the column hints of its kind (dlt: the table-level hint wins); without
  one, the columns hinted ``true`` are the key, in the order the columns are given.
* ``write_disposition: {disposition: merge, strategy: delete-insert}`` (the default): stored
  rows that share the primary key **or** the merge key with a loaded row are replaced, with
  their child rows (see :mod:`restsync.load.disposition`).
* ``strategy: upsert`` needs a primary key (dlt refuses it without one) and ignores a merge
  key (dlt logs that it does); restsync says so as an inference and drops the merge key.
* A merge key with ``append`` or ``replace`` has no effect (an inference says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from restsync.spec.context import Context
from restsync.spec.issues import RawPath

KEY_KINDS = ("primary_key", "merge_key")


def key_list(value: Any, path: RawPath, ctx: Context) -> list[str] | None:
    """A key (a column name or a list of them) as a list; None when absent or empty (dlt:
    no key), or when it is invalid (reported at ``path``)."""
    if value is None or value == "" or value == []:
        return None
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        ctx.issues.add(path, "a key is a column name or a list of column names "
                             f"(JSON keys of the records), got {value!r}")
        return None
    return list(names)


def _from_columns(resource: dict[str, Any], kind: str, path: RawPath,
                  ctx: Context) -> list[str] | None:
    """Apply dlt's rule between the resource's key and its column hints of ``kind``."""
    columns: Mapping[str, dict[str, Any]] = resource.get("columns") or {}
    given = kind in resource and resource[kind] is not None
    key = key_list(resource.get(kind), (*path, kind), ctx) if given else None
    if given:  # the resource's key wins: the column hints follow it
        for name, hints in columns.items():
            if hints.get(kind) and name not in (key or []):
                ctx.infer((*path, "columns", name, kind),
                          f"`{name}` is not part of the {kind}: the resource's {kind} "
                          "replaces the column hints (dlt's rule)")
            hints.pop(kind, None)
            if key and name in key:
                hints[kind] = True
        return key
    hinted = [name for name, hints in columns.items() if hints.get(kind)]
    if hinted:
        ctx.infer((*path, kind), f"{kind} {hinted} taken from the column hints "
                                 f"(columns.<name>.{kind}: true)")
    return hinted or None


def normalize_keys(resource: dict[str, Any], path: RawPath, ctx: Context) -> None:
    """Resolve ``primary_key``/``merge_key`` and check them against the disposition and
    merge strategy, in place (call after the columns and ``write_disposition`` are
    normalized)."""
    keys = {kind: _from_columns(resource, kind, path, ctx) for kind in KEY_KINDS}
    primary, merge = keys["primary_key"], keys["merge_key"]
    for kind in KEY_KINDS:
        resource.pop(kind, None)
    if primary:
        resource["primary_key"] = primary[0] if len(primary) == 1 else primary
    disposition = resource.get("write_disposition", "append")
    strategy = resource.get("merge_strategy", "delete-insert")
    if disposition == "merge" and strategy == "upsert" and not primary:
        ctx.issues.add((*path, "write_disposition", "strategy"),
                       "the upsert strategy needs a primary_key (dlt refuses it without one): "
                       "set primary_key, or use the delete-insert strategy")
    if not merge:
        return
    if disposition != "merge":
        ctx.infer((*path, "merge_key"), f"merge_key {merge} has no effect with "
                                        f"write_disposition {disposition} (as in dlt)")
        return
    if strategy == "upsert":
        ctx.infer((*path, "merge_key"), f"merge_key {merge} is ignored by the upsert strategy "
                                        "(as in dlt: upsert matches on the primary key)")
        return
    resource["merge_key"] = merge
    replaced = " or ".join(f"share {_names(k)} with a loaded row" for k in (primary, merge) if k)
    ctx.infer((*path, "merge_key"),
              f"merge (delete-insert): stored rows that {replaced} are replaced, with their "
              "child rows" + ("" if primary else "; loaded rows are not deduplicated "
                                                  "(no primary key)"))


def _names(key: list[str]) -> str:
    return " and ".join(f"`{k}`" for k in key)
