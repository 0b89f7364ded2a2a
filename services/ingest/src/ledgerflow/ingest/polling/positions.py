"""Where a connection's poller stands, and which purchase orders it must re-read: the poller's own tables."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ledgerflow.runtime.database import DbConnection

SCHEMA = "poller"
DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
    f"""
    CREATE TABLE IF NOT EXISTS {SCHEMA}.positions (
        tenant_id     text        NOT NULL,
        connection_id text        NOT NULL,
        system        text        NOT NULL,
        position      text        NOT NULL,
        open_ids      jsonb       NOT NULL DEFAULT '[]',
        polled_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, connection_id, system)
    )
    """,
)


@dataclass(frozen=True)
class Position:
    """``cursor`` is the system's own change marker (a date for Linnworks); ``open_ids`` the orders to re-read."""

    cursor: str | None = None
    open_ids: tuple[str, ...] = field(default=())


async def load(conn: DbConnection, tenant: str, connection: str, system: str) -> Position:
    row = await conn.fetchrow(
        f"SELECT position, open_ids::text AS open_ids FROM {SCHEMA}.positions "
        "WHERE tenant_id = $1 AND connection_id = $2 AND system = $3",
        tenant,
        connection,
        system,
    )
    if row is None:
        return Position()
    return Position(row["position"], tuple(json.loads(row["open_ids"])))


async def save(conn: DbConnection, tenant: str, connection: str, system: str, position: Position) -> None:
    await conn.execute(
        f"""INSERT INTO {SCHEMA}.positions (tenant_id, connection_id, system, position, open_ids)
            VALUES ($1, $2, $3, $4, $5::jsonb)
            ON CONFLICT (tenant_id, connection_id, system)
            DO UPDATE SET position = excluded.position, open_ids = excluded.open_ids, polled_at = now()""",
        tenant,
        connection,
        system,
        position.cursor or "",
        json.dumps(sorted(position.open_ids)),
    )
