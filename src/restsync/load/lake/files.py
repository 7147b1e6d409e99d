"""Durable files for the lake destinations: atomic writes and the dataset lock."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from pathlib import Path

from restsync.errors import DestinationError


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (new, renamed or removed files) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Make a file's contents durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` so that a crash leaves either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def remove_tree(path: Path) -> None:
    """Remove a directory tree if it exists (durably: the parent is synced)."""
    if path.exists():
        shutil.rmtree(path)
        with contextlib.suppress(OSError):
            fsync_dir(path.parent)


class DatasetLock:
    """An exclusive ``flock`` on ``<dataset>/_restsync/lock`` for as long as a run has it open.

    The kernel releases it when the holding process exits or dies (``kill -9`` included), so
    a crashed run never leaves a stale lock. Works on local and most network file systems.
    """

    def __init__(self, path: Path, *, where: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 64, 0).decode(errors="replace").strip()
            os.close(self._fd)
            self._fd = None
            who = f" (process {holder})" if holder else ""
            raise DestinationError(
                f"another run is loading this dataset right now{who}; a second run on the "
                "same destination is refused", location=where,
                hint="wait for it to finish; the lock goes away with its process") from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, str(os.getpid()).encode(), 0)

    def release(self) -> None:
        """Release the lock (idempotent)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None
