"""Order versions: an unchanged re-send is dropped and counted; a changed order is the next version."""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from pathlib import Path
from typing import Any

import asyncpg

from ledgerflow.cli import samples
from ledgerflow.cli.local_services import LocalServices
from ledgerflow.contracts import Channel, LedgerStatus, OrderNormalized, Topic
from ledgerflow.devstack.stack import StackState
from ledgerflow.ingest.normalizers import normalize
from ledgerflow.ingest.versions import DDL, VersionDecision, next_version
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient, equals
from ledgerflow.runtime.database import migrate
from tests.integration.pipeline import publish_and_wait, raw_order, read_topic

SHOPIFY_SAMPLE = Path(samples.__file__).parent / "shopify" / "acme-1001-paid-tax-shipping-discount.json"


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


async def test_two_transactions_on_one_order_take_consecutive_versions_without_a_lock(stack_state: StackState) -> None:
    """A rebalance can put one order in two replicas' transactions at once: the second waits for the first, finds
    its version taken, and records the next one (or drops the same content), never failing on the taken version."""
    schema = f"versions_{uuid.uuid4().hex[:8]}"
    pool = await asyncpg.create_pool(stack_state.database_url, min_size=2, max_size=2,
                                     server_settings={"search_path": schema})  # fmt: skip
    assert pool is not None
    order = normalize(Channel.SHOPIFY, json.loads(SHOPIFY_SAMPLE.read_text()))
    try:
        await migrate(pool, schema, DDL)
        async with pool.acquire() as first, pool.acquire() as second:
            first_tx, second_tx = first.transaction(), second.transaction()
            await first_tx.start()
            await second_tx.start()
            taken = await next_version(first, "acme", "shop", order, "content-a")
            waiting = asyncio.ensure_future(next_version(second, "acme", "shop", order, "content-b"))
            await asyncio.sleep(0.3)
            assert not waiting.done(), "the second transaction waits for the first's version"
            await first_tx.commit()
            after = await asyncio.wait_for(waiting, timeout=10)
            same = await next_version(second, "acme", "shop", order, "content-b")
            await second_tx.commit()
        stored = await pool.fetch("SELECT version, content_hash FROM order_versions ORDER BY version")
    finally:
        await pool.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await pool.close()

    assert (taken, after, same) == (
        VersionDecision(1, changed=True),
        VersionDecision(2, changed=True),
        VersionDecision(2, changed=False),
    )
    assert [(r["version"], r["content_hash"]) for r in stored] == [(1, "content-a"), (2, "content-b")]
