from __future__ import annotations

import uuid
from collections.abc import Sequence

from ledgerflow.runtime.database import DbConnection


async def claim(conn: DbConnection, consumer: str, message_id: uuid.UUID) -> bool:
    """Record that ``consumer`` handles ``message_id``; False when it already has (a redelivery)."""
    row = await conn.fetchval(
        "INSERT INTO inbox (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
        consumer,
        message_id,
    )
    return row is not None


async def claim_many(conn: DbConnection, consumer: str, message_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Record a batch at once; returns the ids not handled before (a redelivery's are left out)."""
    if not message_ids:
        return set()
    rows = await conn.fetch(
        """INSERT INTO inbox (consumer, message_id) SELECT $1, unnest($2::uuid[])
           ON CONFLICT DO NOTHING RETURNING message_id""",
        consumer,
        list(dict.fromkeys(message_ids)),
    )
    return {row["message_id"] for row in rows}


async def seen(conn: DbConnection, consumer: str, message_id: uuid.UUID) -> bool:
    found = await conn.fetchval("SELECT 1 FROM inbox WHERE consumer = $1 AND message_id = $2", consumer, message_id)
    return found is not None
