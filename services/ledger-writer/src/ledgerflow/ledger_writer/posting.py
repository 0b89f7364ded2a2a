"""Post a command's documents exactly once, in dependency order.

Every document gets an intent row before its call. A call whose outcome is unknown (timeout,
dropped connection, 5xx) is settled by looking the document up before anything is sent again.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import asyncpg
import structlog

from ledgerflow.contracts import (
    CollisionPolicy,
    DocumentOutcome,
    DocumentType,
    ErrorDetail,
    LedgerCommand,
    LedgerStatus,
    NumberedDocument,
    NumberingMode,
    NumberingPolicy,
    quantize,
)
from ledgerflow.ledger_writer import intents
from ledgerflow.ledger_writer.books_numbering import BooksNumbering, numeric_tail
from ledgerflow.ledger_writer.intents import Intent
from ledgerflow.ledger_writer.qbo import mapping
from ledgerflow.ledger_writer.qbo.client import AmbiguousOutcome, QboFaultError, QuickBooksClient, backoff, equals
from ledgerflow.ledger_writer.references import References

log = structlog.get_logger(__name__)

DUPLICATE_DOC_NUMBER = "6140"
SEND_ATTEMPTS = 4
_EXISTING_TXN = re.compile(r"TxnId=(\d+)")


@dataclass(frozen=True)
class Posted:
    intent: Intent
    outcome: DocumentOutcome


class Renumber(Exception):
    """The books will not take this document's number; numbering must give it another (N2, N3)."""

    def __init__(
        self,
        numbered: NumberedDocument,
        reason: Literal["taken", "behind_books"],
        books_last: str | None = None,
        held_by: str | None = None,
    ) -> None:
        super().__init__(f"{numbered.document.key}: number {numbered.doc_number} {reason}")
        self.numbered = numbered
        self.reason = reason
        self.books_last = books_last
        self.held_by = held_by


class DocumentWriter:
    def __init__(self, pool: asyncpg.Pool, client: QuickBooksClient, tenant_id: str, realm: str) -> None:
        self._pool = pool
        self._client = client
        self._tenant = tenant_id
        self._realm = realm
        self._refs = References(pool, client, tenant_id, realm)
        self._books_numbering = BooksNumbering(pool, client, tenant_id, realm)
        self._command_id = uuid.UUID(int=0)
        self._policy = NumberingPolicy()
        self._prefix = ""

    async def post_all(self, command: LedgerCommand) -> list[DocumentOutcome]:
        """Each document's outcome, in order; raises ``Renumber`` when the books refuse a number."""
        self._policy = command.numbering
        self._prefix = command.numbering.prefix_for(command.channel.value)
        self._command_id = command.meta.message_id
        self._refs = References(self._pool, self._client, self._tenant, self._realm, str(self._command_id))
        posted: dict[str, Posted] = {}
        outcomes = []
        for numbered in command.documents:
            doc = numbered.document
            blocked = [
                k for k in doc.applies_to if k not in posted or posted[k].outcome.status is not LedgerStatus.POSTED
            ]
            if blocked:
                outcome = _failed(numbered, ErrorDetail(
                    code="document.dependency_failed",
                    message=f"the {doc.type.value} was not posted because {', '.join(blocked)} was not posted",
                    fix="Fix the earlier document's error and replay the order.",
                ))  # fmt: skip
            else:
                result = await self.post(numbered, posted)
                posted[doc.key] = result
                outcome = result.outcome
            outcomes.append(outcome)
        return outcomes

    async def post(self, numbered: NumberedDocument, posted: dict[str, Posted]) -> Posted:
        doc = numbered.document
        entity = mapping.ENTITIES[doc.type]
        intent = await intents.open_intent(self._pool, self._tenant, doc.key, entity, numbered.doc_number)
        if intent.status == "posted":
            return Posted(intent, _outcome(numbered, intent))
        if intent.status == "failed" and intent.error is not None and intent.failed_by == self._command_id:
            return Posted(intent, _failed(numbered, intent.error))  # the same command again: the same answer
        try:
            customer_id = await self._refs.customer(doc)
            if intent.outcome_unknown:
                existing = await self._find_existing(numbered, entity, customer_id)
                if existing is not None:
                    log.info("document.adopted_after_unknown_outcome", key=doc.key, id=existing["Id"])
                    return await self._settle(numbered, intent, existing)
            body = await self._body(numbered, customer_id, posted)
            await self._check_in_step(numbered, entity)
        except QboFaultError as fault:  # a customer or item the books refuse to create
            return await self._refused(numbered, intent, entity, fault)
        for attempt in range(1, SEND_ATTEMPTS + 1):
            await intents.mark_sending(self._pool, intent)
            try:
                record = await self._client.create(self._realm, entity, body, str(intent.request_id))
            except AmbiguousOutcome:
                # It may have been written: look before sending again (with the same requestid).
                existing = await self._find_existing(numbered, entity, customer_id)
                if existing is not None:
                    return await self._settle(numbered, intent, existing)
                if attempt == SEND_ATTEMPTS:
                    raise  # not in the books: the redelivery sends it again, after the same look-up
                await backoff(attempt)
                continue
            except QboFaultError as fault:
                return await self._refused(numbered, intent, entity, fault)
            return await self._settle(numbered, intent, record)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _body(self, numbered: NumberedDocument, customer_id: str, posted: dict[str, Posted]) -> dict[str, Any]:
        doc = numbered.document
        if doc.type is DocumentType.PAYMENT:
            linked = [
                (str(posted[k].intent.external_id), posted[k].intent.entity) for k in doc.applies_to if k in posted
            ]
            return mapping.payment(numbered, customer_id, linked)
        linked = [
            (str(posted[k].intent.external_id), posted[k].intent.entity)
            for k in doc.applies_to
            if k in posted and posted[k].intent.entity == "Estimate"
        ]
        return mapping.sales_form(numbered, customer_id, await self._refs.items(doc), linked)

    async def _find_existing(self, numbered: NumberedDocument, entity: str, customer_id: str) -> dict[str, Any] | None:
        """Our own document in the books: by number, or by customer, date and memo when it has none."""
        doc = numbered.document
        if numbered.doc_number is not None:
            candidates = await self._client.query(self._realm, entity, equals("DocNumber", numbered.doc_number))
        else:
            where = f"{equals('CustomerRef', customer_id)} AND {equals('TxnDate', doc.txn_date.isoformat())}"
            candidates = await self._client.query(self._realm, entity, where)
        for record in candidates:
            if record.get("PrivateNote") == doc.memo and Decimal(str(record.get("TotalAmt"))) == doc.total:
                return record
        return None

    async def _check_in_step(self, numbered: NumberedDocument, entity: str) -> None:
        """In next-number mode a number at or below the books' last one would break their sequence."""
        if numbered.doc_number is None or self._policy.mode is not NumberingMode.NEXT_NUMBER:
            return
        ours = numeric_tail(numbered.doc_number, self._prefix)
        last_value, last_number = await self._books_numbering.last(entity, self._prefix)
        if ours is not None and last_value is not None and ours <= last_value:
            raise Renumber(numbered, "behind_books", books_last=last_number)

    async def _refused(self, numbered: NumberedDocument, intent: Intent, entity: str, fault: QboFaultError) -> Posted:
        if fault.code == DUPLICATE_DOC_NUMBER and (match := _EXISTING_TXN.search(fault.detail)):
            existing = await self._client.read(self._realm, entity, match.group(1))
            if existing.get("PrivateNote") == numbered.document.memo:
                return await self._settle(numbered, intent, existing)  # our own earlier post
            if self._policy.on_collision is CollisionPolicy.NEXT_FREE:
                last = None
                if self._policy.mode is NumberingMode.NEXT_NUMBER:
                    last = (await self._books_numbering.last(entity, self._prefix))[1]
                raise Renumber(numbered, "taken", books_last=last, held_by=f"{entity} {match.group(1)}")
            error = ErrorDetail(
                code="number.collision",
                message=f"{entity} number {numbered.doc_number} is already used in QuickBooks by another "
                f"document (Id {match.group(1)})",
                fix="Set a numbering prefix for this connection, or renumber the other document, then replay.",
            )
        else:
            error = ErrorDetail(
                code=f"qbo.{fault.code or fault.status}",
                message=f"QuickBooks refused the {entity.lower()}: {fault.message}. {fault.detail}".strip(),
                fix="Correct the order or the connection settings as the message says, then replay the order.",
            )
        failed = await intents.mark_failed(self._pool, intent, error, self._command_id)
        return Posted(failed, _failed(numbered, error))

    async def _settle(self, numbered: NumberedDocument, intent: Intent, record: dict[str, Any]) -> Posted:
        settled = await intents.mark_posted(self._pool, intent, record)
        if settled.doc_number:
            await self._books_numbering.used(intent.entity, self._prefix, settled.doc_number)
        return Posted(settled, _outcome(numbered, settled))


def _outcome(numbered: NumberedDocument, intent: Intent) -> DocumentOutcome:
    doc = numbered.document
    return DocumentOutcome(
        key=doc.key,
        type=doc.type,
        status=LedgerStatus.POSTED,
        currency=doc.currency,
        doc_number=intent.doc_number,
        external_id=intent.external_id,
        sync_token=intent.sync_token,
        total=quantize(intent.total, doc.currency) if intent.total is not None else doc.total,
        balance=quantize(intent.balance, doc.currency) if intent.balance is not None else None,
    )


def _failed(numbered: NumberedDocument, error: ErrorDetail) -> DocumentOutcome:
    doc = numbered.document
    return DocumentOutcome(
        key=doc.key,
        type=doc.type,
        status=LedgerStatus.FAILED,
        currency=doc.currency,
        doc_number=numbered.doc_number,
        total=doc.total,
        error=error,
    )
