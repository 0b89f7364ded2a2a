"""The record of one update: every call, the QBWC errors, and how the session ended.

QBWC itself keeps this in QBWCLog.txt and shows the last status in its window; tests and the demo read it
as JSON instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ledgerflow.qbd_sim.connector.soap import Exchange, Result

SHOWN_CHARS = 160  # qbXML can run to megabytes; the log keeps its head and its length
HIDDEN = {"strPassword"}


class Ending(StrEnum):
    COMPLETED = "completed"  # 100%, then closeConnection
    ERROR_REPORTED = "error_reported"  # the server reported an error (<0 or getLastError text), then closeConnection
    NO_WORK = "no_work"  # authenticate said "none"
    INVALID_USER = "invalid_user"  # authenticate said "nvu"
    BUSY = "busy"  # authenticate said "busy"
    CLIENT_VERSION_REFUSED = "client_version_refused"  # clientVersion said "E:" or "O:"
    CONNECTION_FAILED = "connection_failed"  # the company file could not be opened; connectionError gave up
    SOAP_FAILURE = "soap_failure"  # a call failed (QBWC1012, 1041-1045, 1048)
    RESPONSE_LOST = "response_lost"  # injected: saved in the file, receiveResponseXML never sent
    CUT = "cut"  # injected: the session stopped dead mid-way
    RUNAWAY = "runaway"  # the round-trip cap was reached
    INTERACTIVE_UNSUPPORTED = "interactive_unsupported"  # getLastError asked for interactive mode


@dataclass
class Call:
    method: str
    args: dict[str, str]
    result: Result | None
    error: str | None
    at_ms: float  # since the session started
    elapsed_ms: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "args": self.args,
            "result": self.result,
            "error": self.error,
            "at_ms": self.at_ms,
            "elapsed_ms": self.elapsed_ms,
        }


@dataclass
class SessionLog:
    app_name: str
    user_name: str
    url: str
    company_file: str
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    ticket: str | None = None
    authenticate: str | None = None  # authenticate's [1]: "", a path, "none", "nvu" or "busy"
    postpone_seconds: int | None = None  # authenticate's [2]
    min_run_every_seconds: int | None = None  # authenticate's [3]
    ending: Ending | None = None
    status: str = ""  # what QBWC's status column would show
    progress: int | None = None  # the last receiveResponseXML answer
    requests: int = 0  # qbXML message sets the server handed out
    responses: int = 0  # receiveResponseXML calls delivered
    saved_without_response: int = 0  # message sets the file saved whose response the server never got
    round_trips: int = 0  # sendRequestXML calls answered and followed through
    noops: int = 0
    connection_errors: int = 0
    calls: list[Call] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _clock_start: float = field(default_factory=time.monotonic, repr=False)

    def record(self, exchange: Exchange) -> None:
        self.calls.append(
            Call(
                method=exchange.method,
                args={name: _summary(name, value) for name, value in exchange.params},
                result=_result_summary(exchange.result),
                error=str(exchange.error) if exchange.error is not None else None,
                at_ms=round((exchange.started - self._clock_start) * 1000, 1),
                elapsed_ms=round(exchange.elapsed * 1000, 1),
            )
        )

    def error(self, code: str, message: str) -> None:
        self.errors.append({"code": code, "message": message})

    def end(self, ending: Ending, status: str) -> None:
        self.ending = ending
        self.status = status
        self.finished_at = datetime.now(UTC)

    def methods(self) -> list[str]:
        return [call.method for call in self.calls]

    def as_dict(self) -> dict[str, Any]:
        finished = self.finished_at
        return {
            "app_name": self.app_name,
            "user_name": self.user_name,
            "url": self.url,
            "company_file": self.company_file,
            "ticket": self.ticket,
            "started_at": self.started_at.isoformat(),
            "finished_at": finished.isoformat() if finished else None,
            "duration_ms": round((finished - self.started_at).total_seconds() * 1000, 1) if finished else None,
            "ending": str(self.ending) if self.ending else None,
            "status": self.status,
            "authenticate": {
                "answer": self.authenticate,
                "postpone_seconds": self.postpone_seconds,
                "min_run_every_seconds": self.min_run_every_seconds,
            },
            "progress": self.progress,
            "counts": {
                "requests": self.requests,
                "responses": self.responses,
                "saved_without_response": self.saved_without_response,
                "round_trips": self.round_trips,
                "noops": self.noops,
                "connection_errors": self.connection_errors,
                "calls": len(self.calls),
            },
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "calls": [call.as_dict() for call in self.calls],
        }


def _summary(name: str, value: str) -> str:
    if name in HIDDEN:
        return "*" * 8
    return _shorten(value)


def _result_summary(result: Result | None) -> Result | None:
    if isinstance(result, str):
        return _shorten(result)
    if isinstance(result, list):
        return [_shorten(item) for item in result]
    return result


def _shorten(text: str) -> str:
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}… ({len(text)} chars)"
