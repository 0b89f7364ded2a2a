"""The company queues' SQL on a real PostgreSQL: lanes, leases and their epochs, release, pauses, fair picks."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from ledgerflow.contracts import ErrorDetail
from ledgerflow.devstack.stack import StackState
from ledgerflow.ledger_writer.books import RateState
from ledgerflow.ledger_writer.queue import store
from ledgerflow.ledger_writer.queue.schema import DDL
from ledgerflow.ledger_writer.queue.store import COMMAND, Done, Held, NewCommand
from ledgerflow.runtime.database import create_pool, migrate
from ledgerflow.runtime.outbox import Outgoing
from ledgerflow.runtime.settings import DatabaseSettings
from ledgerflow.runtime.stage import Source

POOL = "default"
TTL = 30.0


@pytest.fixture
async def pool(stack_state: StackState) -> AsyncIterator[asyncpg.Pool]:
    """A schema of its own per test: the queues start empty."""
    schema = f"queue_{uuid.uuid4().hex[:10]}"
    pool = await create_pool(DatabaseSettings(url=stack_state.database_url, pool_max_size=4), schema)
    await migrate(pool, schema, DDL)
    yield pool
    await pool.execute(f'DROP SCHEMA "{schema}" CASCADE')
    await pool.close()


def command(company: str, lane: str) -> NewCommand:
    return NewCommand(
        company_id=company,
        tenant_id=f"tenant-{company}",
        kind=COMMAND,
        message_id=uuid.uuid4(),
        lane=lane,
        payload=b"{}",
        traceparent=None,
        source=Source("ledger.commands", 0, 0),
    )


async def file(pool: asyncpg.Pool, *commands: NewCommand) -> list[store.FiledCommand]:
    async with pool.acquire() as conn, conn.transaction():
        return await store.file(conn, POOL, commands)


def held(lease: store.Lease) -> Held:
    return Held(lease.company_id, lease.epoch, RateState(tokens=3.0, limit_per_minute=500))


async def test_only_the_head_of_each_lane_is_ready_and_busy_lanes_are_skipped(pool: asyncpg.Pool) -> None:
    a1, b1, a2, c1, b2 = (command("acme", lane) for lane in ("a", "b", "a", "c", "b"))
    await file(pool, a1, b1, a2, c1, b2)

    heads = await store.heads(pool, "acme", busy_lanes=[], limit=10)
    assert [h.message_id for h in heads] == [a1.message_id, b1.message_id, c1.message_id]
    heads = await store.heads(pool, "acme", busy_lanes=["a"], limit=10)
    assert [h.message_id for h in heads] == [b1.message_id, c1.message_id]
    assert [h.message_id for h in await store.heads(pool, "acme", busy_lanes=[], limit=1)] == [a1.message_id]


async def test_a_command_waiting_to_be_tried_again_holds_up_its_lane_alone(pool: asyncpg.Pool) -> None:
    a1, a2, b1 = command("acme", "a"), command("acme", "a"), command("acme", "b")
    await file(pool, a1, a2, b1)
    first = (await store.heads(pool, "acme", busy_lanes=[], limit=1))[0]
    await store.retry_later(pool, first.id, 60, "TimeoutError: the books did not answer")

    heads = await store.heads(pool, "acme", busy_lanes=[], limit=10)
    assert [h.message_id for h in heads] == [b1.message_id], "a2 must not overtake a1, b1 must not wait for it"


async def test_filing_tells_which_commands_head_their_lanes_as_the_queue_would(pool: asyncpg.Pool) -> None:
    a1, a2, b1 = command("acme", "a"), command("acme", "a"), command("acme", "b")
    first = await file(pool, a1, a2, b1)
    assert [(f.command.message_id, f.head, f.command.lane_goes_on) for f in first] == [
        (a1.message_id, True, True),
        (a2.message_id, False, False),
        (b1.message_id, True, False),
    ]
    a3, c1 = command("acme", "a"), command("acme", "c")
    second = await file(pool, a3, c1)
    assert [(f.command.message_id, f.head) for f in second] == [(a3.message_id, False), (c1.message_id, True)]
    heads = await store.heads(pool, "acme", busy_lanes=[], limit=10)
    assert {h.id for h in heads} == {f.command.id for f in (*first, *second) if f.head}


async def test_a_redelivered_command_is_filed_once(pool: asyncpg.Pool) -> None:
    once = command("acme", "a")
    await file(pool, once)
    await file(pool, once)
    assert (await store.queues(pool, tenant_id="tenant-acme"))[0].depth == 1


async def test_one_writer_leases_a_company_and_another_takes_it_over_only_once_the_lease_runs_out(
    pool: asyncpg.Pool,
) -> None:
    await file(pool, command("acme", "a"))
    (first,) = await store.lease(pool, "writer-1", POOL, limit=5, ttl=1.0)
    assert first.previous_owner is None
    assert await store.lease(pool, "writer-2", POOL, limit=5, ttl=TTL) == []

    await asyncio.sleep(1.2)  # writer-1 stopped renewing: it died, or stalled
    (taken,) = await store.lease(pool, "writer-2", POOL, limit=5, ttl=TTL)
    assert taken.previous_owner == "writer-1" and taken.epoch == first.epoch + 1
    assert await store.renew(pool, "writer-1", POOL, TTL, [held(first)]) == set(), "the old lease is gone"
    assert await store.renew(pool, "writer-2", POOL, TTL, [held(taken)]) == {"acme"}


async def test_a_deposed_writer_cannot_complete_a_command_or_emit_its_messages(pool: asyncpg.Pool) -> None:
    await file(pool, command("acme", "a"))
    (first,) = await store.lease(pool, "writer-1", POOL, limit=1, ttl=0.5)
    (head,) = await store.heads(pool, "acme", busy_lanes=[], limit=1)
    await asyncio.sleep(0.7)
    (taken,) = await store.lease(pool, "writer-2", POOL, limit=1, ttl=TTL)
    message = Outgoing("ledger.events", "tenant-acme", uuid.uuid4(), uuid.uuid4(), b"{}")

    async with pool.acquire() as conn, conn.transaction():
        deleted, rows = await store.complete(conn, "writer-1", [Done("acme", first.epoch, head.id, [(message, None)])])
    assert deleted == set() and rows == []
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0

    async with pool.acquire() as conn, conn.transaction():
        deleted, rows = await store.complete(conn, "writer-2", [Done("acme", taken.epoch, head.id, [(message, None)])])
    assert deleted == {head.id} and len(rows) == 1
    assert await store.heads(pool, "acme", busy_lanes=[], limit=5) == []


async def test_release_keeps_the_work_flag_while_commands_wait_and_clears_it_when_empty(pool: asyncpg.Pool) -> None:
    await file(pool, command("acme", "a"))
    (lease,) = await store.lease(pool, "writer-1", POOL, limit=1, ttl=TTL)
    assert await store.release(pool, "writer-1", held(lease))
    assert [q.company_id for q in await store.queues(pool)] == ["acme"], "its command still waits"

    (lease,) = await store.lease(pool, "writer-1", POOL, limit=1, ttl=TTL)
    (head,) = await store.heads(pool, "acme", busy_lanes=[], limit=1)
    async with pool.acquire() as conn, conn.transaction():
        await store.complete(conn, "writer-1", [Done("acme", lease.epoch, head.id, [])])
    assert await store.release(pool, "writer-1", held(lease))
    assert await store.queues(pool) == [] and await store.lease(pool, "writer-1", POOL, 1, TTL) == []

    await file(pool, command("acme", "b"))  # new work makes it leasable again
    (again,) = await store.lease(pool, "writer-1", POOL, limit=1, ttl=TTL)
    assert again.rate.tokens == 3.0, "the rate budget its last writer left goes to the next"


async def test_a_release_waits_for_a_filing_in_progress_and_keeps_its_work(pool: asyncpg.Pool) -> None:
    await file(pool, command("acme", "a"))
    (lease,) = await store.lease(pool, "writer-1", POOL, limit=1, ttl=TTL)
    (head,) = await store.heads(pool, "acme", busy_lanes=[], limit=1)
    async with pool.acquire() as conn, conn.transaction():
        await store.complete(conn, "writer-1", [Done("acme", lease.epoch, head.id, [])])

    async with pool.acquire() as filing, filing.transaction():
        await store.file(filing, POOL, [command("acme", "b")])  # not committed yet
        release = asyncio.create_task(store.release(pool, "writer-1", held(lease)))
        await asyncio.sleep(0.3)
        assert not release.done(), "the release must wait for the filing's lock"
    assert await release
    assert [q.depth for q in await store.queues(pool)] == [1]
    assert len(await store.lease(pool, "writer-2", POOL, limit=1, ttl=TTL)) == 1


async def test_companies_served_longest_ago_are_leased_first(pool: asyncpg.Pool) -> None:
    for company in ("busy", "quiet", "new"):
        await file(pool, command(company, "a"))
    (busy,) = [x for x in await store.lease(pool, "w", POOL, limit=3, ttl=TTL) if x.company_id == "busy"]
    for lease in await store.lease(pool, "w", POOL, limit=3, ttl=TTL):
        raise AssertionError(f"{lease.company_id} leased twice")
    await pool.execute("UPDATE companies SET owner = NULL, lease_expires_at = NULL")
    await pool.execute("UPDATE companies SET last_served_at = now() - interval '1 minute' WHERE company_id = 'quiet'")
    await pool.execute("UPDATE companies SET last_served_at = now() WHERE company_id = 'busy'")

    order = [lease.company_id for lease in await store.lease(pool, "w", POOL, limit=1, ttl=TTL)]
    order += [lease.company_id for lease in await store.lease(pool, "w", POOL, limit=1, ttl=TTL)]
    order += [lease.company_id for lease in await store.lease(pool, "w", POOL, limit=1, ttl=TTL)]
    assert order == ["new", "quiet", "busy"], "never served, then served longest ago, then the busy one"
    assert busy.epoch >= 1


async def test_a_paused_company_is_not_leased_until_resumed(pool: asyncpg.Pool) -> None:
    await file(pool, command("acme", "a"))
    (head,) = await store.heads(pool, "acme", busy_lanes=[], limit=1)
    await store.retry_later(pool, head.id, 3600, "waiting")
    reason = ErrorDetail(code="qbo.3200", message="QuickBooks Online refused access", fix="Connect it again.")
    assert await store.pause(pool, "acme", reason)
    assert not await store.pause(pool, "acme", reason), "paused once"
    assert await store.lease(pool, "w", POOL, limit=1, ttl=TTL) == []
    (queue,) = await store.queues(pool)
    assert queue.paused == reason and queue.depth == 1

    assert await store.resume_tenant(pool, "tenant-acme") == ["acme"]
    assert len(await store.lease(pool, "w", POOL, limit=1, ttl=TTL)) == 1
    assert len(await store.heads(pool, "acme", busy_lanes=[], limit=1)) == 1, "resumed: its commands at once"


async def test_each_pool_leases_only_its_own_companies(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await store.file(conn, "large", [command("big", "a")])
    await file(pool, command("small", "a"))
    assert [x.company_id for x in await store.lease(pool, "w", POOL, limit=5, ttl=TTL)] == ["small"]
    assert [x.company_id for x in await store.lease(pool, "w", "large", limit=5, ttl=TTL)] == ["big"]


async def test_the_heartbeat_counts_live_writers_and_the_companies_they_share(pool: asyncpg.Pool) -> None:
    for company in ("a", "b", "c"):
        await file(pool, command(company, "x"))
    await store.lease(pool, "writer-1", POOL, limit=1, ttl=TTL)
    await store.heartbeat(pool, "writer-2", POOL, TTL)
    view = await store.heartbeat(pool, "writer-1", POOL, TTL)
    assert (view.live_writers, view.companies_with_work, view.waiting) == (2, 3, 2)
    await store.leave(pool, "writer-2")
    assert (await store.heartbeat(pool, "writer-1", POOL, TTL)).live_writers == 1


async def test_a_company_whose_lanes_all_wait_for_a_retry_rests_until_the_first_is_due(pool: asyncpg.Pool) -> None:
    await file(pool, command("acme", "a"), command("acme", "a"))
    (lease,) = await store.lease(pool, "w", POOL, limit=1, ttl=TTL)
    (head,) = await store.heads(pool, "acme", busy_lanes=[], limit=5)
    await store.retry_later(pool, head.id, 1.0, "TimeoutError")
    assert await store.release(pool, "w", held(lease))
    assert await store.lease(pool, "w", POOL, limit=1, ttl=TTL) == [], "nothing ready: not leased, not spun on"
    await asyncio.sleep(1.1)
    assert len(await store.lease(pool, "w", POOL, limit=1, ttl=TTL)) == 1
