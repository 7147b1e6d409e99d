"""A throwaway PostgreSQL cluster for tests: initdb into a temp dir, start, create a database.

The server binaries come from ``/usr/lib/postgresql/<version>/bin`` (``RESTSYNC_PG_BIN``
overrides). When they are missing, the PostgreSQL tests FAIL (CI must run them), unless
``RESTSYNC_SKIP_POSTGRES=1`` says on purpose that this machine runs without PostgreSQL; then
they are skipped, each with that reason. PostgreSQL refuses to run as root, so when the tests run as root the cluster's
directory is handed to an unprivileged user (``nobody``) and every server process runs as that
user (``subprocess`` ``user=``/``group=``; no sudo/su needed). The server listens on 127.0.0.1 on
a free port and on a unix socket inside the temp dir, trusts local connections and runs with
``fsync=off`` (a test cluster must be fast, not durable).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BIN = Path("/usr/lib/postgresql/15/bin")
OPT_OUT = "RESTSYNC_SKIP_POSTGRES"
UNPRIVILEGED_USERS = ("nobody", "postgres")
SUPERUSER = "restsync"
DATABASE = "restsync_test"
_database_numbers = itertools.count(1)


def server_binaries(environ: Mapping[str, str] | None = None) -> Path | None:
    """The directory holding ``initdb``/``pg_ctl``/``postgres``, or None if not installed."""
    env = os.environ if environ is None else environ
    directory = Path(env.get("RESTSYNC_PG_BIN", DEFAULT_BIN))
    needed = ("initdb", "pg_ctl", "postgres", "psql")
    return directory if all((directory / n).is_file() for n in needed) else None


class ServerMissingError(Exception):
    """No PostgreSQL server binaries; ``opted_out`` when the tests may be skipped."""

    def __init__(self, message: str, *, opted_out: bool) -> None:
        super().__init__(message)
        self.opted_out = opted_out


def require_server_binaries(environ: Mapping[str, str] | None = None) -> Path:
    """The server binaries' directory.

    Raises:
        ServerMissingError: They are missing; ``opted_out`` is True only when
            ``RESTSYNC_SKIP_POSTGRES=1`` is set.
    """
    env = os.environ if environ is None else environ
    found = server_binaries(env)
    if found is not None:
        return found
    where = env.get("RESTSYNC_PG_BIN", str(DEFAULT_BIN))
    if env.get(OPT_OUT) == "1":
        raise ServerMissingError(f"PostgreSQL tests skipped: {OPT_OUT}=1 and no server "
                                 f"binaries in {where}", opted_out=True)
    raise ServerMissingError(
        f"PostgreSQL server binaries not found in {where} (initdb, pg_ctl, postgres, psql). "
        f"Install them (Debian: apt-get install postgresql-15) or point RESTSYNC_PG_BIN at "
        f"them; to run without the PostgreSQL tests on purpose, set {OPT_OUT}=1",
        opted_out=False)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunAs:
    """The account the server processes run as (None = the current one)."""

    uid: int | None = None
    gid: int | None = None

    @classmethod
    def for_current_process(cls) -> RunAs:
        if os.geteuid() != 0:
            return cls()
        for name in UNPRIVILEGED_USERS:
            with contextlib.suppress(KeyError):
                entry = pwd.getpwnam(name)
                return cls(entry.pw_uid, entry.pw_gid)
        raise RuntimeError("running as root and no unprivileged user (nobody/postgres) exists")

    def give(self, path: Path) -> None:
        if self.uid is not None and self.gid is not None:
            os.chown(path, self.uid, self.gid)

    def run(self, args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        extra: dict[str, object] = {}
        if self.uid is not None:
            extra = {"user": self.uid, "group": self.gid, "extra_groups": []}
        return subprocess.run(args, check=True, capture_output=True, text=True,  # type: ignore[call-overload]
                              env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"},
                              **extra, **kwargs)


class PostgresCluster:
    """One PostgreSQL server in a temp dir; use as a context manager or call start/stop.

    Attributes:
        url: ``postgresql://`` URL of the test database over TCP (set once started).
    """

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.run_as = RunAs.for_current_process()
        self.root = Path(tempfile.mkdtemp(prefix="restsync-pg-"))
        self.data = self.root / "data"
        self.port = 0
        self.url = ""

    def _bin(self, name: str) -> str:
        return str(self.bin_dir / name)

    def start(self) -> PostgresCluster:
        """initdb, start the server, create the test database."""
        self.root.chmod(0o700)
        self.run_as.give(self.root)
        try:
            self.run_as.run([self._bin("initdb"), "-D", str(self.data), "-U", SUPERUSER,
                             "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync",
                             "--no-instructions"])
            self._start_server()
            self.run_as.run([self._bin("psql"), "-h", str(self.root), "-p", str(self.port),
                             "-U", SUPERUSER, "-d", "postgres", "-v", "ON_ERROR_STOP=1",
                             "-qc", f"CREATE DATABASE {DATABASE}"])
        except subprocess.CalledProcessError as exc:
            self.stop()
            raise RuntimeError(f"test PostgreSQL cluster failed: {exc.cmd[0]}: "
                               f"{exc.stderr or exc.stdout}") from exc
        self.url = f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"
        return self

    def _start_server(self) -> None:
        options = ("-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=40 -c shared_buffers=32MB "
                   f"-k {self.root}")
        for attempt in range(3):  # the free port may be taken between probe and bind
            self.port = _free_port()
            try:
                self.run_as.run([self._bin("pg_ctl"), "-D", str(self.data), "-w", "-t", "30",
                                 "-l", str(self.root / "server.log"),
                                 "-o", f"{options} -p {self.port}", "start"])
                return
            except subprocess.CalledProcessError:
                if attempt == 2:
                    raise
                time.sleep(0.2)

    def log(self) -> str:
        """The server log (for failure messages)."""
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop the server (immediately: the data is thrown away) and remove the temp dir."""
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self.run_as.run([self._bin("pg_ctl"), "-D", str(self.data), "-m", "immediate",
                                 "-w", "stop"])
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def create_database(url: str) -> str:
    """Create an empty database next to ``url``'s; its URL (one per test: full isolation)."""
    import psycopg

    name = f"t{os.getpid()}_{next(_database_numbers)}"
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name} STRATEGY WAL_LOG")  # ~30 ms
    return url.rsplit("/", 1)[0] + "/" + name
