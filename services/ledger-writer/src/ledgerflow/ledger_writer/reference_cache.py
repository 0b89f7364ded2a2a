"""Ids of customers, items, vendors and accounts already found in a tenant's books, kept by every target.

A row never changes meaning once written (a name found stays that record), and every line of every document
asks for one, so a bounded copy in memory stands in front of the table.
"""

from __future__ import annotations

import asyncpg

DDL = (
    """
    CREATE TABLE IF NOT EXISTS reference_cache (
        tenant_id   text NOT NULL,
        kind        text NOT NULL,
        name        text NOT NULL,
        external_id text NOT NULL,
        PRIMARY KEY (tenant_id, kind, name)
    )
    """,
)

_KNOWN: dict[tuple[str, str, str], str] = {}
_KNOWN_MAX = 100_000


async def cached(pool: asyncpg.Pool, tenant: str, kind: str, name: str) -> str | None:
    if (known := _KNOWN.get((tenant, kind, name))) is not None:
        return known
    found = await pool.fetchval(
        "SELECT external_id FROM reference_cache WHERE tenant_id = $1 AND kind = $2 AND name = $3", tenant, kind, name
    )
    if found is None:
        return None
    _know(tenant, kind, name, str(found))
    return str(found)


async def remember(pool: asyncpg.Pool, tenant: str, kind: str, name: str, external_id: str) -> None:
    await remember_ids(pool, tenant, kind, [(name, external_id)])


async def remember_ids(pool: asyncpg.Pool, tenant: str, kind: str, names: list[tuple[str, str]]) -> None:
    """Ids read from the books in bulk (a reference sync), so that posting need not ask for them again."""
    await pool.executemany(
        """INSERT INTO reference_cache (tenant_id, kind, name, external_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant_id, kind, name) DO UPDATE SET external_id = excluded.external_id""",
        [(tenant, kind, name, external_id) for name, external_id in names],
    )
    for name, external_id in names:
        _know(tenant, kind, name, external_id)


async def forget(pool: asyncpg.Pool, tenant: str, kind: str, name: str) -> None:
    """A cached id the books no longer know (deleted there)."""
    _KNOWN.pop((tenant, kind, name), None)
    await pool.execute(
        "DELETE FROM reference_cache WHERE tenant_id = $1 AND kind = $2 AND name = $3", tenant, kind, name
    )


def _know(tenant: str, kind: str, name: str, external_id: str) -> None:
    if len(_KNOWN) >= _KNOWN_MAX:
        _KNOWN.clear()
    _KNOWN[(tenant, kind, name)] = external_id


async def forget_id(pool: asyncpg.Pool, tenant: str, kinds: tuple[str, ...], external_id: str) -> list[str]:
    """Every name cached for a record the books no longer let us use (made inactive there); the names forgotten."""
    rows = await pool.fetch(
        """DELETE FROM reference_cache WHERE tenant_id = $1 AND kind = ANY($2::text[]) AND external_id = $3
           RETURNING kind, name""",
        tenant,
        list(kinds),
        external_id,
    )
    for row in rows:
        _KNOWN.pop((tenant, row["kind"], row["name"]), None)
    return [str(row["name"]) for row in rows]
