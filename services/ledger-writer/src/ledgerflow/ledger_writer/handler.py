from __future__ import annotations

from collections.abc import Sequence

from ledgerflow.contracts import (
    DeadLetter,
    LedgerCommand,
    LedgerEvent,
    LedgerStatus,
    NumberRejected,
    Topic,
    dead_letter_topic,
)
from ledgerflow.ledger_writer.posting import DocumentWriter, Renumber
from ledgerflow.ledger_writer.qbo.client import QuickBooksClient
from ledgerflow.ledger_writer.settings import WriterSettings
from ledgerflow.runtime.metrics import Metrics
from ledgerflow.runtime.outbox import Outgoing
from ledgerflow.runtime.stage import Handler, StageContext

STAGE = "ledger-writer"


def make_handler(settings: WriterSettings, client: QuickBooksClient, metrics: Metrics) -> Handler[LedgerCommand]:
    async def handle_command(ctx: StageContext, command: LedgerCommand) -> Sequence[Outgoing]:
        tenant = command.meta.tenant_id
        writer = DocumentWriter(ctx.pool, client, tenant, settings.realm_for(tenant))
        try:
            outcomes = await writer.post_all(command)
        except Renumber as refused:
            # No event yet: numbering sends the command again with a number the books will take.
            return [Outgoing.of(Topic.NUMBER_FEEDBACK, _rejection(command, refused))]
        for outcome in outcomes:
            if outcome.status is LedgerStatus.POSTED:
                metrics.documents_posted.labels(tenant, outcome.type.value).inc()
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
        )
        messages = [Outgoing.of(Topic.EVENTS, event)]
        if failed and failed[0].error is not None:
            letter = DeadLetter(
                meta=command.meta.derive(f"{STAGE}.dead-letter"),
                stage=STAGE,
                source_topic=ctx.source.topic,
                source_partition=ctx.source.partition,
                source_offset=ctx.source.offset,
                source_message_id=command.meta.message_id,
                error=failed[0].error,
                payload=command.model_dump_json(),
            )
            messages.append(Outgoing.of(dead_letter_topic(Topic.COMMANDS), letter))
        return messages

    return handle_command


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
