"""Counter-row allocation under concurrency in PostgreSQL itself: no duplicate, no gap, rollbacks give back."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal

import asyncpg

from ledgerflow.contracts import (
    Channel,
    DocumentPlan,
    DocumentType,
    MessageMeta,
    NumberingMode,
    NumberingPolicy,
    PlannedDocument,
    TransactionMode,
)
from ledgerflow.devstack.stack import StackState
from ledgerflow.numbering.allocation import DDL, number_document
from ledgerflow.runtime.database import migrate
from ledgerflow.runtime.settings import DatabaseSettings

POLICY = NumberingPolicy(mode=NumberingMode.NEXT_NUMBER)


class Rollback(Exception):
    pass


def _plan(tenant: str, order: int) -> tuple[DocumentPlan, PlannedDocument]:
    doc = PlannedDocument(
        key=f"{tenant}/shop/shopify/{order}/invoice", type=DocumentType.INVOICE, currency="USD",
        txn_date=date(2026, 11, 24), total=Decimal(1), memo=f"shopify order {order}",
    )  # fmt: skip
    meta = MessageMeta(tenant_id=tenant, correlation_id=uuid.uuid4())
    plan = DocumentPlan(meta=meta, connection_id="shop", channel=Channel.SHOPIFY, channel_order_id=str(order),
                        order_number=str(order), order_version=1, mode=TransactionMode.INVOICES, numbering=POLICY,
                        documents=(doc,))  # fmt: skip
    return plan, doc


async def test_parallel_allocations_with_rollbacks_and_repeats_leave_no_gap(stack_state: StackState) -> None:
    schema = f"numbering_{uuid.uuid4().hex[:8]}"
    pool = await asyncpg.create_pool(DatabaseSettings(url=stack_state.database_url).url, min_size=8, max_size=8,
                                     server_settings={"search_path": schema})  # fmt: skip
    assert pool is not None
    try:
        await migrate(pool, schema, DDL)
        tenants = [f"t{i}" for i in range(4)]
        jobs = [(t, n) for n in range(60) for t in tenants]
        jobs += [(t, n) for t, n in jobs[::5]]  # the same documents again: they keep their numbers
        rolled_back: set[tuple[str, int]] = set(jobs[1::7])

        async def allocate(tenant: str, order: int, fail: bool) -> tuple[str, str | None] | None:
            plan, doc = _plan(tenant, order)
            try:
                async with pool.acquire() as conn, conn.transaction():
                    number = await number_document(conn, tenant, plan, doc, POLICY)
                    if fail:
                        raise Rollback
                    return doc.key, number
            except Rollback:
                return None

        first = await asyncio.gather(*(allocate(t, n, (t, n) in rolled_back) for t, n in jobs))
        retried = await asyncio.gather(*(allocate(t, n, False) for t, n in rolled_back))  # redelivered later
        assigned: dict[str, set[str | None]] = defaultdict(set)
        for result in (*first, *retried):
            if result is not None:
                assigned[result[0]].add(result[1])
    finally:
        await pool.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await pool.close()

    assert all(len(numbers) == 1 for numbers in assigned.values())
    for tenant in tenants:
        numbers = sorted(int(next(iter(n))) for key, n in assigned.items() if key.startswith(f"{tenant}/"))  # type: ignore[arg-type]
        assert numbers == list(range(1001, 1061)), f"{tenant}: {numbers}"
