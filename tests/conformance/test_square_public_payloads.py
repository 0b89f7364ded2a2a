"""Square's own published order payloads (connect-api-specification examples) normalize, balance and plan.

Both samples are internally consistent, checked by hand before asserting (channel-formats.md section 9, item 19):
the CreateOrder example's lines are 15.99 - 0.87 + 1.36 = 16.48 and 45.00 - 3.46 + 3.74 = 45.28, and the 4.33 of
discounts it lists (0.30 + 3.03 + 1.00) are all apportioned into those lines, so 61.76 balances; the PayOrder
example's two captured 10.00 card tenders pay its 20.00 exactly. Neither is expected to raise ``order.unbalanced``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from ledgerflow.contracts import CanonicalOrder, Channel, DocumentType, FulfillmentState, PaymentState, TransactionMode
from ledgerflow.ingest.normalizers import normalize
from ledgerflow.planner.modes import plan_order
from ledgerflow.planner.settings import ItemNames


def _order(channels_dir: Path, name: str) -> CanonicalOrder:
    return normalize(Channel.SQUARE, json.loads((channels_dir / "square" / name).read_text()))


def test_open_order_with_apportioned_discounts_tax_and_a_priced_modifier(channels_dir: Path) -> None:
    order = _order(channels_dir, "create-order-open-discounts-tax-modifiers.json")
    assert order.channel_order_id == "CAISENgvlJ6jLWAzERDzjyHVybY"
    assert order.order_number == "my-order-001"  # reference_id
    assert order.currency == "USD"
    assert [(li.title, li.quantity, li.unit_price, li.discount, li.tax) for li in order.lines] == [
        ("New York Strip Steak", Decimal(1), Decimal("15.99"), Decimal("0.87"), Decimal("1.36")),
        # 22.00 steak + 0.50 "Well" modifier, twice: the modifier is folded into its line
        ("New York Steak (Larger)", Decimal(2), Decimal("22.50"), Decimal("3.46"), Decimal("3.74")),
    ]
    assert order.order_discount == 0  # the two ORDER-scope discounts are already in the lines
    assert [(t.title, t.rate, t.amount) for t in order.tax_lines] == [
        ("State Sales Tax", Decimal("0.09"), Decimal("5.10"))
    ]
    assert order.computed_total() == order.channel_total == Decimal("61.76")
    assert order.payment_state is PaymentState.UNPAID  # OPEN, and no tender at all
    assert order.payments == ()
    assert order.fulfillment_state is FulfillmentState.UNFULFILLED
    assert order.customer is None
    [invoice] = plan_order(order, TransactionMode.INVOICES_WITH_PAYMENTS, key_prefix="t", items=ItemNames())
    assert (invoice.type, invoice.total) == (DocumentType.INVOICE, Decimal("61.76"))


def test_completed_order_paid_with_two_card_tenders(channels_dir: Path) -> None:
    order = _order(channels_dir, "pay-order-completed-split-tenders.json")
    assert order.order_number == "lgwOlEityYPJtcuvKTVKT1pA986YY"  # no reference_id: the order id is the number
    assert [(li.title, li.quantity, li.unit_price) for li in order.lines] == [
        ("Item 1", Decimal(1), Decimal("5.00")),
        ("Item 2", Decimal(2), Decimal("7.50")),
    ]
    assert order.tax_lines == ()
    assert order.computed_total() == order.channel_total == Decimal("20.00")
    assert order.payment_state is PaymentState.PAID
    assert [(p.transaction_id, p.method, p.amount) for p in order.payments] == [
        ("EnZdNAlWCmfh6Mt5FMNST1o7taB", "card (VISA)", Decimal("10.00")),
        ("0LRiVlbXVwe8ozu4KbZxd12mvaB", "card (VISA)", Decimal("10.00")),
    ]
    assert order.fulfillment_state is FulfillmentState.FULFILLED  # a completed counter sale, no fulfilment
    invoice, *payments = plan_order(order, TransactionMode.INVOICES_WITH_PAYMENTS, key_prefix="t", items=ItemNames())
    assert invoice.total == Decimal("20.00")
    assert [(p.type, p.total, p.payment_reference) for p in payments] == [
        (DocumentType.PAYMENT, Decimal("10.00"), "EnZdNAlWCmfh6Mt5FMNST1o7taB"),
        (DocumentType.PAYMENT, Decimal("10.00"), "0LRiVlbXVwe8ozu4KbZxd12mvaB"),
    ]
