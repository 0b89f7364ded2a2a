"""Transaction modes: which documents an order becomes (M1-M7), with its refunds."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ledgerflow.contracts import (
    CanonicalOrder,
    DocumentType,
    ErrorDetail,
    FulfillmentState,
    LineKind,
    PaymentState,
    PlannedDocument,
    PlannedLine,
    ReferenceItem,
    TransactionMode,
)
from ledgerflow.planner.errors import PlanningError
from ledgerflow.planner.lines import document_lines, lines_total, order_memo
from ledgerflow.planner.purchase_orders import purchase_orders
from ledgerflow.planner.refunds import refund_documents
from ledgerflow.planner.settings import InvoiceWhen, ItemNames, PlanOptions

_RECEIVED = (PaymentState.PAID, PaymentState.PARTIALLY_PAID, PaymentState.PARTIALLY_REFUNDED, PaymentState.REFUNDED)
_WAS_PAID = (PaymentState.PAID, PaymentState.PARTIALLY_REFUNDED, PaymentState.REFUNDED)
_SALES_ORDER_MODES = (TransactionMode.SALES_ORDERS_INVOICES, TransactionMode.SALES_ORDERS_INVOICES_POS)


@dataclass(frozen=True)
class Plan:
    """An order version's documents in posting order, and what stopped part of it (M6 purchase orders)."""

    documents: tuple[PlannedDocument, ...]
    problems: tuple[ErrorDetail, ...] = ()


def plan_order(
    order: CanonicalOrder,
    mode: TransactionMode,
    *,
    key_prefix: str,
    items: ItemNames | None = None,
    options: PlanOptions | None = None,
    catalog: Mapping[str, ReferenceItem] | None = None,
) -> tuple[PlannedDocument, ...]:
    """The documents of one order version, in the order they must be posted."""
    return plan(order, mode, key_prefix=key_prefix, items=items, options=options, catalog=catalog).documents


def plan(
    order: CanonicalOrder,
    mode: TransactionMode,
    *,
    key_prefix: str,
    items: ItemNames | None = None,
    options: PlanOptions | None = None,
    catalog: Mapping[str, ReferenceItem] | None = None,
) -> Plan:
    options = options or PlanOptions()
    if items is not None:
        options = options.model_copy(update={"items": items})
    planner = _PLANNERS[mode]
    documents = planner(_Context(order, key_prefix, options))
    problems: tuple[ErrorDetail, ...] = ()
    if mode is TransactionMode.SALES_ORDERS_INVOICES_POS and not options.creates_purchase_orders:
        orders, problems = purchase_orders(order, key_prefix, options.items, catalog)
        documents = (*documents, *orders)
    original = _refunded_document(documents)
    return Plan((*documents, *refund_documents(order, key_prefix, options, original)), problems)


@dataclass(frozen=True)
class _Context:
    order: CanonicalOrder
    key_prefix: str
    options: PlanOptions

    def sales_document(self, doc_type: DocumentType) -> PlannedDocument:
        return _sales_document(self.order, doc_type, self.key_prefix, self.options)


def invoice_due(order: CanonicalOrder, when: InvoiceWhen) -> bool:
    """M5, M6: whether the invoice is made from the sales order with this version of the order (L1)."""
    if when is InvoiceWhen.FULFILLED:
        return order.fulfillment_state is FulfillmentState.FULFILLED
    if when is InvoiceWhen.PAID:
        return order.payment_state in _WAS_PAID
    return True


def _invoices(ctx: _Context) -> tuple[PlannedDocument, ...]:
    return (ctx.sales_document(DocumentType.INVOICE),)


def _invoices_with_payments(ctx: _Context) -> tuple[PlannedDocument, ...]:
    invoice = ctx.sales_document(DocumentType.INVOICE)
    return (invoice, *_payments(ctx.order, invoice, applies_to=(invoice.key,)))


def _sales_orders(ctx: _Context) -> tuple[PlannedDocument, ...]:
    """M4: a non-posting sales order (an estimate on QuickBooks Online); money received is an unapplied payment."""
    sales_order = ctx.sales_document(DocumentType.SALES_ORDER)
    return (sales_order, *_payments(ctx.order, sales_order, applies_to=()))


def _sales_orders_invoices(ctx: _Context) -> tuple[PlannedDocument, ...]:
    """M5: the sales order, and its invoice linked to it (which closes it); the payment goes to the invoice.

    While the invoice is not due yet, money received is recorded unapplied, and applied to the invoice
    once it is posted (the planner plans that from the writer's event).
    """
    sales_order = ctx.sales_document(DocumentType.SALES_ORDER)
    if not invoice_due(ctx.order, ctx.options.invoice_when):
        return (sales_order, *_payments(ctx.order, sales_order, applies_to=()))
    invoice = ctx.sales_document(DocumentType.INVOICE).model_copy(update={"applies_to": (sales_order.key,)})
    return (sales_order, invoice, *_payments(ctx.order, invoice, applies_to=(invoice.key,)))


def _estimates(ctx: _Context) -> tuple[PlannedDocument, ...]:
    """M7: an estimate only."""
    return (ctx.sales_document(DocumentType.ESTIMATE),)


def _sales_receipts(ctx: _Context) -> tuple[PlannedDocument, ...]:
    order = ctx.order
    paid_in_full = order.payment_state in _WAS_PAID and order.amount_paid >= order.channel_total
    if not paid_in_full:
        raise PlanningError(
            "order.not_paid",
            f"order {order.order_number} is {order.payment_state.value}: a sales receipt records a paid sale",
            "Route unpaid orders to invoices (paid/unpaid routing) or wait until the order is paid.",
        )
    receipt = ctx.sales_document(DocumentType.SALES_RECEIPT)
    method = order.payments[0].method if order.payments else None
    reference = order.payments[0].transaction_id if order.payments else None
    return (receipt.model_copy(update={"payment_method": method, "payment_reference": reference}),)


def _payments(
    order: CanonicalOrder, document: PlannedDocument, *, applies_to: tuple[str, ...]
) -> tuple[PlannedDocument, ...]:
    if order.payment_state not in _RECEIVED or not order.amount_paid:
        return ()
    return tuple(
        PlannedDocument(
            key=f"{document.key.rsplit('/', 1)[0]}/payment/{i}",
            type=DocumentType.PAYMENT,
            currency=order.currency,
            txn_date=(p.paid_at or order.ordered_at).date(),
            customer_name=document.customer_name,
            customer_email=document.customer_email,
            total=p.amount,
            memo=document.memo,
            applies_to=applies_to,
            payment_reference=p.transaction_id,
            payment_method=p.method,
        )
        for i, p in enumerate(order.payments)
        if p.amount
    )


def _sales_document(
    order: CanonicalOrder, doc_type: DocumentType, key_prefix: str, options: PlanOptions
) -> PlannedDocument:
    lines = document_lines(order, options.items)
    total = lines_total(lines)
    difference = order.channel_total - total
    if difference and abs(difference) <= options.rounding_cap:
        rounding = PlannedLine(
            kind=LineKind.ROUNDING,
            item_name=options.items.rounding,
            description="Rounding",
            unit_price=difference,
            amount=difference,
        )
        lines, total = (*lines, rounding), total + difference
    if total != order.channel_total:
        raise PlanningError(
            "document.unbalanced",
            f"the {doc_type.value} for order {order.order_number} would total {total} {order.currency}, "
            f"but the channel total is {order.channel_total} {order.currency}",
            "Check how tax, discounts and fees are mapped for this connection, or raise its rounding cap "
            "when the difference is rounding.",
        )
    customer = order.customer
    return PlannedDocument(
        key=f"{key_prefix}/{doc_type.value}",
        type=doc_type,
        currency=order.currency,
        txn_date=order.ordered_at.date(),
        customer_name=customer.display_name if customer else None,
        customer_email=customer.email if customer else None,
        lines=lines,
        total=total,
        memo=order_memo(order),
    )


def _refunded_document(documents: tuple[PlannedDocument, ...]) -> PlannedDocument | None:
    """The document a refund credits: the invoice or sales receipt (sales orders post nothing to credit)."""
    return next((d for d in documents if d.type in (DocumentType.INVOICE, DocumentType.SALES_RECEIPT)), None)


def uses_sales_order_invoice(mode: TransactionMode) -> bool:
    return mode in _SALES_ORDER_MODES


_PLANNERS: dict[TransactionMode, Callable[[_Context], tuple[PlannedDocument, ...]]] = {
    TransactionMode.INVOICES: _invoices,
    TransactionMode.INVOICES_WITH_PAYMENTS: _invoices_with_payments,
    TransactionMode.SALES_RECEIPTS: _sales_receipts,
    TransactionMode.SALES_ORDERS: _sales_orders,
    TransactionMode.SALES_ORDERS_INVOICES: _sales_orders_invoices,
    TransactionMode.SALES_ORDERS_INVOICES_POS: _sales_orders_invoices,
    TransactionMode.ESTIMATES: _estimates,
}
