"""Reading and resetting ``_restsync_state``: the same SQL for every destination."""

from __future__ import annotations

from typing import Any, ClassVar

import orjson

from restsync.load.sql.access import SqlAccess

STATE_TABLE = "_restsync_state"


class StateTableMixin(SqlAccess):
    """``get_state`` / ``states`` / ``reset_state`` for a destination class.

    The class provides ``dataset``, ``sql(query, params)``, ``ref(schema, table)`` and
    ``table_exists(schema, table)`` (:class:`~restsync.load.sql.access.SqlAccess`), and sets
    ``PARAM`` and the class attribute below.
    """

    STATE_AS_TEXT: ClassVar[str] = "state"
    """SQL reading the state column as JSON text (``state::text`` for jsonb)."""

    def _state_rows(self, resource: str | None) -> list[tuple[Any, ...]]:
        if not self.table_exists(self.dataset, STATE_TABLE):
            return []
        query = (f"SELECT resource, {self.STATE_AS_TEXT} FROM "
                 f"{self.ref(self.dataset, STATE_TABLE)}")
        if resource is None:
            return self.sql(query + " ORDER BY resource")
        return self.sql(query + f" WHERE resource = {self.PARAM}", [resource])

    def get_state(self, resource: str) -> dict[str, Any]:
        """The state last committed for ``resource``, ``{}`` if none."""
        return self._decode(self._state_rows(resource)).get(resource, {})

    def states(self) -> dict[str, dict[str, Any]]:
        """Every resource's committed state, by resource name."""
        return self._decode(self._state_rows(None))

    def reset_state(self, resource: str | None = None) -> list[str]:
        """Forget the state of ``resource`` (every resource when ``None``); the next run starts
        from the spec's initial values. Data is left alone. Returns the resources reset."""
        chosen = [r for r in self.states() if resource in (None, r)]
        for name in chosen:
            self.sql(f"DELETE FROM {self.ref(self.dataset, STATE_TABLE)} "
                     f"WHERE resource = {self.PARAM}", [name])
        return chosen

    @staticmethod
    def _decode(rows: list[tuple[Any, ...]]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for resource, text in rows:
            value = orjson.loads(text) if text is not None else {}
            out[resource] = value if isinstance(value, dict) else {}
        return out
