from __future__ import annotations

from ledgerflow.runtime.errors import StageError


class PlanningError(StageError):
    """The order cannot be planned as the connection is set up; the message says what to change."""
