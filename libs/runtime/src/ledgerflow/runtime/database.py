"""PostgreSQL pool per service, each service in its own schema, with idempotent migrations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import asyncpg

from ledgerflow.runtime.settings import DatabaseSettings

# A connection of its own, or one borrowed from the pool: handlers take either.
DbConnection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"

# Every service has these two tables in its own schema: the inbox makes handlers idempotent,
# the outbox makes "state change + messages to send" one atomic write.
_MESSAGING_DDL = (
    """
    CREATE TABLE IF NOT EXISTS inbox (
        consumer    text        NOT NULL,
        message_id  uuid        NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, message_id)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS outbox (
        id           bigserial   PRIMARY KEY,
        topic        text        NOT NULL,
        message_key  bytea       NOT NULL,
        message_id   uuid        NOT NULL,
        correlation_id uuid      NOT NULL,
        payload      bytea       NOT NULL,
        traceparent  text,
        created_at   timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
    )
    """,
    "CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (id) WHERE published_at IS NULL",
    # A row the brokers refused for good (too large), with the reason: taken out of the sending, kept to be seen.
    "ALTER TABLE outbox ADD COLUMN IF NOT EXISTS set_aside text",
)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Reset a connection going back to the pool without a round trip in the usual case: the services keep no
    session state (advisory locks are transaction-scoped, nothing LISTENs, no cursor outlives its transaction).
    A transaction left open (a task cancelled mid-way) is rolled back, or its locks and rows would pass to the
    connection's next user; a custom reset replaces asyncpg's, which would have done it."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def create_pool(settings: DatabaseSettings, schema: str) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        settings.url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        server_settings={"search_path": schema, "application_name": f"ledgerflow-{schema}"},
        reset=_keep_session,
    )
    assert pool is not None
    return pool


async def migrate(pool: asyncpg.Pool, schema: str, statements: Sequence[str]) -> None:
    """Create the service's schema and tables; safe to run from many replicas at once."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"ledgerflow-migrate-{schema}")
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        for statement in (*_MESSAGING_DDL, *statements):
            await conn.execute(statement)
