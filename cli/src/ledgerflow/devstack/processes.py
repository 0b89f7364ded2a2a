"""Detached processes with pid files, so that ``dev down`` finds them from another shell."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def identity(user: str | None) -> dict[str, Any]:
    """``subprocess`` arguments that run a child as ``user`` with that user's groups only.

    Changing only the uid would keep root's group, and a folder that denies its group (mktemp's 0700)
    would then deny the child even where everyone else may pass.
    """
    if user is None:
        return {}
    import pwd

    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def spawn(
    argv: Sequence[str],
    *,
    pid_file: Path,
    log_file: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> subprocess.Popen[bytes]:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,  # survives the shell that started it; stopped by pid
            **identity(user),
        )
    pid_file.write_text(str(process.pid))
    return process


def read_pid(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if is_alive(pid) else None


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone
        waited, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return waited == 0


def stop(pid_file: Path, timeout: float = 30.0, sig: signal.Signals = signal.SIGTERM) -> bool:
    """``sig``, wait, then SIGKILL; returns True when a process was running."""
    pid = read_pid(pid_file)
    pid_file.unlink(missing_ok=True)
    if pid is None:
        return False
    terminate(pid, timeout, sig)
    return True


def stop_all(pid_files: list[Path], timeout: float = 30.0, sig: signal.Signals = signal.SIGTERM) -> None:
    """Signal every process at once, then wait for all: a cluster stops together, not one by one."""
    pids = [pid for pid in (read_pid(f) for f in pid_files) if pid is not None]
    for pid_file in pid_files:
        pid_file.unlink(missing_ok=True)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    for pid in pids:
        terminate(pid, max(0.0, deadline - time.monotonic()), sig)


def terminate(pid: int, timeout: float = 30.0, sig: signal.Signals = signal.SIGTERM) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    while is_alive(pid):
        time.sleep(0.05)
