"""Refunds (off by default): a credit memo or refund receipt per channel refund, numbered N, N-1, N-2."""

from __future__ import annotations

from ledgerflow.contracts import CanonicalOrder, DocumentType, LineKind, PlannedDocument, PlannedLine
from ledgerflow.planner.lines import order_memo
from ledgerflow.planner.settings import PlanOptions, RefundMode

_REFUND_TYPES = {
    RefundMode.CREDIT_MEMO: DocumentType.CREDIT_MEMO,
    RefundMode.REFUND_RECEIPT: DocumentType.REFUND_RECEIPT,
}


def refund_documents(
    order: CanonicalOrder, key_prefix: str, options: PlanOptions, original: PlannedDocument | None
) -> tuple[PlannedDocument, ...]:
    """One document per refund; each waits for the document it credits, which the same plan creates first
    when the order is seen for the first time already refunded."""
    doc_type = _REFUND_TYPES.get(options.refunds)
    if doc_type is None:
        return ()
    customer = order.customer
    documents = []
    for sequence, refund in enumerate(order.refunds):
        if not refund.amount:
            continue
        description = refund.note or f"Refund {refund.refund_id}"
        line = PlannedLine(
            kind=LineKind.ITEM,
            item_name=options.items.refund,
            description=description,
            unit_price=refund.amount,
            amount=refund.amount,
        )
        documents.append(
            PlannedDocument(
                key=f"{key_prefix}/{doc_type.value}/{sequence}",
                type=doc_type,
                currency=order.currency,
                txn_date=(refund.created_at or order.ordered_at).date(),
                customer_name=customer.display_name if customer else None,
                customer_email=customer.email if customer else None,
                lines=(line,),
                total=refund.amount,
                memo=f"{order_memo(order)}, refund {refund.refund_id}",
                applies_to=(original.key,) if original is not None else (),
                payment_reference=refund.refund_id,
                deposit_account=options.refund_account if doc_type is DocumentType.REFUND_RECEIPT else None,
                sequence=sequence,
            )
        )
    return tuple(documents)
