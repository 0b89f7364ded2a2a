"""Order versions: an unchanged re-send is dropped and counted; a changed order is the next version."""

from __future__ import annotations

import copy
from typing import Any

import asyncpg

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.contracts import LedgerStatus, OrderNormalized, Topic
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient, equals
from tests.integration.pipeline import publish_and_wait, raw_order, read_topic


async def test_a_changed_order_is_the_next_version_and_an_unchanged_one_is_dropped(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    unpaid = copy.deepcopy(shopify_paid)
    unpaid["order"]["financial_status"] = "pending"
    first = raw_order(tenant, unpaid)
    again = raw_order(tenant, unpaid)
    paid = raw_order(tenant, shopify_paid)  # the same order, now paid

    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, first, again, paid, expect=[first, paid])

    versions = [
        (m.order_version, m.order.payment_state.value)
        for m in (OrderNormalized.model_validate_json(v) for v in await read_topic(services.stack.bootstrap_servers,
                                                                                  Topic.NORMALIZED_ORDERS))
        if m.meta.tenant_id == tenant
    ]  # fmt: skip
    assert versions == [(1, "unpaid"), (2, "paid")]
    connection = await asyncpg.connect(services.stack.database_url)
    try:
        dropped = await connection.fetchval(
            "SELECT dropped FROM ingest.unchanged_versions WHERE tenant_id = $1", tenant
        )
    finally:
        await connection.close()
    assert dropped == 1

    assert outcomes.events[paid.meta.correlation_id].status is LedgerStatus.POSTED
    (invoice,) = await books.query(tenant, "Invoice", equals("DocNumber", "1001"))  # no second invoice
    assert invoice["Balance"] == 0  # the later "paid" version added the payment to it
