"""Shopify's own published order payloads normalize, balance and plan as documented."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from ledgerflow.contracts import CanonicalOrder, Channel, DocumentType, PaymentState, TransactionMode
from ledgerflow.ingest.normalizers import normalize
from ledgerflow.planner.modes import plan_order
from ledgerflow.planner.settings import ItemNames


def _order(channels_dir: Path, name: str) -> CanonicalOrder:
    return normalize(Channel.SHOPIFY, json.loads((channels_dir / "shopify" / name).read_text()))


def test_partially_paid_order(channels_dir: Path) -> None:
    order = _order(channels_dir, "rest-order-partially-paid.json")
    assert order.payment_state is PaymentState.PARTIALLY_PAID
    assert order.amount_paid == Decimal("50.00")  # total 199.00, outstanding 149.00
    assert order.computed_total() == order.channel_total == Decimal("199.00")
    invoice, payment = plan_order(order, TransactionMode.INVOICES_WITH_PAYMENTS, key_prefix="t", items=ItemNames())
    assert (invoice.type, invoice.total) == (DocumentType.INVOICE, Decimal("199.00"))
    assert (payment.type, payment.total) == (DocumentType.PAYMENT, Decimal("50.00"))


def test_partially_refunded_order_with_allocated_discounts_and_tax(channels_dir: Path) -> None:
    order = _order(channels_dir, "rest-order-partially-refunded.json")
    assert order.payment_state is PaymentState.PARTIALLY_REFUNDED
    assert sum(line.discount for line in order.lines) == Decimal("10.00")
    assert order.total_tax == Decimal("11.94")
    assert order.computed_total() == order.channel_total == Decimal("598.94")
    assert [r.amount for r in order.refunds] == [Decimal("209.00")]
    assert order.order_number == "1001"
