"""The consume-handle-emit loop every service runs, exactly once in effect.

One Postgres transaction holds the inbox record of the message, the service's state change and
the outbox rows of what it emits; the Kafka offset is committed only after that, so a crash at
any point leads to a redelivery that the inbox recognises.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

import asyncpg
import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import trace
from pydantic import BaseModel, ValidationError

from ledgerflow.contracts import DeadLetter, ErrorDetail, MessageMeta, dead_letter_topic, derive_message_id
from ledgerflow.runtime import inbox, outbox
from ledgerflow.runtime.database import DbConnection
from ledgerflow.runtime.errors import StageError
from ledgerflow.runtime.metrics import Metrics
from ledgerflow.runtime.outbox import OutboxRelay, Outgoing

log = structlog.get_logger(__name__)

In = TypeVar("In", bound=BaseModel)

MAX_DEAD_LETTER_PAYLOAD = 256 * 1024
UNKNOWN_TENANT = "unknown"


@dataclass(frozen=True)
class Source:
    topic: str
    partition: int | None
    offset: int | None


@dataclass(frozen=True)
class StageContext:
    """What a handler may use: ``conn`` is inside the inbox transaction, ``pool`` for its own commits."""

    conn: DbConnection
    pool: asyncpg.Pool
    source: Source


# A plain async function: (context, message) -> messages to emit once the transaction commits.
Handler: TypeAlias = Callable[[StageContext, In], Awaitable[Sequence[Outgoing]]]


@dataclass
class Stage(Generic[In]):
    """A service's step: what it reads, and the plain function that turns a message into messages."""

    name: str
    input_topic: str
    input_model: type[In]
    handler: Handler[In]
    group: str | None = None  # the consumer group, when not the stage's name (writer pools)
    accepts: Callable[[Any], bool] | None = None  # messages for another pool are left to it, before the inbox
    outputs: tuple[tuple[str, type[BaseModel]], ...] = ()  # what it emits, for the AsyncAPI document


def dead_letter(stage: str, meta: MessageMeta, source: Source, error: ErrorDetail, payload: str) -> Outgoing:
    """The dead letter of a message a stage cannot (fully) act on, to its input topic's dead-letter topic.

    Handlers that act on part of a message (a plan whose purchase orders are stopped) emit it themselves.
    """
    letter = DeadLetter(
        meta=meta.derive(f"{stage}.dead-letter/{error.code}"),
        stage=stage,
        source_topic=source.topic,
        source_partition=source.partition,
        source_offset=source.offset,
        source_message_id=meta.message_id,
        error=error,
        payload=payload[:MAX_DEAD_LETTER_PAYLOAD],
    )
    return Outgoing.of(dead_letter_topic(source.topic), letter)


class StageRunner(Generic[In]):
    def __init__(
        self, stage: Stage[In], pool: asyncpg.Pool, relay: OutboxRelay, metrics: Metrics, tracer: trace.Tracer
    ) -> None:
        self.stage = stage
        self._pool = pool
        self._relay = relay
        self._metrics = metrics
        self._tracer = tracer

    async def process(self, body: bytes, source: Source) -> None:
        started = time.perf_counter()
        outcome = await self._process(body, source)
        self._metrics.handled.labels(self.stage.name, outcome).inc()
        self._metrics.handler_seconds.labels(self.stage.name).observe(time.perf_counter() - started)

    async def _process(self, body: bytes, source: Source) -> str:
        try:
            message = self.stage.input_model.model_validate_json(body)
        except ValidationError as exc:
            await self._dead_letter_unreadable(body, source, exc)
            return "dead_letter"
        if self.stage.accepts is not None and not self.stage.accepts(message):
            return "skipped"
        meta: MessageMeta = message.meta  # type: ignore[attr-defined]
        span = trace.get_current_span()
        span.set_attribute("ledgerflow.tenant_id", meta.tenant_id)
        span.set_attribute("ledgerflow.correlation_id", str(meta.correlation_id))

        outcome = "handled"
        with self._tracer.start_as_current_span(
            f"{self.stage.name} transaction", kind=trace.SpanKind.CLIENT
        ) as db_span:
            db_span.set_attribute("db.system", "postgresql")
            db_span.set_attribute("ledgerflow.tenant_id", meta.tenant_id)
            async with self._pool.acquire() as conn, conn.transaction():
                if not await inbox.claim(conn, self.stage.name, meta.message_id):
                    log.info("message.duplicate", stage=self.stage.name, message_id=str(meta.message_id))
                    return "duplicate"
                try:
                    async with conn.transaction():  # a savepoint: a failed handler leaves no half state
                        outgoing = await self.stage.handler(StageContext(conn, self._pool, source), message)
                except StageError as err:
                    outgoing = [self._dead_letter(meta, body, source, err.detail)]
                    outcome = "dead_letter"
                rows = await outbox.enqueue(conn, outgoing)
        await self._relay.publish(rows)
        return outcome

    def _dead_letter(self, meta: MessageMeta, body: bytes, source: Source, error: ErrorDetail) -> Outgoing:
        log.warning("message.dead_lettered", stage=self.stage.name, code=error.code, reason=error.message)
        self._metrics.dead_letters.labels(self.stage.name, meta.tenant_id, error.code).inc()
        return dead_letter(self.stage.name, meta, source, error, body.decode("utf-8", errors="replace"))

    async def _dead_letter_unreadable(self, body: bytes, source: Source, exc: ValidationError) -> None:
        # Without a readable message id, the position in the log identifies the message.
        message_id = derive_message_id(self.stage.name, "unreadable", source.topic, source.partition, source.offset)
        meta = MessageMeta(
            tenant_id=_tenant_hint(body),
            message_id=message_id,
            correlation_id=message_id,
        )
        error = ErrorDetail(
            code="message.invalid",
            message=f"{self.stage.input_model.__name__} on {source.topic} is not valid: {_summarize(exc)}",
            fix=f"Publish a message that matches the {self.stage.input_model.__name__} schema "
            "(docs/schemas), then replay it.",
        )
        async with self._pool.acquire() as conn, conn.transaction():
            if not await inbox.claim(conn, self.stage.name, message_id):
                return
            rows = await outbox.enqueue(conn, [self._dead_letter(meta, body, source, error)])
        await self._relay.publish(rows)


def _summarize(exc: ValidationError, limit: int = 5) -> str:
    parts = []
    for err in exc.errors()[:limit]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _tenant_hint(body: bytes) -> str:
    try:
        value: Any = json.loads(body)["meta"]["tenant_id"]
    except (ValueError, KeyError, TypeError):
        return UNKNOWN_TENANT
    if isinstance(value, str) and value.replace("-", "").replace("_", "").replace(".", "").isalnum():
        return value[:64]
    return UNKNOWN_TENANT


RETRY_PAUSE_SECONDS = 1.0


def subscribe(broker: KafkaBroker, stage: Stage[Any], runners: dict[str, StageRunner[Any]]) -> Any:
    """Register the stage's consumer: offsets are committed after processing, never before.

    ``runners`` is filled at start-up, once the database pool exists, under the stage's name.
    """

    subscriber = broker.subscriber(
        stage.input_topic,
        group_id=stage.group or stage.name,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        title=f"{stage.input_topic}:{stage.name}",
        description=f"{stage.name} reads {stage.input_model.__name__} messages.",
    )

    @subscriber
    async def consume(message: KafkaMessage) -> None:
        record = message.raw_message
        source = Source(
            topic=stage.input_topic,
            partition=getattr(record, "partition", None),
            offset=getattr(record, "offset", None),
        )
        try:
            await runners[stage.name].process(message.body, source)
        except Exception:
            log.exception("message.retry", stage=stage.name, partition=source.partition, offset=source.offset)
            await asyncio.sleep(RETRY_PAUSE_SECONDS)  # seek back and retry; do not spin on a dead database
            raise

    return subscriber


def new_correlation() -> uuid.UUID:
    return uuid.uuid4()
