"""A message no stage can take never stalls its partition: it becomes a dead letter, and the orders behind it post.

Two tenants share a partition (tenants are the message key); between their good orders come an order whose
customer's name holds a NUL (PostgreSQL refuses it in the planner's tables), one whose id holds a NUL (ingest's),
and a custom-store order of 10,000 lines (whose normalized form would be over the brokers' limit: it is refused at
the edge). A stage whose output would be over the limit refuses its message instead of jamming its outbox.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from opentelemetry import trace
from pydantic import BaseModel

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.publishing import partition_of
from ledgerflow.contracts import Channel, DeadLetter, LedgerStatus, MessageMeta, RawOrderEnvelope
from ledgerflow.devstack.stack import StackState
from ledgerflow.runtime import outbox
from ledgerflow.runtime.database import create_pool, migrate
from ledgerflow.runtime.metrics import Metrics
from ledgerflow.runtime.outbox import Enqueued, OutboxRelay, Outgoing
from ledgerflow.runtime.service import make_broker
from ledgerflow.runtime.settings import DatabaseSettings, KafkaSettings
from ledgerflow.runtime.stage import Received, Source, Stage, StageContext, StageRunner
from tests.integration.pipeline import publish_and_wait, raw_order, read_topic

OVERSIZED_LINES = 10_000


def neighbour(tenant: str, partitions: int) -> str:
    """Another tenant whose messages share ``tenant``'s partition."""
    while True:
        name = f"{tenant}-n{uuid.uuid4().hex[:6]}"
        if partition_of(name, partitions) == partition_of(tenant, partitions):
            return name


def shopify(tenant: str, template: dict[str, Any], number: int, **customer: str) -> RawOrderEnvelope:
    payload = copy.deepcopy(template)
    payload["order"].update(id=5400000800000 + number, order_number=number, name=f"#{number}")
    payload["order"]["customer"].update(customer)
    return raw_order(tenant, payload)


def oversized(tenant: str) -> RawOrderEnvelope:
    """A custom-store order under the publish limit whose normalized order is over the brokers' limit."""
    lines = [{"id": str(n), "sku": "PIN", "title": "Pin", "quantity": "1", "unit_price": "1.00"}
             for n in range(OVERSIZED_LINES)]  # fmt: skip
    payload = {
        "format": "ledgerflow.custom-order/v1", "id": "big-1", "number": "BIG-1", "currency": "USD",
        "created_at": "2026-11-21T16:45:00+00:00", "prices_include_tax": False,
        "customer": {"id": "c1", "email": "bulk@example.com", "first_name": "Bulk", "last_name": "Buyer"},
        "lines": lines, "payment_status": "paid", "total": f"{OVERSIZED_LINES}.00",
        "payments": [{"transaction_id": "tx-big", "method": "card", "amount": f"{OVERSIZED_LINES}.00"}],
    }  # fmt: skip
    message_id = uuid.uuid4()
    meta = MessageMeta(tenant_id=tenant, message_id=message_id, correlation_id=message_id)
    return RawOrderEnvelope(meta=meta, connection_id="custom", channel=Channel.CUSTOM, payload=payload)


async def test_poison_and_oversized_orders_become_dead_letters_and_the_orders_behind_them_post(
    services: LocalServices, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    other = neighbour(tenant, services.stack.partitions)
    first = shopify(tenant, shopify_paid, 81001)
    nul_name = shopify(tenant, shopify_paid, 81002, first_name="Ada\x00Lovelace")
    nul_id = raw_order(tenant, {**copy.deepcopy(shopify_paid), "order": {**shopify_paid["order"], "id": "58\x0001"}})
    big = oversized(tenant)
    behind = [shopify(other, shopify_paid, 81003), shopify(tenant, shopify_paid, 81004)]

    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, first, nul_name, nul_id, big, *behind)

    for good in (first, *behind):
        assert outcomes.events[good.meta.correlation_id].status is LedgerStatus.POSTED
    letters = outcomes.dead_letters
    name_letter = letters[nul_name.meta.correlation_id]
    assert name_letter.stage == "planner" and name_letter.error.code == "message.unprocessable"
    assert "UntranslatableCharacterError" in name_letter.error.message and "\\u0000" in name_letter.error.message
    assert name_letter.error.fix and "publish it again" in name_letter.error.fix
    assert letters[nul_id.meta.correlation_id].error.code in ("message.unprocessable", "message.invalid")
    big_letter = letters[big.meta.correlation_id]
    assert big_letter.stage == "ingest" and big_letter.error.code == "order.too_many_lines", big_letter.error
    assert "10,000 lines" in big_letter.error.message
    assert len(big_letter.model_dump_json()) < 1_000_000


async def test_the_relay_sets_aside_a_row_the_brokers_refuse_and_sends_the_rows_behind_it(
    stack_state: StackState,
) -> None:
    topic = f"test.outbox.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=stack_state.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    schema = f"outbox_{uuid.uuid4().hex[:8]}"
    pool = await create_pool(DatabaseSettings(url=stack_state.database_url), schema)
    await migrate(pool, schema, ())
    broker = make_broker(KafkaSettings(bootstrap_servers=stack_state.bootstrap_servers), "test-relay")
    await broker.start()
    try:
        messages = [
            Outgoing(topic, "acme", uuid.uuid4(), uuid.uuid4(), body)
            for body in (b'{"n": 1}', b"x" * 2_000_000, b'{"n": 3}')
        ]
        async with pool.acquire() as conn:
            await outbox.enqueue(conn, [(m, None) for m in messages])
        relay = OutboxRelay(pool, broker, sweep_seconds=60, grace_seconds=0)
        assert await relay.sweep() == 3
        rows = await pool.fetch("SELECT id, published_at, set_aside FROM outbox ORDER BY id")
        assert all(row["published_at"] is not None for row in rows)
        assert [row["set_aside"] is not None for row in rows] == [False, True, False]
        assert "MessageSizeTooLarge" in rows[1]["set_aside"]
        assert await relay.sweep() == 0, "nothing is left to hold up the next sweep"
    finally:
        await broker.stop()
        await pool.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await pool.close()
    assert await read_topic(stack_state.bootstrap_servers, topic) == [b'{"n": 1}', b'{"n": 3}']


class Note(BaseModel):
    meta: MessageMeta
    size: int


async def test_a_stage_whose_output_is_over_the_limit_refuses_that_message_and_handles_the_next(
    stack_state: StackState,
) -> None:
    schema = f"toolarge_{uuid.uuid4().hex[:8]}"
    pool = await create_pool(DatabaseSettings(url=stack_state.database_url), schema)
    await migrate(pool, schema, ("CREATE TABLE IF NOT EXISTS done (message_id uuid PRIMARY KEY)",))

    async def handler(ctx: StageContext, note: Note) -> list[Outgoing]:
        await ctx.conn.execute("INSERT INTO done VALUES ($1)", note.meta.message_id)
        return [Outgoing("next.topic", "acme", uuid.uuid4(), note.meta.correlation_id, b"x" * note.size)]

    sent: list[Enqueued] = []

    class Relay:
        async def publish(self, rows: list[Enqueued]) -> None:
            sent.extend(rows)

    stage = Stage("shaper", "in.topic", Note, handler)
    runner = StageRunner(stage, pool, Relay(), Metrics(), trace.get_tracer("t"), max_message_bytes=10_000)  # type: ignore[arg-type]
    notes = [Note(meta=MessageMeta(tenant_id="acme", correlation_id=uuid.uuid4()), size=size)
             for size in (100, 20_000, 100)]  # fmt: skip
    try:
        await runner.process_batch([Received(n.model_dump_json().encode(), Source("in.topic", 0, i))
                                    for i, n in enumerate(notes)])  # fmt: skip
        done = {row["message_id"] for row in await pool.fetch("SELECT message_id FROM done")}
    finally:
        await pool.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await pool.close()
    assert done == {notes[0].meta.message_id, notes[2].meta.message_id}, "the refused message's work was undone"
    topics = [row.message.topic for row in sent]
    assert topics == ["next.topic", "in.topic.dlq", "next.topic"]
    letter = DeadLetter.model_validate_json(sent[1].message.payload)
    assert letter.error.code == "message.too_large" and "20,000 bytes, over the 10,000" in letter.error.message


async def test_a_message_that_times_out_its_query_every_time_becomes_a_dead_letter_after_a_few_tries(
    stack_state: StackState,
) -> None:
    schema = f"suspect_{uuid.uuid4().hex[:8]}"
    pool = await create_pool(DatabaseSettings(url=stack_state.database_url), schema)
    await migrate(pool, schema, ("CREATE TABLE IF NOT EXISTS done (message_id uuid PRIMARY KEY)",))
    notes = [Note(meta=MessageMeta(tenant_id="acme", correlation_id=uuid.uuid4()), size=size) for size in (1, 2, 3)]

    async def handler(ctx: StageContext, note: Note) -> list[Outgoing]:
        if note.size == 2:  # its query is pathological: the database cancels it, every time
            await ctx.conn.execute("SET LOCAL statement_timeout = '50ms'; SELECT pg_sleep(1)")
        await ctx.conn.execute("INSERT INTO done VALUES ($1)", note.meta.message_id)
        return []

    sent: list[Enqueued] = []

    class Relay:
        async def publish(self, rows: list[Enqueued]) -> None:
            sent.extend(rows)

    runner = StageRunner(Stage("shaper", "in.topic", Note, handler), pool, Relay(), Metrics(),  # type: ignore[arg-type]
                         trace.get_tracer("t"))  # fmt: skip
    records = [Received(n.model_dump_json().encode(), Source("in.topic", 0, i)) for i, n in enumerate(notes)]
    outages = 0
    try:
        for _ in range(10):  # as the consumer reads the batch again after each failure
            try:
                await runner.process_batch(records)
                break
            except asyncpg.exceptions.QueryCanceledError:
                outages += 1
        done = {row["message_id"] for row in await pool.fetch("SELECT message_id FROM done")}
    finally:
        await pool.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await pool.close()
    assert outages == 3, "first taken for an outage, then searched for the message that causes it"
    assert done == {notes[0].meta.message_id, notes[2].meta.message_id}
    (letter,) = [DeadLetter.model_validate_json(row.message.payload) for row in sent]
    assert letter.error.code == "message.unprocessable" and "QueryCanceledError" in letter.error.message
