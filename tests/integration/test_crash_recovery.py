"""Processes killed mid-stream lose nothing and post nothing twice."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.publishing import publish_envelopes
from ledgerflow.cli.watching import wait_for_outcomes
from ledgerflow.contracts import LedgerStatus
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient
from tests.integration.pipeline import raw_order

ORDERS = 40
CRASHED = ("ledger-writer", "numbering", "ingest")


async def test_killed_services_restart_and_every_order_is_posted_exactly_once(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    envelopes = []
    for n in range(ORDERS):
        payload = copy.deepcopy(shopify_paid)
        payload["order"].update(id=5400000100000 + n, order_number=10000 + n, name=f"#{10000 + n}")
        envelopes.append(raw_order(tenant, payload))
    crashed = False

    def crash_once_some_are_posted(done: int) -> None:
        nonlocal crashed
        if not crashed and done >= 3:
            crashed = True
            for name in CRASHED:
                services.kill_service(name)
            for name in CRASHED:
                services.start_service(name)

    bootstrap = services.stack.bootstrap_servers
    await publish_envelopes(bootstrap, envelopes)
    outcomes = await wait_for_outcomes(
        bootstrap, {e.meta.correlation_id for e in envelopes}, timeout=180, progress=crash_once_some_are_posted
    )

    assert crashed, "the services finished before they could be killed; publish more orders"
    assert len(outcomes.events) == ORDERS, f"{ORDERS - len(outcomes.events)} orders lost"
    assert all(e.status is LedgerStatus.POSTED for e in outcomes.events.values())
    invoices = await books.query(tenant, "Invoice", "TotalAmt > '0' MAXRESULTS 1000")
    numbers = Counter(i["DocNumber"] for i in invoices)
    assert sorted(numbers) == sorted(str(10000 + n) for n in range(ORDERS))
    assert max(numbers.values()) == 1, "an invoice was posted twice"
    payments = await books.query(tenant, "Payment", "TotalAmt > '0' MAXRESULTS 1000")
    assert len(payments) == ORDERS
