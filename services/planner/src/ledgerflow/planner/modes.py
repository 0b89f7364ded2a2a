"""Transaction modes: which documents an order becomes (M1-M7)."""

from __future__ import annotations

from ledgerflow.contracts import (
    CanonicalOrder,
    DocumentType,
    PaymentState,
    PlannedDocument,
    TransactionMode,
)
from ledgerflow.planner.errors import PlanningError
from ledgerflow.planner.lines import document_lines, lines_total
from ledgerflow.planner.settings import ItemNames

_RECEIVED = (PaymentState.PAID, PaymentState.PARTIALLY_PAID, PaymentState.PARTIALLY_REFUNDED, PaymentState.REFUNDED)


def plan_order(
    order: CanonicalOrder, mode: TransactionMode, *, key_prefix: str, items: ItemNames
) -> tuple[PlannedDocument, ...]:
    """The documents of one order version, in the order they must be posted."""
    planner = _PLANNERS.get(mode)
    if planner is None:
        raise PlanningError(
            "mode.unsupported",
            f"transaction mode '{mode}' is not available in this release",
            "Use invoices, invoices_with_payments, sales_receipts, sales_orders, sales_orders_invoices or estimates.",
        )
    return planner(order, key_prefix, items)


def _invoices(order: CanonicalOrder, key_prefix: str, items: ItemNames) -> tuple[PlannedDocument, ...]:
    return (_sales_document(order, DocumentType.INVOICE, key_prefix, items),)


def _invoices_with_payments(order: CanonicalOrder, key_prefix: str, items: ItemNames) -> tuple[PlannedDocument, ...]:
    invoice = _sales_document(order, DocumentType.INVOICE, key_prefix, items)
    return (invoice, *_payments(order, invoice, applies_to=(invoice.key,)))


def _sales_orders(order: CanonicalOrder, key_prefix: str, items: ItemNames) -> tuple[PlannedDocument, ...]:
    """M4: a non-posting sales order (an estimate on QuickBooks Online); money received is an unapplied payment."""
    sales_order = _sales_document(order, DocumentType.SALES_ORDER, key_prefix, items)
    return (sales_order, *_payments(order, sales_order, applies_to=()))


def _sales_orders_invoices(order: CanonicalOrder, key_prefix: str, items: ItemNames) -> tuple[PlannedDocument, ...]:
    """M5: the sales order, and its invoice linked to it (which closes it); the payment goes to the invoice."""
    sales_order = _sales_document(order, DocumentType.SALES_ORDER, key_prefix, items)
    invoice = _sales_document(order, DocumentType.INVOICE, key_prefix, items).model_copy(
        update={"applies_to": (sales_order.key,)}
    )
    return (sales_order, invoice, *_payments(order, invoice, applies_to=(invoice.key,)))


def _estimates(order: CanonicalOrder, key_prefix: str, items: ItemNames) -> tuple[PlannedDocument, ...]:
    """M7: an estimate only."""
    return (_sales_document(order, DocumentType.ESTIMATE, key_prefix, items),)


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


def _sales_receipts(order: CanonicalOrder, key_prefix: str, items: ItemNames) -> tuple[PlannedDocument, ...]:
    if order.payment_state is not PaymentState.PAID:
        raise PlanningError(
            "order.not_paid",
            f"order {order.order_number} is {order.payment_state.value}: a sales receipt records a paid sale",
            "Route unpaid orders to invoices (paid/unpaid routing) or wait until the order is paid.",
        )
    receipt = _sales_document(order, DocumentType.SALES_RECEIPT, key_prefix, items)
    method = order.payments[0].method if order.payments else None
    reference = order.payments[0].transaction_id if order.payments else None
    return (receipt.model_copy(update={"payment_method": method, "payment_reference": reference}),)


def _sales_document(
    order: CanonicalOrder, doc_type: DocumentType, key_prefix: str, items: ItemNames
) -> PlannedDocument:
    lines = document_lines(order, items)
    total = lines_total(lines)
    if total != order.channel_total:
        raise PlanningError(
            "document.unbalanced",
            f"the {doc_type.value} for order {order.order_number} would total {total} {order.currency}, "
            f"but the channel total is {order.channel_total} {order.currency}",
            "Check how tax, discounts and fees are mapped for this connection.",
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


def order_memo(order: CanonicalOrder) -> str:
    """The memo every document of the order carries: how later documents and duplicates are found (N2)."""
    return f"{order.channel.value} order {order.order_number}"


_PLANNERS = {
    TransactionMode.INVOICES: _invoices,
    TransactionMode.INVOICES_WITH_PAYMENTS: _invoices_with_payments,
    TransactionMode.SALES_RECEIPTS: _sales_receipts,
    TransactionMode.SALES_ORDERS: _sales_orders,
    TransactionMode.SALES_ORDERS_INVOICES: _sales_orders_invoices,
    TransactionMode.ESTIMATES: _estimates,
}
