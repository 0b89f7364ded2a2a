"""``ledgerflow tokens``: a company's refresh token into the writer's own table, encrypted, through its functions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from pydantic import SecretStr

from ledgerflow.ledger_writer.targets.qbo.credentials import store
from ledgerflow.ledger_writer.targets.qbo.credentials.cipher import TokenCipher
from ledgerflow.ledger_writer.targets.qbo.credentials.store import StoredCompany
from ledgerflow.runtime.database import create_pool, migrate
from ledgerflow.runtime.settings import DatabaseSettings

SCHEMA = "ledger_writer"


@asynccontextmanager
async def _writer_schema(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(DatabaseSettings(url=database_url, pool_min_size=1, pool_max_size=2), SCHEMA)
    try:
        await migrate(pool, SCHEMA, store.DDL)  # before the writer's first start, too
        yield pool
    finally:
        await pool.close()


async def store_refresh_token(
    database_url: str, cipher: TokenCipher, *, tenant_id: str, realm: str, refresh_token: SecretStr
) -> None:
    async with _writer_schema(database_url) as pool, pool.acquire() as conn:
        await store.put_refresh_token(conn, cipher, tenant_id=tenant_id, realm=realm, refresh_token=refresh_token)


async def reencrypt(database_url: str, cipher: TokenCipher) -> int:
    async with _writer_schema(database_url) as pool, pool.acquire() as conn, conn.transaction():
        return await store.reencrypt_all(conn, cipher)


async def stored_companies(database_url: str) -> list[StoredCompany]:
    async with _writer_schema(database_url) as pool, pool.acquire() as conn:
        return await store.list_companies(conn)
