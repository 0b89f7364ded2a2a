from __future__ import annotations

from collections.abc import Sequence

import structlog

from ledgerflow.contracts import DocumentPlan, OrderNormalized, Topic
from ledgerflow.planner import connections
from ledgerflow.planner.modes import plan_order
from ledgerflow.planner.settings import PlannerSettings
from ledgerflow.runtime.outbox import Outgoing
from ledgerflow.runtime.stage import Handler, StageContext

STAGE = "planner"
log = structlog.get_logger(__name__)

DDL = (
    *connections.DDL,
    """
    CREATE TABLE IF NOT EXISTS planned_orders (
        tenant_id        text        NOT NULL,
        connection_id    text        NOT NULL,
        channel          text        NOT NULL,
        channel_order_id text        NOT NULL,
        order_version    integer     NOT NULL,
        mode             text        NOT NULL,
        documents        integer     NOT NULL,
        planned_at       timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, connection_id, channel, channel_order_id, order_version)
    )
    """,
)


def document_key_prefix(tenant_id: str, connection_id: str, channel: str, channel_order_id: str) -> str:
    return f"{tenant_id}/{connection_id}/{channel}/{channel_order_id}"


def make_handler(settings: PlannerSettings) -> Handler[OrderNormalized]:
    async def handle_normalized_order(ctx: StageContext, message: OrderNormalized) -> Sequence[Outgoing]:
        order = message.order
        connection = await connections.current(ctx.conn, message.meta.tenant_id, message.connection_id)
        if connection is not None and not connection.syncs(order.payment_state):
            log.info("order.not_synced", order=order.order_number, payment_state=order.payment_state.value)
            return []  # R1: this connection does not sync orders in this state
        mode = connection.mode_for(order.payment_state) if connection else settings.default_mode
        items = connection.items if connection else settings.items
        numbering = connection.numbering if connection else settings.numbering
        prefix = document_key_prefix(
            message.meta.tenant_id, message.connection_id, order.channel.value, order.channel_order_id
        )
        documents = plan_order(order, mode, key_prefix=prefix, items=items)
        plan = DocumentPlan(
            meta=message.meta.derive(STAGE),
            connection_id=message.connection_id,
            channel=order.channel,
            channel_order_id=order.channel_order_id,
            order_number=order.order_number,
            order_version=message.order_version,
            mode=mode,
            numbering=numbering,
            documents=documents,
        )
        await ctx.conn.execute(
            """INSERT INTO planned_orders
               (tenant_id, connection_id, channel, channel_order_id, order_version, mode, documents)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            message.meta.tenant_id,
            message.connection_id,
            order.channel.value,
            order.channel_order_id,
            message.order_version,
            mode.value,
            len(documents),
        )
        return [Outgoing.of(Topic.PLANS, plan)]

    return handle_normalized_order
