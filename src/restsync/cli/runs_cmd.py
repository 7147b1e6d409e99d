"""``restsync runs``: the run history stored in a destination, newest first."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from restsync.cli.common import DestinationOpt, fail
from restsync.errors import RestsyncError

if TYPE_CHECKING:
    from rich.table import Table

LastOpt = Annotated[int | None, typer.Option("--last", help="Only the newest N runs.")]


def runs(
    destination: DestinationOpt = None,
    dataset: Annotated[str | None, typer.Option(
        help="Only this dataset (default: every dataset of the destination with a "
             "history).")] = None,
    last: LastOpt = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the runs (whole records) as one JSON array.")] = False,
) -> None:
    """List the runs recorded in a destination, newest first."""
    import orjson

    from restsync.cli.common import console
    from restsync.engine.runs import list_runs

    try:
        found = list_runs(destination, dataset, last)
    except RestsyncError as exc:
        raise fail(exc) from None
    if as_json:
        sys.stdout.write(orjson.dumps(found, option=orjson.OPT_INDENT_2,
                                      default=str).decode() + "\n")
        return
    if not found:
        console.print("no runs recorded")
        return
    console.print(runs_table(found))


def runs_table(found: list[dict[str, Any]]) -> Table:
    """One row per run: id, dataset, status, start, duration, resources, rows, requests."""
    from rich.table import Table

    table = Table("run", "dataset", "status", "started", "seconds", "resources", "rows",
                  "requests", "retries (429)", "error")
    for run in found:
        totals = run["totals"]
        resources = ", ".join(f"{n} {s}" for s, n in sorted(totals["resources"].items()))
        seconds = run.get("seconds")
        table.add_row(
            run["run_id"], run["dataset"], str(run.get("status")),
            str(run.get("started_at") or "-")[:19], "-" if seconds is None else f"{seconds:.1f}",
            resources or "-", str(totals["rows"]), str(totals["requests"]),
            f"{totals['retries']} ({totals['throttled']})", _first_error(run))
    return table


def _first_error(run: dict[str, Any]) -> str:
    if run.get("error"):
        return str(run["error"])[:80]
    for name, resource in run["resources"].items():
        if resource.get("error"):
            return f"{name}: {str(resource['error'])[:70]}"
    return ""
