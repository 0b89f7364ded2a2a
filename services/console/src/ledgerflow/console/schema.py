"""The console's own tables (schema ``console``): sign-in tokens, browser sessions and the audit log.

Tokens and sessions are stored as SHA-256 digests only: both are 256-bit random values, so a digest cannot be
reversed or guessed, and a copy of the table signs nobody in.
"""

from __future__ import annotations

SCHEMA = "console"

DDL = (
    """
    CREATE TABLE IF NOT EXISTS tokens (
        id          uuid        PRIMARY KEY,
        digest      text        NOT NULL UNIQUE,
        tenant_id   text,
        admin       boolean     NOT NULL DEFAULT false,
        label       text        NOT NULL DEFAULT '',
        single_use  boolean     NOT NULL DEFAULT false,
        used_at     timestamptz,
        created_at  timestamptz NOT NULL DEFAULT now(),
        expires_at  timestamptz NOT NULL,
        revoked_at  timestamptz,
        CHECK (admin OR tenant_id IS NOT NULL)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS sessions (
        digest      text        PRIMARY KEY,
        token_id    uuid        NOT NULL REFERENCES tokens (id),
        csrf        text        NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        expires_at  timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS audit (
        id          bigserial   PRIMARY KEY,
        at          timestamptz NOT NULL DEFAULT now(),
        token_id    uuid,
        who         text        NOT NULL,
        tenant_id   text,
        action      text        NOT NULL,
        detail      jsonb       NOT NULL DEFAULT '{}'
    )
    """,
    "CREATE INDEX IF NOT EXISTS audit_by_tenant ON audit (tenant_id, at)",
)
