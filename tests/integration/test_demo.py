"""`make demo`: every sample order, of every channel, is posted, and a Linnworks purchase order with its deliveries;
the summary lines say so. With ``--keep`` the console shows them afterwards, until ``ledgerflow dev down``."""

from __future__ import annotations

import io
import re
import uuid

import httpx
import psutil
import pytest
from rich.console import Console

from ledgerflow.cli.demo import run_demo
from ledgerflow.cli.main import dev_down
from ledgerflow.cli.samples import sample_orders
from tests.integration.conftest import BASE, CACHE


def test_the_demo_posts_every_sample_order_keeps_them_in_the_console_and_dev_down_stops_it_all() -> None:
    home = BASE / f"demo-test-{uuid.uuid4().hex[:6]}"
    out = io.StringIO()
    result = run_demo(home, CACHE, Console(file=out, width=400), keep=True)
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

    # Kept running: the console's one-time sign-in link shows the demo's orders, and is spent by that visit.
    found = re.search(r"sign in once with (http://\S+)", text)
    assert found, text
    link = found.group(1)
    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        assert browser.get(link).status_code == 200
        listed = browser.get(link.split("/sign-in")[0] + "/tenants/acme-outdoor/orders",
                             headers={"Accept": "application/json"}).json()  # fmt: skip
    assert {o["number"]: o["status"] for o in listed["orders"]} == {
        "1001": "posted", "1002": "posted", "1003": "posted", "5102": "posted",
    }  # fmt: skip
    assert httpx.get(link).status_code == 401

    # `ledgerflow dev down --home`, run here: this process started the services, so it is the one to reap them.
    dev_down(home)
    assert not [p for p in psutil.process_iter(["cmdline"]) if str(home) in " ".join(p.info["cmdline"] or [])]
    with pytest.raises(httpx.ConnectError):
        httpx.get(link)  # the console stopped with the rest
