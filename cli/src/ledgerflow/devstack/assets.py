"""Where the dev stack finds the project's own files (Jaeger's build module and config, the trace pages,
Prometheus' rules and console): in ``deploy/observe`` of the checkout the CLI runs from."""

from __future__ import annotations

import os
from pathlib import Path

from ledgerflow.devstack.errors import StackError


def observe_dir() -> Path:
    """``LEDGERFLOW_DEPLOY_DIR``/observe, else the checkout's ``deploy/observe`` above this file."""
    if configured := os.environ.get("LEDGERFLOW_DEPLOY_DIR"):
        return Path(configured).resolve() / "observe"
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "deploy" / "observe"
        if candidate.is_dir():
            return candidate
    raise StackError(
        "deploy/observe not found: run ledgerflow from its checkout, or set LEDGERFLOW_DEPLOY_DIR to its deploy folder"
    )
