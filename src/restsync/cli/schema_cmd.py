"""``restsync schema``: print the stored schema; ``--diff`` previews the next run's changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from restsync.cli.common import (
    DatasetOpt,
    DestinationOpt,
    ParamOpt,
    SetOpt,
    SpecArg,
    fail,
    load_source,
    load_source_names_only,
    open_for,
    unknown_resource,
)
from restsync.errors import RestsyncError

if TYPE_CHECKING:
    from rich.console import Console

    from restsync.engine.schema_preview import ResourcePreview
    from restsync.normalize import TableSchema

FORMATS = ("table", "json", "yaml")


def schema(
    spec: SpecArg,
    resource: Annotated[str | None, typer.Option(help="Only this resource's tables.")] = None,
    format: Annotated[str, typer.Option("--format", help="table, json or yaml.")] = "table",
    destination: DestinationOpt = None,
    dataset: DatasetOpt = None,
    diff: Annotated[bool, typer.Option(
        "--diff", help="Fetch the first page of every resource and show what the next run "
                       "would change.")] = False,
    set_: SetOpt = None,
    param: ParamOpt = None,
) -> None:
    """Print the stored schema of a source's tables (columns, types, JSON paths, comments)."""
    import asyncio

    from restsync.cli.common import console
    from restsync.engine.schema_preview import preview_schema_changes, stored_schema_of

    if format not in FORMATS:
        raise fail(RestsyncError(f"--format {format!r}: use table, json or yaml")) from None
    try:
        # --diff sends requests: it needs the secrets; printing the stored schema does not
        source = load_source(spec, set_, param) if diff else \
            load_source_names_only(spec, set_, param)
        names = [r.name for r in source.resources]
        if resource is not None and resource not in names:
            raise unknown_resource(resource, names)
        dest = open_for(source, destination, dataset)
        try:
            stored = stored_schema_of(dest, source, resource)
        finally:
            dest.close()
        if diff:
            chosen = [n for n in names if resource in (None, n)]
            previews = asyncio.run(preview_schema_changes(source, stored, resources=chosen))
            _print_previews(console, previews)
            return
    except RestsyncError as exc:
        raise fail(exc) from None
    _print(console, stored, format)


def _print_previews(console: Console, previews: list[ResourcePreview]) -> None:
    if not previews:
        console.print("no resource to compare", markup=False, highlight=False)
    for p in previews:
        console.print(f"{p.resource}: first page, {p.records} record(s)", markup=False,
                      highlight=False)
        if p.failure is not None:
            lines = [f"the next run would FAIL: {p.failure}"]
        else:
            lines = p.changes or ["no change"]
        for line in lines:
            console.print(f"  {line}", markup=False, highlight=False)


def _print(console: Console, stored: dict[str, TableSchema], fmt: str) -> None:
    import orjson
    import yaml
    from rich.table import Table

    from restsync.normalize.naming import render_path

    data = {name: t.to_dict() for name, t in stored.items()}
    if fmt == "json":
        console.print(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode(), markup=False,
                      highlight=False)
        return
    if fmt == "yaml":
        console.print(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), markup=False,
                      highlight=False)
        return
    if not stored:
        console.print("no stored schema (nothing loaded yet)")
        return
    for table in stored.values():
        parent = f", child of {table.parent}" if table.parent else ""
        grid = Table(title=f"{table.name} (version {table.version}{parent})",
                     title_justify="left")
        for col in ("column", "type", "nullable", "key", "json path", "description"):
            grid.add_column(col, overflow="fold")
        for c in table.columns.values():
            grid.add_row(c.name, c.type_text() + (" (declared)" if c.declared else ""),
                         "yes" if c.nullable else "no", "pk" if c.primary_key else "",
                         render_path(c.json_path) if c.json_path else "",
                         c.description or "")
        console.print(grid)
