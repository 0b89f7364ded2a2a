"""Transactional outbox: messages are written with the state that caused them, then relayed to Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import asyncpg
import structlog
from faststream.kafka import KafkaBroker
from opentelemetry import context as otel_context
from opentelemetry import propagate
from pydantic import BaseModel

from ledgerflow.contracts import message_key
from ledgerflow.runtime.database import DbConnection
from ledgerflow.runtime.errors import is_transient

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """A message a handler wants sent once its transaction commits."""

    topic: str
    tenant_id: str
    message_id: uuid.UUID
    correlation_id: uuid.UUID
    payload: bytes

    @classmethod
    def of(cls, topic: str, message: BaseModel) -> Outgoing:
        meta = message.meta  # type: ignore[attr-defined]
        return cls(
            topic=topic,
            tenant_id=meta.tenant_id,
            message_id=meta.message_id,
            correlation_id=meta.correlation_id,
            payload=message.model_dump_json().encode(),
        )


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


# A message to send, and the W3C traceparent of the trace it continues.
Traced: TypeAlias = tuple[Outgoing, str | None]


@dataclass(frozen=True)
class Enqueued:
    row_id: int
    message: Outgoing
    traceparent: str | None = None


async def enqueue(conn: DbConnection, messages: Sequence[Traced]) -> list[Enqueued]:
    """Insert a batch's messages, each with the trace it belongs to, in one statement; rows keep their order."""
    if not messages:
        return []
    rows = await conn.fetch(
        """INSERT INTO outbox (topic, message_key, message_id, correlation_id, payload, traceparent)
           SELECT topic, message_key, message_id, correlation_id, payload, traceparent
           FROM unnest($1::text[], $2::bytea[], $3::uuid[], $4::uuid[], $5::bytea[], $6::text[])
                WITH ORDINALITY AS m(topic, message_key, message_id, correlation_id, payload, traceparent, n)
           ORDER BY n
           RETURNING id, message_id""",
        [m.topic for m, _ in messages],
        [message_key(m.tenant_id) for m, _ in messages],
        [m.message_id for m, _ in messages],
        [m.correlation_id for m, _ in messages],
        [m.payload for m, _ in messages],
        [traceparent for _, traceparent in messages],
    )
    # Matched by message id, not by position: the ids are the rows' own, whatever order they come back in.
    ids: dict[uuid.UUID, list[int]] = {}
    for row in sorted(rows, key=lambda r: r["id"]):
        ids.setdefault(row["message_id"], []).append(row["id"])
    return [Enqueued(ids[m.message_id].pop(0), m, traceparent) for m, traceparent in messages]


# A row the brokers will never take: its id, topic, size and the reason.
Aside: TypeAlias = tuple[int, str, int, str]


async def set_aside(conn: DbConnection | asyncpg.Pool, rows: Sequence[Aside]) -> None:
    """Rows the brokers refuse for good (too large) leave the queue of rows to send, with the reason, so the rows
    behind them are not held up; they stay in the table for an operator to see."""
    if not rows:
        return
    for row_id, topic, size, reason in rows:
        log.error("outbox.row_set_aside", row_id=row_id, topic=topic, bytes=size, reason=reason[:300],
                  hint="it can never be sent as it is: check the brokers' message.max.bytes")  # fmt: skip
    await conn.execute(
        """UPDATE outbox SET published_at = now(), set_aside = d.reason
           FROM unnest($1::bigint[], $2::text[]) AS d(id, reason) WHERE outbox.id = d.id""",
        [row_id for row_id, _, _, _ in rows],
        [reason[:1000] for _, _, _, reason in rows],
    )


class OutboxRelay:
    """Publishes outbox rows in id order and marks them published.

    Handlers publish their own rows right after commit; the sweep only picks up rows left behind
    by a crash between commit and publish. A row published twice is dropped by the consumer's inbox.

    Rows sent are marked published in bulk, every ``mark_seconds``, not one statement per batch: a row sent
    and not yet marked when the process dies is sent again by the next sweep, which the inbox absorbs. The
    sweep leaves rows younger than ``grace_seconds`` to their handlers, so it never races the marking.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        broker: KafkaBroker,
        *,
        sweep_seconds: float,
        grace_seconds: float = 5.0,
        mark_seconds: float = 0.25,
    ) -> None:
        self._pool = pool
        self._broker = broker
        self._sweep_seconds = sweep_seconds
        self._grace_seconds = grace_seconds
        self._mark_seconds = mark_seconds
        self._sent: list[int] = []
        self._set_aside: list[Aside] = []
        self._task: asyncio.Task[None] | None = None
        self._marker: asyncio.Task[None] | None = None

    async def publish(self, rows: Sequence[Enqueued]) -> None:
        """Send rows just committed, from memory, in the current trace; then mark them published."""
        await (await self.send(rows))

    async def send(self, rows: Sequence[Enqueued]) -> asyncio.Future[None]:
        """Hand rows just committed to the producer, in order, and return what completes once the brokers have
        them (then they are marked published). A caller that only needs their order kept against later rows
        need not wait for the brokers. A row the producer can never send is set aside (it does not hold up
        the rows after it); one the brokers did not confirm is left to the sweep."""
        pending: list[tuple[int, asyncio.Future[Any]]] = []
        for row in rows:
            m = row.message
            try:
                pending.append((row.row_id, await self._produce(m, row.traceparent)))
            except Exception as exc:
                if is_transient(exc):
                    raise
                self._set_aside.append((row.row_id, m.topic, len(m.payload), f"{type(exc).__name__}: {exc}"))
        return asyncio.ensure_future(self._acknowledged(pending))

    async def _produce(self, m: Outgoing, traceparent: str | None) -> asyncio.Future[Any]:
        # Each row is sent in the trace of the message that caused it (a batch holds many traces).
        ctx = propagate.extract({"traceparent": traceparent}) if traceparent else None
        token = otel_context.attach(ctx) if ctx is not None else None
        try:
            sent: asyncio.Future[Any] = await self._broker.publish(
                m.payload,
                m.topic,
                key=message_key(m.tenant_id),
                headers={"content-type": "application/json", "message-id": str(m.message_id)},
                correlation_id=str(m.correlation_id),
                no_confirm=True,
            )
        finally:
            if token is not None:
                otel_context.detach(token)
        return sent

    async def _acknowledged(self, pending: list[tuple[int, asyncio.Future[Any]]]) -> None:
        answers = await asyncio.gather(*(future for _, future in pending), return_exceptions=True)
        self._sent.extend(row_id for (row_id, _), answer in zip(pending, answers, strict=True)
                          if not isinstance(answer, BaseException))  # fmt: skip
        failed = [answer for answer in answers if isinstance(answer, BaseException)]
        if failed:
            raise failed[0]  # the sweep sends those rows again (and sets aside one the brokers refuse for good)

    async def mark_sent(self) -> int:
        """Mark the rows sent since the last call as published, and those set aside as such."""
        sent, self._sent = self._sent, []
        if sent:
            try:
                await self._pool.execute("UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", sent)
            except BaseException:
                self._sent[:0] = sent  # marked on the next round, or sent again by the sweep after a crash
                raise
        aside, self._set_aside = self._set_aside, []
        if aside:
            try:
                await set_aside(self._pool, aside)
            except BaseException:
                self._set_aside[:0] = aside
                raise
        return len(sent)

    async def flush_leftovers(self) -> int:
        """Every committed row not yet sent, now: called when partitions are assigned, before their messages are
        read. A process killed between a commit and its publish leaves rows behind; sent only by the next sweep,
        they would reach the next stage after messages handled since by another replica, out of order (a next
        number after a later one). Rows that this process sent are marked first, so they do not go again."""
        await self.mark_sent()
        return await self._publish_where("created_at <= now() - make_interval(secs => $1::float8)", 0.0)

    async def sweep(self) -> int:
        return await self._publish_where("created_at < now() - make_interval(secs => $1::float8)", self._grace_seconds)

    async def _publish_where(self, condition: str, arg: object) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                f"""SELECT id, topic, message_key, message_id, correlation_id, payload, traceparent
                    FROM outbox WHERE published_at IS NULL AND {condition}
                    ORDER BY id LIMIT 1000 FOR UPDATE SKIP LOCKED""",
                arg,
            )
            if not rows:
                return 0
            produced: list[tuple[int, asyncio.Future[object]]] = []
            aside: list[Aside] = []
            for row in rows:
                try:
                    produced.append((row["id"], await self._send(row)))
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    aside.append((row["id"], row["topic"], len(row["payload"]), f"{type(exc).__name__}: {exc}"))
            answers = await asyncio.gather(*(future for _, future in produced), return_exceptions=True)
            sent = []
            for (row_id, _), answer in zip(produced, answers, strict=True):
                if not isinstance(answer, BaseException):
                    sent.append(row_id)
                elif is_transient(answer):
                    raise answer  # nothing marked: the next sweep sends them again, in order
                else:
                    row = next(r for r in rows if r["id"] == row_id)
                    aside.append((row_id, row["topic"], len(row["payload"]), f"{type(answer).__name__}: {answer}"))
            await conn.execute("UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", sent)
            await set_aside(conn, aside)
            return len(rows)

    async def _send(self, row: asyncpg.Record) -> asyncio.Future[object]:
        # Publish inside the trace of the handler that wrote the row, so the trace survives a relay.
        ctx = propagate.extract({"traceparent": row["traceparent"]}) if row["traceparent"] else None
        token = otel_context.attach(ctx) if ctx is not None else None
        try:
            return await self._broker.publish(
                bytes(row["payload"]),
                row["topic"],
                key=bytes(row["message_key"]),
                headers={"content-type": "application/json", "message-id": str(row["message_id"])},
                correlation_id=str(row["correlation_id"]),
                no_confirm=True,
            )
        finally:
            if token is not None:
                otel_context.detach(token)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")
        self._marker = asyncio.create_task(self._mark_forever(), name="outbox-marker")

    async def stop(self) -> None:
        for task in (self._task, self._marker):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        with contextlib.suppress(Exception):  # what is left unmarked is sent again by the next sweep
            await self.mark_sent()

    async def _mark_forever(self) -> None:
        while True:
            await asyncio.sleep(self._mark_seconds)
            try:
                await self.mark_sent()
            except Exception:  # the database is away: the rows stay listed for the next round
                log.warning("outbox.mark_failed", pending=len(self._sent))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._sweep_seconds)
            try:
                if sent := await self.sweep():
                    log.info("outbox.swept", published=sent)
            except Exception:  # the sweep must outlive a broker or database hiccup
                log.exception("outbox.sweep_failed")
