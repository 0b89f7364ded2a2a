"""``ledgerflow poll``: a round (or a round every N seconds) of a connection's purchase-order poller, its position
kept in PostgreSQL so that the next round, on any machine, starts where this one ended."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg

from ledgerflow.cli.publishing import PurchaseOrderToPublish, publish_purchase_orders
from ledgerflow.contracts import PurchaseOrderSystem
from ledgerflow.ingest.polling import positions
from ledgerflow.ingest.polling.rounds import PurchaseOrderSource, Round, poll_round


async def poll_once(
    source: PurchaseOrderSource,
    system: PurchaseOrderSystem,
    tenant: str,
    connection: str,
    database_url: str,
    bootstrap: str,
    today: date,
) -> Round:
    """One round under the connection's lock: two pollers of one connection never read the same round twice."""
    conn = await asyncpg.connect(database_url)
    try:
        for statement in positions.DDL:
            await conn.execute(statement)
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"poll/{tenant}/{connection}/{system}")
            position = await positions.load(conn, tenant, connection, system.value)

            async def publish(payloads: Sequence[dict[str, Any]]) -> None:
                orders = [PurchaseOrderToPublish(tenant, connection, system, p, polled=True) for p in payloads]
                if orders:
                    await publish_purchase_orders(bootstrap, orders)

            result = await poll_round(source, position, publish, today)
            await positions.save(conn, tenant, connection, system.value, result.position)
    finally:
        await conn.close()
    return result
