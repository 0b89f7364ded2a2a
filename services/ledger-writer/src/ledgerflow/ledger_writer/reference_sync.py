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
        vendors = {str(v["Id"]): str(v["DisplayName"]) for v in await client.query_all(realm, "Vendor")}
        items = [_item(record, vendors) for record in await client.query_all(realm, "Item")]
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
