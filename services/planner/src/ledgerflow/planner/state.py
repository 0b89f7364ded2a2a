"""The planner's memory of each order: its latest version, its mode, and every document planned for it (L1-L3)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledgerflow.contracts import (
    DocumentAction,
    DocumentOutcome,
    DocumentType,
    OrderNormalized,
    PlannedDocument,
    TransactionMode,
)
from ledgerflow.runtime.database import DbConnection

DDL = (
    """
    CREATE TABLE IF NOT EXISTS orders (
        tenant_id        text        NOT NULL,
        connection_id    text        NOT NULL,
        channel          text        NOT NULL,
        channel_order_id text        NOT NULL,
        order_number     text        NOT NULL,
        ordered_on       date        NOT NULL,
        latest_version   integer     NOT NULL,
        latest           jsonb       NOT NULL,
        mode             text,
        generation       integer     NOT NULL DEFAULT 0,
        updated_at       timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, connection_id, channel, channel_order_id)
    )
    """,
    "CREATE INDEX IF NOT EXISTS orders_by_number ON orders (tenant_id, order_number)",
    "CREATE INDEX IF NOT EXISTS orders_by_date ON orders (tenant_id, ordered_on)",
    """
    CREATE TABLE IF NOT EXISTS order_documents (
        tenant_id        text        NOT NULL,
        document_key     text        NOT NULL,
        connection_id    text        NOT NULL,
        channel          text        NOT NULL,
        channel_order_id text        NOT NULL,
        type             text        NOT NULL,
        action           text        NOT NULL,
        status           text        NOT NULL DEFAULT 'planned',
        total            numeric     NOT NULL,
        fingerprint      text        NOT NULL,
        links            text[]      NOT NULL DEFAULT '{}',
        target           text,
        external_id      text,
        planned_version  integer     NOT NULL,
        updated_at       timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, document_key),
        CHECK (status IN ('planned', 'posted', 'failed'))
    )
    """,
    "CREATE INDEX IF NOT EXISTS order_documents_by_order ON order_documents "
    "(tenant_id, connection_id, channel, channel_order_id)",
)


@dataclass(frozen=True)
class OrderRef:
    tenant_id: str
    connection_id: str
    channel: str
    channel_order_id: str

    @property
    def key_prefix(self) -> str:
        return f"{self.tenant_id}/{self.connection_id}/{self.channel}/{self.channel_order_id}"


@dataclass(frozen=True)
class OrderRecord:
    ref: OrderRef
    latest: OrderNormalized
    mode: TransactionMode | None
    generation: int

    @property
    def key_prefix(self) -> str:
        """Document keys of the order; a delete-and-resync starts a new generation of keys."""
        return _generation_prefix(self.ref, self.generation)

    def superseded_key(self, key: str) -> str | None:
        """The key the same document had before the last delete-and-resync."""
        if not self.generation or not key.startswith(self.key_prefix):
            return None
        return _generation_prefix(self.ref, self.generation - 1) + key[len(self.key_prefix) :]


def _generation_prefix(ref: OrderRef, generation: int) -> str:
    return ref.key_prefix + (f"/r{generation}" if generation else "")


@dataclass(frozen=True)
class KnownDocument:
    key: str
    type: DocumentType
    action: DocumentAction
    status: str
    total: Decimal
    fingerprint: str
    links: tuple[str, ...]
    target: str | None
    external_id: str | None


def order_ref(message: OrderNormalized) -> OrderRef:
    order = message.order
    return OrderRef(message.meta.tenant_id, message.connection_id, order.channel.value, order.channel_order_id)


def fingerprint(doc: PlannedDocument) -> str:
    """What a posted document says: a later version that changes it is flagged, never silently applied (L2)."""
    content = {
        "customer": doc.customer_name,
        "vendor": doc.vendor_name,
        "total": str(doc.total),
        "lines": [(line.item_name, str(line.quantity), str(line.amount)) for line in doc.lines],
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def lock_key(ref: OrderRef) -> str:
    """One order is planned by one transaction at a time, whichever input moved it (order, event, resync)."""
    return f"order/{ref.key_prefix}"


async def lock(conn: DbConnection, ref: OrderRef) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", lock_key(ref))


async def remember_version(conn: DbConnection, message: OrderNormalized, body: bytes = b"") -> OrderRecord | None:
    """Store the version (``body``: the message as received, when there is one) when it is the latest seen, and
    return the order as the planner now knows it; None when a later version was stored already. The version is
    the message itself: never read back and parsed again."""
    ref = order_ref(message)
    order = message.order
    row = await conn.fetchrow(
        """INSERT INTO orders (tenant_id, connection_id, channel, channel_order_id, order_number, ordered_on,
                               latest_version, latest)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
           ON CONFLICT (tenant_id, connection_id, channel, channel_order_id) DO UPDATE
           SET latest_version = excluded.latest_version, latest = excluded.latest,
               order_number = excluded.order_number, ordered_on = excluded.ordered_on, updated_at = now()
           WHERE orders.latest_version <= excluded.latest_version
           RETURNING mode, generation""",
        ref.tenant_id,
        ref.connection_id,
        ref.channel,
        ref.channel_order_id,
        order.order_number,
        order.ordered_at.date(),
        message.order_version,
        body.decode() if body else message.model_dump_json(),
    )
    if row is None:
        return None
    mode = TransactionMode(row["mode"]) if row["mode"] else None
    return OrderRecord(ref, message, mode, row["generation"])


async def load(conn: DbConnection, ref: OrderRef) -> OrderRecord | None:
    row = await conn.fetchrow(
        """SELECT latest::text AS latest, mode, generation FROM orders
           WHERE tenant_id = $1 AND connection_id = $2 AND channel = $3 AND channel_order_id = $4""",
        ref.tenant_id,
        ref.connection_id,
        ref.channel,
        ref.channel_order_id,
    )
    if row is None:
        return None
    mode = TransactionMode(row["mode"]) if row["mode"] else None
    return OrderRecord(ref, OrderNormalized.model_validate_json(row["latest"]), mode, row["generation"])


async def select_orders(
    conn: DbConnection,
    tenant_id: str,
    connection_id: str | None,
    order_number: str | None,
    ordered_from: date | None,
    ordered_to: date | None,
) -> list[OrderRef]:
    rows = await conn.fetch(
        """SELECT connection_id, channel, channel_order_id FROM orders
           WHERE tenant_id = $1 AND ($2::text IS NULL OR connection_id = $2)
             AND ($3::text IS NULL OR order_number = $3)
             AND ($4::date IS NULL OR ordered_on BETWEEN $4 AND $5)
           ORDER BY ordered_on, order_number""",
        tenant_id,
        connection_id,
        order_number,
        ordered_from,
        ordered_to,
    )
    return [OrderRef(tenant_id, r["connection_id"], r["channel"], r["channel_order_id"]) for r in rows]


async def set_mode(conn: DbConnection, ref: OrderRef, mode: TransactionMode) -> None:
    await conn.execute(
        """UPDATE orders SET mode = $5 WHERE tenant_id = $1 AND connection_id = $2 AND channel = $3
           AND channel_order_id = $4""",
        ref.tenant_id,
        ref.connection_id,
        ref.channel,
        ref.channel_order_id,
        mode.value,
    )


async def forget_documents(conn: DbConnection, ref: OrderRef) -> None:
    """Delete-and-resync: what was planned is forgotten and the order's keys move to a new generation."""
    await conn.execute(
        """DELETE FROM order_documents WHERE tenant_id = $1 AND connection_id = $2 AND channel = $3
           AND channel_order_id = $4""",
        ref.tenant_id,
        ref.connection_id,
        ref.channel,
        ref.channel_order_id,
    )
    await conn.execute(
        """UPDATE orders SET generation = generation + 1, mode = NULL, updated_at = now()
           WHERE tenant_id = $1 AND connection_id = $2 AND channel = $3 AND channel_order_id = $4""",
        ref.tenant_id,
        ref.connection_id,
        ref.channel,
        ref.channel_order_id,
    )


async def known_documents(conn: DbConnection, ref: OrderRef) -> dict[str, KnownDocument]:
    rows = await conn.fetch(
        """SELECT * FROM order_documents WHERE tenant_id = $1 AND connection_id = $2 AND channel = $3
           AND channel_order_id = $4""",
        ref.tenant_id,
        ref.connection_id,
        ref.channel,
        ref.channel_order_id,
    )
    return {
        r["document_key"]: KnownDocument(
            key=r["document_key"],
            type=DocumentType(r["type"]),
            action=DocumentAction(r["action"]),
            status=r["status"],
            total=r["total"],
            fingerprint=r["fingerprint"],
            links=tuple(r["links"]),
            target=r["target"],
            external_id=r["external_id"],
        )
        for r in rows
    }


async def record_planned(conn: DbConnection, ref: OrderRef, documents: Sequence[PlannedDocument], version: int) -> None:
    """A failed document may be planned again; any other is planned once."""
    await conn.executemany(
        """INSERT INTO order_documents (tenant_id, document_key, connection_id, channel, channel_order_id, type,
                                        action, total, fingerprint, links, target, planned_version)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           ON CONFLICT (tenant_id, document_key) DO UPDATE
           SET status = 'planned', total = excluded.total, fingerprint = excluded.fingerprint,
               links = excluded.links, planned_version = excluded.planned_version, updated_at = now()
           WHERE order_documents.status = 'failed'""",
        [
            (
                ref.tenant_id,
                doc.key,
                ref.connection_id,
                ref.channel,
                ref.channel_order_id,
                doc.type.value,
                doc.action.value,
                doc.total,
                fingerprint(doc),
                list(doc.applies_to),
                doc.target,
                version,
            )
            for doc in documents
        ],
    )


async def record_outcomes(conn: DbConnection, tenant_id: str, outcomes: Iterable[DocumentOutcome]) -> None:
    await conn.executemany(
        """UPDATE order_documents SET status = $3, external_id = coalesce($4, external_id), updated_at = now()
           WHERE tenant_id = $1 AND document_key = $2""",
        [(tenant_id, o.key, o.status.value, o.external_id) for o in outcomes],
    )
