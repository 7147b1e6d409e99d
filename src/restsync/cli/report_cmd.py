"""``restsync report``: a run's self-contained HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from restsync.cli.common import DestinationOpt, fail
from restsync.errors import RestsyncError


def report(
    run_id: Annotated[str | None, typer.Argument(
        help="The run (see `restsync runs`); default: the newest.")] = None,
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="The HTML file to write.")] = Path("report.html"),
    destination: DestinationOpt = None,
    dataset: Annotated[str | None, typer.Option(
        help="Only runs of this dataset (default: every dataset of the destination with a "
             "history; the newest run of them all without RUN_ID).")] = None,
    all_runs: Annotated[bool, typer.Option(
        "--all", help="Write every run of the dataset next to OUTPUT (OUTPUT-<run>.html, "
                      "linked previous/next) and OUTPUT as their index.")] = False,
) -> None:
    """Write one self-contained HTML file showing a run: summary, resources, timings,
    rows per table, schema changes, errors, state before and after. No network needed."""
    from restsync.cli.common import console
    from restsync.engine.report import write_report

    if not output.parent.is_dir():
        raise fail(RestsyncError(f"-o {output}: folder {output.parent} does not exist"))
    try:
        written = write_report(output, destination=destination, dataset=dataset,
                               run_id=run_id, all_runs=all_runs)
    except RestsyncError as exc:
        raise fail(exc) from None
    except OSError as exc:
        raise fail(RestsyncError(f"cannot write {output}: {exc.strerror}")) from None
    shown = written.run_ids[0] if len(written.run_ids) == 1 else \
        f"{len(written.run_ids)} runs"
    console.print(f"wrote {output} ({shown}" +
                  (f", {len(written.files) - 1} run page(s) next to it)" if all_runs else ")"),
                  markup=False, highlight=False)
