"""The writer against an unreliable QuickBooks: 5xx answers, timeouts, commit-then-drop. The books end exact."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.publishing import publish_envelopes
from ledgerflow.cli.watching import wait_for_outcomes
from ledgerflow.contracts import LedgerStatus
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient
from tests.integration.pipeline import raw_order

ORDERS = 16


@pytest.fixture
def unreliable_books(services: LocalServices) -> Iterator[None]:
    faults = {"error_rate": 0.15, "drop_rate": 0.2, "timeout_rate": 0.03, "hang_seconds": 4.0, "seed": 11}
    httpx.put(
        f"{services.sim_url}/admin/faults", json=faults, headers=services.admin_headers, timeout=5
    ).raise_for_status()
    yield
    httpx.put(f"{services.sim_url}/admin/faults", json={}, headers=services.admin_headers, timeout=5).raise_for_status()


async def test_every_document_exactly_once_despite_faults(
    services: LocalServices, unreliable_books: None, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    envelopes = []
    for n in range(ORDERS):
        payload = copy.deepcopy(shopify_paid)
        payload["order"].update(id=5400000200000 + n, order_number=20000 + n, name=f"#{20000 + n}")
        envelopes.append(raw_order(tenant, payload))

    await publish_envelopes(services.stack.bootstrap_servers, envelopes)
    outcomes = await wait_for_outcomes(
        services.stack.bootstrap_servers, {e.meta.correlation_id for e in envelopes}, timeout=240
    )

    assert len(outcomes.events) == ORDERS, f"{ORDERS - len(outcomes.events)} orders without an outcome"
    assert all(e.status is LedgerStatus.POSTED for e in outcomes.events.values())
    async with httpx.AsyncClient(headers=services.admin_headers) as client:
        await client.put(f"{services.sim_url}/admin/faults", json={})
        port = services.http_ports[("ledger-writer", 1)]
        metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    # The faults did happen: answers lost on the way back (of single creates, or of batches of them), and refusals
    # to retry.
    lost = [f'ledgerflow_qbo_requests_total{{entity="{e}",status="transport_error",tenant="{tenant}"}}'
            for e in ("invoice", "batch")]  # fmt: skip
    assert any(line in metrics for line in lost)
    assert f'status="503",tenant="{tenant}"' in metrics
    invoices = await books.query(tenant, "Invoice", "TotalAmt > '0' MAXRESULTS 1000")
    assert Counter(i["DocNumber"] for i in invoices) == Counter(str(20000 + n) for n in range(ORDERS))
    assert all(i["Balance"] == 0 for i in invoices), "a payment is missing or applied twice"
    payments = await books.query(tenant, "Payment", "TotalAmt > '0' MAXRESULTS 1000")
    assert len(payments) == ORDERS
    assert {p["TotalAmt"] for p in payments} == {Decimal("340.11")}
    customers = await books.query(tenant, "Customer", "Active = true")
    assert [c["DisplayName"] for c in customers] == ["Jane Cooper"]
