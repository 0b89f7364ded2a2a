"""Watched as a person would: ``dev up --observe`` brings up Jaeger and Prometheus beside a stack of its own, the
services export to them with no setting by hand, and a real headless Chromium finds an order's trace in the trace
pages and the documents it posted on the dashboard.

With ``LEDGERFLOW_SCREENSHOT_DIR`` set, the pages are also saved there as PNG (the screenshots in
docs/operations.md come from this test).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.contracts import LedgerStatus
from ledgerflow.devstack import system_packages
from ledgerflow.devstack.stack import ObserveState, Stack
from ledgerflow.runtime.telemetry import trace_id_of
from tests.integration.conftest import BASE, CACHE
from tests.integration.pipeline import publish_and_wait, raw_order

SERVICES = {"ledgerflow-ingest", "ledgerflow-planner", "ledgerflow-numbering", "ledgerflow-ledger-writer"}
# What the machine allows a headless Chromium: no sandbox as root, no calls home (a closed network refuses them).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def observed() -> Iterator[LocalServices]:
    stack = Stack(BASE / "observe-stack", CACHE)
    state = stack.up(fresh=True, observe=True)
    local = LocalServices(home=BASE / "observe-stack", stack=state)
    local.start()
    local.wait_ready()
    yield local
    local.stop()
    stack.down()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = system_packages.chromium()
    async with async_playwright() as playwright:  # a new, empty profile per launch
        launched = await playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


def _observe(services: LocalServices) -> ObserveState:
    assert services.stack.observe is not None
    return services.stack.observe


async def _posted_order(services: LocalServices, tenant: str, shopify_paid: dict[str, Any]) -> tuple[str, str]:
    """Publish a paid order with a number of its own; its number and trace id once its documents are posted."""
    number = str(random.randint(100000, 999999))
    payload = json.loads(json.dumps(shopify_paid))
    payload["order"].update(order_number=int(number), name=f"#{number}", id=int(number) * 1000)
    envelope = raw_order(tenant, payload)
    (published,), outcomes = await publish_and_wait(services.stack.bootstrap_servers, envelope)
    assert outcomes.events[envelope.meta.correlation_id].status is LedgerStatus.POSTED
    trace_id = trace_id_of(published.traceparent)
    assert trace_id is not None
    assert outcomes.events[envelope.meta.correlation_id].trace_id == trace_id  # the event leads to its trace
    return number, trace_id


async def _wait_for(check: Any, what: str, timeout: float = 60.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await check()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} not seen within {timeout:.0f}s")
        await asyncio.sleep(1)


async def _screenshot(page: Page, name: str) -> None:
    if folder := os.environ.get("LEDGERFLOW_SCREENSHOT_DIR"):
        Path(folder).mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (once, before the screenshot)
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


async def test_the_trace_pages_find_an_order_by_its_number_and_show_every_service_and_the_quickbooks_call(
    observed: LocalServices, browser: Browser, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    number, trace_id = await _posted_order(observed, tenant, shopify_paid)
    ui = _observe(observed).trace_ui_url

    async def whole_trace() -> bool:
        async with httpx.AsyncClient() as client:
            body = (await client.get(f"{ui}/api/traces/{trace_id}")).json()
        spans = (body.get("data") or [{}])[0]
        services = {p["serviceName"] for p in (spans.get("processes") or {}).values()}
        return services >= SERVICES

    await _wait_for(whole_trace, "the order's spans from all four services in Jaeger")

    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    await page.goto(f"{ui}/search")
    await page.select_option("select[name=service]", "ledgerflow-ingest")
    await page.fill("input[name=tags]", f"ledgerflow.order_number={number}")
    await page.click("button[type=submit]")
    found = page.locator("table.traces tbody tr")
    await expect(found).to_have_count(1)
    await expect(found.locator("a")).to_have_text(trace_id)
    await _screenshot(page, "trace-search")

    await found.locator("a").click()
    await expect(page.locator("code.trace-id")).to_have_text(trace_id)
    for service in SERVICES:
        await expect(page.locator(f'li.span[data-service="{service}"]').first).to_be_visible()
    call = page.locator('li.span[data-service="ledgerflow-ledger-writer"] .operation', has_text="POST invoice")
    await expect(call.first).to_be_visible()
    # A span opens on a click and shows what it knows: here, the order it is about.
    ingest = page.locator('li.span[data-service="ledgerflow-ingest"]', has_text="transaction").first
    await ingest.locator("button.label").click()
    await expect(ingest.locator("dl.tags")).to_contain_text(number)
    await _screenshot(page, "trace")
    await page.close()


async def test_the_dashboard_shows_the_documents_the_order_posted(
    observed: LocalServices, browser: Browser, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    await _posted_order(observed, tenant, shopify_paid)
    prometheus = _observe(observed).prometheus_url

    async def recorded() -> bool:
        # Asked as of a few seconds ago: the page's graph asks for points a step apart that end when it loads,
        # so a series younger than a step can be missed by all of them.
        as_of = time.time() - 10
        async with httpx.AsyncClient() as client:
            for rule in ("ledgerflow:documents_posted:total", "ledgerflow:documents_posted:per_minute"):
                query = {"query": f'{rule}{{tenant="{tenant}"}}', "time": f"{as_of:.3f}"}
                body = (await client.get(f"{prometheus}/api/v1/query", params=query)).json()
                if not body["data"]["result"]:
                    return False
        return True

    await _wait_for(recorded, "the tenant's posted documents in Prometheus' recording rules", timeout=90)

    page = await browser.new_page(viewport={"width": 1300, "height": 900})
    await page.goto(f"{prometheus}/consoles/ledgerflow.html")
    row = page.locator("table#posted tbody tr", has_text=tenant)
    await expect(row).to_have_count(1)
    # A paid Shopify order on the default connection: an invoice and its payment.
    await expect(row.locator("td").nth(2)).to_have_text("2")
    await expect(page.locator("#postedGraph svg").first).to_be_visible(timeout=15000)  # drawn once its data comes
    await _screenshot(page, "dashboard")
    await page.close()
