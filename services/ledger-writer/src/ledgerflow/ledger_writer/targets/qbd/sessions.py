"""Web Connector sessions in PostgreSQL, so that any writer replica can answer any callback of a session.

A session starts ``verifying`` (nothing is written before the open company file is proven to be the one
this connection was made for), becomes ``active`` and ends ``closed``. While a company's session is active
and heard from, its queue may be leased (``companies.reachable_until``); one session per company file at a
time, and one silent longer than the TTL is over.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from ledgerflow.runtime.database import DbConnection

DDL = (
    """
    CREATE TABLE IF NOT EXISTS qbd_sessions (
        ticket      text        PRIMARY KEY,
        company_id  text        NOT NULL,
        tenant_id   text        NOT NULL,
        state       text        NOT NULL DEFAULT 'verifying',
        started_at  timestamptz NOT NULL DEFAULT now(),
        last_seen   timestamptz NOT NULL DEFAULT now(),
        closed_at   timestamptz,
        file_name   text,
        idle        boolean     NOT NULL DEFAULT false,
        error       text,
        round_trips integer     NOT NULL DEFAULT 0,
        answered    integer     NOT NULL DEFAULT 0,
        CHECK (state IN ('verifying', 'active', 'closed'))
    )
    """,
    "CREATE INDEX IF NOT EXISTS qbd_sessions_open ON qbd_sessions (company_id) WHERE state <> 'closed'",
)

VERIFYING, ACTIVE, CLOSED = "verifying", "active", "closed"


@dataclass(frozen=True)
class Session:
    ticket: str
    company_id: str
    tenant_id: str
    state: str
    file_name: str | None
    idle: bool
    error: str | None
    round_trips: int
    answered: int


async def busy(pool: asyncpg.Pool, company_id: str, ttl: float) -> bool:
    """Another session of the company is still being heard from (a second Web Connector on the same file)."""
    return bool(
        await pool.fetchval(
            """SELECT EXISTS (SELECT 1 FROM qbd_sessions WHERE company_id = $1 AND state <> 'closed'
                              AND last_seen > now() - make_interval(secs => $2::float8))""",
            company_id,
            ttl,
        )
    )


async def stale(pool: asyncpg.Pool, company_id: str) -> list[str]:
    """Tickets of the company's sessions that never closed (their Web Connector went away)."""
    rows = await pool.fetch("SELECT ticket FROM qbd_sessions WHERE company_id = $1 AND state <> 'closed'", company_id)
    return [str(row["ticket"]) for row in rows]


async def start(pool: asyncpg.Pool, company_id: str, tenant_id: str) -> str:
    ticket = str(uuid.uuid4())
    await pool.execute(
        "INSERT INTO qbd_sessions (ticket, company_id, tenant_id) VALUES ($1, $2, $3)", ticket, company_id, tenant_id
    )
    return ticket


async def find(pool: asyncpg.Pool, ticket: str) -> Session | None:
    row = await pool.fetchrow("SELECT * FROM qbd_sessions WHERE ticket = $1", ticket)
    if row is None:
        return None
    return Session(
        ticket=row["ticket"],
        company_id=row["company_id"],
        tenant_id=row["tenant_id"],
        state=row["state"],
        file_name=row["file_name"],
        idle=row["idle"],
        error=row["error"],
        round_trips=row["round_trips"],
        answered=row["answered"],
    )


async def heard(pool: asyncpg.Pool, session: Session, ttl: float, *, round_trip: bool = False) -> None:
    """The Web Connector called: the session (and, when active, the company's reachability) goes on."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "UPDATE qbd_sessions SET last_seen = now(), round_trips = round_trips + $2::int WHERE ticket = $1",
            session.ticket,
            1 if round_trip else 0,
        )
        if session.state == ACTIVE:
            await _reachable(conn, session.company_id, ttl)


async def note_file(pool: asyncpg.Pool, ticket: str, file_name: str) -> None:
    await pool.execute("UPDATE qbd_sessions SET file_name = $2 WHERE ticket = $1", ticket, file_name)


async def activate(pool: asyncpg.Pool, session: Session, ttl: float) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("UPDATE qbd_sessions SET state = 'active' WHERE ticket = $1", session.ticket)
        await _reachable(conn, session.company_id, ttl)


async def set_idle(pool: asyncpg.Pool, ticket: str, idle: bool) -> None:
    await pool.execute("UPDATE qbd_sessions SET idle = $2 WHERE ticket = $1", ticket, idle)


async def count_answers(pool: asyncpg.Pool, ticket: str, answered: int) -> int:
    total = await pool.fetchval(
        "UPDATE qbd_sessions SET answered = answered + $2 WHERE ticket = $1 RETURNING answered", ticket, answered
    )
    return int(total or 0)


async def fail(pool: asyncpg.Pool, ticket: str, error: str) -> None:
    """What getLastError tells the Web Connector (and its log) before the session ends."""
    await pool.execute("UPDATE qbd_sessions SET error = $2 WHERE ticket = $1", ticket, error)


async def close(pool: asyncpg.Pool, ticket: str) -> Session | None:
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            """UPDATE qbd_sessions SET state = 'closed', closed_at = now() WHERE ticket = $1 AND state <> 'closed'
               RETURNING company_id""",
            ticket,
        )
        if row is not None:
            await conn.execute("UPDATE companies SET reachable_until = NULL WHERE company_id = $1", row["company_id"])
    return await find(pool, ticket)


async def recent(pool: asyncpg.Pool, company_id: str, limit: int = 10) -> list[asyncpg.Record]:
    return list(
        await pool.fetch(
            "SELECT * FROM qbd_sessions WHERE company_id = $1 ORDER BY started_at DESC LIMIT $2", company_id, limit
        )
    )


async def _reachable(conn: DbConnection, company_id: str, ttl: float) -> None:
    await conn.execute(
        "UPDATE companies SET reachable_until = now() + make_interval(secs => $2::float8) WHERE company_id = $1",
        company_id,
        ttl,
    )
