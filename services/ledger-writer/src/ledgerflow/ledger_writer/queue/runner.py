"""The writer's share of the companies: leased, drained, renewed, given back.

A writer leases companies with work that nobody drains, those served longest ago first, up to its
capacity; it renews its leases from one loop, and a lease it cannot renew in time it stops relying on.
Companies are shared out fairly:
- a company that has held a writer for a while gives it up when other companies wait for one (it goes to
  the back: served longest ago is served first);
- a writer holding more than its share of the pool's busy companies (more writers joined) gives the excess
  up, for the new writers to take without anybody restarting;
- a writer that stops (or dies) leaves its companies to the others: at once when it stops cleanly, once its
  leases run out (``LEDGERFLOW_WRITER_LEASE_SECONDS``) when it dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import socket
import time
import uuid
from collections.abc import Sequence

import asyncpg
import structlog

from ledgerflow.ledger_writer.queue import store
from ledgerflow.ledger_writer.queue.drain import CompanyDrain, DrainDeps, DrainSettings
from ledgerflow.ledger_writer.queue.store import FiledCommand, PoolView

log = structlog.get_logger(__name__)

METRICS_EVERY_SECONDS = 5.0


def writer_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class QueueRunner:
    def __init__(
        self,
        deps: DrainDeps,
        settings: DrainSettings,
        *,
        writer_pool: str,
        max_companies: int,
        quantum_seconds: float,
    ) -> None:
        self._deps = deps
        self._settings = settings
        self._writer_pool = writer_pool
        self._max_companies = max_companies
        self._quantum = quantum_seconds
        self._drains: dict[str, CompanyDrain] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._view = PoolView(live_writers=1, companies_with_work=0, waiting=0)
        self._no_pick_until = 0.0
        self._loop: asyncio.Task[None] | None = None
        self._reporter: asyncio.Task[None] | None = None
        self._stopping = False
        self._closed = False

    @property
    def owner(self) -> str:
        return self._deps.owner

    @property
    def companies(self) -> list[str]:
        return list(self._drains)

    def wake(self) -> None:
        """Look for companies to lease now, not at the next poll."""
        self._wake.set()

    def deliver(self, filed: Sequence[FiledCommand]) -> None:
        """Commands this process just filed: to the drains of their companies, where it holds them; the others
        are leased at once."""
        by_company: dict[str, list[FiledCommand]] = {}
        for item in filed:
            by_company.setdefault(item.command.company_id, []).append(item)
        unheld = False
        for company_id, items in by_company.items():
            drain = self._drains.get(company_id)
            if drain is not None and not drain.ending:
                drain.receive(items)
            else:
                unheld = True  # a drain letting the company go leaves it to the next pick
        if unheld:
            self._wake.set()

    async def start(self) -> None:
        self._loop = asyncio.create_task(self._run(), name="queue-runner")
        self._reporter = asyncio.create_task(self._report(), name="queue-metrics")

    async def stop(self) -> None:
        """Finish what is in flight and give every company back, so the other writers take them at once. The
        leases are renewed meanwhile: a call still on its way must not find its company taken over."""
        self._stopping = True
        for drain in self._drains.values():
            drain.give_up()
        if self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._closed = True  # the loop ends its round and stops (cancelling it could be lost in a wait_for)
        self._wake.set()
        if self._loop is not None:
            await self._loop
        if self._reporter is not None:
            self._reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reporter
        with contextlib.suppress(Exception):
            await store.leave(self._deps.pool(), self.owner)
        log.info("queue.runner_stopped", owner=self.owner)

    async def _run(self) -> None:
        next_renewal = 0.0
        while not self._closed:
            self._wake.clear()
            try:
                self._reap()
                if time.monotonic() >= next_renewal:
                    next_renewal = time.monotonic() + self._settings.lease_seconds / 3
                    await self._renew()
                    self._share_out()
                await self._fill()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                log.exception("queue.runner_round_failed")
                await asyncio.sleep(1.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._settings.poll_seconds)

    def _reap(self) -> None:
        for company_id, task in list(self._tasks.items()):
            if task.done():
                del self._tasks[company_id]
                drain = self._drains.pop(company_id)
                self._deps.metrics.released(drain.company)
                if not task.cancelled() and (error := task.exception()) is not None:
                    log.error("queue.drain_failed", company=company_id, error=repr(error))
        self._deps.metrics.leased.labels(self._writer_pool).set(len(self._drains))

    async def _renew(self) -> None:
        sent_at = time.monotonic()
        pool = self._deps.pool()
        drains = [d for d in self._drains.values() if not d.ending]
        ttl = self._settings.lease_seconds
        kept = await store.renew(pool, self.owner, self._writer_pool, ttl, [d.held() for d in drains])
        for drain in drains:
            if drain.company.company_id in kept:
                drain.renewed(sent_at)
            elif not drain.ending:  # one that ended meanwhile released it
                log.warning("queue.lease_lost", company=drain.company.company_id, owner=self.owner)
                drain.lost()
        self._view = await store.heartbeat(pool, self.owner, self._writer_pool, ttl)

    def _share_out(self) -> None:
        """Give companies up where others are owed them: waiting companies, or writers that joined."""
        view = self._view
        held = [d for d in self._drains.values() if not d.giving_up]
        now = time.monotonic()
        # Held the longest first; a company gives its writer up only after a quantum, so handovers stay rare.
        ripe = sorted((d for d in held if now - d.held_since >= self._quantum), key=lambda d: d.held_since)
        excess = 0
        if view.waiting > 0 and len(held) >= self._max_companies:
            excess = view.waiting
        share = math.ceil(view.companies_with_work / view.live_writers)
        if view.live_writers > 1 and len(held) > share + 1:
            excess = max(excess, len(held) - share)
            self._no_pick_until = now + self._settings.lease_seconds / 3  # leave them to the others a while
        for drain in ripe[:excess]:
            log.info("queue.company_handed_on", company=drain.company.company_id, held_seconds=round(
                now - drain.held_since, 1), waiting=view.waiting, writers=view.live_writers)  # fmt: skip
            drain.give_up()

    async def _fill(self) -> None:
        room = self._max_companies - len(self._drains)
        if room <= 0 or self._stopping or time.monotonic() < self._no_pick_until:
            return
        leases = await store.lease(self._deps.pool(), self.owner, self._writer_pool, room, self._settings.lease_seconds)
        for lease in leases:
            if lease.previous_owner is not None and lease.previous_owner != self.owner:
                self._deps.metrics.takeovers.labels(self._writer_pool).inc()
                log.warning("queue.company_taken_over", company=lease.company_id, from_owner=lease.previous_owner,
                            owner=self.owner)  # fmt: skip
            drain = CompanyDrain(lease, self._deps, self._settings)
            self._drains[lease.company_id] = drain
            task = asyncio.create_task(drain.run(), name=f"drain-{lease.company_id}")
            task.add_done_callback(lambda _: self._wake.set())  # reaped, and its room filled, at once
            self._tasks[lease.company_id] = task
        if leases:
            self._deps.metrics.leased.labels(self._writer_pool).set(len(self._drains))

    async def _report(self) -> None:
        while True:
            try:
                queues = await store.queues(self._deps.pool(), writer_pool=self._writer_pool)
                self._deps.metrics.queues(queues)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                log.warning("queue.metrics_failed")
            await asyncio.sleep(METRICS_EVERY_SECONDS)
