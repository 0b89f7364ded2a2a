"""The systems' purchase orders through the real ingest service: normalized and versioned on
purchase_orders.normalized, an unchanged re-read dropped, a purchase order that cannot be read dead-lettered with
its reason."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.publishing import PurchaseOrderToPublish, publish_envelopes, purchase_order_envelope
from ledgerflow.contracts import (
    DeadLetter,
    PurchaseOrderNormalized,
    PurchaseOrderStatus,
    PurchaseOrderSystem,
    Topic,
    dead_letter_topic,
)
from tests.integration.pipeline import read_topic

FIXTURES = Path(__file__).parents[1] / "fixtures" / "purchase_orders"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "purchase-orders"
TIMEOUT = 60.0


def _load(path: Path) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(path.read_text())
    return body


async def _settled(bootstrap: str, tenant: str, normalized: int, dead: int) -> tuple[list[Any], list[DeadLetter]]:
    """Reads both topics until the tenant's messages have all arrived (or the time is up)."""
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while True:
        versions = [
            m
            for m in (
                PurchaseOrderNormalized.model_validate_json(v)
                for v in await read_topic(bootstrap, Topic.NORMALIZED_PURCHASE_ORDERS)
            )
            if m.meta.tenant_id == tenant
        ]
        letters = [
            d
            for d in (
                DeadLetter.model_validate_json(v)
                for v in await read_topic(bootstrap, dead_letter_topic(Topic.RAW_PURCHASE_ORDERS))
            )
            if d.meta.tenant_id == tenant
        ]
        if (len(versions) >= normalized and len(letters) >= dead) or asyncio.get_running_loop().time() > deadline:
            return versions, letters
        await asyncio.sleep(1)


async def test_purchase_orders_are_versioned_and_a_bad_one_is_dead_lettered(
    services: LocalServices, tenant: str
) -> None:
    partial = _load(FIXTURES / "linnworks-partial-gbp.json")
    delivered = copy.deepcopy(partial)
    delivered["PurchaseOrderHeader"]["Status"] = "DELIVERED"
    delivered["PurchaseOrderItem"][1]["Delivered"] = 12
    skeleton = _load(SHARED / "erply" / "getpurchasedocuments-response-skeleton.json")

    def envelope(system: PurchaseOrderSystem, payload: dict[str, Any]) -> Any:
        return purchase_order_envelope(PurchaseOrderToPublish(tenant, f"{tenant}-po", system, payload))

    linnworks = PurchaseOrderSystem.LINNWORKS
    bad = envelope(PurchaseOrderSystem.ERPLY, skeleton)
    await publish_envelopes(
        services.stack.bootstrap_servers,
        [envelope(linnworks, partial), envelope(linnworks, partial), envelope(linnworks, delivered), bad],
    )
    versions, letters = await _settled(services.stack.bootstrap_servers, tenant, normalized=2, dead=1)

    assert [(v.po_version, v.purchase_order.po_number, v.purchase_order.status) for v in versions] == [
        (1, "PO-2041", PurchaseOrderStatus.PARTIALLY_RECEIVED),
        (2, "PO-2041", PurchaseOrderStatus.RECEIVED),
    ]  # the unchanged re-read in between was dropped
    assert versions[0].meta.correlation_id != versions[1].meta.correlation_id
    (letter,) = letters
    assert (letter.stage, letter.error.code) == ("ingest-purchase-orders", "purchase_order.missing_number")
    assert letter.source_message_id == bad.meta.message_id
    assert "Erply: purchase order 0 has no number" in letter.error.message and letter.error.fix
