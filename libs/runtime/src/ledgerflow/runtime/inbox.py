from __future__ import annotations

import uuid

from ledgerflow.runtime.database import DbConnection


async def claim(conn: DbConnection, consumer: str, message_id: uuid.UUID) -> bool:
    """Record that ``consumer`` handles ``message_id``; False when it already has (a redelivery)."""
    row = await conn.fetchval(
        "INSERT INTO inbox (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
        consumer,
        message_id,
    )
    return row is not None


async def seen(conn: DbConnection, consumer: str, message_id: uuid.UUID) -> bool:
    found = await conn.fetchval("SELECT 1 FROM inbox WHERE consumer = $1 AND message_id = $2", consumer, message_id)
    return found is not None
