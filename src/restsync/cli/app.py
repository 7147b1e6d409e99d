"""The ``restsync`` command line.

Exit codes: 0 every resource completed; 1 some failed (the others are committed); 2 bad
config, option or missing secret (nothing sent); 3 stopped cleanly before a long wait
(``--max-wait``): committed so far, the next run resumes.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from restsync.errors import ConfigError, MissingValuesError, RestsyncError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="restsync: run declarative REST API specs into tables.")
sandbox_app = typer.Typer(add_completion=False, no_args_is_help=True,
                          help="Loopback sandboxes of the five seed APIs.")
app.add_typer(sandbox_app, name="sandbox")

console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)

SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="Override a spec value: PATH=VALUE (e.g. client.base_url=http://127.0.0.1:8080/).")]
ParamOpt = Annotated[list[str] | None, typer.Option(
    "--param", help="Path parameter value(s): NAME=V1[,V2...] (fans out over each value).")]


def parse_params(items: list[str] | None) -> dict[str, list[str]]:
    """``["provider=google,microsoft"]`` -> ``{"provider": ["google", "microsoft"]}``."""
    out: dict[str, list[str]] = {}
    for item in items or []:
        name, sep, values = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--param {item!r}: expected NAME=V1[,V2...]")
        out.setdefault(name.strip(), []).extend(v for v in values.split(",") if v != "")
    return out


def _fail(exc: RestsyncError) -> typer.Exit:
    err.print(f"error: {exc}", style="red", markup=False)
    return typer.Exit(code=2 if isinstance(exc, ConfigError) else 1)


def _load(spec: Path, sets: list[str] | None, params: list[str] | None,
          resolve_values: bool = True) -> Any:
    from restsync.spec import load_spec

    return load_spec(spec, overrides=sets or [], params=parse_params(params),
                     resolve_values=resolve_values)


def _lookup() -> Any:
    from restsync.spec.values import MISSING, ValueResolver

    resolver = ValueResolver()

    def lookup(name: str) -> Any:
        value = resolver.lookup("config", name)
        return None if value is MISSING else value

    return lookup


@app.command()
def check(
    spec: Annotated[Path, typer.Argument(help="Document (.md/.txt), .yaml/.yml/.json/.toml spec.")],
    set_: SetOpt = None,
    param: ParamOpt = None,
    resources: Annotated[str | None, typer.Option(help="Comma-separated resources to load.")] = None,
    destination: Annotated[str | None, typer.Option(
        help="Where earlier runs loaded (to show what the limits changed there); default "
             "duckdb:///restsync.duckdb, read only if it exists")] = None,
    dataset: Annotated[str | None, typer.Option(help="Dataset (schema) name.")] = None,
) -> None:
    """Validate a spec and print the plan and every inference. Sends no request."""
    from restsync.cli.limits_view import print_limits
    from restsync.cli.render import print_plan
    from restsync.engine.api import DEFAULT_DESTINATION, dataset_name_for
    from restsync.engine.limits_seen import limit_notes
    from restsync.plan import build_plan

    missing: MissingValuesError | None = None
    try:
        try:
            source = _load(spec, set_, param)
        except MissingValuesError as exc:
            missing = exc
            source = _load(spec, set_, param, resolve_values=False)
        selected = [r for r in resources.split(",") if r] if resources else None
        plan = build_plan(source, selected=selected, lookup=_lookup())
    except RestsyncError as exc:
        raise _fail(exc) from None
    print_plan(console, plan)
    print_limits(console, source, limit_notes(source, destination or DEFAULT_DESTINATION,
                                              dataset or dataset_name_for(source.name)))
    if missing is not None:
        raise _fail(missing)
    console.print("spec OK", style="green")


@app.command()
def run(
    spec: Annotated[Path, typer.Argument(help="Document (.md/.txt), .yaml/.yml/.json/.toml spec.")],
    destination: Annotated[str | None, typer.Option(
        help="Destination URL, default duckdb:///restsync.duckdb")] = None,
    dataset: Annotated[str | None, typer.Option(help="Dataset (schema) name.")] = None,
    resources: Annotated[str | None, typer.Option(help="Comma-separated resources to load.")] = None,
    set_: SetOpt = None,
    param: ParamOpt = None,
    max_wait: Annotated[float | None, typer.Option(
        "--max-wait", help="Longest retry wait to sleep through (seconds); a resource that "
                           "would wait longer commits what it has and stops (exit 3), and "
                           "the next run resumes it.")] = None,
) -> None:
    """Extract every selected resource and load it into the destination."""
    from restsync.cli.render import ProgressRenderer, summary_table
    from restsync.engine import Pipeline

    try:
        source = _load(spec, set_, param)
        selected = [r for r in resources.split(",") if r] if resources else None
        with ProgressRenderer(console) as renderer:
            pipe = Pipeline(destination=destination, dataset_name=dataset, events=renderer,
                            max_wait=max_wait)
            info = pipe.run(source, resources=selected, lookup=_lookup())
    except RestsyncError as exc:
        raise _fail(exc) from None
    console.print(summary_table(info))
    if info.failed:
        err.print(f"run incomplete: {', '.join(info.failed)} failed", style="red", markup=False)
        raise typer.Exit(code=1)
    if info.stopped:
        err.print(f"run stopped early: {', '.join(info.stopped)} will resume on the next run",
                  style="yellow", markup=False)
        raise typer.Exit(code=3)


@app.command()
def demo(
    destination: Annotated[str, typer.Option(help="Destination URL.")] = "duckdb:///demo.duckdb",
    documents: Annotated[Path, typer.Option(help="Folder of the seed documents.")] = Path(
        "examples/seeds"),
) -> None:
    """Start the five sandbox APIs on loopback and run every seed document into DuckDB."""
    from restsync.cli.demo import run_demo

    code = run_demo(console, destination, documents)
    raise typer.Exit(code=code)


@sandbox_app.command("serve")
def sandbox_serve(
    host: Annotated[str, typer.Option(help="Loopback address to bind.")] = "127.0.0.1",
) -> None:
    """Serve the five sandbox APIs until interrupted, printing how to point specs at them."""
    from restsync.cli.demo import serve_sandboxes

    serve_sandboxes(console, host)


def _register_subcommands() -> None:
    from restsync.cli.schema_cmd import schema
    from restsync.cli.state_cmd import state_app

    app.command("schema")(schema)
    app.add_typer(state_app, name="state")


_register_subcommands()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive
        err.print("interrupted", markup=False)
        sys.exit(130)
