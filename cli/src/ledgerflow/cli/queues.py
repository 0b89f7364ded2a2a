"""``ledgerflow queues``: each company's queue in the writer's tables, read, paused and resumed with its functions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from ledgerflow.contracts import ErrorDetail
from ledgerflow.ledger_writer.queue import store
from ledgerflow.ledger_writer.queue.schema import DDL
from ledgerflow.ledger_writer.queue.store import CompanyQueue
from ledgerflow.runtime.database import create_pool, migrate
from ledgerflow.runtime.settings import DatabaseSettings

SCHEMA = "ledger_writer"


@asynccontextmanager
async def _writer_schema(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(DatabaseSettings(url=database_url, pool_min_size=1, pool_max_size=2), SCHEMA)
    try:
        await migrate(pool, SCHEMA, DDL)  # before the writer's first start, too
        yield pool
    finally:
        await pool.close()


async def company_queues(
    database_url: str, *, tenant: str | None = None, writer_pool: str | None = None, everything: bool = False
) -> list[CompanyQueue]:
    async with _writer_schema(database_url) as pool:
        return await store.queues(pool, writer_pool=writer_pool, tenant_id=tenant, everything=everything)


async def pause(database_url: str, tenant: str, reason: str) -> list[str]:
    error = ErrorDetail(
        code="queue.paused_by_operator",
        message=f"paused by an operator: {reason}",
        fix=f"Resume it with `ledgerflow queues resume --tenant {tenant}` once ready.",
    )
    async with _writer_schema(database_url) as pool:
        return await store.pause_tenant(pool, tenant, error)


async def resume(database_url: str, tenant: str) -> list[str]:
    async with _writer_schema(database_url) as pool:
        return await store.resume_tenant(pool, tenant)


def as_json(queue: CompanyQueue) -> dict[str, Any]:
    return {
        "tenant": queue.tenant_id,
        "company": queue.company_id,
        "pool": queue.writer_pool,
        "queued": queue.depth,
        "retrying": queue.retrying,
        "oldest_seconds": None if queue.oldest_seconds is None else round(queue.oldest_seconds, 3),
        "writer": queue.owner,
        "paused": None if queue.paused is None else queue.paused.model_dump(mode="json"),
        "paused_at": None if queue.paused_at is None else queue.paused_at.isoformat(),
        "requests_last_minute": queue.used_last_minute,
        "requests_limit": queue.limit_per_minute,
        "throttled": queue.throttled,
        "done": queue.done,
        "last_error": queue.last_error,
        "web_connector": None if not queue.calls_in else ("connected" if queue.reachable else "away"),
    }


def status(queue: CompanyQueue) -> str:
    if queue.paused is not None:
        return "paused"
    if queue.owner is not None:
        return "draining"
    if queue.calls_in and queue.depth and not queue.reachable:
        return "waiting for its Web Connector"  # QuickBooks Desktop: posted at the company file's next update
    return "waiting" if queue.depth else "idle"


def age(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 120:
        return f"{seconds:.1f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"
