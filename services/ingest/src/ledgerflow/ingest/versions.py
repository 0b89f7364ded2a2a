"""Order versions: the same order again unchanged is dropped; a changed one is the next version."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ledgerflow.contracts import CanonicalOrder, CanonicalPurchaseOrder
from ledgerflow.runtime.database import DbConnection

DDL = (
    """
    CREATE TABLE IF NOT EXISTS order_versions (
        tenant_id        text        NOT NULL,
        connection_id    text        NOT NULL,
        channel          text        NOT NULL,
        channel_order_id text        NOT NULL,
        version          integer     NOT NULL,
        content_hash     text        NOT NULL,
        received_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, connection_id, channel, channel_order_id, version)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS unchanged_versions (
        tenant_id        text   NOT NULL,
        connection_id    text   NOT NULL,
        channel          text   NOT NULL,
        channel_order_id text   NOT NULL,
        dropped          bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, connection_id, channel, channel_order_id)
    )
    """,
    # A purchase order's versions, apart from orders': a system's PO id and a channel's order id may coincide.
    """
    CREATE TABLE IF NOT EXISTS purchase_order_versions (
        tenant_id     text        NOT NULL,
        connection_id text        NOT NULL,
        system        text        NOT NULL,
        source_po_id  text        NOT NULL,
        version       integer     NOT NULL,
        content_hash  text        NOT NULL,
        received_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, connection_id, system, source_po_id, version)
    )
    """,
)


def content_hash(order: CanonicalOrder | CanonicalPurchaseOrder) -> str:
    return hashlib.sha256(order.model_dump_json().encode()).hexdigest()


@dataclass(frozen=True)
class VersionDecision:
    version: int
    changed: bool


async def next_version(
    conn: DbConnection, tenant_id: str, connection_id: str, order: CanonicalOrder, digest: str, *, replay: bool = False
) -> VersionDecision:
    """Record the order's content as its next version, unless it is the latest's content: one statement, no lock.
    Two replicas that meet on one order (a rebalance) cannot both take version N: the second's insert waits for the
    first's transaction, finds the version taken and does nothing, and the statement is run again on what the first
    committed."""
    key = (tenant_id, connection_id, order.channel.value, order.channel_order_id)
    while True:
        row = await conn.fetchrow(NEXT_VERSION, *key, digest, replay)
        assert row is not None  # the outer SELECT always answers one row
        if row["added"] is not None:
            return VersionDecision(version=row["added"], changed=True)
        if row["latest_hash"] == digest and not replay:
            break
    await conn.execute(
        """INSERT INTO unchanged_versions (tenant_id, connection_id, channel, channel_order_id, dropped)
           VALUES ($1, $2, $3, $4, 1)
           ON CONFLICT (tenant_id, connection_id, channel, channel_order_id)
           DO UPDATE SET dropped = unchanged_versions.dropped + 1""",
        *key,
    )
    return VersionDecision(version=row["latest"], changed=False)


NEXT_VERSION = """
    WITH latest AS (
        SELECT version, content_hash FROM order_versions
        WHERE tenant_id = $1 AND connection_id = $2 AND channel = $3 AND channel_order_id = $4
        ORDER BY version DESC LIMIT 1),
    added AS (
        INSERT INTO order_versions (tenant_id, connection_id, channel, channel_order_id, version, content_hash)
        SELECT $1, $2, $3, $4, coalesce((SELECT version FROM latest), 0) + 1, $5
        WHERE $6 OR NOT EXISTS (SELECT 1 FROM latest WHERE content_hash = $5)
        ON CONFLICT DO NOTHING
        RETURNING version)
    SELECT (SELECT version FROM added) AS added, latest.version AS latest, latest.content_hash AS latest_hash
    FROM (SELECT 1) AS one LEFT JOIN latest ON true"""


async def next_purchase_order_version(
    conn: DbConnection,
    tenant_id: str,
    connection_id: str,
    order: CanonicalPurchaseOrder,
    digest: str,
    *,
    replay: bool = False,
) -> VersionDecision:
    """As for orders: a re-read purchase order that has not changed is dropped (pollers re-read every open one)."""
    key = (tenant_id, connection_id, order.system.value, order.source_po_id)
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", "po/" + "/".join(key))
    latest = await conn.fetchrow(
        """SELECT version, content_hash FROM purchase_order_versions
           WHERE tenant_id = $1 AND connection_id = $2 AND system = $3 AND source_po_id = $4
           ORDER BY version DESC LIMIT 1""",
        *key,
    )
    if latest is not None and latest["content_hash"] == digest and not replay:
        return VersionDecision(version=latest["version"], changed=False)
    version = 1 if latest is None else latest["version"] + 1
    await conn.execute(
        """INSERT INTO purchase_order_versions (tenant_id, connection_id, system, source_po_id, version, content_hash)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        *key,
        version,
        digest,
    )
    return VersionDecision(version=version, changed=True)
