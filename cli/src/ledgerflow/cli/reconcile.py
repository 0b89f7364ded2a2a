"""Reconcile a tenant's books with what the pipeline planned: each document once, amounts and balances right,
every dead letter with its reason, nothing stuck.

Expected documents are the planner's (``planner.order_documents``: what each order version should
become); the writer's intents (``ledger_writer.document_intents``) say which document in the books each
one is. Both are read in a read-only transaction. The books are read over the QuickBooks Online API,
and the dead letters from their topics. A document of the books counts as a duplicate when it shares a
number (or, without one, memo and customer) with one of ours and no intent claims it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from ledgerflow.cli.dead_letters import read_dead_letters
from ledgerflow.contracts import DeadLetter, DocumentAction, DocumentType, message_key, quantize
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient
from ledgerflow.ledger_writer.targets.qbo.mapping import ENTITIES

SERVICE_SCHEMAS = ("ingest", "planner", "numbering", "ledger_writer")


@dataclass(frozen=True)
class Problem:
    kind: str  # missing, duplicate, amount, balance, failed, stuck, dead_letter
    order: str
    document: str
    detail: str


@dataclass
class Reconciliation:
    tenant: str
    orders: int = 0
    expected_documents: int = 0
    posted: int = 0
    duplicates: int = 0
    missing: int = 0
    failed: int = 0
    wrong_amounts: int = 0
    wrong_balances: int = 0
    dead_letters: int = 0
    dead_letters_without_reason: int = 0
    stuck: int = 0
    unexplained: int = 0  # documents of the books no plan accounts for (keyed in by hand, or lost track of)
    problems: list[Problem] = field(default_factory=list)
    dead_letter_reasons: Counter[str] = field(default_factory=Counter)
    # Each dead letter's stage, reason and trace id: the way to the trace of the order that failed.
    dead_letter_traces: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.duplicates or self.missing or self.wrong_amounts or self.wrong_balances
                    or self.dead_letters_without_reason or self.stuck)  # fmt: skip

    def merge(self, other: Reconciliation) -> None:
        for name in ("orders", "expected_documents", "posted", "duplicates", "missing", "failed", "wrong_amounts",
                     "wrong_balances", "dead_letters", "dead_letters_without_reason", "stuck",
                     "unexplained"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems.extend(other.problems)
        self.dead_letter_reasons.update(other.dead_letter_reasons)

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["ok"] = self.ok
        body["dead_letter_reasons"] = dict(self.dead_letter_reasons)
        return body


@dataclass(frozen=True)
class PlannedRow:
    key: str
    order: str
    type: DocumentType
    action: DocumentAction
    status: str
    total: Decimal
    links: tuple[str, ...]
    target: str | None
    updated_at: datetime


@dataclass(frozen=True)
class IntentRow:
    entity: str
    doc_number: str | None
    status: str
    external_id: str | None
    error: str | None
    updated_at: datetime
    total: Decimal | None = None  # the total the books answered when the writer posted it


@dataclass
class TenantState:
    """What the services' tables say about one tenant."""

    orders: dict[str, int] = field(default_factory=dict)  # order id -> latest version the planner has
    ingested: dict[str, int] = field(default_factory=dict)  # order id -> latest version ingest has
    planned: list[PlannedRow] = field(default_factory=list)
    intents: dict[str, IntentRow] = field(default_factory=dict)
    unpublished: dict[str, int] = field(default_factory=dict)  # schema -> outbox rows not yet sent


async def read_tenant_state(database_url: str, tenant: str, stuck_after: timedelta) -> TenantState:
    state = TenantState()
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction(readonly=True, isolation="repeatable_read"):
            for row in await _rows(conn, """SELECT connection_id, channel, channel_order_id, order_number,
                                                   latest_version
                                            FROM planner.orders WHERE tenant_id = $1""", tenant):  # fmt: skip
                state.orders[_order_id(row)] = row["latest_version"]
            for row in await _rows(conn, """SELECT connection_id, channel, channel_order_id, max(version) AS version
                                            FROM ingest.order_versions WHERE tenant_id = $1
                                            GROUP BY connection_id, channel, channel_order_id""", tenant):  # fmt: skip
                state.ingested[_order_id(row)] = row["version"]
            # A system's purchase orders have documents without an order of a channel: their id stands for it.
            for row in await _rows(conn, """SELECT d.*, coalesce(o.order_number, d.channel_order_id) AS order_number
                                            FROM planner.order_documents d
                                            LEFT JOIN planner.orders o USING (tenant_id, connection_id, channel,
                                                                              channel_order_id)
                                            WHERE d.tenant_id = $1""", tenant):  # fmt: skip
                state.planned.append(PlannedRow(
                    row["document_key"], _order(row), DocumentType(row["type"]), DocumentAction(row["action"]),
                    row["status"], row["total"], tuple(row["links"]), row["target"], row["updated_at"],
                ))  # fmt: skip
            for row in await _rows(conn, "SELECT * FROM ledger_writer.document_intents WHERE tenant_id = $1", tenant):
                error = json.loads(row["error"])["message"] if row["error"] else None
                state.intents[row["document_key"]] = IntentRow(row["entity"], row["doc_number"], row["status"],
                                                             row["external_id"], error, row["updated_at"],
                                                             row["total"])  # fmt: skip
            for schema in SERVICE_SCHEMAS:
                count = await _count(conn, f"""SELECT count(*) FROM "{schema}".outbox WHERE published_at IS NULL
                                               AND message_key = $1 AND created_at < now() - $2::interval""",
                                     message_key(tenant), stuck_after)  # fmt: skip
                if count:
                    state.unpublished[schema] = count
    finally:
        await conn.close()
    return state


async def _rows(conn: asyncpg.Connection, query: str, *args: object) -> list[asyncpg.Record]:
    """Rows of a service's table; none when that service has not created it yet."""
    try:
        async with conn.transaction():  # a savepoint: a missing table leaves the snapshot usable
            return list(await conn.fetch(query, *args))
    except asyncpg.UndefinedTableError:
        return []


async def _count(conn: asyncpg.Connection, query: str, *args: object) -> int:
    rows = await _rows(conn, query, *args)
    return int(rows[0][0]) if rows else 0


def _order_id(row: asyncpg.Record) -> str:
    return f"{row['connection_id']}/{row['channel']}/{row['channel_order_id']}"


def _order(row: asyncpg.Record) -> str:
    """How people know the order: its connection, channel and number."""
    return f"{row['connection_id']}/{row['channel']}/{row['order_number']}"


async def read_books(client: QuickBooksClient, realm: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Every transaction of the company, by entity and id."""
    return {entity: {str(r["Id"]): r for r in await client.query_all(realm, entity)}
            for entity in sorted(set(ENTITIES.values()))}  # fmt: skip


def reconcile(
    tenant: str,
    state: TenantState,
    books: dict[str, dict[str, dict[str, Any]]],
    dead_letters: Iterable[DeadLetter],
    *,
    now: datetime,
    stuck_after: timedelta,
) -> Reconciliation:
    result = Reconciliation(tenant=tenant, orders=len(state.orders))
    claimed: Counter[tuple[str, ...]] = Counter()
    # A purchase order updated since it was posted totals what its latest update says.
    updated = {d.target: d.total for d in sorted(state.planned, key=lambda d: d.updated_at)
               if d.action is DocumentAction.UPDATE and d.status == "posted" and d.target}  # fmt: skip
    for doc in state.planned:
        if doc.action is DocumentAction.CREATE:
            current = replace(doc, total=updated[doc.key]) if doc.key in updated else doc
            _check_created(result, current, state.intents.get(doc.key), books, claimed, now, stuck_after)
        elif doc.status != "posted" and now - doc.updated_at > stuck_after:
            result.stuck += 1
            result.problems.append(Problem("stuck", doc.order, doc.key, f"{doc.action.value} still {doc.status}"))
    _check_duplicates(result, books, claimed)
    _check_balances(result, state, books)
    for order, version in state.ingested.items():
        if version > state.orders.get(order, 0):
            result.stuck += 1
            result.problems.append(Problem("stuck", order, "", f"version {version} ingested, never planned"))
    for schema, count in state.unpublished.items():
        result.stuck += count
        result.problems.append(Problem("stuck", "", schema, f"{count} outbox message(s) never published"))
    for letter in dead_letters:
        result.dead_letters += 1
        result.dead_letter_reasons[letter.error.code or "(none)"] += 1
        if letter.trace_id:
            result.dead_letter_traces.append((letter.stage, letter.error.code or "(none)", letter.trace_id))
        if not letter.error.message.strip():
            result.dead_letters_without_reason += 1
            result.problems.append(Problem("dead_letter", "", letter.stage, "a dead letter without a reason"))
    return result


def _check_created(result: Reconciliation, doc: PlannedRow, intent: IntentRow | None,
                   books: dict[str, dict[str, dict[str, Any]]], claimed: Counter[tuple[str, ...]],
                   now: datetime, stuck_after: timedelta) -> None:  # fmt: skip
    result.expected_documents += 1
    entity = ENTITIES[doc.type]
    if doc.status == "failed" or (intent is not None and intent.status == "failed"):
        result.failed += 1
        if intent is None or not intent.error:
            result.problems.append(Problem("failed", doc.order, doc.key, "failed without a reason"))
        return
    record = books.get(entity, {}).get(str(intent.external_id)) if intent and intent.status == "posted" else None
    if record is None:
        result.missing += 1
        if intent is not None and intent.status == "posted":
            detail = f"posted as {entity} {intent.external_id}, which the books do not have"
        else:
            detail = f"planned, not in the books (intent: {intent.status if intent else 'none'})"
            if now - doc.updated_at > stuck_after:
                result.stuck += 1
        result.problems.append(Problem("missing", doc.order, doc.key, detail))
        return
    result.posted += 1
    claimed[_group(entity, record)] += 1
    currency = (record.get("CurrencyRef") or {}).get("value") or "USD"
    expected = doc.total
    # Where QuickBooks computed the tax (matching.sales_tax: books), the total it answered when the document was
    # posted is the one to keep: the invoice's, and the payment's sized from it.
    taxed = _books_taxed(record) or (entity == "Payment" and any(
        _books_taxed(invoice) for line in record.get("Line") or [] for link in line.get("LinkedTxn") or []
        if (invoice := books.get("Invoice", {}).get(str(link.get("TxnId")))) is not None
    ))  # fmt: skip
    if intent is not None and intent.total is not None and taxed:
        expected = intent.total
    if quantize(Decimal(str(record.get("TotalAmt", 0))), currency) != quantize(expected, currency):
        result.wrong_amounts += 1
        result.problems.append(
            Problem(
                "amount",
                doc.order,
                doc.key,
                f"{entity} {record['Id']} totals {record.get('TotalAmt')}, planned {doc.total}",
            )
        )


def _books_taxed(record: dict[str, Any]) -> bool:
    return Decimal(str((record.get("TxnTaxDetail") or {}).get("TotalTax") or 0)) != 0


def _group(entity: str, record: dict[str, Any]) -> tuple[str, ...]:
    """What makes two documents of the books the same one of ours: the number, or memo and customer."""
    if record.get("DocNumber"):
        return (entity, "number", str(record["DocNumber"]))
    customer = str((record.get("CustomerRef") or record.get("VendorRef") or {}).get("value"))
    return (entity, "memo", str(record.get("PrivateNote")), customer)


def _check_duplicates(result: Reconciliation, books: dict[str, dict[str, dict[str, Any]]],
                      claimed: Counter[tuple[str, ...]]) -> None:  # fmt: skip
    in_books: Counter[tuple[str, ...]] = Counter()
    for entity, records in books.items():
        for record in records.values():
            group = _group(entity, record)
            if group in claimed:
                in_books[group] += 1
            else:
                result.unexplained += 1
                result.problems.append(Problem("unexplained", "", f"{entity} {record['Id']}",
                                               f"number {record.get('DocNumber')}, memo {record.get('PrivateNote')!r}, "
                                               f"total {record.get('TotalAmt')}: no plan accounts for it"))  # fmt: skip
    for group, count in in_books.items():
        extra = count - claimed[group]
        if extra > 0:
            result.duplicates += extra
            result.problems.append(Problem("duplicate", "", " ".join(group[:1] + group[2:3]),
                                           f"{count} in the books, {claimed[group]} expected"))  # fmt: skip


def _check_balances(result: Reconciliation, state: TenantState, books: dict[str, dict[str, dict[str, Any]]]) -> None:
    """An invoice's balance is its total less the payments planned against it (and posted)."""
    payments = [d for d in state.planned if d.type is DocumentType.PAYMENT and d.status == "posted"]
    for doc in state.planned:
        intent = state.intents.get(doc.key)
        if doc.type is not DocumentType.INVOICE or intent is None or intent.status != "posted":
            continue
        record = books.get("Invoice", {}).get(str(intent.external_id))
        if record is None or "Balance" not in record:
            continue
        paying = [p for p in payments if doc.key in p.links]
        if any(len(p.links) > 1 for p in paying):
            continue  # split over several invoices: the books say how; nothing to compare with here
        currency = (record.get("CurrencyRef") or {}).get("value") or "USD"
        expected = quantize(doc.total - sum((p.total for p in paying), Decimal(0)), currency)
        if quantize(Decimal(str(record["Balance"])), currency) != expected:
            result.wrong_balances += 1
            result.problems.append(
                Problem(
                    "balance",
                    doc.order,
                    doc.key,
                    f"Invoice {record['Id']} balance {record['Balance']}, expected {expected}",
                )
            )


async def reconcile_tenant(
    tenant: str,
    *,
    database_url: str,
    bootstrap_servers: str | None,
    client: QuickBooksClient,
    realm: str,
    stuck_after: timedelta = timedelta(seconds=60),
    dead_letters: list[DeadLetter] | None = None,
) -> Reconciliation:
    """Everything above for one tenant; ``dead_letters`` already read (for many tenants) or read here."""
    state = await read_tenant_state(database_url, tenant, stuck_after)
    books = await read_books(client, realm)
    if dead_letters is None:
        dead_letters = await read_dead_letters(bootstrap_servers, tenant) if bootstrap_servers else []
    mine = [d for d in dead_letters if d.meta.tenant_id == tenant]
    return reconcile(tenant, state, books, mine, now=datetime.now(UTC), stuck_after=stuck_after)
