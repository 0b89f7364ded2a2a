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
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeAlias, TypeVar

import asyncpg
import structlog
from aiokafka import ConsumerRebalanceListener
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage
from opentelemetry import propagate, trace
from pydantic import BaseModel, ValidationError

from ledgerflow.contracts import (
    MAX_MESSAGE_BYTES,
    DeadLetter,
    ErrorDetail,
    MessageMeta,
    dead_letter_topic,
    derive_message_id,
)
from ledgerflow.runtime import inbox, outbox
from ledgerflow.runtime.database import DbConnection
from ledgerflow.runtime.errors import StageError, connection_lost, is_transient, unprocessable
from ledgerflow.runtime.metrics import Metrics
from ledgerflow.runtime.outbox import Enqueued, OutboxRelay, Outgoing, Traced
from ledgerflow.runtime.telemetry import current_trace_id, trace_id_of

log = structlog.get_logger(__name__)

In = TypeVar("In", bound=BaseModel)

MAX_DEAD_LETTER_PAYLOAD = 256 * 1024
MAX_ERROR_TEXT = 2000  # a reason that embeds the data (a 900 KB number) must not make its dead letter unsendable
DEFAULT_MAX_MESSAGE_BYTES = MAX_MESSAGE_BYTES
UNKNOWN_TENANT = "unknown"


@dataclass(frozen=True)
class Source:
    topic: str
    partition: int | None
    offset: int | None


@dataclass(frozen=True)
class Received:
    """One record of a batch: its bytes, where it came from, and its headers (the W3C trace context)."""

    body: bytes
    source: Source
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StageContext:
    """What a handler may use: ``conn`` is inside the inbox transaction, ``pool`` for its own commits; ``body`` is
    the message as received, for a handler that keeps it (no need to encode it again)."""

    conn: DbConnection
    pool: asyncpg.Pool
    source: Source
    body: bytes = b""


# A plain async function: (context, message) -> messages to emit once the transaction commits.
Handler: TypeAlias = Callable[[StageContext, In], Awaitable[Sequence[Outgoing]]]


@dataclass(frozen=True)
class Filed:
    """A message a filing stage keeps for later work: where it came from, and the trace it continues."""

    message: Any
    source: Source
    traceparent: str | None
    body: bytes  # as received: the message need not be encoded again to be kept


# Files a batch's new messages in the batch's transaction; what it returns goes to ``after_commit``.
Filer: TypeAlias = Callable[[DbConnection, Sequence[Filed]], Awaitable[Any]]


@dataclass
class Stage(Generic[In]):
    """A service's step: what it reads, and the plain function that turns a message into messages."""

    name: str
    input_topic: str
    input_model: type[In]
    handler: Handler[In] | None = None
    group: str | None = None  # the consumer group, when not the stage's name (writer pools)
    accepts: Callable[[Any], bool] | None = None  # messages for another pool are left to it, before the inbox
    outputs: tuple[tuple[str, type[BaseModel]], ...] = ()  # what it emits, for the AsyncAPI document
    # Instead of a handler per message: a stage that files its messages away for later work (the writer's
    # company queues) gets one call per batch, inside the batch's transaction, with every message that is new.
    filer: Filer | None = None
    # Given what the filer returned once the batch's transaction has committed (the writer hands the commands it
    # filed to the companies' drains).
    after_commit: Callable[[Any], None] | None = None
    # The advisory locks a message's handling needs (the order it moves forward): taken for the whole batch in one
    # statement, in one order across processes, before any handler runs, instead of one round trip per message.
    lock_keys: Callable[[Any], Iterable[str]] | None = None

    def __post_init__(self) -> None:
        if (self.handler is None) == (self.filer is None):
            raise ValueError(f"stage {self.name}: give it a handler or a filer, not both")


def order_attributes(message: BaseModel) -> dict[str, str]:
    """The order a message is about, as span attributes: what a person searches a trace by. A raw order is read
    only by ingest, which names its order once it has normalized it."""
    order = getattr(message, "order", message)
    found = {
        "ledgerflow.order_number": getattr(order, "order_number", None),
        "ledgerflow.channel_order_id": getattr(order, "channel_order_id", None),
        "ledgerflow.channel": getattr(order, "channel", None),
    }
    return {key: str(value) for key, value in found.items() if value is not None}


def dead_letter(
    stage: str, meta: MessageMeta, source: Source, error: ErrorDetail, payload: str, trace_id: str | None = None
) -> Outgoing:
    """The dead letter of a message a stage cannot (fully) act on, to its input topic's dead-letter topic, with
    the trace it belongs to (``trace_id``, else the span in progress).

    Handlers that act on part of a message (a plan whose purchase orders are stopped) emit it themselves.
    """
    error = error.model_copy(
        update={"message": error.message[:MAX_ERROR_TEXT], "fix": error.fix[:MAX_ERROR_TEXT] if error.fix else None}
    )
    letter = DeadLetter(
        meta=meta.derive(f"{stage}.dead-letter/{error.code}"),
        stage=stage,
        source_topic=source.topic,
        source_partition=source.partition,
        source_offset=source.offset,
        source_message_id=meta.message_id,
        error=error,
        payload=payload[:MAX_DEAD_LETTER_PAYLOAD],
        trace_id=trace_id or current_trace_id(),
    )
    return Outgoing.of(dead_letter_topic(source.topic), letter)


class StageRunner(Generic[In]):
    def __init__(
        self,
        stage: Stage[In],
        pool: asyncpg.Pool,
        relay: OutboxRelay,
        metrics: Metrics,
        tracer: trace.Tracer,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> None:
        self.stage = stage
        self._max_message_bytes = max_message_bytes
        self._same_failures: dict[tuple[str, int | None, int | None, str], int] = {}
        self._pool = pool
        self._relay = relay
        self._metrics = metrics
        self._tracer = tracer

    failures = 0
    stalled: str | None = None  # why the stage has not got a batch through for a while

    def failed(self, exc: BaseException) -> float:
        """A batch failed with an outage (anything else was dead-lettered): how long to wait before it is read
        again. After a few failures in a row the stage reports itself stalled, with the reason."""
        self.failures += 1
        if self.failures >= STALLED_AFTER_FAILURES:
            self.stalled = f"{self.failures} batches in a row failed: {type(exc).__name__}: {exc}"[:300]
            self._metrics.stalled.labels(self.stage.name).set(1)
        return float(min(RETRY_PAUSE_CAP_SECONDS, RETRY_PAUSE_SECONDS * 2 ** (self.failures - 1)))

    def recovered(self) -> None:
        if self.failures:
            if self.stalled is not None:
                log.info("stage.recovered", stage=self.stage.name, failures=self.failures)
                self._metrics.stalled.labels(self.stage.name).set(0)
            self.failures = 0
            self.stalled = None

    async def flush_outbox(self) -> int:
        return await self._relay.flush_leftovers()

    async def process_batch(self, records: Sequence[Received]) -> None:
        """Handle a batch; the caller commits its offsets only once this returns, so an offset is never
        committed past a message that is still being handled (or failed: the batch is then redelivered,
        and the inbox drops what was done already)."""
        await self._in_one_transaction(records)

    async def _in_one_transaction(self, records: Sequence[Received]) -> None:
        started = time.perf_counter()
        reads = [self._read(record.body, record.source) for record in records]
        try:
            outcomes, rows, filed = await self._batch(records, reads, isolated=False)
        except _Refused:
            # A handler refused a message after it may have written part of its work: the whole batch is
            # rolled back and done again, each message in a savepoint of its own.
            outcomes, rows, filed = await self._batch(records, reads, isolated=True)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
            if is_transient(exc):
                # An outage, so the batch is read again once it is over; unless the same batch has failed the same
                # way several times while the database answers: then one of its messages causes it (a query it
                # makes time out, say), and it is found as a refused message would be.
                if not self._failed_before(records[0].source, exc) or not await self._database_answers():
                    raise
                log.warning("batch.suspect", stage=self.stage.name, error=error, tries=SUSPECT_AFTER_FAILURES)
                outcomes, rows, filed = await self._batch(records, reads, isolated=True, suspect=True)
            else:
                # One of the messages holds what the database or the code cannot take: done again one by one,
                # the one that fails becomes a dead letter and the others go through.
                log.warning("batch.isolating", stage=self.stage.name, error=error)
                outcomes, rows, filed = await self._batch(records, reads, isolated=True)
        self._same_failures.clear()
        await self._relay.publish(rows)
        if filed is not None and self.stage.after_commit is not None:
            self.stage.after_commit(filed)
        per_message = (time.perf_counter() - started) / max(len(records), 1)
        self._metrics.batch_records.labels(self.stage.name).observe(len(records))
        for outcome in outcomes:
            self._metrics.handled.labels(self.stage.name, outcome).inc()
            self._metrics.handler_seconds.labels(self.stage.name).observe(per_message)

    def _failed_before(self, first: Source, exc: BaseException) -> bool:
        """Whether the batch starting at ``first`` has now failed with this kind of error often enough to be
        searched for the message that causes it."""
        key = (first.topic, first.partition, first.offset, type(exc).__name__)
        self._same_failures[key] = self._same_failures.get(key, 0) + 1
        return self._same_failures[key] >= SUSPECT_AFTER_FAILURES

    async def _database_answers(self) -> bool:
        try:
            await asyncio.wait_for(self._pool.fetchval("SELECT 1"), timeout=2)
        except Exception:
            return False
        return True

    async def _batch(
        self, records: Sequence[Received], reads: Sequence[_Read], *, isolated: bool, suspect: bool = False
    ) -> tuple[list[str], list[Enqueued], Any]:
        """A batch in one transaction. Messages are refused rarely, so by default none gets a savepoint (two
        round trips each); ``isolated`` gives each one. ``suspect``: an error a message meets is its own unless
        the connection itself is lost."""
        outcomes: list[str] = []
        filed: list[Filed] = []
        async with self._pool.acquire() as conn, conn.transaction():
            # The batch's inbox records and outbox rows go in one statement each, not one per message.
            claimed = await inbox.claim_many(conn, self.stage.name, [r.message_id for r in reads if r.message_id])
            await self._lock(conn, [r.message for r in reads if r.message_id in claimed and r.invalid is None])
            outgoing: list[Traced] = []
            for record, read in zip(records, reads, strict=True):
                with self._record_span(record):
                    outcome, messages = await self._act(
                        conn, read, claimed, isolated=isolated, filed=filed, suspect=suspect
                    )
                outcomes.append(outcome)
                outgoing.extend(messages)
            result: list[Any] | None = None
            if filed:
                result, letters = await self._file(conn, filed, isolated=isolated, suspect=suspect)
                outgoing.extend(letters)
            rows = await outbox.enqueue(conn, outgoing)
        return outcomes, rows, result

    async def _lock(self, conn: DbConnection, messages: Sequence[Any]) -> None:
        """The batch's advisory locks, in hash order: two batches that share orders wait for each other rather than
        deadlock, whichever order their messages came in."""
        if self.stage.lock_keys is None:
            return
        keys = sorted({key for message in messages for key in self.stage.lock_keys(message)})
        if keys:
            await conn.execute(LOCK_MANY, keys)

    async def _file(
        self, conn: DbConnection, filed: list[Filed], *, isolated: bool, suspect: bool = False
    ) -> tuple[list[Any], list[Traced]]:
        """The batch's messages filed at once; ``isolated``, one by one, a message the filer cannot take turned
        into a dead letter."""
        assert self.stage.filer is not None
        if not isolated:
            return list(await self.stage.filer(conn, filed)), []
        result: list[Any] = []
        letters: list[Traced] = []
        for item in filed:
            try:
                async with conn.transaction():
                    result.extend(await self.stage.filer(conn, [item]))
            except Exception as exc:
                if _retry_it(exc, suspect=suspect):
                    raise
                meta: MessageMeta = item.message.meta
                error = unprocessable(self.stage.name, self.stage.input_model.__name__, exc)
                letter = self._dead_letter(meta, item.body, item.source, error, trace_id_of(item.traceparent))
                letters.append((letter, item.traceparent))
        return result, letters

    def _record_span(self, record: Received) -> Any:
        """Each message of a batch continues its own trace (the one its producer started)."""
        parent = propagate.extract(record.headers) if record.headers else None
        return self._tracer.start_as_current_span(
            f"{record.source.topic} process", context=parent, kind=trace.SpanKind.CONSUMER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": record.source.topic,
                        "messaging.kafka.destination.partition": record.source.partition or 0,
                        "messaging.kafka.message.offset": record.source.offset or 0},
        )  # fmt: skip

    def _read(self, body: bytes, source: Source) -> _Read:
        try:
            message = self.stage.input_model.model_validate_json(body)
        except ValidationError as exc:
            # Without a readable message id, the position in the log identifies the message.
            message_id = derive_message_id(self.stage.name, "unreadable", source.topic, source.partition,
                                           source.offset)  # fmt: skip
            return _Read(body, source, None, message_id, exc)
        if self.stage.accepts is not None and not self.stage.accepts(message):
            return _Read(body, source, message, None)  # another pool's: left to it, before the inbox
        return _Read(body, source, message, message.meta.message_id)  # type: ignore[attr-defined]

    async def _act(
        self,
        conn: DbConnection,
        read: _Read,
        claimed: set[uuid.UUID],
        *,
        isolated: bool,
        filed: list[Filed],
        suspect: bool = False,
    ) -> tuple[str, list[Traced]]:
        """The handler's work on a message the inbox has ``claimed`` for this transaction (taken from the set:
        a second copy in the same batch is a duplicate too), and what it emits, each in the trace it continues.
        Not ``isolated``: a refusal raises ``_Refused`` instead of becoming a dead letter. A filing stage's
        message is added to ``filed`` instead."""
        if read.message_id is None:
            return "skipped", []
        if read.message_id not in claimed:
            log.info("message.duplicate", stage=self.stage.name, message_id=str(read.message_id))
            return "duplicate", []
        claimed.discard(read.message_id)
        if read.invalid is not None:
            letter = self._dead_letter_unreadable(read.body, read.source, read.message_id, read.invalid)
            return "dead_letter", [(letter, outbox.current_traceparent())]
        meta: MessageMeta = read.message.meta
        span = trace.get_current_span()
        span.set_attribute("ledgerflow.tenant_id", meta.tenant_id)
        span.set_attribute("ledgerflow.correlation_id", str(meta.correlation_id))
        for key, value in order_attributes(read.message).items():
            span.set_attribute(key, value)
        if self.stage.filer is not None:
            filed.append(Filed(read.message, read.source, outbox.current_traceparent(), read.body))
            return "filed", []
        assert self.stage.handler is not None

        outcome = "handled"
        with self._tracer.start_as_current_span(
            f"{self.stage.name} transaction", kind=trace.SpanKind.CLIENT
        ) as db_span:
            db_span.set_attribute("db.system", "postgresql")
            db_span.set_attribute("ledgerflow.tenant_id", meta.tenant_id)
            context = StageContext(conn, self._pool, read.source, read.body)
            try:
                if isolated:
                    async with conn.transaction():  # a savepoint: a refused message leaves no half state
                        outgoing = self._sendable(list(await self.stage.handler(context, read.message)))
                else:
                    outgoing = self._sendable(list(await self.stage.handler(context, read.message)))
            except StageError as err:
                if not isolated:
                    raise _Refused from err
                outgoing = [self._dead_letter(meta, read.body, read.source, err.detail)]
                outcome = "dead_letter"
            except Exception as exc:
                if not isolated or _retry_it(exc, suspect=suspect):
                    raise
                error = unprocessable(self.stage.name, self.stage.input_model.__name__, exc)
                outgoing = [self._dead_letter(meta, read.body, read.source, error)]
                outcome = "dead_letter"
            traceparent = outbox.current_traceparent()
        return outcome, [(m, traceparent) for m in outgoing]

    def _sendable(self, outgoing: list[Outgoing]) -> list[Outgoing]:
        """What a handler emits, if the brokers will take it all: a message over their limit would block the
        outbox behind it for ever, so the message that caused it is refused instead (and its work undone)."""
        for message in outgoing:
            if len(message.payload) > self._max_message_bytes:
                raise StageError(
                    "message.too_large",
                    f"the message {self.stage.name} made from it for {message.topic} is {len(message.payload):,} "
                    f"bytes, over the {self._max_message_bytes:,} the brokers take",
                    "Make the order smaller where it comes from (fewer lines, shorter texts), or raise the brokers' "
                    "message.max.bytes and LEDGERFLOW_KAFKA_MAX_MESSAGE_BYTES together; then publish it again.",
                )
        return outgoing

    def _dead_letter(
        self, meta: MessageMeta, body: bytes, source: Source, error: ErrorDetail, trace_id: str | None = None
    ) -> Outgoing:
        log.warning("message.dead_lettered", stage=self.stage.name, code=error.code, reason=error.message)
        self._metrics.dead_letters.labels(self.stage.name, meta.tenant_id, error.code).inc()
        return dead_letter(self.stage.name, meta, source, error, body.decode("utf-8", errors="replace"), trace_id)

    def _dead_letter_unreadable(
        self, body: bytes, source: Source, message_id: uuid.UUID, exc: ValidationError
    ) -> Outgoing:
        meta = MessageMeta(tenant_id=_tenant_hint(body), message_id=message_id, correlation_id=message_id)
        error = ErrorDetail(
            code="message.invalid",
            message=f"{self.stage.input_model.__name__} on {source.topic} is not valid: {_summarize(exc)}",
            fix=f"Publish a message that matches the {self.stage.input_model.__name__} schema "
            "(docs/schemas), then replay it.",
        )
        return self._dead_letter(meta, body, source, error)


LOCK_MANY = """SELECT count(pg_advisory_xact_lock(hashtext(key)))
               FROM (SELECT key FROM unnest($1::text[]) AS key ORDER BY hashtext(key)) AS keys"""


def _retry_it(exc: BaseException, *, suspect: bool) -> bool:
    """Whether a message's error calls for the batch to be tried again rather than for a dead letter."""
    if not is_transient(exc):
        return False
    return not suspect or connection_lost(exc)


class _Refused(Exception):
    """A handler refused a message in a batch handled without savepoints."""


@dataclass(frozen=True)
class _Read:
    """A record as read: its message (or why it is not one), and the id the inbox knows it by
    (None: another writer pool's message, not this stage's to record)."""

    body: bytes
    source: Source
    message: Any  # the stage's input model, or None when unreadable
    message_id: uuid.UUID | None
    invalid: ValidationError | None = None


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


RETRY_PAUSE_SECONDS = 0.5  # after a batch's first failure; doubled after each next one, up to the cap
RETRY_PAUSE_CAP_SECONDS = 10.0
STALLED_AFTER_FAILURES = 6  # in a row (about 15 s): the stage says it is stalled (readiness, a metric)
SUSPECT_AFTER_FAILURES = 4  # the same batch, the same kind of error, the database answering: a message causes it


def subscribe(
    broker: KafkaBroker,
    stage: Stage[Any],
    runners: dict[str, StageRunner[Any]],
    *,
    batch_size: int = 1,
    fetch_min_bytes: int = 1,
    fetch_max_wait_ms: int = 500,
) -> Any:
    """Register the stage's consumer: offsets are committed after processing, never before.

    Records are read in batches of up to ``batch_size``; the batch's offsets are committed once every
    record of it is handled, and a failure rewinds each partition to the batch's first record there.
    ``runners`` is filled at start-up, once the database pool exists, under the stage's name.
    """

    subscriber = broker.subscriber(
        stage.input_topic,
        listener=_LeftoversFirst(stage.name, runners),
        group_id=stage.group or stage.name,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        batch=True,
        max_records=batch_size,
        batch_timeout_ms=BATCH_WAIT_MS,
        fetch_min_bytes=fetch_min_bytes,
        fetch_max_wait_ms=fetch_max_wait_ms,
        decoder=_records_as_read,
        title=f"{stage.input_topic}:{stage.name}",
        description=f"{stage.name} reads {stage.input_model.__name__} messages.",
    )

    @subscriber
    async def consume(batch: Any) -> None:
        records = [_received(stage.input_topic, record) for record in batch]
        if not records:
            return
        runner = runners[stage.name]
        try:
            await runner.process_batch(records)
        except Exception as exc:
            first = records[0].source
            delay = runner.failed(exc)
            log.exception("batch.retry", stage=stage.name, partition=first.partition, offset=first.offset,
                          records=len(records), failures=runner.failures, retry_in=delay)  # fmt: skip
            await asyncio.sleep(delay)  # seek back and retry, ever less often while the outage lasts
            raise
        runner.recovered()

    return subscriber


async def _records_as_read(message: StreamMessage[Any]) -> Any:
    """The batch's records as the consumer read them: the runner parses each body itself, once, into the stage's
    model, so FastStream's own JSON decoding of every body would be work thrown away. Taking the records as the
    handler's argument (not from FastStream's context) also spares a thread hop per batch."""
    return message.raw_message


LEFTOVERS_TIMEOUT_SECONDS = 10.0


class _LeftoversFirst(ConsumerRebalanceListener):  # type: ignore[misc]
    """On an assignment, the service's unsent outbox rows go out before any message of its new partitions is read."""

    def __init__(self, stage: str, runners: dict[str, StageRunner[Any]]) -> None:
        self._stage = stage
        self._runners = runners

    async def on_partitions_revoked(self, revoked: set[Any]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: set[Any]) -> None:
        runner = self._runners.get(self._stage)
        if runner is None or not assigned:
            return
        try:
            # Bounded: a rebalance must not hang on a database that does not answer.
            if sent := await asyncio.wait_for(runner.flush_outbox(), timeout=LEFTOVERS_TIMEOUT_SECONDS):
                log.info("outbox.leftovers_sent", stage=self._stage, published=sent)
        except Exception:  # the database is away: the periodic sweep sends them later
            log.exception("outbox.leftovers_failed", stage=self._stage)


# How long a consumer waits for records when there are none (a read returns as soon as any arrive; an
# empty one is followed by as long a pause): short, so that a lone order is not held up, and long
# enough that an idle service does not spin.
BATCH_WAIT_MS = 20


def _received(topic: str, record: Any) -> Received:
    headers = {key: value.decode(errors="replace") for key, value in (getattr(record, "headers", None) or ())}
    source = Source(topic=topic, partition=getattr(record, "partition", None), offset=getattr(record, "offset", None))
    return Received(body=record.value or b"", source=source, headers=headers)


def new_correlation() -> uuid.UUID:
    return uuid.uuid4()
