from __future__ import annotations

from collections.abc import Sequence

from ledgerflow.contracts import DocumentPlan, DocumentType, LedgerCommand, NumberedDocument, Topic
from ledgerflow.numbering.rules import NUMBER_SPACES, order_document_number
from ledgerflow.numbering.settings import NumberingSettings
from ledgerflow.runtime.database import DbConnection
from ledgerflow.runtime.errors import StageError
from ledgerflow.runtime.outbox import Outgoing
from ledgerflow.runtime.stage import Handler, StageContext

STAGE = "numbering"

DDL = (
    """
    CREATE TABLE IF NOT EXISTS assigned_numbers (
        tenant_id    text        NOT NULL,
        number_space text        NOT NULL,
        doc_number   text        NOT NULL,
        document_key text        NOT NULL,
        assigned_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, number_space, doc_number),
        UNIQUE (tenant_id, document_key)
    )
    """,
)


async def assign(conn: DbConnection, tenant_id: str, space: str, number: str, document_key: str) -> str:
    """Assign ``number`` to the document once; a document keeps its number on every redelivery."""
    existing = await conn.fetchval(
        "SELECT doc_number FROM assigned_numbers WHERE tenant_id = $1 AND document_key = $2",
        tenant_id,
        document_key,
    )
    if existing is not None:
        return str(existing)
    holder = await conn.fetchval(
        """INSERT INTO assigned_numbers (tenant_id, number_space, doc_number, document_key)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant_id, number_space, doc_number) DO NOTHING
           RETURNING document_key""",
        tenant_id,
        space,
        number,
        document_key,
    )
    if holder is None:
        other = await conn.fetchval(
            "SELECT document_key FROM assigned_numbers WHERE tenant_id = $1 AND number_space = $2 AND doc_number = $3",
            tenant_id,
            space,
            number,
        )
        raise StageError(
            "number.collision",
            f"{space} number {number} is already used by another document ({other})",
            "Set a numbering prefix for this connection or channel, then replay the order.",
        )
    return number


def make_handler(settings: NumberingSettings) -> Handler[DocumentPlan]:
    async def handle_plan(ctx: StageContext, plan: DocumentPlan) -> Sequence[Outgoing]:
        tenant = plan.meta.tenant_id
        base_number = order_document_number(plan.order_number, settings.prefix, settings.max_length)
        numbered = []
        for doc in plan.documents:
            space = NUMBER_SPACES[doc.type]
            if doc.type is DocumentType.PAYMENT:
                # Payments have no DocNumber in the books; their number is the reference number (N4).
                numbered.append(NumberedDocument(document=doc, doc_number=None, number_space=space))
                continue
            number = await assign(ctx.conn, tenant, space, base_number, doc.key)
            numbered.append(NumberedDocument(document=doc, doc_number=number, number_space=space))
        command = LedgerCommand(
            meta=plan.meta.derive(STAGE),
            connection_id=plan.connection_id,
            channel=plan.channel,
            channel_order_id=plan.channel_order_id,
            order_number=plan.order_number,
            order_version=plan.order_version,
            mode=plan.mode,
            documents=tuple(numbered),
        )
        return [Outgoing.of(Topic.COMMANDS, command)]

    return handle_plan
