from __future__ import annotations

from collections.abc import Sequence

import structlog
from opentelemetry import trace

from ledgerflow.contracts import OrderNormalized, RawOrderEnvelope, Topic
from ledgerflow.ingest.normalizers import normalize
from ledgerflow.ingest.normalizers.edge import check_edge
from ledgerflow.ingest.versions import content_hash, next_version
from ledgerflow.runtime.outbox import Outgoing
from ledgerflow.runtime.stage import StageContext, order_attributes

log = structlog.get_logger(__name__)

STAGE = "ingest"


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
