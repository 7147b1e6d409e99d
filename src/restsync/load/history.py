"""Run history in a dataset: the load records and the run records, for every destination.

Two of restsync's own tables hold it, in each destination's own format:

* ``_restsync_loads``: one row per committed resource load (``load_id`` is the run's id),
  written **in the same transaction / commit as the resource's rows and state**. Its
  ``details`` column is a JSON document: what the run recorded for the resource (status,
  records, pages, requests, retries, 429s, time spent waiting, skipped parent items, state
  before and after, a timeline) merged with what the commit did (rows per table, schema
  changes, the disposition applied). A resource whose run fails commits nothing, so it has
  no load record.
* ``_restsync_runs``: one row when a run starts (``status: running``) and one when it ends
  (``completed``, ``failed``, ``stopped`` or ``error``), each written on its own, never with
  data: the rows' commits stay exactly-once whatever happens to these. ``record`` is a JSON
  document with the whole run: start and end, executor, every resource (failed ones
  included, with their error). The row with an end time wins; a run that only has its
  ``running`` row was interrupted (its committed resources still have their load records).

The documents' layout is the engine's (:mod:`restsync.engine.history`); here they are JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson

from restsync.load.report import LoadReport

LOADS_TABLE: Final = "_restsync_loads"
RUNS_TABLE: Final = "_restsync_runs"


def details_json(history: Mapping[str, Any] | None, report: LoadReport) -> str:
    """The ``details`` of a load record: the run's record of the resource and the commit's
    report (rows per table, schema changes, disposition applied)."""
    details = dict(history or {})
    details.update(tables=dict(report.rows), schema_changes=list(report.schema_changes),
                   disposition=report.disposition_applied)
    return orjson.dumps(details, default=str).decode()


def run_row(record: Mapping[str, Any]) -> tuple[str, str, str | None, str | None, str]:
    """``(run_id, status, started_at, finished_at, record JSON)`` of a run record."""
    return (str(record["run_id"]), str(record.get("status", "")), record.get("started_at"),
            record.get("finished_at"), orjson.dumps(dict(record), default=str).decode())


def decoded(text: Any) -> dict[str, Any]:
    """A JSON column's value as a dict (``{}`` for NULL or anything else)."""
    if text is None:
        return {}
    value = orjson.loads(text) if isinstance(text, str | bytes) else text
    return value if isinstance(value, dict) else {}


def latest_runs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last row of each run, oldest run first.

    Tables do not keep their rows in order (a lake format reads its files in any order), so
    "last" is the row with an end time (the run's end) over the one without (its start).
    """
    last: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen = last.get(row["run_id"])
        if seen is None or seen.get("finished_at") is None:
            last[row["run_id"]] = row
    return sorted(last.values(), key=lambda r: str(r.get("started_at") or ""))
