"""The tenant's items as the books hold them (synced by the writer): what purchase orders are built from."""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from ledgerflow.contracts import ReferenceData, ReferenceItem
from ledgerflow.runtime.database import DbConnection
from ledgerflow.runtime.outbox import Outgoing
from ledgerflow.runtime.stage import StageContext

log = structlog.get_logger(__name__)

STAGE = "planner-reference"

DDL = (
    """
    CREATE TABLE IF NOT EXISTS reference_items (
        tenant_id     text        NOT NULL,
        name          text        NOT NULL,
        sku           text,
        type          text        NOT NULL,
        vendor_name   text,
        purchase_cost numeric,
        synced_at     timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, name)
    )
    """,
)


async def handle_reference_data(ctx: StageContext, message: ReferenceData) -> Sequence[Outgoing]:
    tenant = message.meta.tenant_id
    if message.complete:
        # An older snapshot arriving late must not replace a newer one.
        newer = await ctx.conn.fetchval(
            "SELECT 1 FROM reference_items WHERE tenant_id = $1 AND synced_at > $2 LIMIT 1", tenant, message.synced_at
        )
        if newer:
            return []
        await ctx.conn.execute("DELETE FROM reference_items WHERE tenant_id = $1", tenant)
    await ctx.conn.executemany(
        """INSERT INTO reference_items (tenant_id, name, sku, type, vendor_name, purchase_cost, synced_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (tenant_id, name) DO UPDATE
           SET sku = excluded.sku, type = excluded.type, vendor_name = excluded.vendor_name,
               purchase_cost = excluded.purchase_cost, synced_at = excluded.synced_at""",
        [
            (tenant, i.name, i.sku, i.type, i.vendor_name, i.purchase_cost, message.synced_at)
            for i in message.items
            if i.active
        ],
    )
    log.info("reference.synced", tenant=tenant, items=len(message.items), complete=message.complete)
    return []


async def catalog(conn: DbConnection, tenant_id: str) -> dict[str, ReferenceItem]:
    """Items by name and by SKU, whichever way the connection matches products (P1)."""
    rows = await conn.fetch(
        "SELECT name, sku, type, vendor_name, purchase_cost FROM reference_items WHERE tenant_id = $1", tenant_id
    )
    found: dict[str, ReferenceItem] = {}
    for row in rows:
        item = ReferenceItem(
            name=row["name"],
            sku=row["sku"],
            type=row["type"],
            vendor_name=row["vendor_name"],
            purchase_cost=row["purchase_cost"],
        )
        found[item.name] = item
        if item.sku:
            found.setdefault(item.sku, item)
    return found
