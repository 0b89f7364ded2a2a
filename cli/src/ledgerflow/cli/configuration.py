"""``ledgerflow config apply``: connection settings and rules into the planner's own tables, through its own
functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ledgerflow.planner import connections
from ledgerflow.planner.connections import ConnectionSettings
from ledgerflow.planner.handler import DDL
from ledgerflow.planner.rules import RuleSet
from ledgerflow.planner.rules import store as rule_store
from ledgerflow.runtime.database import create_pool, migrate
from ledgerflow.runtime.settings import DatabaseSettings

SCHEMA = "planner"


@dataclass(frozen=True)
class Applied:
    """Each connection and each tenant's rule set with the version it now has."""

    connections: list[tuple[ConnectionSettings, int]]
    rule_sets: list[tuple[RuleSet, int]]


async def apply_file(path: Path, database_url: str) -> Applied:
    loaded = connections.load_settings(path)  # refuses the whole file before anything is stored
    return await apply_settings(loaded.connections, database_url, loaded.rule_sets)


async def apply_settings(
    settings: Sequence[ConnectionSettings], database_url: str, rule_sets: Sequence[RuleSet] = ()
) -> Applied:
    """Store each connection's settings and rule set (a new version where they changed), in one transaction."""
    pool = await create_pool(DatabaseSettings(url=database_url, pool_min_size=1, pool_max_size=2), SCHEMA)
    try:
        await migrate(pool, SCHEMA, DDL)
        async with pool.acquire() as conn, conn.transaction():
            applied = [(entry, await connections.apply(conn, entry)) for entry in settings]
            applied_rules = [(rule_set, await rule_store.apply(conn, rule_set)) for rule_set in rule_sets]
        return Applied(applied, applied_rules)
    finally:
        await pool.close()
