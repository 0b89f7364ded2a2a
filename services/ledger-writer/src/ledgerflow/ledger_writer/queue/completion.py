"""Finished commands leave the queue together: one statement for all that finished meanwhile.

A command's row is deleted and what it emits written to the outbox in one statement, then sent. While
one such statement runs, the commands finishing meanwhile wait for the next: under load many share a
round trip, and alone a command waits for nobody. A command's caller learns the outcome only once its
messages are in the producer, so the next command of its lane cannot overtake them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
import structlog

from ledgerflow.ledger_writer.queue import store
from ledgerflow.ledger_writer.queue.store import Done
from ledgerflow.runtime.outbox import OutboxRelay

log = structlog.get_logger(__name__)

LINGER_SECONDS = 0.05


def _log_failure(acknowledged: asyncio.Future[None]) -> None:
    if not acknowledged.cancelled() and (error := acknowledged.exception()) is not None:
        log.warning("queue.publish_unconfirmed", error=repr(error), hint="the relay's sweep sends them again")


class Completions:
    def __init__(self, pool: Callable[[], asyncpg.Pool], relay: Callable[[], OutboxRelay], owner: str) -> None:
        self._pool = pool
        self._relay = relay
        self._owner = owner
        self._pending: list[tuple[Done, asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def complete(self, done: Done) -> bool:
        """True once the command is off the queue and its messages sent; False if its company changed hands
        meanwhile (the new owner does it again, and the intents make that post nothing twice)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((done, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="queue-completions")
        return await future

    async def _flush(self) -> None:
        # A moment for the commands finishing together to join: one statement, and one batch of events for the
        # services that read them, instead of one each.
        await asyncio.sleep(LINGER_SECONDS)
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                deleted, rows = await store.complete(self._pool(), self._owner, [done for done, _ in batch])
            except Exception as exc:  # the commands stay queued and are done again
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            try:
                # In the producer, in order, before the next command of a lane can start; the brokers' answers
                # are awaited aside, so that the next group need not wait for them.
                acknowledged = await self._relay().send(rows)
                acknowledged.add_done_callback(_log_failure)
            except Exception:  # committed: the relay's sweep sends them
                log.exception("queue.publish_failed", messages=len(rows))
            for done, future in batch:
                if not future.done():
                    future.set_result(done.row_id in deleted)
