from __future__ import annotations

from collections.abc import Sequence

import structlog
from opentelemetry import trace

from ledgerflow.contracts import (
    OrderNormalized,
    PurchaseOrderNormalized,
    RawOrderEnvelope,
    RawPurchaseOrderEnvelope,
    Topic,
)
from ledgerflow.ingest.normalizers import normalize
from ledgerflow.ingest.normalizers.edge import check_edge
from ledgerflow.ingest.normalizers.purchase_orders import normalize_purchase_order
from ledgerflow.ingest.versions import content_hash, next_purchase_order_version, next_version
from ledgerflow.runtime.outbox import Outgoing
from ledgerflow.runtime.stage import StageContext, order_attributes

log = structlog.get_logger(__name__)

STAGE = "ingest"
PURCHASE_ORDER_STAGE = "ingest-purchase-orders"


async def handle_raw_order(ctx: StageContext, raw: RawOrderEnvelope) -> Sequence[Outgoing]:
    order = normalize(raw.channel, raw.payload)
    span = trace.get_current_span()
    for key, value in order_attributes(order).items():  # the first span that knows the order's number
        span.set_attribute(key, value)
    check_edge(order)  # what the channel sent, read right; now what ledgerflow takes on into the books
    digest = content_hash(order)
    decision = await next_version(
        ctx.conn, raw.meta.tenant_id, raw.connection_id, order, digest, replay=raw.source == "replay"
    )
    if not decision.changed:
        log.info("order.unchanged", order=order.order_number, version=decision.version)
        return []
    normalized = OrderNormalized(
        meta=raw.meta.derive(STAGE),
        connection_id=raw.connection_id,
        order_version=decision.version,
        content_hash=digest,
        order=order,
    )
    return [Outgoing.of(Topic.NORMALIZED_ORDERS, normalized)]


async def handle_raw_purchase_order(ctx: StageContext, raw: RawPurchaseOrderEnvelope) -> Sequence[Outgoing]:
    order = normalize_purchase_order(raw.system, raw.payload)
    digest = content_hash(order)
    decision = await next_purchase_order_version(
        ctx.conn, raw.meta.tenant_id, raw.connection_id, order, digest, replay=raw.source == "replay"
    )
    if not decision.changed:
        log.info("purchase_order.unchanged", po=order.po_number, version=decision.version)
        return []
    normalized = PurchaseOrderNormalized(
        meta=raw.meta.derive(PURCHASE_ORDER_STAGE),
        connection_id=raw.connection_id,
        po_version=decision.version,
        content_hash=digest,
        purchase_order=order,
    )
    return [Outgoing.of(Topic.NORMALIZED_PURCHASE_ORDERS, normalized)]
