"""The base of every spec model and the type registries built from the models' unions.

A kind of pluggable thing (a paginator, an auth type) is registered once: its model class is
a member of the kind's discriminated union (``PaginatorConfig``, ``AuthConfig``). The type
names, aliases and the name -> model map that normalization, validation messages and the
extract stage use are all derived from that union here, so they cannot drift apart.
"""

from __future__ import annotations

import typing
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class SpecModel(BaseModel):
    """Base of the spec models: unknown keys are errors, fields are set by name or alias."""

    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True)


class TypedModel(SpecModel):
    """A member of a discriminated union: its ``type`` field's default is its type name.

    Attributes:
        aliases: Other names accepted for the type in specs (``basic`` for ``http_basic``).
    """

    aliases: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def type_name(cls) -> str:
        """The type name (the default of the ``type`` field)."""
        return str(cls.model_fields["type"].default)


class Registry:
    """The members of one discriminated union, by type name.

    Args:
        union: ``Annotated[A | B | ..., Field(discriminator="type")]``.
        kind: What the members are, for messages (``"paginator type"``).

    Attributes:
        models: Type name -> model class, in union order.
        names: The type names, in union order.
        aliases: Alias -> type name.
    """

    def __init__(self, union: Any, kind: str) -> None:
        members = typing.get_args(typing.get_args(union)[0])
        self.kind = kind
        self.models: dict[str, type[TypedModel]] = {m.type_name(): m for m in members}
        self.names: tuple[str, ...] = tuple(self.models)
        self.aliases: dict[str, str] = {
            alias: name for name, m in self.models.items() for alias in m.aliases}

    def canonical(self, name: str) -> str | None:
        """The type name ``name`` stands for (itself or via an alias), or ``None``."""
        name = self.aliases.get(name, name)
        return name if name in self.models else None
