"""M6 purchase orders, refunds, rounding, later invoices and what later versions and events add (L1, L2)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ledgerflow.contracts import (
    CanonicalOrder,
    Channel,
    DocumentAction,
    DocumentType,
    FulfillmentState,
    LineKind,
    PaymentState,
    ReferenceItem,
    TransactionMode,
)
from ledgerflow.contracts.canonical import OrderRefund
from ledgerflow.ingest.normalizers import normalize
from ledgerflow.planner.lifecycle import choose_mode, completion, progress
from ledgerflow.planner.modes import plan
from ledgerflow.planner.settings import InvoiceWhen, PlanOptions, RefundMode
from ledgerflow.planner.state import KnownDocument, fingerprint

PREFIX = "acme/c/shopify/1"
M6 = TransactionMode.SALES_ORDERS_INVOICES_POS
CATALOG = {
    "TENT-2P": ReferenceItem(name="TENT-2P", vendor_name="Ridge Tents", purchase_cost=Decimal("80.00")),
    "STOVE-MINI": ReferenceItem(name="STOVE-MINI", vendor_name="Camp Kitchen Co", purchase_cost=Decimal("12.50")),
}


def _order(shopify_paid: dict[str, Any], **changes: Any) -> CanonicalOrder:
    return normalize(Channel.SHOPIFY, shopify_paid).model_copy(update=changes)


def _known(docs: Any, status: str = "posted") -> dict[str, KnownDocument]:
    return {
        d.key: KnownDocument(d.key, d.type, d.action, status, d.total, fingerprint(d), d.applies_to, d.target, "9")
        for d in docs
    }


def test_m6_makes_one_purchase_order_per_vendor_at_purchase_cost(shopify_paid: dict[str, Any]) -> None:
    result = plan(_order(shopify_paid), M6, key_prefix=PREFIX, catalog=CATALOG)
    orders = [d for d in result.documents if d.type is DocumentType.PURCHASE_ORDER]
    assert [(o.vendor_name, o.total, o.sequence) for o in orders] == [
        ("Ridge Tents", Decimal("80.00"), 0),
        ("Camp Kitchen Co", Decimal("25.00"), 1),
    ]
    assert [(line.item_name, line.quantity, line.unit_price) for line in orders[1].lines] == [
        ("STOVE-MINI", Decimal(2), Decimal("12.50"))
    ]
    assert [d.type for d in result.documents][:3] == [
        DocumentType.SALES_ORDER, DocumentType.INVOICE, DocumentType.PAYMENT,
    ]  # fmt: skip
    assert result.problems == ()


def test_m6_item_without_vendor_or_cost_stops_the_purchase_orders_with_a_per_item_error(
    shopify_paid: dict[str, Any],
) -> None:
    catalog = {"TENT-2P": ReferenceItem(name="TENT-2P", vendor_name=None, purchase_cost=None)}
    result = plan(_order(shopify_paid), M6, key_prefix=PREFIX, catalog=catalog)
    assert DocumentType.PURCHASE_ORDER not in [d.type for d in result.documents]
    assert DocumentType.INVOICE in [d.type for d in result.documents]  # the sale is still booked
    (problem,) = result.problems
    assert problem.code == "purchase_order.items_incomplete"
    assert "TENT-2P: no preferred vendor and no purchase cost" in problem.message
    assert "STOVE-MINI: not among the items synced from QuickBooks" in problem.message
    assert "ledgerflow resync --order 1001" in str(problem.fix)


def test_m6_for_a_channel_that_makes_its_own_purchase_orders_makes_none(shopify_paid: dict[str, Any]) -> None:
    options = PlanOptions(creates_purchase_orders=True)
    result = plan(_order(shopify_paid), M6, key_prefix=PREFIX, options=options, catalog=CATALOG)
    assert DocumentType.PURCHASE_ORDER not in [d.type for d in result.documents]


def test_m5_invoice_waits_for_fulfilment_and_the_payment_stays_unapplied(shopify_paid: dict[str, Any]) -> None:
    options = PlanOptions(invoice_when=InvoiceWhen.FULFILLED)
    mode = TransactionMode.SALES_ORDERS_INVOICES
    first = plan(_order(shopify_paid), mode, key_prefix=PREFIX, options=options).documents
    assert [(d.type, d.applies_to) for d in first] == [(DocumentType.SALES_ORDER, ()), (DocumentType.PAYMENT, ())]
    shipped = _order(shopify_paid, fulfillment_state=FulfillmentState.FULFILLED)
    later = progress(plan(shipped, mode, key_prefix=PREFIX, options=options).documents, _known(first))
    (invoice,) = later.new
    assert invoice.type is DocumentType.INVOICE and invoice.applies_to == (first[0].key,)
    assert later.changes == ()


def test_posting_the_invoice_closes_its_sales_order_and_applies_the_unapplied_payment(
    shopify_paid: dict[str, Any],
) -> None:
    options = PlanOptions(invoice_when=InvoiceWhen.FULFILLED)
    mode = TransactionMode.SALES_ORDERS_INVOICES
    first = plan(_order(shopify_paid), mode, key_prefix=PREFIX, options=options).documents
    shipped = _order(shopify_paid, fulfillment_state=FulfillmentState.FULFILLED)
    (invoice,) = progress(plan(shipped, mode, key_prefix=PREFIX, options=options).documents, _known(first)).new
    known = _known([*first, invoice])
    close, apply = completion(invoice.key, known, first[0])
    assert (close.action, close.target, close.type) == (DocumentAction.CLOSE, first[0].key, DocumentType.SALES_ORDER)
    assert (apply.action, apply.target, apply.applies_to) == (DocumentAction.APPLY, first[1].key, (invoice.key,))
    assert completion(invoice.key, {**known, **_known([close, apply])}, first[0]) == []  # never twice


def test_same_day_m5_payment_is_applied_directly_so_only_the_close_is_planned(shopify_paid: dict[str, Any]) -> None:
    docs = plan(_order(shopify_paid), TransactionMode.SALES_ORDERS_INVOICES, key_prefix=PREFIX).documents
    actions = completion(docs[1].key, _known(docs), docs[0])
    assert [a.action for a in actions] == [DocumentAction.CLOSE]


def test_a_later_paid_version_adds_only_the_payment(samples: Any) -> None:
    unpaid = normalize(Channel.SHOPIFY, samples["acme-1002-bank-deposit-unpaid"].payload())
    mode = TransactionMode.INVOICES_WITH_PAYMENTS
    first = plan(unpaid, mode, key_prefix=PREFIX).documents
    payment = {"amount": Decimal("80.00"), "transaction_id": "tx-9", "paid_at": datetime(2026, 11, 2, tzinfo=UTC)}
    paid = unpaid.model_validate({**unpaid.model_dump(), "payment_state": "paid", "payments": [payment]})
    step = progress(plan(paid, mode, key_prefix=PREFIX).documents, _known(first))
    assert [(d.type, d.applies_to) for d in step.new] == [(DocumentType.PAYMENT, (first[0].key,))]
    assert [d.key for d in step.unchanged] == [first[0].key]


def test_an_edit_after_posting_is_flagged_not_planned(shopify_paid: dict[str, Any]) -> None:
    first = plan(_order(shopify_paid), TransactionMode.INVOICES, key_prefix=PREFIX).documents
    edited = _order(shopify_paid)
    edited = edited.model_validate({**edited.model_dump(), "order_discount": "10.00", "channel_total": "330.11"})
    step = progress(plan(edited, TransactionMode.INVOICES, key_prefix=PREFIX).documents, _known(first))
    assert step.new == ()
    assert step.changes == ("the invoice would now total 330.11 (was 340.11)",)


def test_a_failed_document_is_planned_again(shopify_paid: dict[str, Any]) -> None:
    docs = plan(_order(shopify_paid), TransactionMode.INVOICES, key_prefix=PREFIX).documents
    assert progress(docs, _known(docs, status="failed")).new == docs


def test_refunds_become_credit_memos_numbered_in_sequence_after_the_invoice(shopify_paid: dict[str, Any]) -> None:
    refunds = (OrderRefund(refund_id="r1", amount=Decimal("20.00")), OrderRefund(refund_id="r2", amount=Decimal(5)))
    order = _order(shopify_paid, refunds=refunds, payment_state=PaymentState.PARTIALLY_REFUNDED)
    options = PlanOptions(refunds=RefundMode.CREDIT_MEMO)
    docs = plan(order, TransactionMode.INVOICES_WITH_PAYMENTS, key_prefix=PREFIX, options=options).documents
    memos = [d for d in docs if d.type is DocumentType.CREDIT_MEMO]
    assert [(m.total, m.sequence, m.applies_to) for m in memos] == [
        (Decimal("20.00"), 0, (docs[0].key,)),
        (Decimal(5), 1, (docs[0].key,)),
    ]
    assert memos[0].lines[0].item_name == "Refunds"


def test_refunded_sales_receipt_gets_a_refund_receipt_from_the_refund_account(shopify_paid: dict[str, Any]) -> None:
    order = _order(shopify_paid, refunds=(OrderRefund(refund_id="r1", amount=Decimal("340.11")),),
                   payment_state=PaymentState.REFUNDED)  # fmt: skip
    options = PlanOptions(refunds=RefundMode.REFUND_RECEIPT, refund_account="Checking")
    receipt, refund = plan(order, TransactionMode.SALES_RECEIPTS, key_prefix=PREFIX, options=options).documents
    assert (refund.type, refund.deposit_account, refund.applies_to) == (
        DocumentType.REFUND_RECEIPT, "Checking", (receipt.key,),
    )  # fmt: skip


def test_refunds_are_off_by_default(shopify_paid: dict[str, Any]) -> None:
    order = _order(shopify_paid, refunds=(OrderRefund(refund_id="r1", amount=Decimal(5)),))
    docs = plan(order, TransactionMode.INVOICES, key_prefix=PREFIX).documents
    assert [d.type for d in docs] == [DocumentType.INVOICE]


def test_a_difference_within_the_rounding_cap_goes_to_a_rounding_line(shopify_paid: dict[str, Any]) -> None:
    order = _order(shopify_paid, channel_total=Decimal("340.12"))
    (invoice,) = plan(order, TransactionMode.INVOICES, key_prefix=PREFIX,
                      options=PlanOptions(rounding_cap=Decimal("0.05"))).documents  # fmt: skip
    assert (invoice.lines[-1].kind, invoice.lines[-1].amount, invoice.total) == (
        LineKind.ROUNDING, Decimal("0.01"), Decimal("340.12"),
    )  # fmt: skip


def test_an_order_keeps_its_mode_so_a_paid_invoice_never_becomes_a_receipt_too(shopify_paid: dict[str, Any]) -> None:
    docs = plan(_order(shopify_paid), TransactionMode.INVOICES_WITH_PAYMENTS, key_prefix=PREFIX).documents
    m2, m3 = TransactionMode.INVOICES_WITH_PAYMENTS, TransactionMode.SALES_RECEIPTS
    assert choose_mode(m2, m3, _known(docs), resync=False) is m2
    assert choose_mode(m2, m3, _known(docs), resync=True) is m2
    assert choose_mode(TransactionMode.ESTIMATES, TransactionMode.SALES_ORDERS, {}, resync=True) is (
        TransactionMode.SALES_ORDERS
    )
    assert choose_mode(None, m3, {}, resync=False) is m3


def test_after_delete_and_resync_a_document_names_the_key_it_replaces(shopify_paid: dict[str, Any]) -> None:
    from ledgerflow.contracts import OrderNormalized
    from ledgerflow.planner.state import OrderRecord, OrderRef

    message = OrderNormalized.model_validate(
        {"meta": {"tenant_id": "acme", "correlation_id": "00000000-0000-0000-0000-000000000001"},
         "connection_id": "c", "order_version": 1, "content_hash": "h", "order": _order(shopify_paid)}
    )  # fmt: skip
    ref = OrderRef("acme", "c", "shopify", "1")
    first, second = OrderRecord(ref, message, None, 0), OrderRecord(ref, message, None, 2)
    assert first.superseded_key(f"{first.key_prefix}/invoice") is None
    assert second.key_prefix == "acme/c/shopify/1/r2"
    assert second.superseded_key("acme/c/shopify/1/r2/invoice") == "acme/c/shopify/1/r1/invoice"


def test_connection_tax_codes_and_accounts_fill_what_rules_left_empty(shopify_paid: dict[str, Any]) -> None:
    from ledgerflow.planner.booking import Accounts, TaxCodes, with_accounts_and_tax

    result = plan(_order(shopify_paid), TransactionMode.INVOICES_WITH_PAYMENTS, key_prefix=PREFIX)
    booked = with_accounts_and_tax(result, Accounts(deposit="Checking"), TaxCodes(taxable="TAX", shipping="NON"))
    invoice, payment = booked.documents
    assert [(line.kind, line.tax_code) for line in invoice.lines][:3] == [
        (LineKind.ITEM, "TAX"), (LineKind.ITEM, "TAX"), (LineKind.SHIPPING, "NON"),
    ]  # fmt: skip
    assert (invoice.deposit_account, payment.deposit_account) == (None, "Checking")
    assert with_accounts_and_tax(result, Accounts(), TaxCodes()) is result
