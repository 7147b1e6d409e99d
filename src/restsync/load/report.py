"""The result of one resource's commit."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LoadReport:
    """What one resource's commit did.

    Attributes:
        rows: Table -> rows inserted by this load.
        notes: Things the user should know (fallbacks), in plain words.
        disposition_applied: ``append``, ``replace`` or ``merge`` as actually applied (a merge
            without any primary key value is applied as ``replace``).
        schema_changes: What this load changed in the stored schema, one line each
            (``new table events__tags``, ``new column events.ip (text, from `ip`)``,
            ``events.v: bigint -> double``); empty when nothing changed.
        schema_versions: Table -> stored schema version after this load.
    """

    rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    disposition_applied: str = "append"
    schema_changes: list[str] = field(default_factory=list)
    schema_versions: dict[str, int] = field(default_factory=dict)
