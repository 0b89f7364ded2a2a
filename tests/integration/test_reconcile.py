"""``ledgerflow reconcile``: the books match what was planned, until someone keys in a copy of an invoice."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import httpx
from typer.testing import CliRunner

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.main import app
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient, equals
from tests.integration.pipeline import publish_and_wait, raw_order


def _reconcile(services: LocalServices, tenant: str) -> tuple[int, dict[str, Any]]:
    args = ["reconcile", "--tenant", tenant, "--books", services.sim_url, "--database-url",
            services.stack.database_url, "--bootstrap", services.stack.bootstrap_servers, "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    return result.exit_code, json.loads(result.stdout)


async def test_reconcile_finds_every_document_once_then_the_copy_keyed_in_by_hand(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    second = copy.deepcopy(shopify_paid)
    second["order"].update(id=5400000900002, order_number=9002, name="#9002")
    await publish_and_wait(services.stack.bootstrap_servers, raw_order(tenant, shopify_paid), raw_order(tenant, second))

    # The command runs its own event loop, so it runs beside this test's.
    code, report = await asyncio.to_thread(_reconcile, services, tenant)
    assert code == 0, report
    assert (report["orders"], report["expected_documents"], report["posted"]) == (2, 4, 4)  # invoice + payment each
    assert (report["duplicates"], report["missing"], report["stuck"], report["dead_letters"]) == (0, 0, 0, 0)

    (invoice,) = await books.query(tenant, "Invoice", equals("DocNumber", "9002"))
    copied = {k: v for k, v in invoice.items() if k not in ("Id", "SyncToken", "MetaData", "Balance", "LinkedTxn")}
    async with httpx.AsyncClient(base_url=services.sim_url, headers=services.admin_headers) as sim:
        (await sim.post(f"/admin/realms/{tenant}/entities/invoice", json=json.loads(json.dumps(copied, default=str))))
    code, report = await asyncio.to_thread(_reconcile, services, tenant)
    assert code == 1
    assert report["duplicates"] == 1
    assert [p["kind"] for p in report["problems"]] == ["duplicate"]


async def test_reconcile_counts_the_dead_letters_of_the_tenant(
    services: LocalServices, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    unbalanced = copy.deepcopy(shopify_paid)
    unbalanced["order"].update(id=5400000900013, order_number=9013, name="#9013", total_price="999.99")
    letter = raw_order(tenant, unbalanced)
    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, letter)
    assert letter.meta.correlation_id in outcomes.dead_letters

    code, report = await asyncio.to_thread(_reconcile, services, tenant)
    assert report["dead_letters"] == 1, report
    assert report["dead_letters_without_reason"] == 0
    assert code == 0, "a dead letter with its reason is accounted for, not a fault of the books"
