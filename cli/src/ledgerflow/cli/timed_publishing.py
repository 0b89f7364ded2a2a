"""Publish many raw orders fast, or at a steady rate, and note when each was sent (for latencies)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from ledgerflow.cli.publishing import OrderToPublish, envelope
from ledgerflow.contracts import Topic, message_key


@dataclass(frozen=True)
class Prepared:
    """An order ready to go: encoded before the clock starts, so encoding is not part of the figure."""

    correlation_id: uuid.UUID
    key: bytes
    body: bytes


def prepare(orders: Sequence[OrderToPublish]) -> list[Prepared]:
    prepared = []
    for order in orders:
        message = envelope(order)
        prepared.append(
            Prepared(message.meta.correlation_id, message_key(order.tenant), message.model_dump_json().encode())
        )
    return prepared


async def publish_timed(
    bootstrap_servers: str, orders: Sequence[Prepared], *, rate: float | None = None, topic: str = Topic.RAW_ORDERS
) -> dict[uuid.UUID, float]:
    """Send ``orders`` (all at once, or ``rate`` a second) and return when each was sent (``time.time()``).

    The producer is idempotent with acks from every in-sync replica, as the webhook receiver's is; the
    call returns once the broker has acknowledged every order.
    """
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, enable_idempotence=True, linger_ms=2)
    await producer.start()
    sent: dict[uuid.UUID, float] = {}
    pending = []
    try:
        started = time.monotonic()
        for index, order in enumerate(orders):
            if rate is not None:
                due = started + index / rate
                if (wait := due - time.monotonic()) > 0:
                    await asyncio.sleep(wait)
            sent[order.correlation_id] = time.time()
            pending.append(await producer.send(topic, order.body, key=order.key))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sent
