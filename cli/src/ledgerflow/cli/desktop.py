"""``ledgerflow desktop``: a QuickBooks Desktop company file's .qwc and password, kept in the writer's tables."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import asyncpg

from ledgerflow.ledger_writer.settings import QbdSettings
from ledgerflow.ledger_writer.targets.qbd import DDL, registry, sessions
from ledgerflow.ledger_writer.targets.qbd.registry import DesktopCompany
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


async def register(database_url: str, tenant: str) -> DesktopCompany:
    async with _writer_schema(database_url) as pool, pool.acquire() as conn:
        return await registry.register(conn, tenant)


async def set_password(database_url: str, tenant: str, password: str) -> DesktopCompany:
    async with _writer_schema(database_url) as pool, pool.acquire() as conn:
        return await registry.set_password(conn, tenant, password)


async def forget_file(database_url: str, tenant: str) -> DesktopCompany | None:
    async with _writer_schema(database_url) as pool, pool.acquire() as conn:
        return await registry.forget_file(conn, tenant)


async def companies(database_url: str) -> list[tuple[DesktopCompany, list[asyncpg.Record]]]:
    async with _writer_schema(database_url) as pool:
        async with pool.acquire() as conn:
            found = await registry.all_companies(conn)
        return [(company, await sessions.recent(pool, company.company_id, 1)) for company in found]


def qwc(company: DesktopCompany, settings: QbdSettings, every_minutes: int) -> str:
    """The file a bookkeeper adds to the Web Connector (File > Add an application)."""
    url = settings.app_url
    parts = urlsplit(url)
    support = f"{parts.scheme}://{parts.netloc}{parts.path}"  # the same host, as the Web Connector requires
    fields = [
        ("AppName", company.app_name()),
        ("AppID", ""),
        ("AppURL", url),
        ("AppDescription", f"ledgerflow posts {company.tenant_id}'s orders into this company file"[:80]),
        ("AppSupport", support),
        ("UserName", company.user_name),
        ("OwnerID", _guid(settings.owner_id)),
        ("FileID", _guid(str(company.file_id))),
        ("QBType", "QBFS"),
        ("IsReadOnly", "false"),
    ]
    body = "".join(f"  <{name}>{escape(value)}</{name}>\n" for name, value in fields)
    scheduler = f"  <Scheduler>\n    <RunEveryNMinutes>{every_minutes}</RunEveryNMinutes>\n  </Scheduler>\n"
    return f'<?xml version="1.0"?>\n<QBWCXML>\n{body}{scheduler}</QBWCXML>\n'


def _guid(value: str) -> str:
    return "{" + value.strip("{}").upper() + "}"
