"""Where each company's tokens live: one row per realm in the writer's schema, the tokens encrypted."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import asyncpg
from pydantic import SecretStr

from ledgerflow.ledger_writer.targets.qbo.credentials.cipher import TokenCipher, TokenKeyError
from ledgerflow.ledger_writer.targets.qbo.credentials.endpoint import Grant
from ledgerflow.runtime.database import DbConnection

DDL = (
    """
    CREATE TABLE IF NOT EXISTS qbo_credentials (
        realm              text        PRIMARY KEY,
        tenant_id          text        NOT NULL,
        refresh_token      bytea       NOT NULL,
        refresh_expires_at timestamptz,
        access_token       bytea,
        access_expires_at  timestamptz,
        access_renew_at    timestamptz,
        refused            text,
        updated_at         timestamptz NOT NULL DEFAULT now()
    )
    """,
)

_COLUMNS = (
    "realm, tenant_id, refresh_token, refresh_expires_at, access_token, access_expires_at, access_renew_at, refused"
)


@dataclass(frozen=True)
class AccessToken:
    value: SecretStr
    expires_at: datetime
    renew_at: datetime  # ahead of the expiry, so that no call goes out with a token about to lapse

    def fresh(self, now: datetime) -> bool:
        return now < self.renew_at


@dataclass(frozen=True)
class Credentials:
    realm: str
    tenant_id: str
    refresh_token: SecretStr
    refresh_expires_at: datetime | None
    access: AccessToken | None
    refused: str | None  # why the token endpoint refused the refresh token; cleared when a new one is stored


def after_refresh(credentials: Credentials, grant: Grant, obtained_at: datetime, renew_at: datetime) -> Credentials:
    """The company's credentials once ``grant`` replaced its tokens (the old refresh token no longer works)."""
    refresh_expires_at = None
    if grant.refresh_expires_in is not None:
        refresh_expires_at = obtained_at + timedelta(seconds=grant.refresh_expires_in)
    return Credentials(
        realm=credentials.realm,
        tenant_id=credentials.tenant_id,
        refresh_token=grant.refresh_token,
        refresh_expires_at=refresh_expires_at,
        access=AccessToken(grant.access_token, obtained_at + timedelta(seconds=grant.expires_in), renew_at),
        refused=None,
    )


class HeldCredentials(Protocol):
    """A company's credentials while no other process may refresh them."""

    @property
    def credentials(self) -> Credentials: ...

    async def save(self, grant: Grant, obtained_at: datetime, renew_at: datetime) -> Credentials: ...

    async def refuse(self, reason: str) -> None: ...


class CredentialStore(Protocol):
    async def load(self, realm: str) -> Credentials | None: ...

    def hold(self, realm: str) -> AbstractAsyncContextManager[HeldCredentials | None]:
        """The company's credentials, locked until the block ends: across processes, one refresh at a time."""
        ...


class PostgresCredentialStore:
    """``pool`` is asked for when first needed: the service creates its pool only once it starts."""

    def __init__(self, pool: Callable[[], asyncpg.Pool], cipher: TokenCipher | None) -> None:
        self._pool = pool
        self._cipher = cipher

    async def load(self, realm: str) -> Credentials | None:
        row = await self._pool().fetchrow(f"SELECT {_COLUMNS} FROM qbo_credentials WHERE realm = $1", realm)
        return None if row is None else self._credentials(row)

    @asynccontextmanager
    async def hold(self, realm: str) -> AsyncIterator[HeldCredentials | None]:
        # The row lock, not a lock in this process: another writer replica waits here until the rotated refresh
        # token is committed, then reads it, so a refresh token is never sent twice.
        async with self._pool().acquire() as conn, conn.transaction():
            row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM qbo_credentials WHERE realm = $1 FOR UPDATE", realm)
            yield None if row is None else _HeldRow(conn, self._cipher_for(realm), self._credentials(row))

    def _cipher_for(self, realm: str) -> TokenCipher:
        if self._cipher is None:
            raise TokenKeyError(f"company {realm} has stored credentials, but LEDGERFLOW_TOKEN_KEY is not set")
        return self._cipher

    def _credentials(self, row: asyncpg.Record) -> Credentials:
        realm = str(row["realm"])
        cipher = self._cipher_for(realm)
        access = None
        if row["access_token"] is not None and row["access_expires_at"] is not None:
            access = AccessToken(
                value=cipher.decrypt(row["access_token"], f"the access token of company {realm}"),
                expires_at=row["access_expires_at"],
                renew_at=row["access_renew_at"] or row["access_expires_at"],
            )
        return Credentials(
            realm=realm,
            tenant_id=str(row["tenant_id"]),
            refresh_token=cipher.decrypt(row["refresh_token"], f"the refresh token of company {realm}"),
            refresh_expires_at=row["refresh_expires_at"],
            access=access,
            refused=row["refused"],
        )


class _HeldRow:
    def __init__(self, conn: DbConnection, cipher: TokenCipher, credentials: Credentials) -> None:
        self._conn = conn
        self._cipher = cipher
        self._credentials = credentials

    @property
    def credentials(self) -> Credentials:
        return self._credentials

    async def save(self, grant: Grant, obtained_at: datetime, renew_at: datetime) -> Credentials:
        renewed = after_refresh(self._credentials, grant, obtained_at, renew_at)
        assert renewed.access is not None
        await self._conn.execute(
            """UPDATE qbo_credentials
               SET refresh_token = $2, refresh_expires_at = $3, access_token = $4, access_expires_at = $5,
                   access_renew_at = $6, refused = NULL, updated_at = now()
               WHERE realm = $1""",
            renewed.realm,
            self._cipher.encrypt(renewed.refresh_token),
            renewed.refresh_expires_at,
            self._cipher.encrypt(renewed.access.value),
            renewed.access.expires_at,
            renewed.access.renew_at,
        )
        self._credentials = renewed
        return renewed

    async def refuse(self, reason: str) -> None:
        await self._conn.execute(
            "UPDATE qbo_credentials SET refused = $2, updated_at = now() WHERE realm = $1",
            self._credentials.realm,
            reason,
        )


async def put_refresh_token(
    conn: DbConnection, cipher: TokenCipher, *, tenant_id: str, realm: str, refresh_token: SecretStr
) -> None:
    """A company connected (or reconnected): its refresh token replaces whatever was stored for it."""
    await conn.execute(
        """INSERT INTO qbo_credentials (realm, tenant_id, refresh_token) VALUES ($1, $2, $3)
           ON CONFLICT (realm) DO UPDATE
           SET tenant_id = excluded.tenant_id, refresh_token = excluded.refresh_token, refresh_expires_at = NULL,
               access_token = NULL, access_expires_at = NULL, access_renew_at = NULL, refused = NULL,
               updated_at = now()""",
        realm,
        tenant_id,
        cipher.encrypt(refresh_token),
    )


async def reencrypt_all(conn: DbConnection, cipher: TokenCipher) -> int:
    """Every stored token encrypted again with the first key, so that the older keys can be retired."""
    rows = await conn.fetch("SELECT realm, refresh_token, access_token FROM qbo_credentials ORDER BY realm FOR UPDATE")
    for row in rows:
        realm = row["realm"]
        access = row["access_token"]
        await conn.execute(
            "UPDATE qbo_credentials SET refresh_token = $2, access_token = $3, updated_at = now() WHERE realm = $1",
            realm,
            cipher.rotate(row["refresh_token"], f"the refresh token of company {realm}"),
            None if access is None else cipher.rotate(access, f"the access token of company {realm}"),
        )
    return len(rows)


@dataclass(frozen=True)
class StoredCompany:
    """What an operator may see of a company's credentials: dates and state, never a token."""

    realm: str
    tenant_id: str
    access_expires_at: datetime | None
    refresh_expires_at: datetime | None
    refused: str | None
    updated_at: datetime


async def list_companies(conn: DbConnection) -> list[StoredCompany]:
    rows = await conn.fetch(
        """SELECT realm, tenant_id, access_expires_at, refresh_expires_at, refused, updated_at
           FROM qbo_credentials ORDER BY tenant_id, realm"""
    )
    return [StoredCompany(**dict(row)) for row in rows]
