"""The Web Connector's list of applications and its Auto-Run timer.

QBWC runs one update at a time, whichever applications are due, in the order they were added. An
application runs every N seconds from its .qwc (or the user's override); authenticate can postpone the next
run ([2]) and set a floor under the interval ([3]). "Update Selected" (``run_now``) waits its turn the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ledgerflow.qbd_sim.connector.log import SessionLog
from ledgerflow.qbd_sim.connector.qwc import Qwc
from ledgerflow.qbd_sim.connector.session import CompanyFile

log = logging.getLogger(__name__)

HISTORY = 50  # session logs kept per application


@dataclass(eq=False)
class Registration:
    qwc: Qwc
    password: str
    company: CompanyFile
    company_name: str  # the simulator's name for the file, e.g. "shop-a"
    every_seconds: float | None = None  # None: no Auto-Run, updates only by hand
    min_run_every_seconds: float = 0.0  # authenticate's floor, remembered from the last session
    next_due: float | None = None  # on the scheduler's clock
    registered_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    sessions: deque[SessionLog] = field(default_factory=lambda: deque(maxlen=HISTORY))

    @property
    def app_name(self) -> str:
        return self.qwc.app_name

    def interval(self) -> float | None:
        if self.every_seconds is None:
            return None
        return max(self.every_seconds, self.min_run_every_seconds)

    def recent(self, limit: int) -> list[SessionLog]:
        """Newest first."""
        return list(reversed(self.sessions))[:limit]

    def as_dict(self, now: float) -> dict[str, Any]:
        last = self.sessions[-1] if self.sessions else None
        return {
            **self.qwc.as_dict(),
            "company_file": self.company_name,
            "company_file_path": self.company.path,
            "auto_run": self.every_seconds is not None,
            "every_seconds": self.interval(),
            "min_run_every_seconds": self.min_run_every_seconds or None,
            "next_run_in_seconds": None if self.next_due is None else round(max(0.0, self.next_due - now), 3),
            "registered_at": self.registered_at.isoformat(),
            "sessions": len(self.sessions),
            "last_result": None if last is None else {"ending": last.ending, "status": last.status},
        }


Update = Callable[[Registration], Awaitable[SessionLog]]


class AlreadyAdded(ValueError):
    """QBWC asks whether to replace an application of the same name; the simulator refuses instead."""


class Scheduler:
    def __init__(self, update: Update, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._update = update
        self._clock = clock
        self._registrations: dict[str, Registration] = {}
        self._turn = asyncio.Lock()  # one update at a time, scheduled or by hand
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def add(self, registration: Registration) -> None:
        self.check_new(registration.app_name)
        interval = registration.interval()
        if interval is not None:
            registration.next_due = self._clock() + interval
        self._registrations[registration.app_name] = registration
        self._changed.set()

    def check_new(self, app_name: str) -> None:
        if app_name in self._registrations:
            raise AlreadyAdded(f"an application named {app_name!r} is already added")

    def remove(self, app_name: str) -> Registration:
        registration = self._registrations.pop(app_name)
        self._changed.set()
        return registration

    def get(self, app_name: str) -> Registration:
        return self._registrations[app_name]

    def all(self) -> list[Registration]:
        return list(self._registrations.values())

    def now(self) -> float:
        return self._clock()

    async def run_now(self, app_name: str) -> SessionLog:
        """ "Update Selected": runs as soon as no other update is running."""
        registration = self.get(app_name)
        async with self._turn:
            return await self._run(registration)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._auto_run(), name="qbwc-auto-run")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _auto_run(self) -> None:
        while True:
            for registration in self._due():
                async with self._turn:
                    # Removed or re-timed while it waited for its turn.
                    if self._registrations.get(registration.app_name) is registration and self._is_due(registration):
                        try:
                            await self._run(registration)
                        except Exception:
                            log.exception("the scheduled update of %s failed", registration.app_name)
            await self._sleep()

    def _due(self) -> list[Registration]:
        return sorted((r for r in self._registrations.values() if self._is_due(r)), key=lambda r: r.next_due or 0.0)

    def _is_due(self, registration: Registration) -> bool:
        return registration.next_due is not None and registration.next_due <= self._clock()

    async def _sleep(self) -> None:
        pending = [r.next_due for r in self._registrations.values() if r.next_due is not None]
        timeout = max(0.0, min(pending) - self._clock()) if pending else None
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._changed.wait()

    async def _run(self, registration: Registration) -> SessionLog:
        try:
            session = await self._update(registration)
        except Exception:
            self._reschedule(registration, None)
            raise
        self._reschedule(registration, session)
        registration.sessions.append(session)
        return session

    def _reschedule(self, registration: Registration, session: SessionLog | None) -> None:
        if session is not None and session.min_run_every_seconds is not None:
            registration.min_run_every_seconds = float(max(0, session.min_run_every_seconds))
        interval = registration.interval()
        if interval is None:
            registration.next_due = None
            return
        postpone = session.postpone_seconds if session is not None else None
        wait = float(postpone) if postpone is not None and postpone > 0 else interval
        registration.next_due = self._clock() + wait
