"""The planner's inputs: order versions, the writer's events, resync requests. Each moves an order forward."""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from ledgerflow.contracts import (
    DocumentPlan,
    DocumentType,
    LedgerEvent,
    LedgerStatus,
    MessageMeta,
    OrderNormalized,
    PlannedDocument,
    ResyncRequest,
    Topic,
    TransactionMode,
)
from ledgerflow.planner import connections, reference, rules, state
from ledgerflow.planner.booking import with_accounts_and_tax
from ledgerflow.planner.connections import ConnectionSettings
from ledgerflow.planner.context import planning_context
from ledgerflow.planner.errors import PlanningError
from ledgerflow.planner.lifecycle import changed_after_posting, choose_mode, completes_something, completion, progress
from ledgerflow.planner.lines import order_memo
from ledgerflow.planner.modes import plan
from ledgerflow.planner.names import fit_names
from ledgerflow.planner.settings import PlannerSettings
from ledgerflow.planner.state import OrderRecord, OrderRef
from ledgerflow.runtime.outbox import Outgoing
from ledgerflow.runtime.stage import Handler, StageContext, dead_letter

STAGE = "planner"
COMPLETION_STAGE = "planner-completion"
RESYNC_STAGE = "planner-resync"
log = structlog.get_logger(__name__)

DDL = (*connections.DDL, *state.DDL, *reference.DDL, *rules.DDL)


def document_key_prefix(tenant_id: str, connection_id: str, channel: str, channel_order_id: str) -> str:
    return OrderRef(tenant_id, connection_id, channel, channel_order_id).key_prefix


def make_handler(settings: PlannerSettings) -> Handler[OrderNormalized]:
    async def handle_normalized_order(ctx: StageContext, message: OrderNormalized) -> Sequence[Outgoing]:
        # The order is locked already: the stage locks a batch's orders at once (``order_lock_keys``).
        record = await state.remember_version(ctx.conn, message, ctx.body)
        if record is None:
            log.info("order.version_superseded", order=message.order.order_number, version=message.order_version)
            return []  # a later version was planned already; this one has nothing to add
        return await _plan_order(ctx, settings, record, message.meta.derive(STAGE), resync=False)

    return handle_normalized_order


def order_lock_keys(message: OrderNormalized) -> tuple[str]:
    return (state.lock_key(state.order_ref(message)),)


def event_lock_keys(event: LedgerEvent) -> tuple[str]:
    return (state.lock_key(_event_order(event)),)


def _event_order(event: LedgerEvent) -> OrderRef:
    return OrderRef(event.meta.tenant_id, event.connection_id, event.channel.value, event.channel_order_id)


def make_completion_handler(settings: PlannerSettings) -> Handler[LedgerEvent]:
    async def handle_ledger_event(ctx: StageContext, event: LedgerEvent) -> Sequence[Outgoing]:
        # The order is locked already (``event_lock_keys``).
        ref = _event_order(event)
        await state.record_outcomes(ctx.conn, ref.tenant_id, event.documents)
        # Only a posted invoice completes anything (the sales orders it bills, the payments waiting for it).
        posted = [o.key for o in event.documents if o.status is LedgerStatus.POSTED and o.type is DocumentType.INVOICE]
        if not posted:
            return []
        known = await state.known_documents(ctx.conn, ref)
        if not any(completes_something(key, known) for key in posted):
            return []  # most events: nothing waits on these documents, so the order need not be read
        record = await state.load(ctx.conn, ref)
        if record is None:
            return []  # a plan published by hand, not one of ours
        template = _action_template(record)
        actions: dict[str, PlannedDocument] = {}
        for key in posted:
            actions.update((a.key, a) for a in completion(key, known, template))
        if not actions:
            return []
        connection = await _connection(ctx, settings, record)
        await state.record_planned(ctx.conn, ref, list(actions.values()), record.latest.order_version)
        log.info("order.completion_planned", order=event.order_number, actions=list(actions))
        meta = event.meta.derive(COMPLETION_STAGE)
        mode = record.mode or connection.mode
        return [Outgoing.of(Topic.PLANS, _plan_message(meta, record, mode, connection, list(actions.values())))]

    return handle_ledger_event


def make_resync_handler(settings: PlannerSettings) -> Handler[ResyncRequest]:
    async def handle_resync(ctx: StageContext, request: ResyncRequest) -> Sequence[Outgoing]:
        refs = await state.select_orders(
            ctx.conn,
            request.meta.tenant_id,
            request.connection_id,
            request.order_number,
            request.ordered_from,
            request.ordered_to,
        )
        outgoing: list[Outgoing] = []
        for index, ref in enumerate(refs):
            await state.lock(ctx.conn, ref)
            if request.delete:
                await state.forget_documents(ctx.conn, ref)
            record = await state.load(ctx.conn, ref)
            assert record is not None
            meta = request.meta.derive(f"{RESYNC_STAGE}/{ref.key_prefix}", index)
            outgoing.extend(await _plan_order(ctx, settings, record, meta, resync=True))
        log.info("orders.resynced", tenant=request.meta.tenant_id, orders=len(refs), delete=request.delete)
        return outgoing

    return handle_resync


async def _plan_order(
    ctx: StageContext, settings: PlannerSettings, record: OrderRecord, meta: MessageMeta, *, resync: bool
) -> list[Outgoing]:
    message = record.latest
    context = await planning_context(ctx.conn, record.ref)
    known = context.known
    # R4: after normalizing, before planning
    ruled = await rules.run_rules(ctx.conn, record.ref, message, known, context.rules)
    if ruled.skipped:
        log.info("order.not_imported", order=message.order.order_number, why=ruled.effects.skip)
        return []
    order = ruled.order
    connection = _settings_or_defaults(settings, record, context.settings)
    connection = connection.model_copy(update=ruled.effects.settings_update(connection))
    payment_state = connection.payment_state(order)
    if not connection.syncs(payment_state):
        log.info("order.not_synced", order=order.order_number, payment_state=payment_state.value)
        return []  # R1: this connection does not sync orders in this state
    mode = choose_mode(record.mode, connection.mode_for(payment_state), known, resync=resync)
    if mode is not record.mode:
        await state.set_mode(ctx.conn, record.ref, mode)
    if payment_state is not order.payment_state:
        order = order.model_copy(update={"payment_state": payment_state})
    needs_catalog = mode is TransactionMode.SALES_ORDERS_INVOICES_POS
    catalog = await reference.catalog(ctx.conn, meta.tenant_id) if needs_catalog else None
    try:
        result = plan(order, mode, key_prefix=record.key_prefix, options=connection.options(), catalog=catalog)
        result = ruled.on_plan(with_accounts_and_tax(result, connection.accounts, connection.tax_codes))
    except PlanningError as refused:
        return [dead_letter(STAGE, meta, ctx.source, refused.detail, message.model_dump_json())]
    step = progress(result.documents, known)
    outgoing = [dead_letter(STAGE, meta, ctx.source, problem, message.model_dump_json()) for problem in result.problems]
    if step.changes:
        letter = changed_after_posting(order.order_number, step.changes)
        outgoing.append(dead_letter(STAGE, meta, ctx.source, letter, message.model_dump_json()))
        if not resync:
            return outgoing  # L2: nothing more is posted for a version that contradicts the books
    sending = {d.key for d in step.new} | ({d.key for d in step.unchanged} if resync else set())
    documents = [_superseding(record, d) for d in result.documents if d.key in sending]
    if not documents:
        log.info("order.nothing_new", order=order.order_number, version=message.order_version)
        return outgoing
    await state.record_planned(ctx.conn, record.ref, step.new, message.order_version)
    plan_message = _plan_message(meta, record, mode, connection, documents, verify_posted=resync)
    return [*outgoing, Outgoing.of(Topic.PLANS, plan_message)]


def _superseding(record: OrderRecord, doc: PlannedDocument) -> PlannedDocument:
    """After a delete-and-resync a document takes over the number its earlier self held."""
    earlier = record.superseded_key(doc.key)
    return doc if earlier is None else doc.model_copy(update={"supersedes": earlier})


async def _connection(ctx: StageContext, settings: PlannerSettings, record: OrderRecord) -> ConnectionSettings:
    ref = record.ref
    configured = await connections.current(ctx.conn, ref.tenant_id, ref.connection_id)
    return configured or ConnectionSettings.defaults(
        ref.tenant_id, ref.connection_id, record.latest.order.channel, settings
    )


def _settings_or_defaults(settings: PlannerSettings, record: OrderRecord, stored: str | None) -> ConnectionSettings:
    if stored is not None:
        return connections.parse_stored(stored)
    ref = record.ref
    return ConnectionSettings.defaults(ref.tenant_id, ref.connection_id, record.latest.order.channel, settings)


def _plan_message(
    meta: MessageMeta,
    record: OrderRecord,
    mode: TransactionMode,
    connection: ConnectionSettings,
    documents: Sequence[PlannedDocument],
    *,
    verify_posted: bool = False,
) -> DocumentPlan:
    order = record.latest.order
    return DocumentPlan(
        meta=meta,
        connection_id=record.ref.connection_id,
        channel=order.channel,
        channel_order_id=order.channel_order_id,
        order_number=order.order_number,
        order_version=record.latest.order_version,
        mode=mode,
        target=connection.target,
        numbering=connection.numbering,
        matching=connection.matching,
        verify_posted=verify_posted,
        documents=tuple(fit_names(doc, connection.target) for doc in documents),
    )


def _action_template(record: OrderRecord) -> PlannedDocument:
    """Order-level fields a close or an apply carries (they change documents, they do not create them)."""
    order = record.latest.order
    customer = order.customer
    return PlannedDocument(
        key=record.key_prefix,
        type=DocumentType.INVOICE,  # each action sets its own
        currency=order.currency,
        txn_date=order.ordered_at.date(),
        customer_name=customer.display_name if customer else None,
        customer_email=customer.email if customer else None,
        total=order.channel_total,
        memo=order_memo(order),
    )
