"""``check``'s view of the limits: the values in force and what earlier runs ran into."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from restsync.spec.limits import LIMIT_NAMES, effective_limits

if TYPE_CHECKING:
    from restsync.spec.model import SourceConfig


def print_limits(console: Console, source: SourceConfig, seen: list[str]) -> None:
    """Print the client's limits, every resource's own ones, and ``seen`` (earlier runs)."""
    client = effective_limits(source.client.limits)
    console.print(Text("limits (docs/limits.md):", style="bold"))
    console.print("  " + ", ".join(client.setting(name).removeprefix("client.limits.")
                                   for name in LIMIT_NAMES))
    for resource in source.resources:
        if resource.limits is None:
            continue
        own = effective_limits(source.client.limits, resource.limits, resource_name=resource.name)
        changed = [own.setting(n) for n in LIMIT_NAMES if getattr(resource.limits, n) is not None]
        if changed:
            console.print(f"  {', '.join(changed)}")
    if seen:
        console.print(Text("seen in earlier runs:", style="bold"))
        for note in seen:
            console.print(Text(f"  - {note}"))
