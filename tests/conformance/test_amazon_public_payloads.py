"""Amazon's own published SP-API order payloads (ordersV0.json examples and sandbox responses)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledgerflow.contracts import Channel, DocumentType, FulfillmentState, PaymentState, TransactionMode
from ledgerflow.ingest.normalizers import NormalizationError, normalize
from ledgerflow.planner.modes import plan_order
from ledgerflow.planner.settings import ItemNames


def _payload(channels_dir: Path, name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((channels_dir / "amazon" / name).read_text())
    return body


def test_sandbox_pair_unshipped_order_balances(channels_dir: Path) -> None:
    # Pitfall 19, decided from the numbers: the sandbox getOrders page holds two orders but getOrderItems
    # belongs to 902-1845936-5435065 only; with that order its ItemPrice 10.00 + ItemTax 1.01 is exactly the
    # OrderTotal 11.01, so the pair normalizes and balances (US marketplace: tax on top of the price).
    order = normalize(Channel.AMAZON, _payload(channels_dir, "v0-pair-unshipped-usd.json"))
    assert (order.channel_order_id, order.order_number) == ("902-1845936-5435065", "902-1845936-5435065")
    assert order.currency == "USD" and not order.taxes_included
    assert [(line.line_id, line.sku, line.quantity, line.unit_price) for line in order.lines] == [
        ("05015851154158", "NABetaASINB00551Q3CS", Decimal(1), Decimal("10.00"))
    ]
    assert order.total_tax == Decimal("1.01")
    assert not order.tax_lines[0].channel_liable  # the sandbox item has no TaxCollection
    assert order.computed_total() == order.channel_total == Decimal("11.01")
    assert order.payment_state is PaymentState.AUTHORIZED  # Unshipped: authorised, charged when it ships
    assert order.payments == ()
    assert order.fulfillment_state is FulfillmentState.UNFULFILLED
    assert order.customer is None  # no BuyerInfo without a Restricted Data Token
    assert order.ordered_at.utcoffset() is not None
    (invoice,) = plan_order(order, TransactionMode.INVOICES_WITH_PAYMENTS, key_prefix="t", items=ItemNames())
    assert (invoice.type, invoice.total) == (DocumentType.INVOICE, Decimal("11.01"))


def test_sandbox_pair_without_the_items_order_id_is_ambiguous(channels_dir: Path) -> None:
    payload = _payload(channels_dir, "v0-pair-unshipped-usd.json")
    del payload["getOrderItems"]["payload"]["AmazonOrderId"]
    with pytest.raises(NormalizationError) as caught:
        normalize(Channel.AMAZON, payload)
    assert caught.value.detail.code == "payload.not_an_order"
    assert "holds 2 orders" in caught.value.detail.message


def test_pending_order_without_order_total_is_refused(channels_dir: Path) -> None:
    # Deliberate (see amazon._payment_not_authorized): Pending means Amazon has not authorised the payment and
    # publishes no OrderTotal; the order is refused with a precise reason rather than booked with a guessed total.
    payload = _payload(channels_dir, "v0-getOrders-pending-no-total.json")
    with pytest.raises(NormalizationError) as caught:
        normalize(Channel.AMAZON, payload)
    detail = caught.value.detail
    assert detail.code == "payload.payment_not_authorized"
    assert "902-3159896-1390916 is Pending" in detail.message and "OrderTotal" in detail.message
    assert detail.fix and "Unshipped" in detail.fix


def test_pending_order_is_refused_even_with_priced_items(channels_dir: Path) -> None:
    order = _payload(channels_dir, "v0-getOrders-pending-no-total.json")["payload"]["Orders"][0]
    item = {"OrderItemId": "1", "ASIN": "B00000TEST", "QuantityOrdered": 1, "ItemPrice": {"Amount": "10.00"}}
    with pytest.raises(NormalizationError) as caught:
        normalize(Channel.AMAZON, {"order": order, "items": [item]})
    assert caught.value.detail.code == "payload.payment_not_authorized"
