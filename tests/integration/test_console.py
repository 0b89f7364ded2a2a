"""The operator console in a real headless Chromium, against the real pipeline: sign in with a token made by
``ledgerflow console token``, find an order of the demo and its documents, replay a dead letter once its cause is
fixed and watch the order post, resync an order, try a changed settings file, and a tenant's token refused another
tenant's order as if it did not exist.

With ``LEDGERFLOW_SCREENSHOT_DIR`` set, the pages are saved there as PNG (docs/images/console-*.png come from
this test).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from ledgerflow.cli.configuration import apply_file
from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.publishing import OrderToPublish, publish_orders
from ledgerflow.cli.samples import sample_connections_path, sample_orders
from ledgerflow.cli.watching import wait_for_outcomes
from ledgerflow.contracts import Channel, LedgerStatus, ResyncRequest, Topic
from ledgerflow.devstack import system_packages
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient, equals
from tests.integration.pipeline import read_topic
from tests.integration.test_observe import CHROMIUM_ARGS

TENANT = "acme-outdoor"  # the demo's tenants, with the demo's connection settings
OTHER = "globex-tokyo"
TRACE_UI = "http://traces.example.test"  # where trace ids link to; never opened
REFUSED = "1001"  # its customer's name is taken by a vendor in the books: refused until the vendor is renamed


def _ledgerflow(services: LocalServices, *args: str) -> str:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ledgerflow"), *args, "--database-url", services.stack.database_url],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return done.stdout


def _token(services: LocalServices, *args: str) -> str:
    """A token as an operator makes one: the command's last line."""
    return _ledgerflow(services, "console", "token", *args, "--days", "1").strip().splitlines()[-1]


@pytest.fixture(scope="module")
async def demo(services: LocalServices) -> dict[str, Any]:
    """The demo's orders of two tenants, posted; one refused by the books and dead-lettered."""
    await apply_file(sample_connections_path(), services.stack.database_url)
    books = QuickBooksClient(services.sim_url, "dev-token")
    try:
        vendor = await books.create(TENANT, "Vendor", {"DisplayName": "Jane Cooper"}, f"{TENANT}-vendor")
    finally:
        await books.aclose()
    samples = [s for s in sample_orders() if s.tenant in (TENANT, OTHER)]
    orders = [OrderToPublish(s.tenant, s.connection, Channel(s.channel), s.payload()) for s in samples]
    published = await publish_orders(services.stack.bootstrap_servers, orders)
    wanted = {p.envelope.meta.correlation_id for p in published}
    outcomes = await wait_for_outcomes(services.stack.bootstrap_servers, wanted, timeout=90)
    assert set(outcomes.events) == wanted
    statuses = {e.order_number: e.status for e in outcomes.events.values() if e.meta.tenant_id == TENANT}
    assert statuses[REFUSED] is LedgerStatus.FAILED
    assert statuses["1003"] is LedgerStatus.POSTED
    return {"vendor": vendor}


@pytest.fixture(scope="module")
def console(services: LocalServices) -> Iterator[str]:
    services.start_console({"LEDGERFLOW_CONSOLE_TRACE_UI_URL": TRACE_UI})
    yield services.console_url
    services.stop_console()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    executable = system_packages.chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


async def _signed_in(browser: Browser, console: str, token: str, **options: Any) -> Page:
    context = await browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **options})
    page = await context.new_page()
    await page.goto(f"{console}/")
    await expect(page).to_have_url(f"{console}/sign-in?next=/")
    await page.fill("input[name=token]", token)
    await page.click("button[type=submit]")
    return page


async def _screenshot(page: Page, name: str) -> None:
    if folder := os.environ.get("LEDGERFLOW_SCREENSHOT_DIR"):
        Path(folder).mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (once, before the screenshot)
        await page.screenshot(path=str(Path(folder) / f"console-{name}.png"), full_page=True)


async def _until_status(page: Page, url: str, wanted: str, timeout: float = 60.0) -> None:
    """Reload the order's page until its status says ``wanted``, as a person waiting for it would."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        await page.goto(url)
        badge = page.locator("section.order .status").first
        if (await badge.text_content() or "").strip() == wanted:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{url} never said {wanted!r}: {await badge.text_content()}")
        await asyncio.sleep(1)


async def test_an_operator_finds_an_order_of_the_demo_replays_a_dead_letter_and_resyncs(
    services: LocalServices, demo: dict[str, Any], console: str, browser: Browser
) -> None:
    page = await _signed_in(browser, console, _token(services, "--admin", "--label", "support desk"))
    await expect(page.locator("h1")).to_have_text("Tenants")
    await page.click(f"text={TENANT}")

    # The orders, newest first, and one of them found by its number.
    await expect(page.locator("table.orders tbody tr")).to_have_count(4)
    await expect(page.locator(f'tr[data-order="{REFUSED}"] .status')).to_have_text("failed")
    await _screenshot(page, "orders")
    await page.fill("input[name=number]", "1003")
    await page.click("form.filters button")
    await expect(page.locator("table.orders tbody tr")).to_have_count(1)
    await page.click("table.orders a:text('1003')")
    await expect(page.locator("h1")).to_contain_text("Order 1003")
    documents = page.locator("table.documents tbody tr")
    await expect(documents).to_have_count(2)
    await expect(documents.nth(0)).to_contain_text("invoice")
    await expect(documents.nth(0)).to_contain_text("1003")
    await expect(documents.nth(1)).to_contain_text("payment")
    await expect(documents.nth(0).locator("td").nth(4)).to_have_text("89.00")  # 189.00 less the 100.00 paid
    await expect(page.locator("section.order .status").first).to_have_text("posted")
    trace = page.locator("a.trace")  # the order's trace, a link to the trace UI
    await expect(trace).to_have_text(re.compile(r"^[0-9a-f]{32}$"))
    assert await trace.get_attribute("href") == f"{TRACE_UI}/trace/{await trace.text_content()}"
    await _screenshot(page, "order")

    # The failure in a bookkeeper's words; the books are fixed, then the dead letter is replayed.
    await page.click("nav >> text=Failures")
    cause = page.locator('section.cause[data-code="qbo.6240"]')
    await expect(cause).to_contain_text("Duplicate Name")
    await _screenshot(page, "failures")
    books = QuickBooksClient(services.sim_url, "dev-token")
    try:
        vendor = demo["vendor"]
        await books.create(TENANT, "Vendor", {"Id": vendor["Id"], "SyncToken": vendor["SyncToken"], "sparse": True,
                                              "DisplayName": "Jane Cooper (vendor)"}, f"{TENANT}-rename")  # fmt: skip
        await cause.locator("a.replay").first.click()
        await expect(page.locator("h1")).to_have_text("Replay a dead letter")
        await page.click("button:text('Replay')")
        await expect(page.locator("p.sent")).to_contain_text(f"order {REFUSED}")
        await page.click("a.follow")
        await _until_status(page, page.url, "posted")
        (invoice,) = await books.query(TENANT, "Invoice", equals("DocNumber", REFUSED))
        assert invoice["Balance"] == 0  # paid: its payment was posted too, once
    finally:
        await books.aclose()
    await page.click("nav >> text=Failures")
    await expect(page.locator("span.replayed")).to_contain_text("replayed by support desk")
    await page.go_back()

    # A resync shows what it will do, then asks for the request on orders.resync.
    await page.click("a:text-is('Resync…')")
    await expect(page.locator("p.plan")).to_have_text("1 order would be planned again.")
    await _screenshot(page, "resync")
    await page.click("form.gap-top button")
    sent = (await page.locator("p.sent").text_content()) or ""
    requests = [ResyncRequest.model_validate_json(v)
                for v in await read_topic(services.stack.bootstrap_servers, Topic.RESYNC.value)]  # fmt: skip
    mine = [r for r in requests if str(r.meta.message_id) in sent]
    assert len(mine) == 1 and mine[0].order_number == REFUSED and mine[0].meta.tenant_id == TENANT
    assert mine[0].requested_by is not None and "support desk" in mine[0].requested_by

    # Each action is in the audit log, with who.
    await page.click("nav >> text=Audit log")
    await expect(page.locator("table.audit tr[data-action=replay]")).to_have_count(1)
    await expect(page.locator("table.audit tr[data-action=resync]")).to_have_count(1)
    await expect(page.locator("table.audit tbody tr").first).to_contain_text("support desk")

    # A form without the session's CSRF token, as a forged page would post it with the session's cookie, is refused.
    forged = await page.request.post(f"{console}/tenants/{TENANT}/resync", form={"number": REFUSED})
    assert forged.status == 403
    await page.context.close()


async def test_a_changed_settings_file_is_tried_on_recent_orders_before_it_is_applied(
    services: LocalServices, demo: dict[str, Any], console: str, browser: Browser
) -> None:
    page = await _signed_in(browser, console, _token(services, "--tenant", TENANT))
    await page.click("nav >> text=Connections")
    await expect(page.locator('section.connection[data-connection="acme-shopify"]')).to_contain_text(
        "invoices_with_payments"
    )
    changed = "\n".join([
        "connections:",
        f"  - {{tenant: {TENANT}, connection: acme-shopify, channel: shopify, mode: sales_receipts}}",
    ])  # fmt: skip
    await page.fill("textarea[name=settings]", changed)
    await page.click("button:text('Dry run')")
    summary = page.locator("p.summary")
    await expect(summary).to_contain_text("would now post differently")
    # The paid order of that connection would become a sales receipt.
    await expect(page.locator("table tbody tr").filter(has_text=REFUSED)).to_contain_text("SalesReceipt")
    await _screenshot(page, "dry-run")

    # Applied through the planner's validation, as `ledgerflow config apply` does, and written to the audit log.
    await page.click("button:text('Apply')")
    await expect(page.locator('section.connection[data-connection="acme-shopify"]')).to_contain_text("sales_receipts")
    await page.click("nav >> text=Audit log")
    await expect(page.locator("table.audit tr[data-action=settings-applied]")).to_contain_text("acme-shopify")
    await page.context.close()


async def test_a_tenant_token_cannot_reach_another_tenants_order(
    services: LocalServices, demo: dict[str, Any], console: str, browser: Browser
) -> None:
    token = _token(services, "--tenant", OTHER, "--label", "globex bookkeeper")
    page = await _signed_in(browser, console, token)
    await expect(page).to_have_url(f"{console}/tenants/{OTHER}/orders")
    await expect(page.locator("table.orders tbody tr")).to_have_count(3)
    response = await page.goto(f"{console}/tenants/{TENANT}/orders/1003")
    assert response is not None and response.status == 404
    await expect(page.locator("h1")).to_have_text("Not found")
    missing = await page.goto(f"{console}/tenants/{OTHER}/orders/999999")
    assert missing is not None and missing.status == 404  # refused exactly like a missing order

    # Scripts: the same addresses answer JSON with a bearer token, and the same refusal.
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    async with httpx.AsyncClient(base_url=console, headers=headers) as client:
        own = (await client.get(f"/tenants/{OTHER}/orders")).json()
        assert "5001" in {o["number"] for o in own["orders"]}
        assert (await client.get(f"/tenants/{TENANT}/orders/1003")).status_code == 404
        assert (await client.get(f"/tenants/{TENANT}/failures")).status_code == 404
        assert (await client.get("/health")).status_code == 200
        forged = await client.get("/tenants/x/orders", headers={"Authorization": "Bearer lfc_not-a-token"})
        assert forged.status_code == 401
    # A lasting token never signs in from an address (histories and logs keep those): only a one-time link does.
    async with httpx.AsyncClient(base_url=console) as anonymous:
        assert (await anonymous.get("/sign-in", params={"token": token})).status_code == 401

    # Revoked, the token signs nobody in, and the session it opened is over.
    tokens = _ledgerflow(services, "console", "tokens").splitlines()
    (listed,) = [line for line in tokens if "globex bookkeeper" in line]
    _ledgerflow(services, "console", "revoke", listed.split()[0])
    await page.goto(f"{console}/tenants/{OTHER}/orders")
    await expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    await page.context.close()
    async with httpx.AsyncClient(base_url=console, headers=headers) as client:
        assert (await client.get(f"/tenants/{OTHER}/orders")).status_code == 401


async def test_health_on_a_phone(services: LocalServices, demo: dict[str, Any], console: str, browser: Browser) -> None:
    page = await _signed_in(
        browser, console, _token(services, "--admin"), viewport={"width": 390, "height": 844}, is_mobile=True
    )
    await page.goto(f"{console}/health")
    await expect(page.locator("svg.plot")).to_be_visible()
    for service in ("ingest-1", "planner-1", "numbering-1", "ledger-writer-1"):
        await expect(page.locator("table.services tbody tr").filter(has_text=service)).to_contain_text("ready")
    await expect(page.locator("table.companies")).to_contain_text(TENANT)
    await _screenshot(page, "health")
    await page.goto(f"{console}/tenants/{TENANT}/orders")
    await _screenshot(page, "phone")
    await page.context.close()
