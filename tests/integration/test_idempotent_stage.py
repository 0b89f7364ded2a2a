"""An idempotent stage (the writer's): handlers outside a transaction, a batch's inbox and outbox written at once.

Against a real PostgreSQL: what is emitted goes out once per message, whether the message comes twice in a
batch, in a redelivered batch, or in a batch whose other lane failed.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
import pytest
from opentelemetry import trace
from pydantic import BaseModel

from ledgerflow.contracts import MessageMeta
from ledgerflow.devstack.stack import StackState
from ledgerflow.runtime.database import create_pool, migrate
from ledgerflow.runtime.metrics import Metrics
from ledgerflow.runtime.outbox import Enqueued, Outgoing
from ledgerflow.runtime.settings import DatabaseSettings
from ledgerflow.runtime.stage import Received, Source, Stage, StageContext, StageRunner


class Command(BaseModel):
    meta: MessageMeta
    order: str


class Posted(BaseModel):
    meta: MessageMeta
    order: str


class CapturingRelay:
    def __init__(self) -> None:
        self.sent: list[Enqueued] = []

    async def publish(self, rows: Sequence[Enqueued]) -> None:
        self.sent.extend(rows)


@pytest.fixture
async def pool(stack_state: StackState) -> AsyncIterator[asyncpg.Pool]:
    schema = f"idempotent_{uuid.uuid4().hex[:8]}"
    pool = await create_pool(DatabaseSettings(url=stack_state.database_url, pool_max_size=8), schema)
    await migrate(pool, schema, ())
    try:
        yield pool
    finally:
        await pool.close()


def _runner(pool: asyncpg.Pool, relay: CapturingRelay, failing: set[str]) -> tuple[StageRunner[Command], Counter[str]]:
    calls: Counter[str] = Counter()

    async def handler(ctx: StageContext, command: Command) -> list[Outgoing]:
        calls[command.order] += 1
        if command.order in failing:
            raise RuntimeError("the books went away")
        return [Outgoing.of("events", Posted(meta=command.meta.derive("writer"), order=command.order))]

    stage = Stage("writer", "commands", Command, handler, concurrency_key=lambda c: c.order, idempotent=True)
    return StageRunner(stage, pool, relay, Metrics(), trace.get_tracer("test")), calls  # type: ignore[arg-type]


def _records(*commands: Command) -> list[Received]:
    return [Received(c.model_dump_json().encode(), Source("commands", 0, i)) for i, c in enumerate(commands)]


def _command(order: str) -> Command:
    return Command(meta=MessageMeta(tenant_id="t1", correlation_id=uuid.uuid4()), order=order)


def _orders(relay: CapturingRelay) -> list[Any]:
    return sorted(Posted.model_validate_json(row.message.payload).order for row in relay.sent)


async def test_a_message_twice_in_a_batch_and_again_in_a_redelivery_emits_once(pool: asyncpg.Pool) -> None:
    relay = CapturingRelay()
    runner, calls = _runner(pool, relay, failing=set())
    a, b = _command("a"), _command("b")
    await runner.process_batch(_records(a, b, a))
    assert _orders(relay) == ["a", "b"]
    await runner.process_batch(_records(a, b))  # the batch again, as after a crash before the offset commit
    assert _orders(relay) == ["a", "b"]
    assert calls == {"a": 3, "b": 2}  # handled each time: the handler's own idempotence makes that safe
    unpublished = await pool.fetchval("SELECT count(*) FROM outbox")
    assert unpublished == 2


async def test_a_failed_lane_fails_the_batch_and_the_others_are_recorded(pool: asyncpg.Pool) -> None:
    relay = CapturingRelay()
    failing = {"b"}
    runner, _ = _runner(pool, relay, failing)
    a, b = _command("a"), _command("b")
    with pytest.raises(RuntimeError, match="books"):
        await runner.process_batch(_records(a, b))
    assert _orders(relay) == ["a"]
    failing.clear()
    await runner.process_batch(_records(a, b))  # redelivered: only what is new goes out
    assert _orders(relay) == ["a", "b"]
