"""``restsync state show|reset``: the committed state of a source's resources."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from restsync.errors import MissingValuesError, RestsyncError

state_app = typer.Typer(add_completion=False, no_args_is_help=True,
                        help="Show or reset incremental cursors and resume points.")

SpecArg = Annotated[Path, typer.Argument(help="The spec or document the state belongs to.")]
DestOpt = Annotated[str | None, typer.Option(help="Destination URL, default duckdb:///restsync.duckdb")]
DatasetOpt = Annotated[str | None, typer.Option(help="Dataset (schema) name.")]
ResourceOpt = Annotated[str | None, typer.Option(help="Only this resource.")]


def _open(spec: Path, destination: str | None, dataset: str | None) -> tuple[Any, list[str]]:
    from restsync.cli.app import _load
    from restsync.engine.api import DEFAULT_DESTINATION, dataset_name_for
    from restsync.load import open_destination

    try:
        source = _load(spec, None, None)
    except MissingValuesError:  # names only: secrets are not needed to read state
        source = _load(spec, None, None, resolve_values=False)
    names = [r.name for r in source.resources]
    dest = open_destination(destination or DEFAULT_DESTINATION,
                            dataset or dataset_name_for(source.name))
    return dest, names


def _describe(state: dict[str, Any]) -> str:
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
def show(spec: SpecArg, destination: DestOpt = None, dataset: DatasetOpt = None,
         resource: ResourceOpt = None) -> None:
    """Print each resource's committed state."""
    from restsync.cli.app import _fail, console

    try:
        dest, names = _open(spec, destination, dataset)
        try:
            states = dest.states()
        finally:
            dest.close()
    except RestsyncError as exc:
        raise _fail(exc) from None
    if resource is not None and resource not in names:
        raise _fail(RestsyncError(f"unknown resource {resource!r}; known: {', '.join(names)}"))
    table = Table("resource", "state")
    for name in names:
        if resource in (None, name):
            table.add_row(name, _describe(states.get(name, {})))
    console.print(table)


@state_app.command("reset")
def reset(spec: SpecArg, destination: DestOpt = None, dataset: DatasetOpt = None,
          resource: ResourceOpt = None) -> None:
    """Forget committed state (all resources, or --resource); loaded data stays."""
    from restsync.cli.app import _fail, console

    try:
        dest, names = _open(spec, destination, dataset)
        if resource is not None and resource not in names:
            dest.close()
            raise RestsyncError(f"unknown resource {resource!r}; known: {', '.join(names)}")
        try:
            done = dest.reset_state(resource)
        finally:
            dest.close()
    except RestsyncError as exc:
        raise _fail(exc) from None
    console.print(f"state reset: {', '.join(done) if done else 'nothing stored'}")
