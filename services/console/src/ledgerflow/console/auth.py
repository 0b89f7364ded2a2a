"""Who is asking: sign-in tokens, the browser sessions they open, and the audit log of what each one did.

A tenant's token sees that tenant only; an admin token sees every tenant. Tokens expire and can be revoked; a
revoked token ends the sessions it opened. A single-use token (the demo's sign-in link) opens one session and is
spent.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

TOKEN_PREFIX = "lfc_"


@dataclass(frozen=True)
class Principal:
    token_id: uuid.UUID
    tenant: str | None  # None for an admin
    admin: bool
    label: str
    csrf: str | None = None  # set for a browser session: its forms must carry it

    def may_see(self, tenant: str) -> bool:
        return self.admin or self.tenant == tenant

    @property
    def who(self) -> str:
        role = "admin" if self.admin else f"tenant {self.tenant}"
        return f"{self.label or role} ({role}, token {str(self.token_id)[:8]})"


@dataclass(frozen=True)
class TokenInfo:
    id: uuid.UUID
    tenant: str | None
    admin: bool
    label: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    used_at: datetime | None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_token(
    pool: asyncpg.Pool,
    *,
    tenant: str | None,
    admin: bool,
    lifetime: timedelta,
    label: str = "",
    single_use: bool = False,
) -> tuple[str, uuid.UUID]:
    """A new token (its only copy is returned here) and its id."""
    if admin == (tenant is not None):
        raise ValueError("a token is either an admin's or one tenant's")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = uuid.uuid4()
    await pool.execute(
        """INSERT INTO tokens (id, digest, tenant_id, admin, label, single_use, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, now() + $7::interval)""",
        token_id,
        digest(secret),
        tenant,
        admin,
        label,
        single_use,
        lifetime,
    )
    return secret, token_id


async def revoke_token(pool: asyncpg.Pool, token_id: uuid.UUID) -> bool:
    status = await pool.execute("UPDATE tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", token_id)
    return bool(status.endswith(" 1"))


async def list_tokens(pool: asyncpg.Pool) -> list[TokenInfo]:
    rows = await pool.fetch("SELECT * FROM tokens ORDER BY created_at")
    return [
        TokenInfo(r["id"], r["tenant_id"], r["admin"], r["label"], r["created_at"], r["expires_at"],
                  r["revoked_at"], r["used_at"])
        for r in rows
    ]  # fmt: skip


_VALID = "revoked_at IS NULL AND expires_at > now()"


def _principal(row: asyncpg.Record, csrf: str | None = None) -> Principal:
    return Principal(row["id"], row["tenant_id"], row["admin"], row["label"], csrf)


async def bearer(pool: asyncpg.Pool, secret: str) -> Principal | None:
    """The principal of a script's ``Authorization: Bearer`` token; a single-use sign-in token is not one."""
    row = await pool.fetchrow(f"SELECT * FROM tokens WHERE digest = $1 AND NOT single_use AND {_VALID}", digest(secret))
    return None if row is None else _principal(row)


async def sign_in(
    pool: asyncpg.Pool, secret: str, lifetime: timedelta, *, single_use_only: bool = False
) -> tuple[str, Principal] | None:
    """A browser session for a valid token: its secret (for the cookie) and who it is. ``single_use_only`` for a
    token that came in a link: a lasting token never belongs in an address, where histories and logs keep it."""
    async with pool.acquire() as conn, conn.transaction():
        # A single-use token is spent by the statement that reads it: two sign-ins with one link cannot both win.
        row = await conn.fetchrow(
            f"""UPDATE tokens SET used_at = CASE WHEN single_use THEN now() ELSE used_at END
                WHERE digest = $1 AND {_VALID} AND NOT (single_use AND used_at IS NOT NULL)
                  AND (single_use OR NOT $2) RETURNING *""",
            digest(secret),
            single_use_only,
        )
        if row is None:
            return None
        session = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        await conn.execute(
            """INSERT INTO sessions (digest, token_id, csrf, expires_at)
               VALUES ($1, $2, $3, least(now() + $4::interval, $5))""",
            digest(session),
            row["id"],
            csrf,
            lifetime,
            row["expires_at"],
        )
    return session, _principal(row, csrf)


async def session(pool: asyncpg.Pool, secret: str) -> Principal | None:
    row = await pool.fetchrow(
        """SELECT t.*, s.csrf FROM sessions s JOIN tokens t ON t.id = s.token_id
           WHERE s.digest = $1 AND s.expires_at > now() AND t.revoked_at IS NULL""",
        digest(secret),
    )
    return None if row is None else _principal(row, row["csrf"])


async def sign_out(pool: asyncpg.Pool, secret: str) -> None:
    await pool.execute("DELETE FROM sessions WHERE digest = $1", digest(secret))


async def record(pool: asyncpg.Pool, who: Principal, tenant: str | None, action: str, detail: dict[str, Any]) -> None:
    """An entry of the audit log: who did what, for which tenant, and when (the database's clock)."""
    await pool.execute(
        "INSERT INTO audit (token_id, who, tenant_id, action, detail) VALUES ($1, $2, $3, $4, $5::jsonb)",
        who.token_id,
        who.who,
        tenant,
        action,
        json.dumps(detail, default=str),
    )


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    who: str
    tenant: str | None
    action: str
    detail: dict[str, Any]


async def audit_log(pool: asyncpg.Pool, tenant: str | None = None, limit: int = 100) -> list[AuditEntry]:
    rows = await pool.fetch(
        """SELECT at, who, tenant_id, action, detail::text AS detail FROM audit
           WHERE $1::text IS NULL OR tenant_id = $1 ORDER BY id DESC LIMIT $2""",
        tenant,
        limit,
    )
    return [AuditEntry(r["at"], r["who"], r["tenant_id"], r["action"], json.loads(r["detail"])) for r in rows]
