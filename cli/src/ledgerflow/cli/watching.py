"""Follow ``ledger.events`` and the dead-letter topics until every published order has an outcome."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from ledgerflow.contracts import DeadLetter, LedgerEvent, Topic
from ledgerflow.contracts.topics import all_topics


@dataclass
class Outcomes:
    events: dict[uuid.UUID, LedgerEvent] = field(default_factory=dict)
    dead_letters: dict[uuid.UUID, DeadLetter] = field(default_factory=dict)
    headers: dict[uuid.UUID, dict[str, str]] = field(default_factory=dict)

    def done(self, correlation_ids: Iterable[uuid.UUID]) -> bool:
        return all(c in self.events or c in self.dead_letters for c in correlation_ids)


async def wait_for_outcomes(
    bootstrap_servers: str,
    correlation_ids: set[uuid.UUID],
    *,
    timeout: float,
    progress: Callable[[int], None] | None = None,
) -> Outcomes:
    """Read from the beginning without a consumer group, so nothing is committed on anyone's behalf."""
    topics = [Topic.EVENTS.value, *(t for t in all_topics() if t.endswith(".dlq"))]
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap_servers, auto_offset_reset="earliest")
    outcomes = Outcomes()
    await consumer.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while not outcomes.done(correlation_ids):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            batches = await consumer.getmany(timeout_ms=int(min(remaining, 1.0) * 1000))
            for records in batches.values():
                for record in records:
                    note_outcome(outcomes, record.topic, record.value or b"", record.headers or (), correlation_ids)
            if progress is not None:
                progress(sum(1 for c in correlation_ids if c in outcomes.events or c in outcomes.dead_letters))
    finally:
        await consumer.stop()
    return outcomes


def note_outcome(
    outcomes: Outcomes, topic: str, value: bytes, headers: Iterable[tuple[str, bytes]], wanted: set[uuid.UUID]
) -> None:
    """Keep a record of ``ledger.events`` or a dead-letter topic when it is about one of the ``wanted`` orders."""
    if topic == Topic.EVENTS:
        event = LedgerEvent.model_validate_json(value)
        # The first event is the order version's; later ones with its correlation id are follow-ups
        # (a sales order closed, a payment applied).
        if event.meta.correlation_id in wanted and event.meta.correlation_id not in outcomes.events:
            outcomes.events[event.meta.correlation_id] = event
            outcomes.headers[event.meta.correlation_id] = {k: v.decode() for k, v in headers}
    else:
        letter = DeadLetter.model_validate_json(value)
        if letter.meta.correlation_id in wanted:
            outcomes.dead_letters[letter.meta.correlation_id] = letter


async def wait_until_idle(bootstrap: str, timeout: float = 120.0) -> None:
    """Until every ledgerflow consumer group has read its topics to the end (follow-up work, such as the
    planner's reading of the writer's events, done): a benchmark's next phase starts from an idle pipeline."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lag = 0
            for group, *_ in await admin.list_consumer_groups():
                if not str(group).startswith(("bench-", "ledger", "ingest", "planner", "numbering")):
                    continue
                committed = await admin.list_consumer_group_offsets(group)
                ends = await consumer.end_offsets(list(committed))
                lag += sum(max(0, ends[tp] - meta.offset) for tp, meta in committed.items() if meta.offset >= 0)
            if lag == 0:
                return
            await asyncio.sleep(1.0)
    finally:
        await consumer.stop()
        await admin.close()
