"""``restsync state show|reset``: the committed state of a source's resources."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from restsync.cli.common import (
    DatasetOpt,
    DestinationOpt,
    fail,
    load_source_names_only,
    open_for,
    unknown_resource,
)
from restsync.errors import RestsyncError

state_app = typer.Typer(add_completion=False, no_args_is_help=True,
                        help="Show or reset incremental cursors and resume points.")

SpecArg = Annotated[Path, typer.Argument(help="The spec or document the state belongs to.")]
ResourceOpt = Annotated[str | None, typer.Option(help="Only this resource.")]


def _open(spec: Path, destination: str | None, dataset: str | None) -> tuple[Any, list[str]]:
    source = load_source_names_only(spec)  # names only: secrets are not needed to read state
    names = [r.name for r in source.resources]
    return open_for(source, destination, dataset), names


def describe_state(state: dict[str, Any]) -> str:
    """One line for a resource's stored state (cursor, parent cursors, resume point)."""
    parts = []
    inc = state.get("incremental") or {}
    if "last_value" in inc:
        parts.append(f"{inc.get('cursor_path')} >= {inc.get('last_value')}")
    if "per_parent" in inc:
        parts.append(f"{inc.get('cursor_path')}: {len(inc['per_parent'])} parent cursor(s)")
    if "resume" in state:
        parts.append(f"resumes at page {state['resume'].get('page', '?')}")
    return "; ".join(parts) or "-"


@state_app.command("show")
def show(spec: SpecArg, destination: DestinationOpt = None, dataset: DatasetOpt = None,
         resource: ResourceOpt = None) -> None:
    """Print each resource's committed state."""
    from rich.table import Table

    from restsync.cli.common import console

    try:
        dest, names = _open(spec, destination, dataset)
        try:
            states = dest.states()
        finally:
            dest.close()
    except RestsyncError as exc:
        raise fail(exc) from None
    if resource is not None and resource not in names:
        raise fail(unknown_resource(resource, names))
    table = Table("resource", "state")
    for name in names:
        if resource in (None, name):
            table.add_row(name, describe_state(states.get(name, {})))
    console.print(table)


@state_app.command("reset")
def reset(spec: SpecArg, destination: DestinationOpt = None, dataset: DatasetOpt = None,
          resource: ResourceOpt = None) -> None:
    """Forget committed state (all resources, or --resource); loaded data stays."""
    from restsync.cli.common import console

    try:
        dest, names = _open(spec, destination, dataset)
        try:
            if resource is not None and resource not in names:
                raise unknown_resource(resource, names)
            done = dest.reset_state(resource)
        finally:
            dest.close()
    except RestsyncError as exc:
        raise fail(exc) from None
    console.print(f"state reset: {', '.join(done) if done else 'nothing stored'}")
