"""Connection settings: validated as a whole file, every problem listed; routing by payment state (R1, R2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerflow.contracts import PaymentState, TransactionMode
from ledgerflow.planner.connections import ConfigError, ConnectionSettings, load_file

GOOD = """
connections:
  - tenant: acme-outdoor
    connection: acme-shopify
    channel: shopify
    mode: sales_orders_invoices
    routing: {paid: sales_receipts, unpaid: invoices}
    numbering: {prefix: "SH-"}
  - tenant: acme-outdoor
    connection: acme-woo
    channel: woocommerce
    sync_payment_states: [paid, partially_paid]
"""


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "connections.yaml"
    path.write_text(text)
    return path


def test_a_file_of_connections(tmp_path: Path) -> None:
    shopify, woo = load_file(_file(tmp_path, GOOD))
    assert (shopify.mode, shopify.numbering.prefix) == (TransactionMode.SALES_ORDERS_INVOICES, "SH-")
    assert woo.mode is TransactionMode.INVOICES_WITH_PAYMENTS


def test_r2_paid_orders_and_unpaid_ones_go_to_different_documents(tmp_path: Path) -> None:
    shopify, _ = load_file(_file(tmp_path, GOOD))
    assert shopify.mode_for(PaymentState.PAID) is TransactionMode.SALES_RECEIPTS
    assert shopify.mode_for(PaymentState.ON_TERMS) is TransactionMode.INVOICES
    assert shopify.mode_for(PaymentState.REFUNDED) is TransactionMode.SALES_ORDERS_INVOICES


def test_r1_only_the_listed_payment_states_sync(tmp_path: Path) -> None:
    _, woo = load_file(_file(tmp_path, GOOD))
    assert woo.syncs(PaymentState.PAID)
    assert not woo.syncs(PaymentState.UNPAID)


def test_every_problem_is_listed_and_nothing_is_accepted(tmp_path: Path) -> None:
    bad = """
- tenant: acme
  connection: shop
  channel: myspace
  mode: sometimes
- tenant: acme
  connection: other
  channel: shopify
  qbo_token: "secret"
- tenant: acme
  connection: third
  channel: shopify
  routing: {unpaid: sales_receipts}
"""
    with pytest.raises(ConfigError) as caught:
        load_file(_file(tmp_path, bad))
    problems = str(caught.value).splitlines()
    assert any("connections[0].channel" in p for p in problems)
    assert any("connections[0].mode" in p for p in problems)
    assert any("connections[1].qbo_token" in p for p in problems)  # secrets never belong in this file
    assert any("routing.unpaid" in p for p in problems)


def test_generated_purchase_orders_are_refused_for_a_channel_that_makes_its_own() -> None:
    with pytest.raises(ValueError, match="creates its own purchase orders"):
        ConnectionSettings.model_validate(
            {"tenant": "acme", "connection": "c", "channel": "shopify", "mode": "sales_orders_invoices_pos",
             "creates_purchase_orders": True}
        )  # fmt: skip


def test_a_later_invoice_needs_a_sales_orders_and_invoices_mode() -> None:
    with pytest.raises(ValueError, match="invoice_when"):
        ConnectionSettings.model_validate(
            {"tenant": "acme", "connection": "c", "channel": "shopify", "mode": "invoices", "invoice_when": "fulfilled"}
        )
