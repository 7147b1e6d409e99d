"""User code from the Python API: callables a dlt user passes to ``rest_api_source(dict)``.

Documents, YAML/JSON/TOML specs and the CLI hold data only: :func:`restsync.spec.files.prepare_raw`
refuses callables there. Only the Python API (``restsync.rest_api_source`` with a dict) keeps
them, wrapped in :class:`UserCode`; the caller already runs Python, so calling them is not a
security question. They appear where dlt accepts them: ``processing_steps`` (``filter``,
``map``, ``yield_map``), ``response_actions`` (an entry or its ``action``), incremental
``convert`` and a resource's ``table_name``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema


@dataclass(frozen=True, eq=False)
class UserCode:
    """A callable from the Python API.

    Attributes:
        fn: The callable.
        name: Its name, for messages and reprs (the code itself is never shown).
    """

    fn: Callable[..., Any]
    name: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<python callable {self.name}>"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.is_instance_schema(cls)


def wrap(fn: Callable[..., Any]) -> UserCode:
    """Wrap a callable (its name taken from ``__qualname__``/``__name__``/its type)."""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) \
        or type(fn).__name__
    return UserCode(fn, str(name))
