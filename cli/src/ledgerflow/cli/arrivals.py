"""When each order's outcome arrived: its first ledger event, or a dead letter, as a reader of the topics sees it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer

from ledgerflow.contracts import Topic
from ledgerflow.contracts.topics import all_topics


@dataclass(frozen=True)
class Arrival:
    at: float  # time.time() when it was read
    outcome: str  # "posted", "failed" or "dead_letter"


@dataclass
class Arrivals:
    """Follows ``ledger.events`` and the dead-letter topics from their end, once started."""

    bootstrap_servers: str
    first: dict[uuid.UUID, Arrival] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._follow(), name="arrivals")
        await self._ready.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait_for(self, correlation_ids: Iterable[uuid.UUID], timeout: float) -> set[uuid.UUID]:
        """Wait until each of ``correlation_ids`` has an outcome; returns those still without one."""
        wanted = set(correlation_ids)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            missing = wanted - self.first.keys()
            if not missing:
                return set()
            if self._task is not None and self._task.done():
                self._task.result()  # the reader died: say why
            await asyncio.sleep(0.05)
        return wanted - self.first.keys()

    async def _follow(self) -> None:
        topics = [Topic.EVENTS.value, *(t for t in all_topics() if t.endswith(".dlq"))]
        consumer = AIOKafkaConsumer(*topics, bootstrap_servers=self.bootstrap_servers, auto_offset_reset="latest")
        await consumer.start()
        try:
            await consumer.getmany(timeout_ms=200)  # join, and take the ends of the topics as the start
            for tp in consumer.assignment():
                await consumer.position(tp)
            self._ready.set()
            while True:
                batches = await consumer.getmany(timeout_ms=200, max_records=5000)
                now = time.time()
                for records in batches.values():
                    for record in records:
                        self._note(record.topic, record.value or b"", now)
        finally:
            await consumer.stop()

    def _note(self, topic: str, value: bytes, now: float) -> None:
        # Only two fields are needed; a full model parse of every event would make the reader the bottleneck.
        body = json.loads(value)
        correlation = uuid.UUID(body["meta"]["correlation_id"])
        if correlation in self.first:
            return
        outcome = body.get("status", "dead_letter") if topic == Topic.EVENTS else "dead_letter"
        self.first[correlation] = Arrival(now, str(outcome))
