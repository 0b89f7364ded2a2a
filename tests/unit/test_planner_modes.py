"""Transaction modes M1-M3: which documents an order becomes, and that they add up."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ledgerflow.cli.samples import SampleOrder
from ledgerflow.contracts import CanonicalOrder, Channel, DocumentType, LineKind, TransactionMode
from ledgerflow.ingest.normalizers import normalize
from ledgerflow.planner.errors import PlanningError
from ledgerflow.planner.lines import lines_total
from ledgerflow.planner.modes import plan_order
from ledgerflow.planner.settings import ItemNames

ITEMS = ItemNames()


def _plan(order: CanonicalOrder, mode: TransactionMode = TransactionMode.INVOICES_WITH_PAYMENTS) -> Any:
    return plan_order(order, mode, key_prefix="acme/c/shopify/1", items=ITEMS)


def _sample(samples: dict[str, SampleOrder], name: str) -> CanonicalOrder:
    return normalize(Channel.SHOPIFY, samples[name].payload())


def test_m2_paid_order_is_an_invoice_and_a_payment_applied_to_it(shopify_paid: dict[str, Any]) -> None:
    invoice, payment = _plan(normalize(Channel.SHOPIFY, shopify_paid))
    assert invoice.type is DocumentType.INVOICE
    assert invoice.total == Decimal("340.11") == lines_total(invoice.lines)
    assert [line.kind for line in invoice.lines] == [
        LineKind.ITEM, LineKind.ITEM, LineKind.SHIPPING, LineKind.DISCOUNT, LineKind.TAX,
    ]  # fmt: skip
    assert payment.type is DocumentType.PAYMENT
    assert payment.total == Decimal("340.11")
    assert payment.applies_to == (invoice.key,)
    assert invoice.memo == payment.memo == "shopify order 1001"


def test_m2_order_on_terms_is_an_unpaid_invoice_only(samples: dict[str, SampleOrder]) -> None:
    (invoice,) = _plan(_sample(samples, "acme-1002-bank-deposit-unpaid"))
    assert invoice.type is DocumentType.INVOICE
    assert invoice.total == Decimal("80.00")


def test_m2_partially_paid_order_pays_part_of_the_invoice(samples: dict[str, SampleOrder]) -> None:
    invoice, payment = _plan(_sample(samples, "acme-1003-partially-paid-guest"))
    assert (invoice.total, payment.total) == (Decimal("189.00"), Decimal("100.00"))


def test_m1_never_records_a_payment(shopify_paid: dict[str, Any]) -> None:
    docs = _plan(normalize(Channel.SHOPIFY, shopify_paid), TransactionMode.INVOICES)
    assert [d.type for d in docs] == [DocumentType.INVOICE]


def test_m3_paid_order_is_a_sales_receipt(shopify_paid: dict[str, Any]) -> None:
    (receipt,) = _plan(normalize(Channel.SHOPIFY, shopify_paid), TransactionMode.SALES_RECEIPTS)
    assert receipt.type is DocumentType.SALES_RECEIPT
    assert receipt.payment_method == "shopify_payments"


def test_m3_refuses_an_unpaid_order_with_a_reason(samples: dict[str, SampleOrder]) -> None:
    with pytest.raises(PlanningError) as caught:
        _plan(_sample(samples, "acme-1002-bank-deposit-unpaid"), TransactionMode.SALES_RECEIPTS)
    assert caught.value.detail.code == "order.not_paid"


def test_tax_included_prices_get_no_extra_tax_line(samples: dict[str, SampleOrder]) -> None:
    invoice, _ = _plan(_sample(samples, "globex-5001-jpy-tax-included"))
    assert LineKind.TAX not in [line.kind for line in invoice.lines]
    assert invoice.total == Decimal(4100)


def test_line_without_sku_goes_to_the_fallback_item(samples: dict[str, SampleOrder]) -> None:
    invoice, _ = _plan(_sample(samples, "globex-5002-jpy-line-without-sku"))
    assert [line.item_name for line in invoice.lines] == ["KYUSU-TEAPOT", ITEMS.fallback]


def test_document_keys_are_stable(shopify_paid: dict[str, Any]) -> None:
    order = normalize(Channel.SHOPIFY, shopify_paid)
    assert [d.key for d in _plan(order)] == [d.key for d in _plan(order)]


def test_m4_sales_order_with_an_unapplied_payment(shopify_paid: dict[str, Any]) -> None:
    sales_order, payment = _plan(normalize(Channel.SHOPIFY, shopify_paid), TransactionMode.SALES_ORDERS)
    assert sales_order.type is DocumentType.SALES_ORDER
    assert (payment.type, payment.applies_to) == (DocumentType.PAYMENT, ())


def test_m5_sales_order_then_its_invoice_linked_to_it_then_the_payment(shopify_paid: dict[str, Any]) -> None:
    sales_order, invoice, payment = _plan(
        normalize(Channel.SHOPIFY, shopify_paid), TransactionMode.SALES_ORDERS_INVOICES
    )
    assert (sales_order.type, invoice.type) == (DocumentType.SALES_ORDER, DocumentType.INVOICE)
    assert invoice.applies_to == (sales_order.key,)
    assert invoice.lines == sales_order.lines  # the invoice is a copy of the sales order
    assert payment.applies_to == (invoice.key,)
    assert sales_order.memo == invoice.memo == payment.memo


def test_m5_unpaid_order_has_no_payment(samples: dict[str, SampleOrder]) -> None:
    docs = _plan(_sample(samples, "acme-1002-bank-deposit-unpaid"), TransactionMode.SALES_ORDERS_INVOICES)
    assert [d.type for d in docs] == [DocumentType.SALES_ORDER, DocumentType.INVOICE]


def test_m7_estimate_only(shopify_paid: dict[str, Any]) -> None:
    (estimate,) = _plan(normalize(Channel.SHOPIFY, shopify_paid), TransactionMode.ESTIMATES)
    assert estimate.type is DocumentType.ESTIMATE
