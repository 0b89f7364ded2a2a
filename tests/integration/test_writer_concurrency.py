"""Orders of one tenant post concurrently (within the company's in-flight limit); an order's documents in turn."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.publishing import publish_envelopes
from ledgerflow.cli.watching import wait_for_outcomes
from ledgerflow.contracts import DocumentType, LedgerStatus
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient
from tests.integration.pipeline import raw_order

ORDERS = 12


@pytest.fixture
def slow_books(services: LocalServices) -> Iterator[None]:
    # Slow answers keep requests in flight long enough for the overlap to show.
    httpx.put(
        f"{services.sim_url}/admin/faults", json={"latency_ms": 150}, headers=services.admin_headers, timeout=5
    ).raise_for_status()
    yield
    httpx.put(f"{services.sim_url}/admin/faults", json={}, headers=services.admin_headers, timeout=5).raise_for_status()


async def test_orders_of_one_tenant_post_concurrently_each_in_dependency_order(
    services: LocalServices, slow_books: None, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    envelopes = []
    for n in range(ORDERS):
        payload = copy.deepcopy(shopify_paid)
        payload["order"].update(id=5400000600000 + n, order_number=60000 + n, name=f"#{60000 + n}")
        envelopes.append(raw_order(tenant, payload))
    await publish_envelopes(services.stack.bootstrap_servers, envelopes)
    outcomes = await wait_for_outcomes(
        services.stack.bootstrap_servers, {e.meta.correlation_id for e in envelopes}, timeout=120
    )

    assert len(outcomes.events) == ORDERS and all(e.status is LedgerStatus.POSTED for e in outcomes.events.values())
    for event in outcomes.events.values():
        assert [d.type for d in event.documents] == [DocumentType.INVOICE, DocumentType.PAYMENT]
    async with httpx.AsyncClient(base_url=services.sim_url, headers=services.admin_headers) as client:
        traffic = (await client.get(f"/admin/realms/{tenant}/traffic")).json()
    assert 1 < traffic["peak_in_flight"] <= 10, traffic  # concurrent, within QuickBooks' 10 per company
    assert traffic["throttled"] == 0
    invoices = await books.query(tenant, "Invoice", "TotalAmt > '0' MAXRESULTS 1000")
    assert Counter(i["DocNumber"] for i in invoices) == Counter(str(60000 + n) for n in range(ORDERS))
    assert all(i["Balance"] == 0 for i in invoices)
