"""A resource's stored state: incremental cursors (whole-resource or per parent) and resume points.

State layout (one JSON document per resource in ``_restsync_state``)::

    {"incremental": {"cursor_path": "updated_at", "last_value": "2024-05-01T08:00:00.000Z"}}
    {"incremental": {"cursor_path": "updated_at", "per_parent": {"{\\"project_id\\":7}": "..."}}}
    {"resume": {...}, "incremental": {...}}     # a run stopped cleanly before a long wait
    {"partitions_done": {"events[org=a]": "2024-05-01T08:00:00Z", ...}, "incremental": {...}}
                                                # partitions committed by an unfinished run

The cursor advances only when the resource completed (``completed``); a clean stop keeps the
stored cursor and records where paging resumes (``stopped``), so state never points past
data that was not committed. ``partitions_done`` (written by ``--executor ray``'s
per-partition checkpoints, :mod:`restsync.engine.scaleout.driver`) names the partitions whose
rows an unfinished run committed, each with the highest cursor it saw: both executors skip
them (:meth:`ResourceState.skip_done`) and fold those cursors into the one they commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time
from typing import Any, TypeVar

from restsync.extract.incremental import IncrementalFilter, PerParentIncremental, parent_key
from restsync.plan import ResourcePlan
from restsync.plan.windows import Bound

Window = tuple[Bound, Bound]
PARTITIONS_DONE = "partitions_done"
T = TypeVar("T")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ResourceState:
    """Reads a resource's stored state and builds the one to commit.

    Args:
        rp: The resource.
        stored: Its stored state (``{}`` on the first run).
        run_started_at: When this run started (caps date-time cursors).
    """

    def __init__(self, rp: ResourcePlan, stored: Mapping[str, Any] | None,
                 run_started_at: datetime) -> None:
        self.rp = rp
        self.stored = dict(stored or {})
        self.run_started_at = run_started_at
        config = rp.config.endpoint.incremental
        inc = self.stored.get("incremental") or {}
        if config is not None and inc.get("cursor_path") not in (None, config.cursor_path):
            inc = {}  # the cursor field changed: the old position means nothing now
        self._config = config
        self._windowed: dict[tuple[str, Window], IncrementalFilter] = {}
        self._root: IncrementalFilter | None = None
        self._per_parent: PerParentIncremental | None = None
        if config is not None:
            if rp.parent is None and not rp.fanout_params:
                self._root = IncrementalFilter(config, inc.get("last_value"), rp.name)
            else:
                self._per_parent = PerParentIncremental(config, inc.get("per_parent"), rp.name)

    @property
    def resume_from(self) -> dict[str, Any] | None:
        """Where a stopped run left off (root resources only), else ``None``."""
        resume = self.stored.get("resume")
        return dict(resume) if isinstance(resume, dict) and self.rp.parent is None else None

    @property
    def done_partitions(self) -> dict[str, Any]:
        """Partitions an unfinished run committed: id -> highest cursor (or ``None``)."""
        done = self.stored.get(PARTITIONS_DONE)
        return dict(done) if isinstance(done, dict) and self.rp.parent is None else {}

    def skip_done(self, pairs: Iterable[tuple[str, T]]) -> list[tuple[str, T]]:
        """The ``(partition id, work item)`` pairs still to run; the cursors of the done
        ones are folded into their sequences' filters (the state to commit counts them)."""
        done, remaining = self.done_partitions, []
        for partition, item in pairs:
            if partition not in done:
                remaining.append((partition, item))
                continue
            flt = self.filter_for(getattr(item, "path_values", {}), getattr(item, "window", None))
            if flt is not None and done[partition] is not None:
                flt.observe(done[partition])
        return remaining

    def in_progress(self, done: Mapping[str, Any]) -> dict[str, Any]:
        """State to commit with a checkpoint: stored cursor kept, ``done`` partitions named."""
        state: dict[str, Any] = {PARTITIONS_DONE: dict(done)}
        inc = self._incremental_state(advance=False)
        if inc is not None:
            state["incremental"] = inc
        return state

    def start_for(self, path_values: Mapping[str, Any]) -> Any:
        """The effective start cursor of one request sequence (``None`` without incremental)."""
        base = self.filter_for(path_values)
        return base.start if base is not None else None

    def filter_for(self, path_values: Mapping[str, Any],
                   window: Window | None = None) -> IncrementalFilter | None:
        """The incremental filter of one request sequence (``None`` without incremental);
        ``window``: of one date window of the sequence (a ``step``)."""
        if window is not None and self._config is not None:
            return self._window_filter(path_values, window)
        if self._root is not None:
            return self._root
        if self._per_parent is not None:
            return self._per_parent.filter_for(parent_key(path_values))
        return None

    def _window_filter(self, path_values: Mapping[str, Any], window: Window) -> IncrementalFilter:
        assert self._config is not None
        pkey = "" if self._root is not None else parent_key(path_values)
        found = self._windowed.get((pkey, window))
        if found is None:
            base = self.filter_for(path_values)
            assert base is not None
            origin, end = self._config.initial_value, self._config.end_value
            values = (_cursor_value(window[0], base, like=origin),
                      _cursor_value(window[1], base, like=origin))
            key = base.codec.key
            inner = (base.start is None or key(values[0]) != key(base.start),
                     end is None or key(values[1]) != key(end))
            found = IncrementalFilter(self._config, base.stored, self.rp.name, window=values,
                                      inner=inner)
            self._windowed[(pkey, window)] = found
        return found

    def _merge_windows(self) -> None:
        """Fold the windows' highest cursors into their sequence's filter."""
        for (pkey, _), flt in self._windowed.items():
            base = self._root if self._root is not None else (
                self._per_parent.filter_for(pkey) if self._per_parent is not None else None)
            if base is not None and flt.last_value is not None:
                base.observe(flt.last_value)

    def _incremental_state(self, advance: bool) -> dict[str, Any] | None:
        if self._config is None:
            return None
        if not advance:
            return self.stored.get("incremental")
        out: dict[str, Any] = {"cursor_path": self._config.cursor_path}
        self._merge_windows()
        if self._root is not None:
            out["last_value"] = self._root.state_to_save(self.run_started_at)
        elif self._per_parent is not None:
            out["per_parent"] = self._per_parent.state_to_save(self.run_started_at)
        return out

    def completed(self, inferred: Sequence[str] = ()) -> dict[str, Any]:
        """State to commit when the resource completed: cursor advanced, no resume point.

        Args:
            inferred: What the run inferred from the responses (detected paginator, records
                path), stored with the load so a later reader knows how it was read.
        """
        state: dict[str, Any] = {}
        inc = self._incremental_state(advance=True)
        if inc is not None:
            state["incremental"] = inc
        if inferred:
            state["inferred"] = list(inferred)
        return state

    def stopped(self, resume_state: Mapping[str, Any],
                done: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """State to commit on a clean stop: stored cursor kept, paging resumes at
        ``resume_state`` (in the first partition not ``done``: by default those an earlier
        run named)."""
        state: dict[str, Any] = {"resume": dict(resume_state)}
        done = self.done_partitions if done is None else done
        if done:
            state[PARTITIONS_DONE] = dict(done)
        inc = self._incremental_state(advance=False)
        if inc is not None:
            state["incremental"] = inc
        return state


def _cursor_value(bound: Bound, base: IncrementalFilter, like: Any) -> Any:
    """A window bound written as a cursor value, in the style of ``like`` (``initial_value``)."""
    if isinstance(bound, datetime):
        if (base.codec.format is None and isinstance(like, str) and _DATE_ONLY.match(like)
                and bound.time() == time(0)):
            return bound.date().isoformat()  # a date cursor: its windows are dates too
        return base.codec.write(bound, like=like)
    return int(bound) if isinstance(like, int) and float(bound).is_integer() else bound
