"""The company files the Web Connector connects: one per tenant, its user name, hashed password and FileID."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ledgerflow.runtime.database import DbConnection

DDL = (
    """
    CREATE TABLE IF NOT EXISTS qbd_companies (
        tenant_id     text        PRIMARY KEY,
        company_id    text        NOT NULL UNIQUE,
        user_name     text        NOT NULL UNIQUE,
        password_hash text,
        file_id       uuid        NOT NULL,
        file_name     text,
        created_at    timestamptz NOT NULL DEFAULT now(),
        password_set_at timestamptz
    )
    """,
)

MIN_PASSWORD_LENGTH = 12
_HASHER = PasswordHasher()


def company_id_of(tenant_id: str) -> str:
    """Desktop companies are named apart from Online realms, so that one queue table holds both."""
    return f"qbd:{tenant_id}"


def is_desktop(company_id: str) -> bool:
    return company_id.startswith("qbd:")


@dataclass(frozen=True)
class DesktopCompany:
    tenant_id: str
    company_id: str
    user_name: str
    file_id: uuid.UUID
    file_name: str | None
    has_password: bool

    def app_name(self) -> str:
        """What the Web Connector lists, and QuickBooks authorizes: one per company file."""
        return f"ledgerflow {self.tenant_id}"


class PasswordTooShort(ValueError):
    pass


async def register(conn: DbConnection, tenant_id: str) -> DesktopCompany:
    """The tenant's company file entry, made on first use (its FileID is generated once and kept)."""
    await conn.execute(
        """INSERT INTO qbd_companies (tenant_id, company_id, user_name, file_id) VALUES ($1, $2, $1, $3)
           ON CONFLICT (tenant_id) DO NOTHING""",
        tenant_id,
        company_id_of(tenant_id),
        uuid.uuid4(),
    )
    found = await by_tenant(conn, tenant_id)
    assert found is not None
    return found


async def set_password(conn: DbConnection, tenant_id: str, password: str) -> DesktopCompany:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooShort(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    company = await register(conn, tenant_id)
    hashed = await asyncio.to_thread(_HASHER.hash, password)
    await conn.execute(
        "UPDATE qbd_companies SET password_hash = $2, password_set_at = now() WHERE tenant_id = $1", tenant_id, hashed
    )
    return company


async def by_tenant(conn: DbConnection, tenant_id: str) -> DesktopCompany | None:
    row = await conn.fetchrow("SELECT * FROM qbd_companies WHERE tenant_id = $1", tenant_id)
    return None if row is None else _company(row)


async def all_companies(conn: DbConnection) -> list[DesktopCompany]:
    return [_company(row) for row in await conn.fetch("SELECT * FROM qbd_companies ORDER BY tenant_id")]


async def authenticated(pool: asyncpg.Pool, user_name: str, password: str) -> DesktopCompany | None:
    """The company whose user name and password these are; None for anything else (the same answer for both)."""
    row = await pool.fetchrow("SELECT * FROM qbd_companies WHERE user_name = $1", user_name)
    if row is None or row["password_hash"] is None:
        return None
    stored = row["password_hash"]
    try:
        await asyncio.to_thread(_HASHER.verify, stored, password)
    except (VerificationError, InvalidHashError):
        return None
    return _company(row)


async def remember_file(pool: asyncpg.Pool, company_id: str, file_name: str) -> None:
    await pool.execute(
        "UPDATE qbd_companies SET file_name = $2 WHERE company_id = $1 AND file_name IS NULL", company_id, file_name
    )


async def forget_file(conn: DbConnection, tenant_id: str) -> DesktopCompany | None:
    """The company file moved or was renamed: the next session records the one it finds (once its FileID proves
    it is this connection's file)."""
    await conn.execute("UPDATE qbd_companies SET file_name = NULL WHERE tenant_id = $1", tenant_id)
    return await by_tenant(conn, tenant_id)


def _company(row: asyncpg.Record) -> DesktopCompany:
    return DesktopCompany(
        tenant_id=row["tenant_id"],
        company_id=row["company_id"],
        user_name=row["user_name"],
        file_id=row["file_id"],
        file_name=row["file_name"],
        has_password=row["password_hash"] is not None,
    )
