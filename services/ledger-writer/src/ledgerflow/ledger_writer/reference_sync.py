"""Read the tenant's items and vendors from the books and offer them to the planner (M6 purchase orders)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import structlog

from ledgerflow.contracts import ReferenceData, ReferenceItem, ReferenceSyncRequest, Topic
from ledgerflow.ledger_writer.qbo.client import QuickBooksClient
from ledgerflow.ledger_writer.settings import WriterSettings
from ledgerflow.runtime.outbox import Outgoing
from ledgerflow.runtime.stage import Handler, StageContext

STAGE = "ledger-writer-reference"
ITEMS_PER_MESSAGE = 2000  # keeps a message well under Kafka's default 1 MB limit
log = structlog.get_logger(__name__)


def make_reference_handler(settings: WriterSettings, client: QuickBooksClient) -> Handler[ReferenceSyncRequest]:
    async def handle_sync_request(ctx: StageContext, request: ReferenceSyncRequest) -> Sequence[Outgoing]:
        realm = settings.realm_for(request.meta.tenant_id)
        vendor_records = await client.query_all(realm, "Vendor")
        item_records = await client.query_all(realm, "Item")
        vendors = {str(v["Id"]): str(v["DisplayName"]) for v in vendor_records}
        items = [_item(record, vendors) for record in item_records]
        await _remember_ids(
            ctx,
            request.meta.tenant_id,
            "Vendor",
            [(str(v["DisplayName"]), str(v["Id"])) for v in vendor_records if v.get("Active", True)],
        )
        await _remember_ids(
            ctx,
            request.meta.tenant_id,
            "Item",
            [(str(i["Name"]), str(i["Id"])) for i in item_records if i.get("Active", True)],
        )
        synced_at = datetime.now(UTC)
        log.info("reference.read", tenant=request.meta.tenant_id, items=len(items), vendors=len(vendors))
        chunks = [items[i : i + ITEMS_PER_MESSAGE] for i in range(0, len(items), ITEMS_PER_MESSAGE)] or [[]]
        return [
            Outgoing.of(
                Topic.REFERENCE,
                ReferenceData(
                    meta=request.meta.derive(STAGE, index),
                    complete=index == 0,  # the first part replaces what the planner had, the others add to it
                    synced_at=synced_at,
                    items=tuple(chunk),
                    vendors=tuple(vendors.values()) if index == 0 else (),
                ),
            )
            for index, chunk in enumerate(chunks)
        ]

    return handle_sync_request


async def _remember_ids(ctx: StageContext, tenant: str, kind: str, names: list[tuple[str, str]]) -> None:
    """The writer's own copy: posting finds these names without asking the books again."""
    await ctx.conn.executemany(
        """INSERT INTO reference_cache (tenant_id, kind, name, external_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant_id, kind, name) DO UPDATE SET external_id = excluded.external_id""",
        [(tenant, kind, name, external_id) for name, external_id in names],
    )


def _item(record: dict[str, Any], vendors: dict[str, str]) -> ReferenceItem:
    vendor_ref = record.get("PrefVendorRef") or {}
    cost = record.get("PurchaseCost")
    return ReferenceItem(
        name=str(record["Name"]),
        sku=record.get("Sku"),
        type=str(record.get("Type", "NonInventory")),
        vendor_name=vendors.get(str(vendor_ref.get("value"))) if vendor_ref else None,
        purchase_cost=Decimal(str(cost)) if cost is not None else None,
        active=bool(record.get("Active", True)),
    )
