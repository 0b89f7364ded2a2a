from __future__ import annotations

from ledgerflow.runtime.errors import StageError


class NormalizationError(StageError):
    """The payload cannot become a canonical order; the message says which field and why."""
