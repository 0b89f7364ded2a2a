"""Per company and per service: queues, the books' rate, throttles, readiness, and documents posted per minute."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from ledgerflow.console.reads import rows
from ledgerflow.ledger_writer.queue import store
from ledgerflow.ledger_writer.queue.store import CompanyQueue
from ledgerflow.runtime.database import DbConnection

MINUTES = 60


@dataclass(frozen=True)
class Minute:
    at: datetime
    posted: int
    failed: int


async def queues(conn: DbConnection, tenant: str | None) -> list[CompanyQueue]:
    """The writer's own view of each company (``ledgerflow queues``), read in the caller's snapshot."""
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL search_path TO ledger_writer")
            return await store.queues(conn, tenant_id=tenant, everything=True)
    except asyncpg.UndefinedTableError:
        return []


async def activity(conn: DbConnection, tenant: str | None, now: datetime | None = None) -> list[Minute]:
    """Documents that reached the books, and those refused, in each of the last ``MINUTES`` minutes."""
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    since = now - timedelta(minutes=MINUTES - 1)
    found = await rows(conn, """SELECT date_trunc('minute', updated_at) AS at,
                                       count(*) FILTER (WHERE status = 'posted') AS posted,
                                       count(*) FILTER (WHERE status = 'failed') AS failed
                                FROM ledger_writer.document_intents
                                WHERE updated_at >= $1 AND ($2::text IS NULL OR tenant_id = $2)
                                GROUP BY 1""", since, tenant)  # fmt: skip
    counted = {r["at"]: (int(r["posted"]), int(r["failed"])) for r in found}
    minutes = [since + timedelta(minutes=i) for i in range(MINUTES)]
    return [Minute(at, *counted.get(at, (0, 0))) for at in minutes]


async def readiness(services: dict[str, str], timeout: float = 2.0) -> dict[str, str]:
    """Each service's own answer to ``/health/ready``: ready, not ready, or unreachable."""

    async def ask(client: httpx.AsyncClient, url: str) -> str:
        try:
            response = await client.get(f"{url.rstrip('/')}/health/ready")
        except httpx.HTTPError:
            return "unreachable"
        return "ready" if response.status_code == 200 else f"not ready ({response.status_code})"

    async with httpx.AsyncClient(timeout=timeout) as client:
        answers = await asyncio.gather(*(ask(client, url) for url in services.values()))
    return dict(zip(services, answers, strict=True))
