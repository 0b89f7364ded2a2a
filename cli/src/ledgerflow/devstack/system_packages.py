"""Programs the local stack takes from the system's packages (Prometheus, Chromium for the browser tests):
found on the PATH, or on Debian and Ubuntu installed with apt-get when running as root."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from ledgerflow.devstack.errors import StackError


def ensure_program(program: str, packages: list[str], how: str) -> Path:
    """``program`` on the PATH, installing ``packages`` first where this machine allows; else a StackError that
    says how (``how``)."""
    if found := shutil.which(program):
        return Path(found)
    apt = shutil.which("apt-get")
    if apt is not None and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = [apt, "install", "-y", "--no-install-recommends", *packages]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT, "env": env, "check": False}
        if subprocess.run(install, **quiet).returncode != 0:  # type: ignore[call-overload]
            subprocess.run([apt, "update"], **quiet)  # type: ignore[call-overload]  # stale package lists
            subprocess.run(install, **quiet)  # type: ignore[call-overload]
        if found := shutil.which(program):
            return Path(found)
    raise StackError(f"{program} is not installed: {how}")


def prometheus() -> Path:
    return ensure_program(
        "prometheus", ["prometheus"],
        "install it from your system's packages (apt install prometheus, brew install prometheus)",
    )  # fmt: skip


def chromium() -> Path:
    return ensure_program(
        "chromium", ["chromium", "chromium-driver"],
        "install Chromium from your system's packages (apt install chromium)",
    )  # fmt: skip
