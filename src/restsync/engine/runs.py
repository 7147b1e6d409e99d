"""Reading a destination's run history back: what ``restsync runs`` and ``report`` show.

A run is its last run record (``_restsync_runs``, written by :mod:`restsync.engine.history`)
completed from the load records of the same run id (``_restsync_loads``): a run that was
interrupted (its last record says ``running``) still shows the resources it committed, and
loads made before run records existed show as runs of their own (status ``unrecorded``).
Nothing here writes to the destination.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from restsync.engine.api import DEFAULT_DESTINATION
from restsync.engine.history import COUNTERS, redacted_destination
from restsync.errors import DestinationError
from restsync.load.registry import history_datasets, read_history


def list_runs(destination: str | None = None, dataset: str | None = None,
              last: int | None = None) -> list[dict[str, Any]]:
    """The runs of one dataset (or of every dataset with a history), newest first.

    Args:
        destination: The destination URL (default ``duckdb:///restsync.duckdb``).
        dataset: Only this dataset.
        last: At most this many runs.

    Returns:
        Run documents (:func:`run_document`), each with ``dataset`` and ``totals``.

    Raises:
        DestinationError: The destination cannot be read, or ``dataset`` has no history there
            (the datasets that have one are listed).
    """
    if last is not None and last < 1:
        raise DestinationError(f"--last {last}: give a number of runs, 1 or more",
                               location="runs")
    url = destination or DEFAULT_DESTINATION
    runs = [run for name in _datasets(url, dataset) for run in _dataset_runs(url, name)]
    runs.sort(key=lambda r: (str(r.get("started_at") or ""), r["run_id"]), reverse=True)
    return runs[:last] if last is not None else runs


def find_run(destination: str | None = None, dataset: str | None = None,
             run_id: str | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One run (the newest without ``run_id``) and every run of its dataset, newest first.

    Raises:
        DestinationError: No such run (the newest ones are named), or no history at all.
    """
    runs = list_runs(destination, dataset)
    if not runs:
        raise DestinationError("no runs recorded", location=_where(destination, dataset),
                               hint="run `restsync run SPEC` with this --destination first")
    if run_id is None:
        chosen = runs[0]
    else:
        found = [r for r in runs if r["run_id"] == run_id]
        if not found:
            newest = ", ".join(r["run_id"] for r in runs[:5])
            raise DestinationError(f"no run {run_id!r}", location=_where(destination, dataset),
                                   hint=f"newest runs: {newest}; `restsync runs` lists them all")
        if len(found) > 1:
            names = ", ".join(r["dataset"] for r in found)
            raise DestinationError(f"run {run_id!r} is in several datasets ({names})",
                                   location=_where(destination, dataset),
                                   hint="name one with --dataset")
        chosen = found[0]
    return chosen, [r for r in runs if r["dataset"] == chosen["dataset"]]


def _where(destination: str | None, dataset: str | None) -> str:
    where = f"destination {redacted_destination(destination or DEFAULT_DESTINATION)}"
    return f"{where} dataset '{dataset}'" if dataset else where


def _datasets(url: str, dataset: str | None) -> list[str]:
    known = history_datasets(url)
    if dataset is None:
        return known
    if dataset not in known:
        listed = ", ".join(known) or "none"
        raise DestinationError(f"dataset {dataset!r} has no run history",
                               location=_where(url, None),
                               hint=f"datasets with a history: {listed}")
    return [dataset]


def _dataset_runs(url: str, dataset: str) -> list[dict[str, Any]]:
    run_rows, load_rows = read_history(url, dataset)
    return merge_history(dataset, run_rows, load_rows)


def merge_history(dataset: str, run_rows: Iterable[Mapping[str, Any]],
                  load_rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Run documents from a dataset's run records and load records (any order).

    A resource's load record fills in what an interrupted run's record lacks; load ids
    without a run record become runs with status ``unrecorded``.
    """
    loads: dict[str, list[Mapping[str, Any]]] = {}
    for row in load_rows:
        loads.setdefault(str(row["load_id"]), []).append(row)
    runs: dict[str, dict[str, Any]] = {}
    for row in run_rows:
        record = dict(row.get("record") or {})
        record.update(run_id=str(row["run_id"]), status=row.get("status") or record.get("status"))
        record.setdefault("started_at", row.get("started_at"))
        record.setdefault("finished_at", row.get("finished_at"))
        runs[record["run_id"]] = record
    for load_id, rows in loads.items():
        run = runs.setdefault(load_id, {
            "run_id": load_id, "status": "unrecorded",
            "started_at": min(str(r.get("started_at") or "") for r in rows) or None,
            "finished_at": max(str(r.get("finished_at") or "") for r in rows) or None})
        resources = run.setdefault("resources", {})
        for row in rows:
            name = str(row["resource"])
            if name not in resources:
                resources[name] = _from_load(row)
    return [run_document(dataset, run) for run in runs.values()]


def _from_load(row: Mapping[str, Any]) -> dict[str, Any]:
    details = dict(row.get("details") or {})
    details.setdefault("status", "completed")
    details.setdefault("tables", {})
    details.setdefault("started_at", row.get("started_at"))
    details.setdefault("finished_at", row.get("finished_at"))
    if not details["tables"] and row.get("rows") is not None:
        details["rows"] = row["rows"]
    return details


def run_document(dataset: str, run: Mapping[str, Any]) -> dict[str, Any]:
    """A run with its ``dataset`` and ``totals`` (rows, counters, resources by status)."""
    doc = dict(run)
    doc["dataset"] = dataset
    doc.setdefault("resources", {})
    totals: dict[str, Any] = dict.fromkeys(COUNTERS, 0)
    totals["rows"] = 0
    statuses: dict[str, int] = {}
    for resource in doc["resources"].values():
        for key in COUNTERS:
            totals[key] += resource.get(key) or 0
        tables = resource.get("tables") or {}
        totals["rows"] += sum(tables.values()) if tables else resource.get("rows") or 0
        status = str(resource.get("status") or "?")
        statuses[status] = statuses.get(status, 0) + 1
    totals["wait_seconds"] = round(totals["wait_seconds"], 3)
    totals["resources"] = statuses
    doc["totals"] = totals
    return doc
