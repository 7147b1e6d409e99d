"""One lake dataset's private folder: lock, pending commit journals, staging; recovery."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from restsync import faultpoints
from restsync.errors import DestinationError
from restsync.load.lake import journal as journals
from restsync.load.lake.commit import run_journal
from restsync.load.lake.files import DatasetLock, remove_tree
from restsync.load.lake.journal import Journal
from restsync.load.lake.table_format import TableFormat

_staging_numbers = itertools.count(1)


class LakeDataset:
    """The dataset lock, the commit journals and the staging folders of one lake dataset.

    Opening it takes the lock (a second run is refused) and completes every commit a crashed
    run left half-done (see :mod:`restsync.load.lake.journal`), then drops staged rows that
    no journal names (loads that never reached their commit).

    Args:
        fmt: The dataset's tables.
        private: ``<...>/_restsync``: lock, ``pending/``, ``staging/``.
        where: How to name the dataset in messages.
    """

    def __init__(self, fmt: TableFormat, private: Path, *, where: str) -> None:
        self.fmt = fmt
        self.where = where
        self.pending = private / "pending"
        self.staging = private / "staging"
        self._lock = DatasetLock(private / "lock", where=where)
        self._floor = 0
        self.blocked: str | None = None
        try:
            self.recover()
        except BaseException:
            self._lock.release()
            raise

    def recover(self) -> list[str]:
        """Complete every pending commit, oldest first; drop orphaned staging. Their ids."""
        completed = []
        for path in journals.pending(self.pending):
            journal = Journal.read(path)
            try:
                run_journal(self.fmt, journal, self.staging / journal.staging)
            except Exception as exc:
                raise DestinationError(
                    f"cannot complete the interrupted commit of resource '{journal.resource}' "
                    f"(load {journal.load_id}): {type(exc).__name__}: {exc}",
                    location=self.where,
                    hint=f"its plan is {path}; the next run tries again") from exc
            self._floor = max(self._floor, journal.first_version + len(journal.steps))
            journals.remove(path)
            remove_tree(self.staging / journal.staging)
            completed.append(journal.commit_id)
        if self.staging.exists():
            for leftover in sorted(self.staging.iterdir()):
                remove_tree(leftover)
        return completed

    def new_staging(self, load_id: str) -> tuple[str, Path]:
        """A fresh staging folder name and path for one load."""
        name = f"{load_id}.{next(_staging_numbers)}"
        return name, self.staging / name

    def first_version(self, tables: list[str]) -> int:
        """The first mark version of a new journal: above every version used before."""
        floor = max([self._floor, time.time_ns(),
                     *(self.fmt.last_version(t) + 1 for t in tables)])
        return floor

    def run(self, journal: Journal) -> None:
        """Write ``journal``, commit its steps, remove it and its staging.

        Raises:
            DestinationError: A step failed; what was committed stays, the journal stays, and
                the next open completes it. This dataset commits nothing more in this run.
        """
        self.check_open()
        path = journal.write(self.pending)
        self._floor = journal.first_version + len(journal.steps)
        faultpoints.reach("lake.journal.written")
        try:
            run_journal(self.fmt, journal, self.staging / journal.staging)
        except BaseException as exc:
            self.blocked = journal.resource
            if not isinstance(exc, Exception):
                raise
            raise DestinationError(
                f"commit interrupted: {type(exc).__name__}: {exc}; the tables committed so far "
                "stay, and the next run completes the rest before anything else",
                location=f"resource '{journal.resource}'",
                hint=f"its plan is {path}") from exc
        journals.remove(path)
        remove_tree(self.staging / journal.staging)

    def check_open(self) -> None:
        """Refuse new commits after one was interrupted (the next open completes it)."""
        if self.blocked is not None:
            raise DestinationError(
                f"the commit of resource '{self.blocked}' was interrupted earlier in this run; "
                "nothing more is committed until the next run completes it",
                location=self.where)

    def close(self) -> None:
        """Release the dataset lock."""
        self._lock.release()
