"""What the services' tables say about a tenant's orders, read in one read-only transaction.

The console owns none of these tables: the planner's orders, documents and rule runs, ingest's versions, the
writer's intents and the outboxes (for each order's trace). A table a service has not created yet reads as empty.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import asyncpg

from ledgerflow.contracts import OrderNormalized
from ledgerflow.runtime.database import DbConnection
from ledgerflow.runtime.telemetry import trace_id_of


class OrderStatus(StrEnum):
    POSTED = "posted"
    WAITING = "waiting"  # in its company's queue, or not yet planned through
    FAILED = "failed"
    DEAD_LETTERED = "dead-lettered"
    LEFT_OUT = "left out by a rule"
    NOTHING = "nothing to post"  # the connection does not sync orders in this state


@dataclass(frozen=True)
class Document:
    key: str
    type: str
    action: str
    status: str  # planned, pending (sent to the books), posted, failed
    total: Decimal
    number: str | None
    books_id: str | None
    balance: Decimal | None
    error: dict[str, Any] | None
    updated_at: datetime


@dataclass(frozen=True)
class OrderRow:
    connection: str
    channel: str
    channel_order_id: str
    number: str
    ordered_on: date | None
    version: int
    currency: str
    total: Decimal | None
    customer: str | None
    status: OrderStatus
    documents: tuple[Document, ...] = ()
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Version:
    version: int
    received_at: datetime


@dataclass(frozen=True)
class RuleRun:
    order_version: int
    rule_set_version: int
    skipped: bool
    fired: list[Any]
    ran_at: datetime


@dataclass
class OrderDetail:
    row: OrderRow
    versions: list[Version] = field(default_factory=list)
    rules: list[RuleRun] = field(default_factory=list)
    trace_id: str | None = None
    mode: str | None = None
    payment_state: str | None = None


@dataclass(frozen=True)
class OrderFilter:
    channel: str | None = None
    status: OrderStatus | None = None
    ordered_from: date | None = None
    ordered_to: date | None = None
    number: str | None = None


@asynccontextmanager
async def snapshot(pool: asyncpg.Pool) -> AsyncIterator[DbConnection]:
    """One consistent, read-only view of every service's tables."""
    async with pool.acquire() as conn, conn.transaction(readonly=True, isolation="repeatable_read"):
        yield conn


async def rows(conn: DbConnection, query: str, *args: object) -> list[asyncpg.Record]:
    """Rows of a service's table; none when that service has not created it yet."""
    try:
        async with conn.transaction():  # a savepoint: a missing table leaves the snapshot usable
            return list(await conn.fetch(query, *args))
    except asyncpg.UndefinedTableError:
        return []


async def tenants(conn: DbConnection) -> list[str]:
    found = await rows(conn, "SELECT DISTINCT tenant_id FROM planner.orders ORDER BY tenant_id")
    return [r["tenant_id"] for r in found]


_DOCUMENTS = """
    SELECT d.connection_id, d.channel, d.channel_order_id, d.document_key, d.type, d.action, d.total, d.links,
           d.updated_at, coalesce(i.status, d.status) AS status, i.doc_number, coalesce(i.external_id, d.external_id)
           AS external_id, i.balance, i.error::text AS error, i.updated_at AS intent_at
    FROM planner.order_documents d
    LEFT JOIN ledger_writer.document_intents i USING (tenant_id, document_key)
    WHERE d.tenant_id = $1 AND ($2::text IS NULL OR d.channel_order_id = $2)
    ORDER BY d.updated_at, d.document_key
"""
# Without the writer's table yet (nothing was ever posted), the planner's own statuses are all there is.
_DOCUMENTS_PLANNED = """
    SELECT connection_id, channel, channel_order_id, document_key, type, action, total, links, updated_at, status,
           NULL AS doc_number, external_id, NULL::numeric AS balance, NULL AS error, NULL AS intent_at
    FROM planner.order_documents WHERE tenant_id = $1 AND ($2::text IS NULL OR channel_order_id = $2)
    ORDER BY updated_at, document_key
"""


async def _documents(
    conn: DbConnection, tenant: str, channel_order_id: str | None = None
) -> dict[tuple[str, str, str], list[Document]]:
    try:
        async with conn.transaction():
            found = list(await conn.fetch(_DOCUMENTS, tenant, channel_order_id))
    except asyncpg.UndefinedTableError:
        found = await rows(conn, _DOCUMENTS_PLANNED, tenant, channel_order_id)
    paid = _paid_against(found)
    by_order: dict[tuple[str, str, str], list[Document]] = {}
    for r in found:
        status = "pending" if r["status"] == "planned" and r["intent_at"] else r["status"]
        balance = r["balance"]
        if balance is not None and r["type"] == "invoice" and status == "posted":
            balance = r["total"] - paid.get(r["document_key"], Decimal(0))
        by_order.setdefault((r["connection_id"], r["channel"], r["channel_order_id"]), []).append(Document(
            r["document_key"], r["type"], r["action"], status, r["total"], r["doc_number"], r["external_id"],
            balance, json.loads(r["error"]) if r["error"] else None, r["intent_at"] or r["updated_at"],
        ))  # fmt: skip
    return by_order


def _paid_against(found: Sequence[asyncpg.Record]) -> dict[str, Decimal]:
    """What posted payments applied to each invoice: the writer keeps an invoice's balance as it was when the
    invoice was posted, and payments posted later lower it (as ``ledgerflow reconcile`` expects of the books)."""
    paid: dict[str, Decimal] = {}
    for r in found:
        if r["type"] == "payment" and r["status"] == "posted" and len(r["links"]) == 1:
            paid[r["links"][0]] = paid.get(r["links"][0], Decimal(0)) + r["total"]
    return paid


def status_of(documents: Sequence[Document], skipped: bool, dead_lettered: bool) -> OrderStatus:
    if any(d.status == "failed" for d in documents):
        return OrderStatus.FAILED
    if documents and all(d.status == "posted" for d in documents):
        return OrderStatus.POSTED  # a dead letter it had was replayed: it stays in its topic until retention
    if dead_lettered:
        return OrderStatus.DEAD_LETTERED
    if documents:
        return OrderStatus.WAITING
    return OrderStatus.LEFT_OUT if skipped else OrderStatus.NOTHING


_ORDERS = """
    SELECT o.connection_id, o.channel, o.channel_order_id, o.order_number, o.ordered_on, o.latest_version,
           o.updated_at, o.latest->'order'->>'currency' AS currency, o.latest->'order'->>'channel_total' AS total,
           coalesce(nullif(concat_ws(' ', o.latest->'order'->'customer'->>'first_name',
                                     o.latest->'order'->'customer'->>'last_name'), ''),
                    o.latest->'order'->'customer'->>'company', o.latest->'order'->'customer'->>'email') AS customer,
           coalesce((SELECT r.skipped FROM planner.rule_runs r WHERE r.tenant_id = o.tenant_id
                       AND r.connection_id = o.connection_id AND r.channel = o.channel
                       AND r.channel_order_id = o.channel_order_id ORDER BY r.id DESC LIMIT 1), false) AS skipped
    FROM planner.orders o
    WHERE o.tenant_id = $1 AND ($2::text IS NULL OR o.channel = $2) AND ($3::text IS NULL OR o.order_number = $3)
      AND ($4::date IS NULL OR o.ordered_on >= $4) AND ($5::date IS NULL OR o.ordered_on <= $5)
    ORDER BY o.ordered_on DESC, o.updated_at DESC, o.order_number DESC
"""


def _order_row(r: asyncpg.Record, documents: list[Document], dead: set[str]) -> OrderRow:
    return OrderRow(
        r["connection_id"], r["channel"], r["channel_order_id"], r["order_number"], r["ordered_on"],
        r["latest_version"], r["currency"] or "", Decimal(r["total"]) if r["total"] else None, r["customer"],
        status_of(documents, r["skipped"], r["order_number"] in dead), tuple(documents), r["updated_at"],
    )  # fmt: skip


async def orders(
    conn: DbConnection,
    tenant: str,
    wanted: OrderFilter,
    dead_lettered: dict[str, tuple[str, str]],
    limit: int,
) -> list[OrderRow]:
    """The tenant's orders, newest first; ``dead_lettered`` maps an order number to the (stage, channel) of its
    dead letter, so that an order refused before the planner knew it is listed too."""
    found = await rows(conn, _ORDERS, tenant, wanted.channel, wanted.number, wanted.ordered_from, wanted.ordered_to)
    documents = await _documents(conn, tenant)
    dead = set(dead_lettered)
    listed = [_order_row(r, documents.get(_ref(r), []), dead) for r in found]
    known = {row.number for row in listed}
    if wanted.ordered_from is None and wanted.ordered_to is None:  # such a dead letter's order has no known date
        for number, (_stage, channel) in dead_lettered.items():
            if number in known or (wanted.number and number != wanted.number):
                continue
            if wanted.channel and channel != wanted.channel:
                continue
            listed.append(OrderRow("", channel, "", number, None, 0, "", None, None, OrderStatus.DEAD_LETTERED))
    if wanted.status is not None:
        listed = [row for row in listed if row.status is wanted.status]
    return listed[:limit]


def _ref(r: asyncpg.Record) -> tuple[str, str, str]:
    return (r["connection_id"], r["channel"], r["channel_order_id"])


async def order_details(
    conn: DbConnection, tenant: str, number: str, dead_lettered: dict[str, tuple[str, str]]
) -> list[OrderDetail]:
    """Every order of the tenant with this number (one per connection and channel that has it)."""
    details = []
    dead = set(dead_lettered)
    for r in await rows(conn, _ORDERS, tenant, None, number, None, None):
        documents = (await _documents(conn, tenant, r["channel_order_id"])).get(_ref(r), [])
        detail = OrderDetail(_order_row(r, documents, dead))
        ref = (tenant, *_ref(r))
        for v in await rows(conn, """SELECT version, received_at FROM ingest.order_versions
                                     WHERE tenant_id = $1 AND connection_id = $2 AND channel = $3
                                       AND channel_order_id = $4 ORDER BY version""", *ref):  # fmt: skip
            detail.versions.append(Version(v["version"], v["received_at"]))
        for run in await rows(conn, """SELECT order_version, rule_set_version, skipped, fired::text AS fired, ran_at
                                       FROM planner.rule_runs WHERE tenant_id = $1 AND connection_id = $2
                                         AND channel = $3 AND channel_order_id = $4 ORDER BY id""", *ref):  # fmt: skip
            detail.rules.append(RuleRun(run["order_version"], run["rule_set_version"], run["skipped"],
                                        json.loads(run["fired"]), run["ran_at"]))  # fmt: skip
        latest = await rows(
            conn,
            """SELECT latest::text AS latest, mode FROM planner.orders WHERE tenant_id = $1
                                     AND connection_id = $2 AND channel = $3 AND channel_order_id = $4""",
            *ref,
        )
        if latest:
            message = OrderNormalized.model_validate_json(latest[0]["latest"])
            detail.mode = latest[0]["mode"]
            detail.payment_state = message.order.payment_state.value
            detail.trace_id = await _trace_id(conn, message)
        details.append(detail)
    return details


async def _trace_id(conn: DbConnection, message: OrderNormalized) -> str | None:
    """The order version's trace: ingest sent the normalized order on in it (its outbox row keeps the context)."""
    found = await rows(conn, """SELECT traceparent FROM ingest.outbox WHERE correlation_id = $1
                                AND traceparent IS NOT NULL ORDER BY id LIMIT 1""",
                       message.meta.correlation_id)  # fmt: skip
    return trace_id_of(found[0]["traceparent"]) if found else None


@dataclass(frozen=True)
class FailedDocument:
    order_number: str
    key: str
    type: str
    code: str
    message: str
    fix: str
    updated_at: datetime


async def failed_documents(conn: DbConnection, tenant: str) -> list[FailedDocument]:
    found = await rows(conn, """SELECT coalesce(o.order_number, d.channel_order_id) AS order_number, d.document_key,
                                       d.type, i.error::text AS error, i.updated_at
                                FROM ledger_writer.document_intents i
                                JOIN planner.order_documents d USING (tenant_id, document_key)
                                LEFT JOIN planner.orders o USING (tenant_id, connection_id, channel, channel_order_id)
                                WHERE i.tenant_id = $1 AND i.status = 'failed'
                                ORDER BY i.updated_at DESC""", tenant)  # fmt: skip
    failed = []
    for r in found:
        error = json.loads(r["error"]) if r["error"] else {}
        failed.append(FailedDocument(r["order_number"], r["document_key"], r["type"], error.get("code") or "",
                                     error.get("message") or "", error.get("fix") or "", r["updated_at"]))  # fmt: skip
    return failed
