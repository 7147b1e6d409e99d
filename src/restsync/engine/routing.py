"""dlt's callable ``table_name`` (Python API): each record goes to the table it names.

One :class:`~restsync.normalize.Normalizer` per table name, created on first use; the
resource's load receives the batches of every table (``write_disposition: append`` only,
checked by the spec stage: a replace or merge of tables known only at run time is refused).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from restsync.errors import ResponseError
from restsync.normalize import Normalizer, TableBatch, TableSchema
from restsync.normalize.normalizer import ConstantColumns
from restsync.spec.code import UserCode

__all__ = ["RoutingNormalizer"]


class RoutingNormalizer:
    """Routes records to tables by ``route(record)``; shaped like a Normalizer for the sink.

    Args:
        route: The user's ``table_name`` callable.
        make: Builds the normalizer of one table name.
        resource: Resource name (errors).
    """

    def __init__(self, route: UserCode, make: Callable[[str], Normalizer], resource: str):
        self._route = route
        self._make = make
        self._resource = resource
        self.normalizers: dict[str, Normalizer] = {}

    def _table_of(self, record: dict[str, Any], index: int) -> str:
        try:
            name = self._route(record)
        except Exception as exc:
            raise ResponseError(f"table_name {self._route.name} raised {type(exc).__name__}: "
                                f"{exc}", location=f"resource '{self._resource}', record "
                                                   f"{index}") from exc
        if not isinstance(name, str) or not name:
            raise ResponseError(f"table_name {self._route.name} returned {name!r}, expected a "
                                "table name", location=f"resource '{self._resource}', record "
                                                       f"{index}")
        return name

    def normalize(self, records: list[dict[str, Any]],
                  constant_columns: ConstantColumns | None = None, *,
                  where: str | None = None) -> list[TableBatch]:
        """The batches of every table the records go to (``constant_columns``: one mapping
        for every row; ``where``: the records' pages, for messages)."""
        if constant_columns is not None and not isinstance(constant_columns, Mapping):
            raise TypeError("a routed resource takes one constant_columns mapping")
        groups: dict[str, list[dict[str, Any]]] = {}
        for index, record in enumerate(records):
            groups.setdefault(self._table_of(record, index), []).append(record)
        out: list[TableBatch] = []
        for name, group in groups.items():
            if name not in self.normalizers:
                self.normalizers[name] = self._make(name)
            out.extend(self.normalizers[name].normalize(group, constant_columns, where=where))
        return out

    def table_schemas(self) -> dict[str, TableSchema]:
        return {k: v for n in self.normalizers.values() for k, v in n.table_schemas().items()}

    @property
    def limit_notes(self) -> list[str]:
        return [note for n in self.normalizers.values() for note in n.limit_notes]

    @property
    def dropped_rows(self) -> dict[str, int]:
        return {k: v for n in self.normalizers.values() for k, v in n.dropped_rows.items()}

    @property
    def discarded_values(self) -> dict[str, int]:
        return {k: v for n in self.normalizers.values() for k, v in n.discarded_values.items()}
