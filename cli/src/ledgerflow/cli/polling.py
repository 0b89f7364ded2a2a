"""``ledgerflow poll``: a round (or a round every N seconds) of a connection's purchase-order poller, its position
kept in PostgreSQL so that the next round, on any machine, starts where this one ended."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg

from ledgerflow.cli.publishing import PurchaseOrderToPublish, publish_purchase_orders
from ledgerflow.contracts import PurchaseOrderSystem
from ledgerflow.ingest.polling.rounds import PurchaseOrderSource, Round
from ledgerflow.ingest.polling.run import locked_round


async def poll_once(
    source: PurchaseOrderSource,
    system: PurchaseOrderSystem,
    tenant: str,
    connection: str,
    database_url: str,
    bootstrap: str,
    today: date,
) -> Round:
    """One round under the connection's lock, published as ``ledgerflow publish`` publishes."""
    conn = await asyncpg.connect(database_url)

    async def publish(payloads: Sequence[dict[str, Any]]) -> None:
        orders = [PurchaseOrderToPublish(tenant, connection, system, p, polled=True) for p in payloads]
        if orders:
            await publish_purchase_orders(bootstrap, orders)

    try:
        return await locked_round(conn, source, system, tenant, connection, publish, today)
    finally:
        await conn.close()
