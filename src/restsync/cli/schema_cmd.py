"""``restsync schema``: print the stored schema; ``--diff`` previews the next run's changes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from restsync.errors import MissingValuesError, RestsyncError, SchemaContractError

if TYPE_CHECKING:
    from restsync.normalize import TableSchema

FORMATS = ("table", "json", "yaml")


def schema(
    spec: Annotated[Path, typer.Argument(help="Document (.md/.txt), .yaml/.yml/.json/.toml spec.")],
    resource: Annotated[str | None, typer.Option(help="Only this resource's tables.")] = None,
    format: Annotated[str, typer.Option("--format", help="table, json or yaml.")] = "table",
    destination: Annotated[str | None, typer.Option(
        help="Destination URL, default duckdb:///restsync.duckdb")] = None,
    dataset: Annotated[str | None, typer.Option(help="Dataset (schema) name.")] = None,
    diff: Annotated[bool, typer.Option(
        "--diff", help="Fetch the first page of every resource and show what the next run "
                       "would change.")] = False,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override a spec value.")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", help="NAME=V1[,V2...].")] = None,
) -> None:
    """Print the stored schema of a source's tables (columns, types, JSON paths, comments)."""
    from restsync.cli.app import _fail, _load, console
    from restsync.engine.api import DEFAULT_DESTINATION, dataset_name_for
    from restsync.load import open_destination
    from restsync.normalize.naming import normalize_identifier

    if format not in FORMATS:
        raise _fail(RestsyncError(f"--format {format!r}: use table, json or yaml")) from None
    try:
        try:
            source = _load(spec, set_, param)
        except MissingValuesError:
            if diff:
                raise
            source = _load(spec, set_, param, resolve_values=False)
        names = [r.name for r in source.resources]
        if resource is not None and resource not in names:
            raise RestsyncError(f"unknown resource {resource!r}; known: {', '.join(names)}")
        chosen = [r for r in source.resources if resource in (None, r.name)]
        dest = open_destination(destination or DEFAULT_DESTINATION,
                                dataset or dataset_name_for(source.name))
        try:
            stored: dict[str, TableSchema] = {}
            for r in chosen:
                stored.update(dest.stored_schema(normalize_identifier(r.table_name or r.name)))
        finally:
            dest.close()
        if diff:
            lines = asyncio.run(_diff_lines(source, [r.name for r in chosen], stored))
            for line in lines:
                console.print(line, markup=False, highlight=False)
            return
    except RestsyncError as exc:
        raise _fail(exc) from None
    _print(console, stored, format)


def _print(console: Console, stored: dict[str, TableSchema], fmt: str) -> None:
    import orjson
    import yaml

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


async def _diff_lines(source: Any, resources: list[str], stored: dict[str, TableSchema]
                      ) -> list[str]:
    """Fetch one page per resource and describe what loading it would change."""
    from restsync.engine.items import work_items
    from restsync.events import discard
    from restsync.extract import ApiClient
    from restsync.load.schema_store import diff_tables
    from restsync.normalize import Normalizer
    from restsync.plan import build_plan

    plan = build_plan(source, selected=resources)
    samples: dict[str, list[dict[str, Any]]] = {}
    lines: list[str] = []
    async with ApiClient(source.client, events=discard) as client:
        for name in plan.order:
            rp = plan.resources[name]
            parent_records = samples.get(rp.parent, []) if rp.parent else [None]
            records: list[dict[str, Any]] = []
            for parent in parent_records[:1]:
                for item in work_items(rp, parent, 0):
                    async for page in client.pages(
                            resource=rp.name, endpoint=rp.config.endpoint,
                            paginator=rp.paginator, path_values=item.path_values,
                            extra_params=dict(item.query_values)):
                        for record in page.records:
                            record.update(item.carried)
                        records = page.records
                        break
                    break
            samples[name] = records
            if not rp.load or name not in resources:
                continue
            lines.extend(_resource_diff(rp, records, stored, Normalizer, diff_tables))
    return lines or ["no resource to compare"]


def _resource_diff(rp: Any, records: list[dict[str, Any]], stored: dict[str, TableSchema],
                   normalizer_class: Any, diff_tables: Any) -> list[str]:
    from restsync.normalize.naming import normalize_identifier

    root = normalize_identifier(rp.table_name)
    mine = {k: v for k, v in stored.items() if k == root or k.startswith(root + "__")}
    contract = rp.config.schema_contract
    normalizer = normalizer_class(
        table_name=rp.table_name, primary_key=None, load_id="diff",
        max_nesting=rp.config.max_table_nesting,
        columns={k: c.model_dump() for k, c in rp.config.columns.items()},
        json_columns=rp.config.json_columns,
        contract=contract.model_dump() if contract else None, stored=mine, resource=rp.name)
    head = f"{rp.name}: first page, {len(records)} record(s)"
    try:
        normalizer.normalize(records)
    except SchemaContractError as exc:
        return [head, f"  the next run would FAIL: {exc}"]
    changes = [str(c) for t in normalizer.table_schemas().values()
               for c in diff_tables(mine.get(t.name), t)
               if mine.get(t.name) is not None or c.change == "new_table"]
    for table, n in normalizer.dropped_rows.items():
        changes.append(f"{n} row(s) of {table} would be dropped (discard_row)")
    for column, n in normalizer.discarded_values.items():
        changes.append(f"{n} value(s) of {column} would be dropped (discard_value)")
    return [head, *(f"  {c}" for c in changes or ["no change"])]
