"""One leased company drained at its own pace: the head of each lane at once, up to the company's in-flight limit.

Commands of one lane go one after the other (an order's documents in dependency order; a next-number tenant's
numbers in sequence). A command that fails for a while (the books time out, the database is away) waits in
its lane and holds up only that lane; a company whose books refuse every call (its credentials) is paused
with the reason, and its commands wait, untouched, until an operator resumes it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

from ledgerflow.ledger_writer.books import Company, CompanyUnavailable, Target, Throttled, Unreachable
from ledgerflow.ledger_writer.commands import CommandHandler
from ledgerflow.ledger_writer.queue import store
from ledgerflow.ledger_writer.queue.completion import Completions
from ledgerflow.ledger_writer.queue.metrics import QueueMetrics
from ledgerflow.ledger_writer.queue.store import Done, FiledCommand, Held, Lease, QueuedCommand
from ledgerflow.runtime import outbox

log = structlog.get_logger(__name__)

RETRY_CAP_SECONDS = 300.0
READ_AHEAD = 10  # heads read beyond the free slots: the next few start without another query
STARTED_KEPT = 10_000


@dataclass(frozen=True)
class DrainSettings:
    lease_seconds: float
    poll_seconds: float
    idle_release_seconds: float

    @property
    def trust_seconds(self) -> float:
        """How long after a renewal was sent the lease is relied on: less than its life, as the database's
        clock decides when it ends and a stalled round trip eats into it (River's leader election does the same)."""
        return self.lease_seconds * 0.8


@dataclass(frozen=True)
class DrainDeps:
    pool: Callable[[], asyncpg.Pool]
    owner: str
    target: Target
    handler: CommandHandler
    completions: Completions
    slots: asyncio.Semaphore  # the writer's calls in flight, across its companies
    metrics: QueueMetrics
    tracer: trace.Tracer
    records_spans: bool = True  # False without an exporter: a span nobody keeps is CPU for nothing


class CompanyDrain:
    def __init__(self, lease: Lease, deps: DrainDeps, settings: DrainSettings) -> None:
        self.lease = lease
        self.company = Company(lease.tenant_id, lease.company_id)
        self._deps = deps
        self._settings = settings
        self._limit = max(1, deps.target.in_flight_limit(self.company))
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        # Heads of lanes read ahead and not started yet: a backlog is read a few at a time, not once per command.
        # Only this drain takes a company's commands off its queue, so they stay heads until started.
        self._ahead: list[QueuedCommand] = []
        # Something may have become ready that this drain was not handed by a filing: a lane's next command (known
        # when its head was read, or when a filing put one behind a command here), a command filed by another
        # writer, a retry falling due (the last two found by reading again at least every poll).
        self._stale = True
        self._read_at = 0.0
        self._filed_behind: set[str] = set()  # lanes that commands were filed behind a command of this drain's
        # Commands started here: a filing's hand-over that arrives after a read took the same command is dropped.
        self._started: set[int] = set()
        self._started_order: deque[int] = deque()
        self._wake = asyncio.Event()
        self.held_since = time.monotonic()
        self._trusted_until = self.held_since + settings.trust_seconds
        self._giving_up = False
        self.ending = False  # out of its loop: releasing the company, not to be renewed
        self._lost = False
        self._paused = False
        self._unreachable = False  # the books stopped calling in: nothing more can be done until they call again
        self._done = 0
        self._throttled_before = deps.target.rate_state(self.company).throttled

    # ---- told by the runner ----------------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def receive(self, filed: Iterable[FiledCommand]) -> None:
        """Commands this process just filed for the company. Those that head their lanes are ready as they are
        (only this drain starts them, so they stay heads); the others wait behind a command, and are read once
        it is done."""
        ahead = {q.id for q in self._ahead}
        lanes_ahead = {q.lane for q in self._ahead}
        for item in filed:
            queued = item.command
            if queued.id in self._started or queued.id in ahead:
                continue  # a read got there first
            if item.head:
                if queued.lane not in self._in_flight:  # in flight: it is this very command, started from a read
                    self._ahead.append(queued)
                    lanes_ahead.add(queued.lane)
            elif queued.lane in self._in_flight or queued.lane in lanes_ahead:
                self._filed_behind.add(queued.lane)
        self._ahead.sort(key=lambda q: q.id)
        self._wake.set()

    def give_up(self) -> None:
        """Start no more commands; finish those in flight, then release the company (fairness, shutdown)."""
        self._giving_up = True
        self._wake.set()

    def renewed(self, sent_at: float) -> None:
        self._trusted_until = sent_at + self._settings.trust_seconds

    def lost(self) -> None:
        """Another writer holds the company now: start nothing more and do not release it."""
        self._lost = True
        self._wake.set()

    def held(self) -> Held:
        """What to tell the database on renewal: the lease, the rate state, and what happened since the last."""
        done, self._done = self._done, 0
        rate = self._deps.target.rate_state(self.company)
        throttled, self._throttled_before = rate.throttled - self._throttled_before, rate.throttled
        self._deps.metrics.rate(self.company, rate, throttled)
        return Held(self.company.company_id, self.lease.epoch, rate, throttled=throttled, done=done)

    @property
    def giving_up(self) -> bool:
        return self._giving_up

    # ---- the loop ---------------------------------------------------------------------------------------

    async def run(self) -> None:
        self._deps.target.restore_rate(self.company, self.lease.rate)
        idle_since: float | None = None
        try:
            while not (self._giving_up or self._paused or self._lost or self._unreachable):
                if time.monotonic() > self._trusted_until:
                    log.warning("queue.lease_not_renewed", company=self.company.company_id)
                    self._lost = True
                    break
                self._wake.clear()
                try:
                    started = await self._start_heads()
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                    log.exception("queue.heads_failed", company=self.company.company_id)
                    await asyncio.sleep(1.0)
                    continue
                if self._in_flight or started:
                    idle_since = None
                elif idle_since is None:
                    idle_since = time.monotonic()
                elif time.monotonic() - idle_since >= self._settings.idle_release_seconds:
                    break  # nothing ready: let the company rest (it keeps its work flag if commands wait)
                try:
                    await asyncio.wait_for(self._wake.wait(), self._settings.poll_seconds)
                except TimeoutError:
                    self._stale = True  # filed by another writer, or a retry fell due
        finally:
            self.ending = True
            await self._finish_in_flight()
        if not self._lost:
            await store.release(self._deps.pool(), self._deps.owner, self.held())

    async def _start_heads(self) -> int:
        free = self._limit - len(self._in_flight)
        if free <= 0:
            return 0
        startable = [q for q in self._ahead if q.lane not in self._in_flight]
        if time.monotonic() - self._read_at >= self._settings.poll_seconds:
            self._stale = True  # filed by another writer, or a retry fell due
        if len(startable) < free and self._stale:
            self._stale = False
            self._read_at = time.monotonic()
            more = await store.heads(
                self._deps.pool(),
                self.company.company_id,
                busy_lanes=list(self._in_flight),
                limit=free - len(startable) + READ_AHEAD,
                known=[q.id for q in self._ahead],
            )
            # A filing may have handed over some of the same commands while the read was on its way.
            merged = {q.id: q for q in (*self._ahead, *more) if q.id not in self._started}
            self._ahead = sorted(merged.values(), key=lambda q: q.id)
            startable = [q for q in self._ahead if q.lane not in self._in_flight]
        started: list[QueuedCommand] = []
        lanes: set[str] = set()
        for queued in startable:  # one command per lane
            if len(started) == free:
                break
            if queued.lane not in lanes:
                started.append(queued)
                lanes.add(queued.lane)
        for queued in started:
            self._in_flight[queued.lane] = asyncio.create_task(self._run_one(queued), name=f"command-{queued.id}")
            self._started.add(queued.id)
            self._started_order.append(queued.id)
            if len(self._started_order) > STARTED_KEPT:
                self._started.discard(self._started_order.popleft())
        if started:
            taken = {q.id for q in started}
            self._ahead = [q for q in self._ahead if q.id not in taken]
        return len(started)

    async def _finish_in_flight(self) -> None:
        # Never released with calls on their way: the next owner would double the company's calls in flight.
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def _run_one(self, queued: QueuedCommand) -> None:
        try:
            async with self._deps.slots:
                if self._lost or self._paused or self._unreachable:
                    return
                waited = (datetime.now(UTC) - queued.queued_at).total_seconds()
                self._deps.metrics.observe_wait(self.company, waited)
                await self._handle(queued)
        except Exception:
            log.exception("queue.command_crashed", company=self.company.company_id, command=queued.id)
            self._stale = True  # still queued: it is read and tried again
        finally:
            self._in_flight.pop(queued.lane, None)
            if queued.lane_goes_on or queued.lane in self._filed_behind:
                self._filed_behind.discard(queued.lane)
                self._stale = True  # the lane's next command is its head now
            self._wake.set()

    async def _handle(self, queued: QueuedCommand) -> None:
        with self._trace(queued):
            try:
                messages = await self._deps.handler.handle(queued)
            except CompanyUnavailable as unavailable:
                await self._pause(unavailable)
                return
            except Unreachable as away:
                # Untried, not failed: the command stays as it is and the company is let go until its books call.
                log.info(
                    "queue.books_unreachable", company=self.company.company_id, command=queued.id, reason=str(away)
                )
                self._unreachable = True
                self._wake.set()
                return
            except Throttled as throttled:
                await self._retry_later(queued, throttled, throttled.retry_after)
                return
            except Exception as exc:  # the books timed out, the database went away: this lane waits a while
                await self._retry_later(queued, exc, None)
                return
            traceparent = outbox.current_traceparent()
        done = Done(self.company.company_id, self.lease.epoch, queued.id, [(m, traceparent) for m in messages])
        if await self._deps.completions.complete(done):
            self._done += 1
        else:
            log.warning("queue.completion_fenced", company=self.company.company_id, command=queued.id)

    @contextmanager
    def _trace(self, queued: QueuedCommand) -> Iterator[None]:
        """The command continues the trace it was filed in: a span of its own when this writer records spans,
        else only the trace's context (so its calls and what it emits still carry the trace id)."""
        parent = propagate.extract({"traceparent": queued.traceparent}) if queued.traceparent else None
        if parent is not None and self._deps.records_spans:
            attributes: dict[str, str | int] = {
                "ledgerflow.tenant_id": queued.tenant_id,
                "ledgerflow.company_id": queued.company_id,
                "ledgerflow.queue.attempt": queued.attempts + 1,
            }
            with self._deps.tracer.start_as_current_span(
                "ledger-writer post", context=parent, kind=trace.SpanKind.INTERNAL, attributes=attributes
            ):
                yield
            return
        token = otel_context.attach(parent) if parent is not None else None
        try:
            yield
        finally:
            if token is not None:
                otel_context.detach(token)

    async def _pause(self, unavailable: CompanyUnavailable) -> None:
        self._paused = True
        error = unavailable.error
        if await store.pause(self._deps.pool(), self.company.company_id, error):
            log.error("queue.company_paused", tenant=self.company.tenant_id, company=self.company.company_id,
                      code=error.code, reason=error.message, fix=error.fix)  # fmt: skip

    async def _retry_later(self, queued: QueuedCommand, exc: BaseException, after: float | None) -> None:
        # Doubling waits with jitter, so that a company whose books are down is not asked again at once.
        delay = after if after is not None else min(RETRY_CAP_SECONDS, 2.0 ** min(queued.attempts + 1, 9))
        delay *= random.uniform(0.75, 1.0) if after is None else 1.0  # noqa: S311 (jitter, not security)
        reason = f"{type(exc).__name__}: {exc}"
        log.warning("queue.command_retry", company=self.company.company_id, command=queued.id,
                    attempt=queued.attempts + 1, retry_in=round(delay, 1), reason=reason)  # fmt: skip
        self._deps.metrics.retried(self.company)
        try:
            await store.retry_later(self._deps.pool(), queued.id, delay, reason)
        except Exception:  # the database is away: the command is simply tried again
            log.exception("queue.retry_not_recorded", company=self.company.company_id, command=queued.id)
