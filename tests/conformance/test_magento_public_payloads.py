"""Adobe's own published Magento order and invoice normalize, balance and plan as documented.

Both payloads are verbatim from AdobeDocs/commerce-webapi (see PROVENANCE.json). The order is internally
consistent once its bundle is read right: summing every item row gives 228, but the four bundle children (27 + 5 +
17 + 19) repeat their parent's 68, and the configurable's child is priced 0; the top-level rows give the 160
subtotal. So it normalizes and balances (channel-formats.md section 9 item 19: decided from the numbers, not
assumed), and the invoice on its own is deliberately refused as not an order.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledgerflow.contracts import Channel, DocumentType, FulfillmentState, PaymentState, TransactionMode
from ledgerflow.ingest.normalizers import NormalizationError, normalize
from ledgerflow.planner.modes import plan_order
from ledgerflow.planner.settings import ItemNames

ORDER = "order-000000003-new-pending-banktransfer-bundle.json"
INVOICE = "invoice-for-order-000000003.json"


def _payload(channels_dir: Path, name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((channels_dir / "magento" / name).read_text())
    return body


def test_every_public_magento_payload_is_covered_here(channels_dir: Path) -> None:
    assert sorted(p.name for p in (channels_dir / "magento").glob("*.json")) == sorted([INVOICE, ORDER])


def test_docs_order_new_pending_bank_transfer_with_bundle_and_configurable(channels_dir: Path) -> None:
    payload = _payload(channels_dir, ORDER)
    order = normalize(Channel.MAGENTO, payload)
    assert (order.channel_order_id, order.order_number, order.currency) == ("3", "000000003", "USD")
    assert order.ordered_at == datetime(2017, 8, 21, 22, 22, 19, tzinfo=UTC)
    assert order.channel_status == "pending"
    # Top-level items only: the bundle's four priced children and the configurable's price-0 child are not posted.
    assert len(payload["items"]) == 9
    assert [(line.sku, line.quantity, line.unit_price) for line in order.lines] == [
        ("WS12-M-Orange", Decimal(1), Decimal("22.00")),
        ("240-LV08", Decimal(1), Decimal("18.00")),
        ("24-WG080-24-WG084-24-WG088-24-WG082-blue-24-WG086", Decimal(1), Decimal("68.00")),
        ("MH01-S-Gray", Decimal(1), Decimal("52.00")),
    ]
    assert sum(line.gross for line in order.lines) == Decimal("160.00")  # subtotal, not the 228 of all rows
    assert [(s.title, s.code, s.amount) for s in order.shipping_lines] == [
        ("Best Way - Table Rate", "tablerate_bestway", Decimal("5.00"))
    ]
    assert order.tax_lines == () and order.order_discount == 0
    assert order.channel_total == order.computed_total() == Decimal("165.00")
    # Bank transfer, total_due 165 and no total_paid: an open receivable, not a paid sale.
    assert order.payment_state is PaymentState.ON_TERMS
    assert order.payments == ()
    assert order.payment_methods == ("banktransfer",)
    assert order.fulfillment_state is FulfillmentState.UNFULFILLED
    assert order.customer is not None
    assert (order.customer.channel_customer_id, order.customer.email) == ("3", "jdoe@example.com")
    assert order.shipping_address is not None and order.shipping_address.line1 == "123 Oak Ave"
    documents = plan_order(order, TransactionMode.INVOICES_WITH_PAYMENTS, key_prefix="t", items=ItemNames())
    assert [(d.type, d.total) for d in documents] == [(DocumentType.INVOICE, Decimal("165.00"))]


def test_docs_order_with_its_invoice_is_paid(channels_dir: Path) -> None:
    composite = {"order": _payload(channels_dir, ORDER), "invoices": [_payload(channels_dir, INVOICE)]}
    order = normalize(Channel.MAGENTO, composite)
    assert order.payment_state is PaymentState.PAID  # invoice state 2 (paid) for the whole 165
    (payment,) = order.payments
    assert (payment.method, payment.amount, payment.transaction_id) == ("banktransfer", Decimal("165.00"), None)
    assert payment.paid_at == datetime(2017, 8, 21, 22, 36, 2, tzinfo=UTC)
    assert order.channel_total == order.computed_total() == Decimal("165.00")
    invoice, receipt = plan_order(order, TransactionMode.INVOICES_WITH_PAYMENTS, key_prefix="t", items=ItemNames())
    assert (invoice.type, invoice.total) == (DocumentType.INVOICE, Decimal("165.00"))
    assert (receipt.type, receipt.total) == (DocumentType.PAYMENT, Decimal("165.00"))


def test_docs_invoice_on_its_own_is_not_an_order(channels_dir: Path) -> None:
    with pytest.raises(NormalizationError) as caught:
        normalize(Channel.MAGENTO, _payload(channels_dir, INVOICE))
    assert caught.value.detail.code == "payload.not_an_order"
    assert "invoice or credit memo of order 3" in caught.value.detail.message
    assert caught.value.detail.fix
