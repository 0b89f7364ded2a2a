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
    DocumentAction,
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
from ledgerflow.ledger_writer.changes import DocumentChanges
from ledgerflow.ledger_writer.intents import Intent
from ledgerflow.ledger_writer.qbo import mapping
from ledgerflow.ledger_writer.qbo.client import AmbiguousOutcome, QboFaultError, QuickBooksClient, backoff, equals
from ledgerflow.ledger_writer.references import ReferenceMissing, References

log = structlog.get_logger(__name__)

DUPLICATE_DOC_NUMBER = "6140"
OBJECT_NOT_FOUND = "610"
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
        self._verify = False
        self._earlier: dict[str, Intent | None] = {}

    async def post_all(self, command: LedgerCommand) -> list[DocumentOutcome]:
        """Each document's outcome, in order; raises ``Renumber`` when the books refuse a number."""
        self._policy = command.numbering
        self._prefix = command.numbering.prefix_for(command.channel.value)
        self._command_id = command.meta.message_id
        self._verify = command.verify_posted
        self._refs = References(
            self._pool, self._client, self._tenant, self._realm, str(self._command_id), command.matching
        )
        posted: dict[str, Posted] = {}
        outcomes = []
        for numbered in command.documents:
            doc = numbered.document
            needed = (*doc.applies_to, *((doc.target,) if doc.target else ()))
            blocked = [key for key in needed if await self._posted_intent(key, posted) is None]
            if blocked:
                outcome = _failed(numbered, ErrorDetail(
                    code="document.dependency_failed",
                    message=f"the {doc.type.value} was not posted because {', '.join(blocked)} was not posted",
                    fix="Fix the earlier document's error and replay the order.",
                ))  # fmt: skip
            else:
                result = await self._dispatch(numbered, posted)
                posted[doc.key] = result
                outcome = result.outcome
            outcomes.append(outcome)
        return outcomes

    async def _posted_intent(self, key: str, posted: dict[str, Posted]) -> Intent | None:
        """A document this one depends on: posted by this command, or by an earlier one (a later version)."""
        if key in posted:
            intent: Intent | None = posted[key].intent
        else:
            if key not in self._earlier:
                self._earlier[key] = await intents.load(self._pool, self._tenant, key)
            intent = self._earlier[key]
        return intent if intent is not None and intent.status == "posted" else None

    async def _dispatch(self, numbered: NumberedDocument, posted: dict[str, Posted]) -> Posted:
        doc = numbered.document
        if doc.action is DocumentAction.CREATE:
            return await self.post(numbered, posted)
        changes = DocumentChanges(self._pool, self._client, self._tenant, self._realm)
        target = await self._posted_intent(str(doc.target), posted)
        assert target is not None  # checked with the dependencies
        try:
            if doc.action is DocumentAction.CLOSE:
                intent = await changes.close_sales_order(doc, target)
            else:
                invoices = [await self._posted_intent(key, posted) for key in doc.applies_to]
                intent = await changes.apply_payment(doc, target, [i for i in invoices if i is not None])
        except QboFaultError as fault:
            entity = mapping.ENTITIES[doc.type]
            error = _refusal(entity, fault)
            opened = await intents.open_intent(self._pool, self._tenant, doc.key, entity, None)
            failed = await intents.mark_failed(self._pool, opened, error, self._command_id)
            return Posted(failed, _failed(numbered, error))
        return Posted(intent, _outcome(numbered, intent))

    async def post(self, numbered: NumberedDocument, posted: dict[str, Posted]) -> Posted:
        doc = numbered.document
        entity = mapping.ENTITIES[doc.type]
        opened = await intents.open_for_sending(self._pool, self._tenant, doc.key, entity, numbered.doc_number)
        intent = opened.intent
        if intent.status == "posted":
            if not self._verify or await self._still_in_books(intent):
                return Posted(intent, _outcome(numbered, intent))
            log.info("document.deleted_in_books", key=doc.key, id=intent.external_id)
            intent = await intents.reopen(self._pool, intent)  # a resync posts it again
        if intent.status == "failed" and intent.error is not None and intent.failed_by == self._command_id:
            return Posted(intent, _failed(numbered, intent.error))  # the same command again: the same answer
        try:
            customer_id = "" if doc.type is DocumentType.PURCHASE_ORDER else await self._refs.customer(doc)
            if intent.outcome_unknown:
                existing = await self._find_existing(numbered, entity, customer_id)
                if existing is not None:
                    log.info("document.adopted_after_unknown_outcome", key=doc.key, id=existing["Id"])
                    return await self._settle(numbered, intent, existing)
            body = await self._body(numbered, customer_id, posted)
            await self._check_in_step(numbered, entity)
        except QboFaultError as fault:  # a customer or item the books refuse to create
            return await self._refused(numbered, intent, entity, fault)
        except ReferenceMissing as missing:
            failed = await intents.mark_failed(self._pool, intent, missing.error, self._command_id)
            return Posted(failed, _failed(numbered, missing.error))
        for attempt in range(1, SEND_ATTEMPTS + 1):
            if attempt > 1 or not opened.send_counted:
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
        linked = []
        for key in doc.applies_to:
            intent = await self._posted_intent(key, posted)
            if intent is not None:
                linked.append((str(intent.external_id), intent.entity))
        refs = await self._refs.named(mapping.ref_names(doc))
        if doc.type is DocumentType.PAYMENT:
            return mapping.payment(numbered, customer_id, linked, refs)
        if doc.type is DocumentType.PURCHASE_ORDER:
            vendor = await self._refs.vendor(str(doc.vendor_name))
            payable = await self._refs.payable_account()
            return mapping.purchase_order(numbered, vendor, payable, await self._refs.items(doc))
        estimates = [link for link in linked if link[1] == "Estimate"]
        body = mapping.sales_form(numbered, customer_id, await self._refs.items(doc), estimates, refs)
        if doc.type is DocumentType.REFUND_RECEIPT:
            account = await self._refs.account(doc.deposit_account or "Undeposited Funds")
            body["DepositToAccountRef"] = {"value": account}
        return body

    async def _still_in_books(self, intent: Intent) -> bool:
        try:
            await self._client.read(self._realm, intent.entity, str(intent.external_id))
        except QboFaultError as fault:
            if fault.code == OBJECT_NOT_FOUND:
                return False
            raise
        return True

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
            error = _refusal(entity, fault)
        failed = await intents.mark_failed(self._pool, intent, error, self._command_id)
        return Posted(failed, _failed(numbered, error))

    async def _settle(self, numbered: NumberedDocument, intent: Intent, record: dict[str, Any]) -> Posted:
        number = record.get("DocNumber") or intent.doc_number
        value = numeric_tail(str(number) if number else None, self._prefix)
        used = intents.NumberUsed(self._prefix, value, str(number)) if value is not None else None
        settled = await intents.mark_posted(self._pool, intent, record, used)
        return Posted(settled, _outcome(numbered, settled))


def _refusal(entity: str, fault: QboFaultError) -> ErrorDetail:
    return ErrorDetail(
        code=f"qbo.{fault.code or fault.status}",
        message=f"QuickBooks refused the {entity.lower()}: {fault.message}. {fault.detail}".strip(),
        fix="Correct the order or the connection settings as the message says, then replay the order.",
    )


def _outcome(numbered: NumberedDocument, intent: Intent) -> DocumentOutcome:
    doc = numbered.document
    return DocumentOutcome(
        key=doc.key,
        type=doc.type,
        action=doc.action,
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
        action=doc.action,
        status=LedgerStatus.FAILED,
        currency=doc.currency,
        doc_number=numbered.doc_number,
        total=doc.total,
        error=error,
    )
