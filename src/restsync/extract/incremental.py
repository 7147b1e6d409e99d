"""Incremental loading on a cursor field of the records.

Rules (see :mod:`restsync.extract.cursor_values` for how values compare):

* **Window**: records with ``start <= cursor < end`` are kept (dlt's ``range_start: open``
  makes it ``start < cursor``, ``range_end: closed`` makes it ``cursor <= end``). The lower
  bound is *inclusive* by default: records sharing the boundary value are fetched again and
  deduplicated by the primary key in the destination's merge, so none is lost or doubled.
* **Lag** (dlt's ``lag``): subtracted from the stored cursor like ``lookback_window``, in
  seconds for date-time cursors, days for date cursors, units for numeric cursors.
* **Start**: the stored cursor of the last run, minus ``lookback_window`` (late updates);
  without a stored cursor, ``initial_value`` (no lookback). ``end_value`` bounds the window.
* **Pushdown**: :meth:`IncrementalFilter.request_params` gives ``start_param``/``end_param``
  in the configured ``datetime_format``; records are filtered client-side as well.
* **Newest-first feeds** (``row_order: desc``): the first record older than the start sets
  :attr:`IncrementalFilter.stop_paging`; later pages can only hold older records.
* **State**: :meth:`IncrementalFilter.state_to_save` is the cursor to store once the resource
  *completed*: the highest cursor seen (never below the stored one), capped at the run's start
  time for date-time cursors, so rows updated while the run was going are read next time.
* **Per parent**: :class:`PerParentIncremental` keeps one window per parent item (child
  resources whose API pages each parent separately).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from restsync.errors import ConfigError, ResponseError
from restsync.extract.cursor_values import CursorCodec, CursorKey, cursor_key, less
from restsync.extract.selectors import compile_path
from restsync.spec.model import IncrementalConfig

__all__ = ["IncrementalFilter", "PerParentIncremental", "cursor_key", "parent_key"]

_DATE_ONLY = re.compile(r"^\d{4}-?\d{2}-?\d{2}$")


class IncrementalFilter:
    """Drops records outside ``[start, end)`` and tracks the highest cursor seen.

    Args:
        config: The endpoint's incremental settings.
        start_value: The stored cursor of the last run, or ``None`` (first run).
        resource: Resource name (for errors).
        window: ``(start, end)`` cursor values of one date window (``step``): they replace the
            start and end.
        inner: Whether the window's start and end are boundaries between two windows: an
            inner boundary belongs to the later window (``[start, end)``) whatever
            ``range_start``/``range_end`` say, so no record falls between two windows.

    Attributes:
        stored: ``start_value`` as given.
        start: The effective start: ``stored`` minus ``lookback_window``, else
            ``initial_value``; ``None`` when there is none.
        end: ``end_value`` (exclusive), or ``None``.
        last_value: The highest cursor seen so far, in its original representation
            (``None`` until a record with a cursor passed).
        reached_start: ``row_order == "desc"`` and a record below the start was seen.

    Raises:
        ConfigError: The start/end value is unusable, or a lookback is set on a cursor
            that is not a date-time/epoch value.
    """

    def __init__(self, config: IncrementalConfig, start_value: Any | None, resource: str, *,
                 window: tuple[Any, Any] | None = None,
                 inner: tuple[bool, bool] = (False, False)):
        self.config = config
        self.resource = resource
        self.codec = CursorCodec(config.datetime_format)
        self.stored = start_value
        self.end = config.end_value
        where = f"resources[{resource}].endpoint.incremental"
        self._where = where
        self._inner = inner if window is not None else (False, False)
        try:
            self.start = self._effective_start(start_value)
            if window is not None:  # one date window of a ``step``: its own start and end
                self.start, self.end = window
            self._start_key = self.codec.key(self.start) if self.start is not None else None
            self._end_key = self.codec.key(self.end) if self.end is not None else None
            self._stored_key = self.codec.key(start_value) if start_value is not None else None
        except ValueError as exc:
            raise ConfigError(f"unusable start/end value: {exc}", location=where) from None
        self._read = compile_path(config.cursor_path, f"{where}.cursor_path")
        self.last_value: Any = None
        self._last_key: CursorKey | None = None
        self.reached_start = False

    def _effective_start(self, stored: Any) -> Any:
        if stored is None:
            return self.config.initial_value
        lookback = self.config.lookback_window
        lag = self.config.lag
        if lag:
            if isinstance(stored, int | float) and not isinstance(stored, bool) \
                    and self.codec.format is None:
                return stored - lag  # dlt: a numeric cursor steps back by the lag itself
            if isinstance(stored, str) and _DATE_ONLY.match(stored):
                return _days_before(stored, lag)  # dlt: a date cursor lags in days
            lookback = lag
        if not lookback:
            return stored
        instant = self.codec.instant(stored)
        if instant is None:
            raise ConfigError(f"lookback_window needs a date-time or epoch cursor; the stored "
                              f"cursor is {str(stored)[:40]!r}", location=self._where)
        return self.codec.write(instant - timedelta(seconds=lookback), like=stored)

    def _sent(self, value: Any) -> Any:
        convert = self.config.convert
        if convert is not None:
            return None if value is None else convert(value)
        return None if value is None else self._param_value(value)

    def template_values(self) -> dict[str, Any]:
        """Values of the ``{incremental.*}`` placeholders (converted like the start/end
        params): the start of this run's window is both ``start_value`` and ``last_value``."""
        start = self._sent(self.start)
        c = self.config
        return {"incremental.start_value": start, "incremental.last_value": start,
                "incremental.initial_value": self._sent(c.initial_value),
                "incremental.end_value": self._sent(self.end),
                "incremental.lag": c.lag, "incremental.cursor_path": c.cursor_path,
                "incremental.row_order": c.row_order, "incremental.range_start": c.range_start,
                "incremental.range_end": c.range_end,
                "incremental.on_cursor_value_missing": c.on_cursor_value_missing}

    @property
    def stop_paging(self) -> bool:
        """True when a newest-first feed went past the start: fetch no further page."""
        return self.reached_start

    def request_params(self) -> dict[str, Any]:
        """Query parameters that push the window down to the API (``start_param``/``end_param``),
        written in ``datetime_format`` when one is set."""
        out: dict[str, Any] = {}
        c = self.config
        if c.start_param and self.start is not None:
            out[c.start_param] = self._sent(self.start)
        if c.end_param and self.end is not None:
            out[c.end_param] = self._sent(self.end)
        return out

    def _param_value(self, value: Any) -> Any:
        if self.codec.format is not None or isinstance(value, datetime | date):
            instant = self.codec.instant(value)
            if instant is not None:
                return self.codec.write(instant, like=None if isinstance(value, date)
                                        else value)  # date/datetime objects -> ISO text
        return value

    def apply(self, records: list[dict[str, Any]], page: int,
              url: str | None = None) -> list[dict[str, Any]]:
        """The records of one page that are inside the window.

        Args:
            records: The page's records.
            page: 1-based page number (for errors).
            url: The page's redacted URL (for errors), if known.

        Raises:
            ResponseError: A record has no cursor and ``on_cursor_value_missing == "raise"``, or
                its cursor cannot be compared with the start/end values.
        """
        kept: list[dict[str, Any]] = []
        for index, record in enumerate(records):
            value = self._read(record)
            where = f"resource '{self.resource}', page {page}, record {index}"
            if url:
                where += f" ({url})"
            if value is None:
                policy = self.config.on_cursor_value_missing
                if policy == "raise":
                    shown = ", ".join(list(record)[:8]) if isinstance(record, dict) else ""
                    raise ResponseError(
                        f"record has no cursor value at '{self.config.cursor_path}' "
                        f"(its fields: {shown or 'none'})", location=where,
                        hint="set incremental.on_cursor_value_missing to include or exclude")
                if policy == "include":
                    kept.append(record)
                continue
            if not self.config.filter_records:  # only track the cursor
                self._track(value)
                kept.append(record)
                continue
            try:
                key = self.codec.key(value)
                if self._start_key is not None and self._before_start(key):
                    if self.config.row_order == "desc":
                        self.reached_start = True
                    continue
                if self._end_key is not None and self._after_end(key):
                    continue
                if self._last_key is None or less(self._last_key, key):
                    self._last_key, self.last_value = key, value
            except ValueError as exc:
                raise ResponseError(f"cursor value {str(value)[:60]!r} at "
                                    f"'{self.config.cursor_path}' cannot be compared: {exc}",
                                    location=where) from None
            kept.append(record)
        return kept

    def _track(self, value: Any) -> None:
        """Keep ``value`` as the highest cursor when it is (unreadable values are skipped)."""
        try:
            key = self.codec.key(value)
        except ValueError:
            return
        if self._last_key is None or less(self._last_key, key):
            self._last_key, self.last_value = key, value

    def _before_start(self, key: CursorKey) -> bool:
        assert self._start_key is not None
        if self.config.range_start == "open" and not self._inner[0]:
            # dlt: records at the start value are dropped
            return not less(self._start_key, key)
        return less(key, self._start_key)

    def _after_end(self, key: CursorKey) -> bool:
        assert self._end_key is not None
        if self.config.range_end == "closed" and not self._inner[1]:
            return less(self._end_key, key)
        return not less(key, self._end_key)

    def observe(self, value: Any) -> None:
        """Count ``value`` as a cursor seen (a worker's highest cursor, merged on the driver).

        Raises:
            ValueError: The value cannot be a cursor.
        """
        key = self.codec.key(value)
        if self._last_key is None or less(self._last_key, key):
            self._last_key, self.last_value = key, value

    def state_to_save(self, run_started_at: datetime) -> Any:
        """The cursor to store when the resource **completed** (never call it otherwise).

        The highest cursor seen, never below the stored one; for date-time cursors capped at
        ``run_started_at``, written like the cursor values. ``None`` when there is nothing to
        store (first run without any record).
        """
        best, best_key = self.last_value, self._last_key
        if best_key is None or (self._stored_key is not None
                                and less(best_key, self._stored_key)):
            best, best_key = self.stored, self._stored_key
        if best is None or best_key is None:
            return None
        if best_key.kind == 1:  # an instant: cap at the run's start
            started = (run_started_at if run_started_at.tzinfo
                       else run_started_at.replace(tzinfo=UTC))
            if best_key.value > started:
                return self.codec.write(started, like=best)
        return best


def _days_before(day: str, days: float) -> str:
    """``day`` (``YYYY-MM-DD`` or ``YYYYMMDD``) minus ``days``, written the same way."""
    dashed = "-" in day
    value = date.fromisoformat(day if dashed else f"{day[:4]}-{day[4:6]}-{day[6:]}")
    earlier = value - timedelta(days=days)
    return earlier.isoformat() if dashed else earlier.strftime("%Y%m%d")


def parent_key(path_values: Mapping[str, Any]) -> str:
    """A stable state key of one parent item: its path values as compact sorted JSON."""
    return json.dumps({str(k): path_values[k] for k in sorted(path_values, key=str)},
                      default=str, separators=(",", ":"), sort_keys=True)


class PerParentIncremental:
    """One incremental window per parent item of a child resource.

    Args:
        config: The child endpoint's incremental settings.
        stored: The stored ``{parent key: cursor}`` of the last run (``None`` on the first).
        resource: Resource name (for errors).
    """

    def __init__(self, config: IncrementalConfig, stored: Mapping[str, Any] | None,
                 resource: str):
        self.config = config
        self.resource = resource
        self._stored = dict(stored or {})
        self.filters: dict[str, IncrementalFilter] = {}

    def filter_for(self, key: str) -> IncrementalFilter:
        """The filter of the parent item ``key`` (see :func:`parent_key`); created once."""
        if key not in self.filters:
            self.filters[key] = IncrementalFilter(self.config, self._stored.get(key),
                                                  self.resource)
        return self.filters[key]

    def state_to_save(self, run_started_at: datetime) -> dict[str, Any]:
        """``{parent key: cursor}`` to store once the resource completed; parents not seen in
        this run keep their stored cursor."""
        merged = dict(self._stored)
        for key, flt in self.filters.items():
            value = flt.state_to_save(run_started_at)
            if value is not None:
                merged[key] = value
        return merged
