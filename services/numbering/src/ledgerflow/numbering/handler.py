"""Two inputs: plans to number, and numbers the books refused, which are renumbered and sent again."""

from __future__ import annotations

from collections.abc import Sequence

from ledgerflow.contracts import DocumentPlan, LedgerCommand, MessageMeta, NumberedDocument, NumberRejected, Topic
from ledgerflow.numbering.allocation import allocating_keys, learn_books_number, lock_plan, number_plan, release
from ledgerflow.numbering.rules import NUMBER_SPACES
from ledgerflow.runtime.database import DbConnection
from ledgerflow.runtime.errors import StageError
from ledgerflow.runtime.outbox import Outgoing
from ledgerflow.runtime.stage import StageContext

STAGE = "numbering"
FEEDBACK_STAGE = "numbering-feedback"

DDL = (
    """
    CREATE TABLE IF NOT EXISTS commands (
        command_id uuid        PRIMARY KEY,
        tenant_id  text        NOT NULL,
        plan       jsonb       NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    )
    """,
)


async def command_for(
    conn: DbConnection, plan: DocumentPlan, meta: MessageMeta, body: bytes = b"", *, locked: bool = False
) -> LedgerCommand:
    """``body``: the plan as received, kept as it is (not encoded again) when there is one; ``locked``: the plan's
    ``plan_lock_keys`` are held already."""
    tenant = plan.meta.tenant_id
    if not locked:
        await lock_plan(conn, plan)
    # The plan is kept (so that a number the books refuse later can be replaced and the command sent again) in the
    # statement that reads the numbers its documents have already.
    rows = await conn.fetch(
        KEEP_PLAN_AND_READ_NUMBERS,
        meta.message_id,
        tenant,
        body.decode() if body else plan.model_dump_json(),
        allocating_keys(plan),
    )
    existing = {row["document_key"]: str(row["doc_number"]) for row in rows}
    numbers = await number_plan(conn, tenant, plan, existing)
    numbered = [
        NumberedDocument(document=doc, doc_number=number, number_space=NUMBER_SPACES[doc.type])
        for doc, number in zip(plan.documents, numbers, strict=True)
    ]
    return LedgerCommand(
        meta=meta,
        connection_id=plan.connection_id,
        channel=plan.channel,
        channel_order_id=plan.channel_order_id,
        order_number=plan.order_number,
        order_version=plan.order_version,
        mode=plan.mode,
        target=plan.target,
        numbering=plan.numbering,
        matching=plan.matching,
        verify_posted=plan.verify_posted,
        documents=tuple(numbered),
    )


KEEP_PLAN_AND_READ_NUMBERS = """
    WITH kept AS (
        INSERT INTO commands (command_id, tenant_id, plan) VALUES ($1, $2, $3::jsonb) ON CONFLICT DO NOTHING)
    SELECT document_key, doc_number FROM assigned_numbers WHERE tenant_id = $2 AND document_key = ANY($4::text[])"""


async def handle_plan(ctx: StageContext, plan: DocumentPlan) -> Sequence[Outgoing]:
    # The stage locks a batch's documents at once (``plan_lock_keys``).
    command = await command_for(ctx.conn, plan, plan.meta.derive(STAGE), ctx.body, locked=True)
    return [Outgoing.of(Topic.COMMANDS, command)]


async def handle_rejection(ctx: StageContext, rejection: NumberRejected) -> Sequence[Outgoing]:
    tenant = rejection.meta.tenant_id
    stored = await ctx.conn.fetchval(
        "SELECT plan FROM commands WHERE command_id = $1 AND tenant_id = $2", rejection.command_message_id, tenant
    )
    if stored is None:
        raise StageError(
            "number.unknown_command",
            f"the books refused number {rejection.doc_number}, but command {rejection.command_message_id} "
            "was not numbered here",
            "Check that the writer and numbering share the tenant's topics.",
        )
    plan = DocumentPlan.model_validate_json(stored)
    prefix = plan.numbering.prefix_for(plan.channel.value)
    await learn_books_number(ctx.conn, tenant, rejection.number_space, rejection.doc_number, rejection.held_by,
                             prefix, rejection.books_last_number)  # fmt: skip
    if not await release(ctx.conn, tenant, rejection.document_key, rejection.doc_number):
        return []  # renumbered already (a redelivered rejection)
    command = await command_for(ctx.conn, plan, rejection.meta.derive(STAGE))
    return [Outgoing.of(Topic.COMMANDS, command)]
