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
            "Use invoices, invoices_with_payments or sales_receipts for this connection.",
        )
    return planner(order, key_prefix, items)


def _invoices(order: CanonicalOrder, key_prefix: str, items: ItemNames) -> tuple[PlannedDocument, ...]:
    return (_sales_document(order, DocumentType.INVOICE, key_prefix, items),)


def _invoices_with_payments(order: CanonicalOrder, key_prefix: str, items: ItemNames) -> tuple[PlannedDocument, ...]:
    invoice = _sales_document(order, DocumentType.INVOICE, key_prefix, items)
    if order.payment_state not in _RECEIVED or not order.amount_paid:
        return (invoice,)
    payments = tuple(
        PlannedDocument(
            key=f"{key_prefix}/payment/{i}",
            type=DocumentType.PAYMENT,
            currency=order.currency,
            txn_date=(p.paid_at or order.ordered_at).date(),
            customer_name=invoice.customer_name,
            customer_email=invoice.customer_email,
            total=p.amount,
            memo=invoice.memo,
            applies_to=(invoice.key,),
            payment_reference=p.transaction_id,
            payment_method=p.method,
        )
        for i, p in enumerate(order.payments)
        if p.amount
    )
    return (invoice, *payments)


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
}
