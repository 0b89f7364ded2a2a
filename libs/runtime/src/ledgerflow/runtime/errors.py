"""What a stage does with an error: a refusal or bad data becomes a dead letter; an outage is waited out."""

from __future__ import annotations

import asyncpg
from aiokafka.errors import KafkaError, MessageSizeTooLargeError

from ledgerflow.contracts import ErrorDetail

# SQLSTATE classes of errors that say nothing about the message: the connection, a rollback to retry (deadlock,
# serialization), resources, an object busy, the operator, the server itself, or the schema not being there yet
# (a deployment in progress). Everything else the database refuses (class 22 data, 23 integrity, 54 limits, ...)
# is about the data, and retrying cannot change it.
_OUTAGE_CLASSES = frozenset({"08", "40", "53", "55", "57", "58", "XX", "42", "3D", "3F", "28"})
ERROR_TEXT_LIMIT = 500


class StageError(Exception):
    """A message this stage cannot process as it is: it goes to the dead-letter topic, with the reason.

    Raise it for problems in the message (bad input, unknown SKU, unbalanced totals); let anything
    else (database down, broker unreachable) propagate, so the message is retried instead.
    """

    def __init__(self, code: str, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.detail = ErrorDetail(code=code, message=message, fix=fix)


def is_transient(exc: BaseException) -> bool:
    """An outage (database or broker away, a timeout, a deadlock): the same message may well pass later.

    Anything else a handler raises (data the database or a model refuses, a recursion, an encoding, a bug
    that this message's data reaches) fails the same way every time: it is the message's, and it is
    dead-lettered rather than retried for ever in front of every message behind it.
    """
    if isinstance(exc, asyncpg.PostgresError):
        sqlstate = str(getattr(exc, "sqlstate", "") or "")
        return sqlstate[:2] in _OUTAGE_CLASSES
    if isinstance(exc, MessageSizeTooLargeError):
        return False
    return isinstance(exc, OSError | TimeoutError | asyncpg.InterfaceError | KafkaError | MemoryError)


def connection_lost(exc: BaseException) -> bool:
    """The connection itself failed (not a statement on it): nothing about any one message."""
    if isinstance(exc, asyncpg.PostgresError):
        sqlstate = str(getattr(exc, "sqlstate", "") or "")
        # The connection, the server shutting down or restarting, its resources, the server itself.
        return sqlstate[:2] in ("08", "53", "58", "XX") or sqlstate in ("57P01", "57P02", "57P03")
    return isinstance(exc, OSError | TimeoutError | asyncpg.InterfaceError | KafkaError | MemoryError)


def unprocessable(stage: str, model: str, exc: BaseException) -> ErrorDetail:
    """The reason a message failed in a way that retrying cannot change, in words an operator can act on."""
    text = str(exc).replace("\x00", "\\x00")
    if len(text) > ERROR_TEXT_LIMIT:
        text = text[:ERROR_TEXT_LIMIT] + "..."
    return ErrorDetail(
        code="message.unprocessable",
        message=f"{stage} could not process this {model}: {type(exc).__name__}: {text}",
        fix="The message holds data this stage cannot store or handle (see the error): correct it where it comes "
        "from and publish it again. If the data is valid, report the error with this dead letter and replay it "
        "once ledgerflow is fixed.",
    )
