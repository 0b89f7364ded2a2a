"""`make demo`: every sample order, of every channel, is posted, and a Linnworks purchase order with its deliveries;
the summary lines say so."""

from __future__ import annotations

import io
import uuid

import psutil
from rich.console import Console

from ledgerflow.cli.demo import run_demo
from ledgerflow.cli.samples import sample_orders
from tests.integration.conftest import BASE, CACHE


def test_the_demo_posts_every_sample_order_and_stops_what_it_started() -> None:
    home = BASE / f"demo-test-{uuid.uuid4().hex[:6]}"
    out = io.StringIO()
    result = run_demo(home, CACHE, Console(file=out, width=160))
    text = out.getvalue()
    samples = sample_orders()
    assert {s.channel for s in samples} >= {
        "shopify", "woocommerce", "bigcommerce", "amazon", "square", "magento", "stripe", "custom",
    }  # fmt: skip
    assert result.orders == len(samples)
    assert result.failed == 0, text
    assert f"{len(samples)} orders, {result.posted_documents} documents posted, 0 failed" in text
    assert result.posted_documents >= len(samples)
    # The Desktop company: its sales order with its payment, then the invoice that closes the order.
    assert (result.desktop_documents, result.desktop_failed) == (3, 0), text
    assert "What was posted to QuickBooks Desktop" in text and "SalesOrder" in text
    # The Linnworks tenant: its purchase order and two bills, then the third delivery's bill and the close.
    assert (result.purchase_order_documents, result.purchase_order_failed) == (5, 0), text
    assert "Linnworks purchase orders: 5 documents posted, 0 failed" in text
    assert "What reached QuickBooks Online for northwind's Linnworks purchase order" in text
    assert not [p for p in psutil.process_iter(["cmdline"]) if str(home) in " ".join(p.info["cmdline"] or [])]
