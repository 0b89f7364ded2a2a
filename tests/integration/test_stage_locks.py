"""A stage's batch locks: taken in one statement, in one order whatever the order of the batch's messages, so two
batches sharing orders wait for each other and never deadlock."""

from __future__ import annotations

import asyncio
import random

import asyncpg

from ledgerflow.devstack.stack import StackState
from ledgerflow.runtime.stage import LOCK_MANY


async def test_batches_locking_the_same_orders_in_opposite_orders_never_deadlock(stack_state: StackState) -> None:
    pool = await asyncpg.create_pool(stack_state.database_url, min_size=4, max_size=4)
    assert pool is not None
    keys = [f"order/acme/shop/shopify/{n}" for n in range(12)]
    held: list[int] = []

    async def batch(order: list[str], index: int) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(LOCK_MANY, order)
            held.append(index)
            await asyncio.sleep(0.01)  # others arrive while the locks are held
            assert held.count(index) == 1 and held[-1] == index, "another batch ran while this one held its orders"

    try:
        batches = []
        for index in range(40):
            order = keys[:]
            random.Random(index).shuffle(order)
            batches.append(batch(order, index))
        await asyncio.wait_for(asyncio.gather(*batches), timeout=60)  # a deadlock raises DeadlockDetectedError
    finally:
        await pool.close()
    assert sorted(held) == list(range(40))
