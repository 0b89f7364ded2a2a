"""Intent rows: what the writer is about to post, written before the call and settled after it."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from decimal import Decimal

import asyncpg

from ledgerflow.contracts import ErrorDetail, derive_message_id
from ledgerflow.ledger_writer.books import BooksRecord, Linked

DDL = (
    """
    CREATE TABLE IF NOT EXISTS document_intents (
        tenant_id    text        NOT NULL,
        document_key text        NOT NULL,
        entity       text        NOT NULL,
        request_id   uuid        NOT NULL,
        doc_number   text,
        status       text        NOT NULL DEFAULT 'pending',
        attempts     integer     NOT NULL DEFAULT 0,
        external_id  text,
        sync_token   text,
        total        numeric,
        balance      numeric,
        error        jsonb,
        updated_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, document_key),
        CHECK (status IN ('pending', 'posted', 'failed'))
    )
    """,
    # The command that failed a document: a redelivery of it gets the same answer; a replay tries again.
    "ALTER TABLE document_intents ADD COLUMN IF NOT EXISTS failed_by uuid",
    # Times a resync found the document deleted in the books and posted it again.
    "ALTER TABLE document_intents ADD COLUMN IF NOT EXISTS reposted integer NOT NULL DEFAULT 0",
    # The books' id for the last call that posted or refused the document (QuickBooks Online's intuit_tid).
    "ALTER TABLE document_intents ADD COLUMN IF NOT EXISTS trace_id text",
    # Which document holds a books record: a look-up after a lost answer never adopts a sibling's.
    "CREATE INDEX IF NOT EXISTS document_intents_by_books_id ON document_intents (tenant_id, entity, external_id)",
)


@dataclass(frozen=True)
class Intent:
    tenant_id: str
    document_key: str
    entity: str
    request_id: uuid.UUID
    doc_number: str | None
    status: str
    attempts: int
    external_id: str | None
    sync_token: str | None
    total: Decimal | None
    balance: Decimal | None
    error: ErrorDetail | None
    failed_by: uuid.UUID | None = None
    reposted: int = 0
    trace_id: str | None = None

    @property
    def linked(self) -> Linked:
        """The posted document, for another that refers to it or changes it."""
        assert self.external_id is not None
        return Linked(self.external_id, self.entity)

    @property
    def outcome_unknown(self) -> bool:
        """An earlier attempt was sent and never settled: it may exist in the books."""
        return self.status == "pending" and self.attempts > 0


def request_id_for(tenant_id: str, document_key: str, doc_number: str | None, reposted: int = 0) -> uuid.UUID:
    """The same document always goes out with the same ``requestid``, on every retry and replica.

    A document given a new number (the books refused the old one), or posted again after it was
    deleted in the books, is a new request.
    """
    if reposted:
        return derive_message_id("qbo-request", tenant_id, document_key, doc_number or "", reposted)
    return derive_message_id("qbo-request", tenant_id, document_key, doc_number or "")


async def open_intent(
    pool: asyncpg.Pool, tenant_id: str, document_key: str, entity: str, doc_number: str | None
) -> Intent:
    # A renumbered document starts afresh under its new number; a posted one never changes. One round
    # trip: the row as written, or as it was when nothing needed writing.
    row = await pool.fetchrow(
        """WITH written AS (
               INSERT INTO document_intents (tenant_id, document_key, entity, request_id, doc_number)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (tenant_id, document_key) DO UPDATE
               SET doc_number = excluded.doc_number, request_id = excluded.request_id, attempts = 0,
                   status = 'pending', error = NULL, updated_at = now()
               WHERE document_intents.status <> 'posted'
                 AND document_intents.doc_number IS DISTINCT FROM excluded.doc_number
               RETURNING *)
           SELECT * FROM written
           UNION ALL
           SELECT * FROM document_intents
           WHERE tenant_id = $1 AND document_key = $2 AND NOT EXISTS (SELECT 1 FROM written)""",
        tenant_id,
        document_key,
        entity,
        request_id_for(tenant_id, document_key, doc_number),
        doc_number,
    )
    if row is None:  # inserted meanwhile by another transaction, after this statement's snapshot
        row = await pool.fetchrow(
            "SELECT * FROM document_intents WHERE tenant_id = $1 AND document_key = $2", tenant_id, document_key
        )
    return _intent(row)


@dataclass(frozen=True)
class Opened:
    """An intent as it stood before this attempt, and whether opening it already counted the attempt's send."""

    intent: Intent
    send_counted: bool


async def open_for_sending(
    pool: asyncpg.Pool, tenant_id: str, document_key: str, entity: str, doc_number: str | None
) -> Opened:
    """``open_intent`` and, for a document still to be posted, the first send counted, in one round trip.

    The returned intent shows the attempts made before this one, so that ``outcome_unknown`` still says
    whether an earlier send may have reached the books. A send counted and then not made (a reference
    that is missing) only costs a look-up before the next send.
    """
    row = await pool.fetchrow(
        """WITH prior AS (
               SELECT attempts, doc_number FROM document_intents WHERE tenant_id = $1 AND document_key = $2),
           written AS (
               INSERT INTO document_intents (tenant_id, document_key, entity, request_id, doc_number, attempts)
               VALUES ($1, $2, $3, $4, $5, 1)
               ON CONFLICT (tenant_id, document_key) DO UPDATE
               SET attempts = CASE WHEN document_intents.doc_number IS DISTINCT FROM excluded.doc_number THEN 1
                                   ELSE document_intents.attempts + 1 END,
                   request_id = CASE WHEN document_intents.doc_number IS DISTINCT FROM excluded.doc_number
                                     THEN excluded.request_id ELSE document_intents.request_id END,
                   doc_number = excluded.doc_number, status = 'pending', error = NULL, updated_at = now()
               WHERE document_intents.status = 'pending'
                  OR (document_intents.status = 'failed'
                      AND document_intents.doc_number IS DISTINCT FROM excluded.doc_number)
               RETURNING *)
           SELECT written.*, true AS send_counted,
                  CASE WHEN prior.doc_number IS DISTINCT FROM written.doc_number THEN 0
                       ELSE coalesce(prior.attempts, 0) END AS attempts_before
           FROM written LEFT JOIN prior ON true
           UNION ALL
           SELECT document_intents.*, false, attempts FROM document_intents
           WHERE tenant_id = $1 AND document_key = $2 AND NOT EXISTS (SELECT 1 FROM written)""",
        tenant_id,
        document_key,
        entity,
        request_id_for(tenant_id, document_key, doc_number),
        doc_number,
    )
    if row is None:  # inserted meanwhile by another transaction, after this statement's snapshot
        return Opened(await open_intent(pool, tenant_id, document_key, entity, doc_number), send_counted=False)
    intent = _intent(row)
    return Opened(replace(intent, attempts=row["attempts_before"]), send_counted=row["send_counted"])


async def load(pool: asyncpg.Pool, tenant_id: str, document_key: str) -> Intent | None:
    row = await pool.fetchrow(
        "SELECT * FROM document_intents WHERE tenant_id = $1 AND document_key = $2", tenant_id, document_key
    )
    return None if row is None else _intent(row)


async def reopen(pool: asyncpg.Pool, intent: Intent) -> Intent:
    """A posted document that was deleted in the books: post it again, as a new request."""
    row = await pool.fetchrow(
        """UPDATE document_intents
           SET status = 'pending', attempts = 0, external_id = NULL, sync_token = NULL, reposted = reposted + 1,
               request_id = $3, updated_at = now()
           WHERE tenant_id = $1 AND document_key = $2 AND status = 'posted' RETURNING *""",
        intent.tenant_id,
        intent.document_key,
        request_id_for(intent.tenant_id, intent.document_key, intent.doc_number, intent.reposted + 1),
    )
    return _intent(row)


async def retry_refused(pool: asyncpg.Pool, intent: Intent, command_id: uuid.UUID) -> Intent:
    """A document the books refused, tried again by another command (a replay): a new request, since QuickBooks
    answers a requestid it has seen with the same refusal. The same command sent again derives the same id."""
    row = await pool.fetchrow(
        """UPDATE document_intents SET status = 'pending', attempts = 0, error = NULL, request_id = $3,
               updated_at = now()
           WHERE tenant_id = $1 AND document_key = $2 AND status = 'failed' RETURNING *""",
        intent.tenant_id,
        intent.document_key,
        derive_message_id("qbo-request", intent.tenant_id, intent.document_key, intent.doc_number or "", command_id),
    )
    return intent if row is None else _intent(row)


async def mark_sending(pool: asyncpg.Pool, intent: Intent) -> None:
    await pool.execute(
        """UPDATE document_intents SET attempts = attempts + 1, updated_at = now()
           WHERE tenant_id = $1 AND document_key = $2""",
        intent.tenant_id,
        intent.document_key,
    )


@dataclass(frozen=True)
class NumberUsed:
    """The document's number, as a step of the books' ``prefix`` + digits sequence (``books_numbering``)."""

    prefix: str
    value: int
    number: str


async def mark_posted(
    pool: asyncpg.Pool, intent: Intent, record: BooksRecord, used: NumberUsed | None = None
) -> Intent:
    """Settle the intent; with ``used``, move the books' last number on in the same round trip."""
    row = await pool.fetchrow(
        """WITH numbered AS (
               INSERT INTO books_numbering (tenant_id, entity, prefix, last_value, last_number, checked_at)
               SELECT $1, $8, $9, $10, $11, now() WHERE $10::bigint IS NOT NULL
               ON CONFLICT (tenant_id, entity, prefix) DO UPDATE
               SET last_value = excluded.last_value, last_number = excluded.last_number
               WHERE books_numbering.last_value IS NULL OR books_numbering.last_value < excluded.last_value)
           UPDATE document_intents
           SET status = 'posted', external_id = $3, sync_token = $4, total = $5, balance = $6,
               doc_number = coalesce($7, doc_number), error = NULL, updated_at = now(),
               trace_id = coalesce($12, trace_id)
           WHERE tenant_id = $1 AND document_key = $2 RETURNING *""",
        intent.tenant_id,
        intent.document_key,
        record.external_id,
        record.version,
        record.total,
        record.balance,
        record.doc_number,
        intent.entity,
        used.prefix if used else None,
        used.value if used else None,
        used.number if used else None,
        record.trace_id,
    )
    return _intent(row)


async def mark_failed(
    pool: asyncpg.Pool, intent: Intent, error: ErrorDetail, command_id: uuid.UUID, trace_id: str | None = None
) -> Intent:
    row = await pool.fetchrow(
        """UPDATE document_intents SET status = 'failed', error = $3::jsonb, failed_by = $4, updated_at = now(),
               trace_id = coalesce($5, trace_id)
           WHERE tenant_id = $1 AND document_key = $2 RETURNING *""",
        intent.tenant_id,
        intent.document_key,
        error.model_dump_json(),
        command_id,
        trace_id,
    )
    return _intent(row)


def _intent(row: asyncpg.Record | None) -> Intent:
    assert row is not None
    error = row["error"]
    return Intent(
        tenant_id=row["tenant_id"],
        document_key=row["document_key"],
        entity=row["entity"],
        request_id=row["request_id"],
        doc_number=row["doc_number"],
        status=row["status"],
        attempts=row["attempts"],
        external_id=row["external_id"],
        sync_token=row["sync_token"],
        total=row["total"],
        balance=row["balance"],
        error=ErrorDetail.model_validate(json.loads(error)) if error else None,
        failed_by=row["failed_by"],
        reposted=row["reposted"],
        trace_id=row["trace_id"],
    )
