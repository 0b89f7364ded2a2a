"""Post a command's documents exactly once, in dependency order, to any target's books.

Every document gets an intent row before its call. A call whose outcome is unknown (timeout,
dropped connection, 5xx) is settled by looking the document up before anything is sent again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

import asyncpg
import structlog

from ledgerflow.contracts import (
    CollisionPolicy,
    DocumentAction,
    DocumentOutcome,
    ErrorDetail,
    LedgerCommand,
    LedgerStatus,
    NumberedDocument,
    NumberingMode,
    quantize,
)
from ledgerflow.ledger_writer.books import (
    AmbiguousOutcome,
    Books,
    BooksRecord,
    Draft,
    NumberTaken,
    ReferenceMissing,
    Refused,
)
from ledgerflow.ledger_writer.posting import intents
from ledgerflow.ledger_writer.posting.intents import Intent
from ledgerflow.ledger_writer.posting.numbering import BooksNumbering, numeric_tail
from ledgerflow.ledger_writer.posting.retry import backoff

log = structlog.get_logger(__name__)

SEND_ATTEMPTS = 4


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
    """One command's documents, posted to one company's books."""

    def __init__(self, pool: asyncpg.Pool, books: Books, tenant_id: str, command: LedgerCommand) -> None:
        self._pool = pool
        self._books = books
        self._tenant = tenant_id
        self._books_numbering = BooksNumbering(pool, books, tenant_id)
        self._command_id: uuid.UUID = command.meta.message_id
        self._policy = command.numbering
        self._prefix = command.numbering.prefix_for(command.channel.value)
        self._verify = command.verify_posted
        self._command = command
        self._earlier: dict[str, Intent | None] = {}

    async def post_all(self) -> list[DocumentOutcome]:
        """Each document's outcome, in order; raises ``Renumber`` when the books refuse a number."""
        posted: dict[str, Posted] = {}
        outcomes = []
        for numbered in self._command.documents:
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
        target = await self._posted_intent(str(doc.target), posted)
        assert target is not None  # checked with the dependencies
        kind = self._books.kind(doc.type)
        intent = await intents.open_intent(self._pool, self._tenant, doc.key, kind, None)
        if intent.status == "posted":
            return Posted(intent, _outcome(numbered, intent))
        await intents.mark_sending(self._pool, intent)
        try:
            if doc.action is DocumentAction.CLOSE:
                record = await self._books.close_sales_order(target.linked, intent.request_id)
            elif doc.action is DocumentAction.UPDATE:
                record = await self._books.update_purchase_order(target.linked, numbered, intent.request_id)
            else:
                invoices = [await self._posted_intent(key, posted) for key in doc.applies_to]
                linked = [i.linked for i in invoices if i is not None]
                record = await self._books.apply_payment(target.linked, linked, intent.request_id)
        except Refused as refused:
            failed = await intents.mark_failed(self._pool, intent, refused.error, self._command_id, refused.trace_id)
            return Posted(failed, _failed(numbered, refused.error))
        changed = await intents.mark_posted(self._pool, intent, record)
        return Posted(changed, _outcome(numbered, changed))

    async def post(self, numbered: NumberedDocument, posted: dict[str, Posted]) -> Posted:
        doc = numbered.document
        kind = self._books.kind(doc.type)
        opened = await intents.open_for_sending(self._pool, self._tenant, doc.key, kind, numbered.doc_number)
        intent = opened.intent
        if intent.status == "posted":
            if not self._verify or await self._books.exists(intent.linked):
                return Posted(intent, _outcome(numbered, intent))
            log.info("document.deleted_in_books", key=doc.key, id=intent.external_id)
            intent = await intents.reopen(self._pool, intent)  # a resync posts it again
        if intent.status == "failed" and intent.error is not None and intent.failed_by == self._command_id:
            return Posted(intent, _failed(numbered, intent.error))  # the same command again: the same answer
        if intent.status == "failed":
            intent = await intents.retry_refused(self._pool, intent, self._command_id)
        try:
            linked = [i.linked for key in doc.applies_to if (i := await self._posted_intent(key, posted))]
            draft = await self._books.draft(numbered, linked)
            if intent.outcome_unknown:
                existing = await self._books.find_own(numbered, draft)
                if existing is not None:
                    log.info("document.adopted_after_unknown_outcome", key=doc.key, id=existing.external_id)
                    return await self._settle(numbered, intent, existing)
            await self._check_in_step(numbered, kind)
        except Refused as refused:  # a customer or item the books refuse to create
            return await self._refused(numbered, intent, refused)
        except ReferenceMissing as missing:
            failed = await intents.mark_failed(self._pool, intent, missing.error, self._command_id)
            return Posted(failed, _failed(numbered, missing.error))
        return await self._send(numbered, intent, draft, count_first=not opened.send_counted)

    async def _send(self, numbered: NumberedDocument, intent: Intent, draft: Draft, *, count_first: bool) -> Posted:
        for attempt in range(1, SEND_ATTEMPTS + 1):
            if attempt > 1 or count_first:
                await intents.mark_sending(self._pool, intent)
            try:
                record = await self._books.create(draft, intent.request_id)
            except AmbiguousOutcome:
                # It may have been written: look before sending again (with the same request id).
                existing = await self._books.find_own(numbered, draft)
                if existing is not None:
                    return await self._settle(numbered, intent, existing)
                if attempt == SEND_ATTEMPTS:
                    raise  # not in the books: the command is tried again later, after the same look-up
                await backoff(attempt)
                continue
            except Refused as refused:
                return await self._refused(numbered, intent, refused)
            return await self._settle(numbered, intent, record)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _check_in_step(self, numbered: NumberedDocument, kind: str) -> None:
        """In next-number mode a number at or below the books' last one would break their sequence."""
        if numbered.doc_number is None or self._policy.mode is not NumberingMode.NEXT_NUMBER:
            return
        ours = numeric_tail(numbered.doc_number, self._prefix)
        last_value, last_number = await self._books_numbering.last(kind, self._prefix)
        if ours is not None and last_value is not None and ours <= last_value:
            raise Renumber(numbered, "behind_books", books_last=last_number)

    async def _refused(self, numbered: NumberedDocument, intent: Intent, refused: Refused) -> Posted:
        error = refused.error
        if isinstance(refused, NumberTaken):
            holder = refused.holder
            if holder.memo == numbered.document.memo:
                return await self._settle(numbered, intent, holder)  # our own earlier post
            if self._policy.on_collision is CollisionPolicy.NEXT_FREE:
                last = None
                if self._policy.mode is NumberingMode.NEXT_NUMBER:
                    last = (await self._books_numbering.last(intent.entity, self._prefix))[1]
                raise Renumber(numbered, "taken", books_last=last, held_by=f"{intent.entity} {holder.external_id}")
            error = ErrorDetail(
                code="number.collision",
                message=f"{intent.entity} number {numbered.doc_number} is already used in the books by another "
                f"document (Id {holder.external_id})",
                fix="Set a numbering prefix for this connection, or renumber the other document, then replay.",
            )
        failed = await intents.mark_failed(self._pool, intent, error, self._command_id, refused.trace_id)
        if refused.trace_id:
            log.info("document.refused", key=numbered.document.key, code=error.code, trace_id=refused.trace_id)
        return Posted(failed, _failed(numbered, error))

    async def _settle(self, numbered: NumberedDocument, intent: Intent, record: BooksRecord) -> Posted:
        number = record.doc_number or intent.doc_number
        value = numeric_tail(number, self._prefix)
        used = intents.NumberUsed(self._prefix, value, str(number)) if value is not None else None
        settled = await intents.mark_posted(self._pool, intent, record, used)
        log.info("document.posted", key=numbered.document.key, id=record.external_id, trace_id=record.trace_id)
        return Posted(settled, _outcome(numbered, settled))


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
