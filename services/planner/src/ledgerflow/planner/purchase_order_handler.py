"""The planner's purchase-order input: a version of a system's purchase order -> the documents it adds, as a plan.

What was planned for the purchase order before is read under its lock, so that a redelivered or re-read version
plans nothing twice; a version older than one already planned adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from ledgerflow.contracts import (
    DocumentPlan,
    ErrorDetail,
    PurchaseOrderNormalized,
    Topic,
)
from ledgerflow.planner import connections, state
from ledgerflow.planner.names import fit_names
from ledgerflow.planner.source_purchase_orders import plan_purchase_order
from ledgerflow.planner.state import OrderRef
from ledgerflow.runtime.database import DbConnection
from ledgerflow.runtime.outbox import Outgoing
from ledgerflow.runtime.stage import StageContext, dead_letter

PURCHASE_ORDER_STAGE = "planner-purchase-orders"
log = structlog.get_logger(__name__)

DDL = (
    """
    CREATE TABLE IF NOT EXISTS purchase_order_versions (
        tenant_id     text    NOT NULL,
        connection_id text    NOT NULL,
        system        text    NOT NULL,
        source_po_id  text    NOT NULL,
        version       integer NOT NULL,
        PRIMARY KEY (tenant_id, connection_id, system, source_po_id)
    )
    """,
)


async def handle_purchase_order(ctx: StageContext, message: PurchaseOrderNormalized) -> Sequence[Outgoing]:
    po = message.purchase_order
    ref = OrderRef(message.meta.tenant_id, message.connection_id, po.system.value, po.source_po_id)
    await state.lock(ctx.conn, ref)
    meta = message.meta.derive(PURCHASE_ORDER_STAGE)
    if not await _newest(ctx.conn, ref, message.po_version):
        log.info("purchase_order.version_superseded", po=po.po_number, version=message.po_version)
        return []
    connection = await connections.current(ctx.conn, ref.tenant_id, ref.connection_id)
    refusal = _not_configured(message) if connection is None else _refusal(message, connection)
    if connection is None or refusal is not None:
        assert refusal is not None
        return [dead_letter(PURCHASE_ORDER_STAGE, meta, ctx.source, refusal, message.model_dump_json())]
    known = await state.known_documents(ctx.conn, ref)
    result = plan_purchase_order(po, connection.purchase_order_settings(), ref.key_prefix, known)
    outgoing = [dead_letter(PURCHASE_ORDER_STAGE, meta, ctx.source, problem, message.model_dump_json())
                for problem in result.problems]  # fmt: skip
    if not result.documents:
        log.info("purchase_order.nothing_new", po=po.po_number, version=message.po_version)
        return outgoing
    await state.record_planned(ctx.conn, ref, result.documents, message.po_version)
    plan = DocumentPlan(
        meta=meta,
        connection_id=ref.connection_id,
        channel=po.system,
        channel_order_id=po.source_po_id,
        order_number=po.po_number,
        order_version=message.po_version,
        mode=connection.mode,
        target=connection.target,
        numbering=connection.numbering,
        matching=connection.matching,
        documents=tuple(fit_names(doc, connection.target) for doc in result.documents),
    )
    return [*outgoing, Outgoing.of(Topic.PLANS, plan)]


async def _newest(conn: DbConnection, ref: OrderRef, version: int) -> bool:
    """Records ``version`` unless a later one was planned already (a replayed older message)."""
    planned = await conn.fetchval(
        """INSERT INTO purchase_order_versions (tenant_id, connection_id, system, source_po_id, version)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (tenant_id, connection_id, system, source_po_id) DO UPDATE SET version = excluded.version
           WHERE purchase_order_versions.version <= excluded.version
           RETURNING version""",
        ref.tenant_id,
        ref.connection_id,
        ref.channel,
        ref.channel_order_id,
        version,
    )
    return planned is not None


def _not_configured(message: PurchaseOrderNormalized) -> ErrorDetail:
    po = message.purchase_order
    return ErrorDetail(
        code="purchase_order.connection_unknown",
        message=f"{po.system.label} purchase order {po.po_number} came for connection {message.connection_id}, "
        "which has no settings: there is no vendor map to post it with",
        fix=f"Add connection {message.connection_id} (channel {po.system.value}, its vendors and receipt_policy) to "
        "the settings, run `ledgerflow config apply`, then publish the purchase order again with --replay.",
    )


def _refusal(message: PurchaseOrderNormalized, connection: connections.ConnectionSettings) -> ErrorDetail | None:
    """What stops every purchase order of this connection, whatever the order says."""
    po = message.purchase_order
    if connection.channel != po.system:
        return ErrorDetail(
            code="purchase_order.wrong_connection",
            message=f"{po.system.label} purchase order {po.po_number} came for connection {message.connection_id}, "
            f"which reads {connection.channel.value}",
            fix="Publish the purchase order to the connection set up for its system.",
        )
    return None
