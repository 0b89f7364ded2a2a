"""``ledgerflow console token|tokens|revoke``: the console's sign-in tokens, in its own tables."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import asyncpg

from ledgerflow.console import auth
from ledgerflow.console.app import migrate
from ledgerflow.console.auth import TokenInfo
from ledgerflow.console.schema import SCHEMA


@asynccontextmanager
async def _console_schema(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2, server_settings={"search_path": SCHEMA})
    assert pool is not None
    try:
        await migrate(pool)  # before the console's first start, too
        yield pool
    finally:
        await pool.close()


async def new_token(
    database_url: str,
    *,
    tenant: str | None,
    admin: bool,
    lifetime: timedelta,
    label: str = "",
    single_use: bool = False,
) -> str:
    async with _console_schema(database_url) as pool:
        secret, _ = await auth.create_token(
            pool, tenant=tenant, admin=admin, lifetime=lifetime, label=label, single_use=single_use
        )
    return secret


async def revoke(database_url: str, token_id: uuid.UUID) -> bool:
    async with _console_schema(database_url) as pool:
        return await auth.revoke_token(pool, token_id)


async def listed(database_url: str) -> list[TokenInfo]:
    async with _console_schema(database_url) as pool:
        return await auth.list_tokens(pool)
