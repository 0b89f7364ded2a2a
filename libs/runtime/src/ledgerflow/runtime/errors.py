from __future__ import annotations

from ledgerflow.contracts import ErrorDetail


class StageError(Exception):
    """A message this stage cannot process as it is: it goes to the dead-letter topic, with the reason.

    Raise it for problems in the message (bad input, unknown SKU, unbalanced totals); let anything
    else (database down, broker unreachable) propagate, so the message is retried instead.
    """

    def __init__(self, code: str, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.detail = ErrorDetail(code=code, message=message, fix=fix)
