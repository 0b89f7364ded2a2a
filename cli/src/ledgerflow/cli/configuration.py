"""``ledgerflow config apply``: connection settings into the planner's own tables, through its own functions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ledgerflow.planner import connections
from ledgerflow.planner.connections import ConnectionSettings
from ledgerflow.planner.handler import DDL
from ledgerflow.runtime.database import create_pool, migrate
from ledgerflow.runtime.settings import DatabaseSettings

SCHEMA = "planner"


async def apply_file(path: Path, database_url: str) -> list[tuple[ConnectionSettings, int]]:
    settings = connections.load_file(path)  # refuses the whole file before anything is stored
    return await apply_settings(settings, database_url)


async def apply_settings(
    settings: Sequence[ConnectionSettings], database_url: str
) -> list[tuple[ConnectionSettings, int]]:
    """Store each connection's settings (a new version where they changed), all in one transaction."""
    pool = await create_pool(DatabaseSettings(url=database_url, pool_min_size=1, pool_max_size=2), SCHEMA)
    try:
        await migrate(pool, SCHEMA, DDL)
        applied = []
        async with pool.acquire() as conn, conn.transaction():
            for entry in settings:
                applied.append((entry, await connections.apply(conn, entry)))
        return applied
    finally:
        await pool.close()
