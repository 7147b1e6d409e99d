"""Values as expressions see them: objects read through :class:`ObjectView`, missing keys as
:data:`EMPTY`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["EMPTY", "ObjectView", "unwrap", "wrap"]


class _Empty:
    """The value of a missing key: falsy, empty, equal to ``None`` and to itself."""

    _instance: _Empty | None = None

    def __new__(cls) -> _Empty:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __len__(self) -> int:
        return 0

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __eq__(self, other: object) -> bool:
        return other is None or isinstance(other, _Empty)

    def __hash__(self) -> int:
        return hash(None)

    def __str__(self) -> str:
        return ""

    def __repr__(self) -> str:
        return "<empty>"


EMPTY = _Empty()


class ObjectView(Mapping[Any, Any]):
    """Read-only view of a JSON object inside an expression; keys read as attributes.

    Args:
        data: The wrapped dict.
        case_insensitive: Keys are compared lower-case and ``_`` also matches ``-``
            (used for ``headers``; the wrapped dict's keys must be lower-case).
    """

    __slots__ = ("_ci", "_data")

    def __init__(self, data: Mapping[Any, Any], *, case_insensitive: bool = False):
        self._data = data
        self._ci = case_insensitive

    def lookup(self, key: Any) -> Any:
        """The value at ``key``, or :data:`EMPTY` when absent."""
        if self._ci and isinstance(key, str):
            key = key.lower()
            if key not in self._data and "_" in key:
                key = key.replace("_", "-")
        if not isinstance(key, str | int):
            return EMPTY
        return self._data.get(key, EMPTY)

    def __getitem__(self, key: Any) -> Any:
        value = self.lookup(key)
        if value is EMPTY:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[Any]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ObjectView):
            return self._data == other._data
        return self._data == other

    def __hash__(self) -> int:
        return id(self._data)

    def __repr__(self) -> str:
        return f"ObjectView({len(self._data)} keys)"

    def unwrap(self) -> Mapping[Any, Any]:
        """The wrapped dict."""
        return self._data


def wrap(value: Any) -> Any:
    """Dicts become :class:`ObjectView`; other values are returned as they are."""
    if isinstance(value, dict):
        return ObjectView(value)
    return value


def unwrap(value: Any) -> Any:
    """Inverse of :func:`wrap`; :data:`EMPTY` becomes ``None``."""
    if isinstance(value, ObjectView):
        return value.unwrap()
    if isinstance(value, _Empty):
        return None
    return value
