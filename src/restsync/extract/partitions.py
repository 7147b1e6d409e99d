"""Partitions of a templated endpoint: the cartesian product of its routers.

A list router gives one partition per value; a parent router one per record of the parent
resource (its value read at ``parent_key``; ``extra_fields`` copied). Each partition is a
work item's ``path_values``: the partition itself (``stream_partition``), its extra fields
and the request options its routers inject.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from restsync.errors import ResponseError
from restsync.extract.templated import EXTRA_FIELDS, OPTIONS, PARTITION
from restsync.spec.templated import (
    AncestorPartition,
    ListPartition,
    ParentPartition,
    TemplatedEndpoint,
)

__all__ = ["partition_values"]

_MISSING = object()


def _dig(record: Any, path: tuple[str, ...]) -> Any:
    node = record
    for key in path:
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return _MISSING
    return node


def _missing(parent_index: int | None, parent: str, key: str, field: str,
             resource: str) -> ResponseError:
    where = f"record #{parent_index}" if parent_index is not None else "a record"
    return ResponseError(f"{where} of `{parent}` has no `{key}`, which the partition field "
                         f"`{field}` needs", location=f"resource '{resource}'")


def _parent_option(router: ParentPartition, parent: Mapping[str, Any],
                   parent_index: int | None, resource: str
                   ) -> tuple[dict[str, Any], dict[str, Any], list[Any], str]:
    """One parent record's partition by one parent configuration."""
    value = _dig(parent, router.parent_key)
    if value is _MISSING:
        raise _missing(parent_index, router.parent, ".".join(router.parent_key),
                       router.partition_field, resource)
    extras = {name: v for keys, name in router.extra_fields
              if (v := _dig(parent, keys)) is not _MISSING}
    opts = [(router.request_option, value)] if router.request_option else []
    return ({router.partition_field: value, "parent_slice": {}}, extras, opts,
            f"{router.parent}.{'.'.join(router.parent_key)}={value}")


def partition_values(te: TemplatedEndpoint, parent: Mapping[str, Any] | None,
                     parent_index: int | None, resource: str
                     ) -> Iterator[tuple[dict[str, Any], str, dict[str, Any]]]:
    """``(path_values, label, carried columns)`` of each partition (one per combination of
    the routers).

    Raises:
        ResponseError: A parent record has no value at ``parent_key``.
    """
    choices: list[list[tuple[dict[str, Any], dict[str, Any], list[Any], str]]] = []
    for router in te.partitions:
        options: list[tuple[dict[str, Any], dict[str, Any], list[Any], str]] = []
        if isinstance(router, ListPartition):
            for value in router.values:
                opts = [(router.request_option, value)] if router.request_option else []
                options.append(({router.field: value}, {}, opts, f"{router.field}={value}"))
        elif isinstance(router, ParentPartition):
            if parent is None:
                raise AssertionError("a parent router without a parent record")
            for config in (router, *router.alternatives):
                options.append(_parent_option(config, parent, parent_index, resource))
        elif isinstance(router, AncestorPartition):
            if parent is None or router.column not in parent:
                raise _missing(parent_index, "its parent", router.column, router.field,
                               resource)
            value = parent[router.column]
            opts = [(router.request_option, value)] if router.request_option else []
            options.append(({router.field: value}, {}, opts, f"{router.ancestor}={value}"))
        choices.append(options)
    carried = {r.carried_column: r.partition_field if isinstance(r, ParentPartition)
               else r.field for r in te.partitions
               if isinstance(r, ParentPartition | AncestorPartition) and r.carry}
    for combo in itertools.product(*choices):
        partition: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        injected: list[Any] = []
        labels: list[str] = []
        for part, ext, opt, label in combo:
            partition.update(part)
            extra.update(ext)
            injected.extend(opt)
            labels.append(label)
        values: dict[str, Any] = {PARTITION: partition}
        if extra:
            values[EXTRA_FIELDS] = extra
        if injected:
            values[OPTIONS] = injected
        carry = {column: partition.get(field) for column, field in carried.items()}
        yield values, ", ".join(labels), carry
