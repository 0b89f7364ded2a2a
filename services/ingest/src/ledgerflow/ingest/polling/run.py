"""A connection's polling round under its lock, wherever it runs (``ledgerflow poll``, the poller service): two
pollers of one connection never read the same round twice, and the position moves only with the round's publishing.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from ledgerflow.contracts import MessageMeta, PurchaseOrderSystem, RawPurchaseOrderEnvelope
from ledgerflow.ingest.polling import positions
from ledgerflow.ingest.polling.rounds import Publish, PurchaseOrderSource, Round, poll_round
from ledgerflow.runtime.database import DbConnection


async def locked_round(
    conn: DbConnection,
    source: PurchaseOrderSource,
    system: PurchaseOrderSystem,
    tenant: str,
    connection: str,
    publish: Publish,
    today: date,
) -> Round:
    for statement in positions.DDL:
        await conn.execute(statement)
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"poll/{tenant}/{connection}/{system}")
        position = await positions.load(conn, tenant, connection, system.value)
        result = await poll_round(source, position, publish, today)
        await positions.save(conn, tenant, connection, system.value, result.position)
    return result


def polled_envelope(
    tenant: str, connection: str, system: PurchaseOrderSystem, payload: dict[str, Any]
) -> RawPurchaseOrderEnvelope:
    message_id = uuid.uuid4()
    return RawPurchaseOrderEnvelope(
        meta=MessageMeta(tenant_id=tenant, message_id=message_id, correlation_id=message_id),
        connection_id=connection,
        system=system,
        source="poller",
        payload=payload,
    )
