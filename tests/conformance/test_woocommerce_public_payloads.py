"""WooCommerce's own published order payloads (REST API docs, orders 723 and 727) normalize, balance and plan.

Both sample orders add up to their ``total`` to the cent (723: 9.00 + 20.00 + 10.00 shipping = 39.00; 727: 6.00 +
12.00 + 10.00 shipping + 1.35 tax = 29.35), so each is asserted to normalize and balance, not to be unbalanced.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledgerflow.contracts import (
    CanonicalOrder,
    Channel,
    DocumentType,
    FulfillmentState,
    PaymentState,
    TransactionMode,
)
from ledgerflow.ingest.normalizers import NormalizationError, normalize
from ledgerflow.planner.modes import plan_order
from ledgerflow.planner.settings import ItemNames

ORDER_723 = "order-723-completed-with-refunds.json"
REFUNDS_723 = "order-723-refunds-list.json"
ORDER_727 = "order-727-processing-guest-bacs.json"


def _payload(channels_dir: Path, name: str) -> Any:
    return json.loads((channels_dir / "woocommerce" / name).read_text())


def _order(channels_dir: Path, name: str) -> CanonicalOrder:
    return normalize(Channel.WOOCOMMERCE, _payload(channels_dir, name))


def _order_723_with_refunds(channels_dir: Path) -> CanonicalOrder:
    composite = {"order": _payload(channels_dir, ORDER_723), "refunds": _payload(channels_dir, REFUNDS_723)}
    return normalize(Channel.WOOCOMMERCE, composite)


def test_processing_guest_order_paid_by_bank_transfer(channels_dir: Path) -> None:
    order = _order(channels_dir, ORDER_727)
    assert (order.channel_order_id, order.order_number, order.currency) == ("727", "727", "USD")
    assert order.ordered_at.isoformat() == "2017-03-22T16:28:02-03:00"  # date_created vs date_created_gmt
    assert [(line.sku, line.title, line.quantity, line.unit_price, line.tax) for line in order.lines] == [
        (None, "Woo Single #1", Decimal(2), Decimal("3.00"), Decimal("0.45")),
        ("Bar3", "Ship Your Idea – Color: Black, Size: M Test", Decimal(1), Decimal("12.00"), Decimal("0.90")),
    ]
    assert [(s.title, s.amount) for s in order.shipping_lines] == [("Flat Rate", Decimal("10.00"))]
    assert [(t.title, t.amount) for t in order.tax_lines] == [("US-CA-STATE TAX", Decimal("1.35"))]
    assert order.computed_total() == order.channel_total == Decimal("29.35")
    # bacs in processing: the merchant moved it on from on-hold, which is how a bank transfer is confirmed.
    assert order.payment_state is PaymentState.PAID
    assert [(p.method, p.transaction_id, p.amount) for p in order.payments] == [("bacs", None, Decimal("29.35"))]
    assert order.customer is not None
    assert (order.customer.channel_customer_id, order.customer.email) == (None, "john.doe@example.com")
    assert order.fulfillment_state is FulfillmentState.UNFULFILLED


def test_completed_order_with_refund_summaries_only(channels_dir: Path) -> None:
    order = _order(channels_dir, ORDER_723)
    assert order.computed_total() == order.channel_total == Decimal("39.00")
    assert [(r.refund_id, r.amount, r.created_at) for r in order.refunds] == [
        ("726", Decimal("10.00"), None),
        ("724", Decimal("9.00"), None),
    ]
    assert order.payment_state is PaymentState.PARTIALLY_REFUNDED
    assert order.amount_paid == Decimal("39.00")
    assert order.fulfillment_state is FulfillmentState.FULFILLED
    assert order.customer is not None and order.customer.display_name == "João Silva"


def test_completed_order_with_its_refund_objects(channels_dir: Path) -> None:
    order = _order_723_with_refunds(channels_dir)
    assert [(r.refund_id, r.amount) for r in order.refunds] == [("726", Decimal("10.00")), ("724", Decimal("9.00"))]
    created = [r.created_at for r in order.refunds]
    assert [c.isoformat() if c else None for c in created] == ["2017-03-21T17:07:11-03:00", "2017-03-21T16:55:37-03:00"]
    assert order.payment_state is PaymentState.PARTIALLY_REFUNDED
    assert order.ordered_at.utcoffset() == timedelta(hours=-3)


def test_pitfall_19_completed_bank_transfer_without_date_paid(channels_dir: Path) -> None:
    """Order 723 is ``completed`` by ``bacs`` with ``date_paid: null``; its refund summaries say ``refund`` where the
    schema says ``reason``. Deliberate outcome: a completed bank transfer is paid (the merchant confirmed it), the
    refunds make it partially refunded, and the misnamed key leaves the refund without a note."""
    raw = _payload(channels_dir, ORDER_723)
    assert raw["date_paid"] is None and raw["refunds"][0].keys() == {"id", "refund", "total"}
    order = _order(channels_dir, ORDER_723)
    assert order.payment_state is PaymentState.PARTIALLY_REFUNDED
    assert order.payments[0].paid_at is None
    assert [r.note for r in order.refunds] == [None, None]


def test_the_refunds_list_alone_is_not_an_order(channels_dir: Path) -> None:
    with pytest.raises(NormalizationError) as caught:
        normalize(Channel.WOOCOMMERCE, _payload(channels_dir, REFUNDS_723))
    assert caught.value.detail.code == "payload.not_an_order"


def test_public_orders_plan_as_an_invoice_and_its_payment(channels_dir: Path) -> None:
    for order, total in ((_order(channels_dir, ORDER_727), "29.35"), (_order_723_with_refunds(channels_dir), "39.00")):
        invoice, payment = plan_order(order, TransactionMode.INVOICES_WITH_PAYMENTS, key_prefix="t", items=ItemNames())
        assert (invoice.type, invoice.total) == (DocumentType.INVOICE, Decimal(total))
        assert (payment.type, payment.total, payment.payment_method) == (DocumentType.PAYMENT, Decimal(total), "bacs")
