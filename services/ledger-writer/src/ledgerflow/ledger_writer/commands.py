"""What a queued command becomes: its documents posted, and the event, dead letter or renumbering it emits."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import asyncpg
from pydantic import BaseModel

from ledgerflow.contracts import (
    DeadLetter,
    LedgerCommand,
    LedgerEvent,
    LedgerStatus,
    NumberRejected,
    ReferenceSyncRequest,
    Topic,
    dead_letter_topic,
)
from ledgerflow.ledger_writer.books import Company, Target
from ledgerflow.ledger_writer.posting.documents import DocumentWriter, Renumber
from ledgerflow.ledger_writer.queue.store import REFERENCE_SYNC, QueuedCommand
from ledgerflow.ledger_writer.reference_sync import reference_messages
from ledgerflow.runtime.metrics import Metrics
from ledgerflow.runtime.outbox import Outgoing
from ledgerflow.runtime.stage import Filed
from ledgerflow.runtime.telemetry import current_trace_id, trace_id_of

STAGE = "ledger-writer"
# Commands this process filed, as parsed then: usually it drains them too, and need not parse them again.
PARSED_KEPT = 5000


class CommandHandler:
    def __init__(self, pool: Callable[[], asyncpg.Pool], target: Target, metrics: Metrics) -> None:
        self._pool = pool
        self._target = target
        self._metrics = metrics
        self._parsed: dict[uuid.UUID, BaseModel] = {}

    def remember(self, filed: Sequence[Filed]) -> None:
        """Commands just filed, parsed: the drain takes them from here rather than parse their bytes again."""
        for item in filed:
            self._parsed[item.message.meta.message_id] = item.message
        while len(self._parsed) > PARSED_KEPT:
            del self._parsed[next(iter(self._parsed))]  # the oldest: their companies are the busiest

    async def handle(self, queued: QueuedCommand) -> list[Outgoing]:
        """Raises the books' errors that leave the command queued (``CompanyUnavailable``, ``Throttled``,
        ``AmbiguousOutcome`` after its tries); anything else it emits."""
        company = Company(queued.tenant_id, queued.company_id)
        kept = self._parsed.pop(queued.message_id, None)
        if queued.kind == REFERENCE_SYNC:
            request = kept if isinstance(kept, ReferenceSyncRequest) else None
            request = request or ReferenceSyncRequest.model_validate_json(queued.payload)
            return reference_messages(request, await self._target.reference_data(company))
        command = kept if isinstance(kept, LedgerCommand) else LedgerCommand.model_validate_json(queued.payload)
        return await self.post(command, company, queued)

    async def post(self, command: LedgerCommand, company: Company, queued: QueuedCommand) -> list[Outgoing]:
        tenant = command.meta.tenant_id
        books = self._target.books(company, command.matching, str(command.meta.message_id))
        writer = DocumentWriter(self._pool(), books, tenant, command)
        try:
            outcomes = await writer.post_all()
        except Renumber as refused:
            # No event yet: numbering sends the command again with a number the books will take.
            return [Outgoing.of(Topic.NUMBER_FEEDBACK, _rejection(command, refused))]
        posted = [o for o in outcomes if o.status is LedgerStatus.POSTED]
        for outcome in posted:
            self._metrics.documents_posted.labels(tenant, outcome.type.value).inc()
        if posted and command.meta.origin_at is not None:
            waited = (datetime.now(UTC) - command.meta.origin_at).total_seconds()
            self._metrics.order_to_books.observe(max(waited, 0.0))
        trace_id = trace_id_of(queued.traceparent) or current_trace_id()
        failed = [o for o in outcomes if o.status is LedgerStatus.FAILED]
        event = LedgerEvent(
            meta=command.meta.derive(STAGE),
            connection_id=command.connection_id,
            channel=command.channel,
            channel_order_id=command.channel_order_id,
            order_number=command.order_number,
            order_version=command.order_version,
            status=LedgerStatus.FAILED if failed else LedgerStatus.POSTED,
            documents=tuple(outcomes),
            trace_id=trace_id,
        )
        messages = [Outgoing.of(Topic.EVENTS, event)]
        if failed and failed[0].error is not None:
            error = failed[0].error
            self._metrics.dead_letters.labels(STAGE, tenant, error.code).inc()
            letter = DeadLetter(
                meta=command.meta.derive(f"{STAGE}.dead-letter"),
                stage=STAGE,
                source_topic=queued.source.topic,
                source_partition=queued.source.partition,
                source_offset=queued.source.offset,
                source_message_id=command.meta.message_id,
                error=error,
                payload=queued.payload.decode(),
                trace_id=trace_id,
            )
            messages.append(Outgoing.of(dead_letter_topic(Topic.COMMANDS), letter))
        return messages


def _rejection(command: LedgerCommand, refused: Renumber) -> NumberRejected:
    numbered = refused.numbered
    assert numbered.doc_number is not None
    return NumberRejected(
        meta=command.meta.derive(f"{STAGE}.renumber"),
        connection_id=command.connection_id,
        command_message_id=command.meta.message_id,
        document_key=numbered.document.key,
        number_space=numbered.number_space,
        doc_number=numbered.doc_number,
        reason=refused.reason,
        books_last_number=refused.books_last,
        held_by=refused.held_by,
    )
