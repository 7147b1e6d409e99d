"""The ``restsync`` command line.

Exit codes: 0 every resource completed; 1 some failed (the others are committed); 2 bad
config, option or missing secret (nothing sent); 3 stopped cleanly before a long wait
(``--max-wait``): committed so far, the next run resumes.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from restsync.cli.cassette_opts import RecordOpt, ReplayOpt
from restsync.cli.common import (
    ConfigOpt,
    DatasetOpt,
    DestinationOpt,
    ParamOpt,
    SetOpt,
    SpecArg,
    StreamsOpt,
    config_lookup,
    fail,
    load_source,
    parse_params,
)
from restsync.cli.import_cmd import import_
from restsync.cli.preview_cmd import preview
from restsync.cli.report_cmd import report
from restsync.cli.runs_cmd import runs
from restsync.cli.schema_cmd import schema
from restsync.cli.state_cmd import state_app
from restsync.errors import MissingValuesError, RestsyncError

__all__ = ["app", "main", "parse_params"]

ExecutorOpt = Annotated[str, typer.Option(
    help="What runs the extract and normalise work: in-process (default, one asyncio loop) "
         "or ray (partitions on Ray workers; pip install 'restsync[ray]').")]
ChunkSizeOpt = Annotated[int | None, typer.Option(
    help="--executor ray: parent records per partition of a child resource (default 100).")]

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="restsync: run declarative REST API specs into tables.")
sandbox_app = typer.Typer(add_completion=False, no_args_is_help=True,
                          help="Loopback sandboxes of the five seed APIs.")
app.add_typer(sandbox_app, name="sandbox")


@app.command()
def check(
    spec: SpecArg,
    set_: SetOpt = None,
    param: ParamOpt = None,
    resources: Annotated[str | None, typer.Option(help="Comma-separated resources to load.")] = None,
    destination: Annotated[str | None, typer.Option(
        help="Where earlier runs loaded (to show what the limits changed there); default "
             "duckdb:///restsync.duckdb, read only if it exists")] = None,
    dataset: Annotated[str | None, typer.Option(help="Dataset (schema) name.")] = None,
    config: ConfigOpt = None,
    streams: StreamsOpt = None,
    executor: ExecutorOpt = "in-process",
    show_partitions: Annotated[bool, typer.Option(
        "--show-partitions", help="Show how a scaled-out run splits the work (also shown "
                                  "with --executor ray).")] = False,
    chunk_size: ChunkSizeOpt = None,
) -> None:
    """Validate a spec and print the plan and every inference. Sends no request."""
    from restsync.cli.common import console
    from restsync.cli.limits_view import print_limits
    from restsync.cli.partitions_view import print_partitions
    from restsync.cli.plan_view import print_plan
    from restsync.engine.defaults import DEFAULT_DESTINATION, dataset_name_for
    from restsync.engine.executor_names import known_executor
    from restsync.engine.limits_seen import limit_notes
    from restsync.plan import build_plan

    missing: MissingValuesError | None = None
    try:
        known_executor(executor)
        try:
            source = load_source(spec, set_, param, config=config, streams=streams)
        except MissingValuesError as exc:
            missing = exc
            source = load_source(spec, set_, param, resolve_values=False)
        selected = [r for r in resources.split(",") if r] if resources else None
        plan = build_plan(source, selected=selected, lookup=config_lookup())
    except RestsyncError as exc:
        raise fail(exc) from None
    print_plan(console, plan)
    print_limits(console, source, limit_notes(source, destination or DEFAULT_DESTINATION,
                                              dataset or dataset_name_for(source.name)))
    if show_partitions or executor != "in-process":
        try:
            print_partitions(console, plan, chunk_size=chunk_size)  # None: the default
        except RestsyncError as exc:
            raise fail(exc) from None
    if missing is not None:
        raise fail(missing)
    console.print("spec OK", style="green")


@app.command()
def run(
    spec: SpecArg,
    destination: DestinationOpt = None,
    dataset: DatasetOpt = None,
    resources: Annotated[str | None, typer.Option(help="Comma-separated resources to load.")] = None,
    set_: SetOpt = None,
    param: ParamOpt = None,
    max_wait: Annotated[float | None, typer.Option(
        "--max-wait", help="Longest retry wait to sleep through (seconds); a resource that "
                           "would wait longer commits what it has and stops (exit 3), and "
                           "the next run resumes it.")] = None,
    record: RecordOpt = None,
    replay: ReplayOpt = None,
    config: ConfigOpt = None,
    streams: StreamsOpt = None,
    executor: ExecutorOpt = "in-process",
    workers: Annotated[int | None, typer.Option(
        help="--executor ray: workers (a local instance's CPUs; default 2).")] = None,
    ray_address: Annotated[str | None, typer.Option(
        help="--executor ray: join this cluster (auto, ray://host:10001) instead of "
             "starting a local instance.")] = None,
    chunk_size: ChunkSizeOpt = None,
    max_concurrency: Annotated[int | None, typer.Option(
        "--max-concurrency", min=1,
        help="Most requests in flight per host: the ceiling the adaptive limit grows to "
             "(client.max_concurrency; default 64).")] = None,
    fixed_concurrency: Annotated[bool, typer.Option(
        "--fixed-concurrency",
        help="Keep the in-flight limit fixed, at --max-concurrency (else "
             "client.initial_concurrency, 16): client.adaptive_concurrency=false.")] = False,
) -> None:
    """Extract every selected resource and load it into the destination."""
    from restsync.cli.cassette_opts import replay_source
    from restsync.cli.common import console, err
    from restsync.cli.render import ProgressRenderer, summary_table
    from restsync.engine import Pipeline
    from restsync.engine.executor import executor_named

    set_ = [*(set_ or []),
            *([f"client.max_concurrency={max_concurrency}"] if max_concurrency else []),
            *(["client.adaptive_concurrency=false"] if fixed_concurrency else [])]
    try:
        if streams is not None and config is None and spec.suffix in (".yaml", ".yml"):
            raise RestsyncError("--streams needs --config (the connector's config)")
        source = (replay_source(spec, set_, param, config=config, streams=streams) if replay
                  else load_source(spec, set_, param, config=config, streams=streams))
        selected = [r for r in resources.split(",") if r] if resources else None
        chosen = executor_named(executor, workers=workers, ray_address=ray_address,
                                chunk_size=chunk_size)
        with ProgressRenderer(console) as renderer:
            pipe = Pipeline(destination=destination, dataset_name=dataset, events=renderer,
                            max_wait=max_wait, record=record, replay=replay,
                            executor=chosen)
            info = pipe.run(source, resources=selected, lookup=config_lookup())
    except RestsyncError as exc:
        raise fail(exc) from None
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
    from restsync.cli.common import console
    from restsync.cli.demo import run_demo

    code = run_demo(console, destination, documents)
    raise typer.Exit(code=code)


@sandbox_app.command("serve")
def sandbox_serve(
    host: Annotated[str, typer.Option(help="Loopback address to bind.")] = "127.0.0.1",
) -> None:
    """Serve the five sandbox APIs until interrupted, printing how to point specs at them."""
    from restsync.cli.common import console
    from restsync.cli.demo import serve_sandboxes

    serve_sandboxes(console, host)


app.command("schema")(schema)
app.command("preview")(preview)
app.command("import")(import_)
app.command("runs")(runs)
app.command("report")(report)
app.add_typer(state_app, name="state")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive
        from restsync.cli.common import err

        err.print("interrupted", markup=False)
        sys.exit(130)
