"""Stripe's published objects (dj-stripe's charge fixture, stripe-mock's refund) normalize or are refused as decided."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledgerflow.contracts import CanonicalOrder, Channel, DocumentType, PaymentState, TransactionMode
from ledgerflow.ingest.normalizers import NormalizationError, normalize
from ledgerflow.planner.modes import plan_order
from ledgerflow.planner.settings import ItemNames


def _payload(channels_dir: Path, name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((channels_dir / "stripe" / name).read_text())
    return body


def _order(channels_dir: Path, name: str) -> CanonicalOrder:
    return normalize(Channel.STRIPE, _payload(channels_dir, name))


def test_every_public_stripe_payload_has_a_decided_outcome(channels_dir: Path) -> None:
    assert sorted(p.name for p in (channels_dir / "stripe").glob("*.json")) == [
        "charge-succeeded-card.json",
        "refund-succeeded.json",
    ]


def test_succeeded_card_charge(channels_dir: Path) -> None:
    order = _order(channels_dir, "charge-succeeded-card.json")
    assert order.channel_order_id == order.order_number == "ch_fakefakefakefakefake0001"  # no merchant reference
    assert order.currency == "USD"
    assert [(line.title, line.quantity, line.unit_price, line.sku) for line in order.lines] == [
        ("Subscription creation", Decimal(1), Decimal("20.00"), None)
    ]
    assert order.computed_total() == order.channel_total == Decimal("20.00")
    # Pitfall 19: the sample says captured: true, paid: true, status: succeeded but amount_captured: 0 (it predates
    # that field). Deliberate outcome: it balances and is paid in full, 20.00, because a captured charge cannot have
    # captured nothing; the zero is read as "not reported".
    assert order.payment_state is PaymentState.PAID
    assert [(p.transaction_id, p.method, p.amount) for p in order.payments] == [
        ("ch_fakefakefakefakefake0001", "card", Decimal("20.00"))
    ]
    assert order.refunds == ()
    # billing_details.name holds an e-mail address (redacted in the copy): it becomes the e-mail, not a name.
    assert order.customer is not None
    assert (order.customer.channel_customer_id, order.customer.email) == ("cus_6lsBvm5rJ0zyHc", "redacted@example.com")
    assert order.customer.first_name is None
    assert order.billing_address is None  # every address field is null
    assert order.note == "Stripe invoice in_fakefakefakefakefake0001"  # it pays an invoice: flagged against doubles
    assert order.ordered_at.isoformat() == "2019-05-16T08:26:17+00:00"
    invoice, payment = plan_order(order, TransactionMode.INVOICES_WITH_PAYMENTS, key_prefix="t", items=ItemNames())
    assert (invoice.type, invoice.total) == (DocumentType.INVOICE, Decimal("20.00"))
    assert (payment.type, payment.total, payment.payment_reference) == (
        DocumentType.PAYMENT,
        Decimal("20.00"),
        "ch_fakefakefakefakefake0001",
    )


def test_refund_alone_is_refused_naming_the_charge_to_publish(channels_dir: Path) -> None:
    # Deliberate outcome: a Refund is not an order (see stripe._refund_alone); the error names the refunded charge.
    with pytest.raises(NormalizationError) as caught:
        _order(channels_dir, "refund-succeeded.json")
    detail = caught.value.detail
    assert detail.code == "payload.refund_without_order"
    assert "re_1Pgc72B7WZ01zgkWqPvrRrPE" in detail.message
    assert "ch_1PgafuB7WZ01zgkWXYmPNZs8" in detail.message
    assert detail.fix is not None and "GET /v1/charges/ch_1PgafuB7WZ01zgkWXYmPNZs8?expand[]=refunds" in detail.fix


def test_the_refunded_charge_carrying_that_refund_books_it(channels_dir: Path) -> None:
    # What the error asks for: the charge published with its refund listed books the refund against the sale.
    refund = _payload(channels_dir, "refund-succeeded.json")
    charge = _payload(channels_dir, "charge-succeeded-card.json")
    charge.update(amount_refunded=refund["amount"], refunds={"object": "list", "data": [refund], "has_more": False})
    order = normalize(Channel.STRIPE, charge)
    assert order.payment_state is PaymentState.PARTIALLY_REFUNDED
    assert [(r.refund_id, r.amount) for r in order.refunds] == [("re_1Pgc72B7WZ01zgkWqPvrRrPE", Decimal("1.00"))]
