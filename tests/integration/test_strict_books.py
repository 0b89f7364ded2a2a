"""The writer against what real QuickBooks Online companies do: accounts on new items, inactive customers, sales
tax computed by QuickBooks, customers of one currency, and the intuit_tid of every posted document."""

from __future__ import annotations

import asyncio
import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.contracts import LedgerStatus
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient, equals
from tests.integration.pipeline import publish_and_wait, raw_order
from tests.integration.test_lifecycle import SHOP, _all, _configure
from tests.integration.test_reconcile import _reconcile


async def _company(services: LocalServices, realm: str, **settings: Any) -> None:
    async with httpx.AsyncClient(base_url=services.sim_url, headers=services.admin_headers) as admin:
        response = await admin.put(f"/admin/realms/{realm}/company", json=settings)
        assert response.status_code == 200, response.text


async def _post(services: LocalServices, tenant: str, payload: dict[str, Any]) -> Any:
    envelope = raw_order(tenant, payload, SHOP)
    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, envelope)
    return outcomes.events[envelope.meta.correlation_id]


async def _deactivate(books: QuickBooksClient, tenant: str, entity: str, record_id: str) -> None:
    current = await books.read(tenant, entity, record_id)
    await books.create(tenant, entity, {"Id": record_id, "SyncToken": current["SyncToken"], "sparse": True,
                                        "Active": False}, f"off-{record_id}")  # fmt: skip


async def test_new_items_get_the_companys_income_account_or_the_one_the_connection_names(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    event = await _post(services, tenant, shopify_paid)
    assert event.status is LedgerStatus.POSTED
    (income,) = await books.query(tenant, "Account", equals("Name", "Sales of Product Income"))
    items = await books.query(tenant, "Item", "Type IN ('Service', 'NonInventory')")
    assert items and {i["IncomeAccountRef"]["value"] for i in items} == {income["Id"]}

    other = f"{tenant}-2"
    await _configure(services, tmp_path, other, "matching: {item_income_account: Merchandise Sales}\n")
    event = await _post(services, other, shopify_paid)
    error = event.documents[0].error
    assert event.status is LedgerStatus.FAILED and error is not None
    assert error.code == "item_account.unknown" and "Merchandise Sales" in error.message
    assert "matching.item_income_account" in str(error.fix)


async def test_an_inactive_customer_is_never_used_and_a_fresh_one_is_created(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    first = await _post(services, tenant, shopify_paid)
    assert first.status is LedgerStatus.POSTED
    (jane,) = await books.query(tenant, "Customer", equals("DisplayName", "Jane Cooper"))
    await _deactivate(books, tenant, "Customer", jane["Id"])

    # The writer still knows Jane's id: QuickBooks refuses it (610), the writer says so and forgets it.
    later = copy.deepcopy(shopify_paid)
    later["order"].update(id=5400000007010, order_number=7010, name="#7010")
    refused = await _post(services, tenant, later)
    error = refused.documents[0].error
    assert refused.status is LedgerStatus.FAILED and error is not None
    assert error.code == "qbo.610" and "made inactive" in error.message and "replay" in str(error.fix)

    replay = raw_order(tenant, later, SHOP).model_copy(update={"source": "replay"})
    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, replay)
    replayed = outcomes.events[replay.meta.correlation_id]
    assert replayed.status is LedgerStatus.POSTED, replayed.documents[0].error
    (fresh,) = await books.query(tenant, "Customer", equals("DisplayName", "Jane Cooper"))
    assert fresh["Id"] != jane["Id"] and fresh["Active"] is True


async def test_quickbooks_sales_tax_and_a_payment_sized_from_the_books(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    await _company(services, tenant, sales_tax_rate="8.25")
    await _configure(services, tmp_path, tenant, "matching: {sales_tax: books}\n")
    event = await _post(services, tenant, shopify_paid)
    assert event.status is LedgerStatus.POSTED, event.documents
    (invoice,) = await _all(books, tenant, "Invoice")
    (payment,) = await _all(books, tenant, "Payment")
    # QuickBooks taxed the two taxable products (328.00 at 8.25%) instead of the order's own tax line (25.01).
    assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal("27.06")
    assert invoice["TotalAmt"] == Decimal("342.16") and invoice["Balance"] == 0
    assert payment["TotalAmt"] == Decimal("342.16") and payment["UnappliedAmt"] == 0
    code, report = await asyncio.to_thread(_reconcile, services, tenant)  # the command runs its own event loop
    assert code == 0 and report["wrong_amounts"] == 0 and report["wrong_balances"] == 0, report


async def test_the_orders_own_tax_is_kept_when_quickbooks_would_add_its_own(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    await _company(services, tenant, sales_tax_rate="8.25")
    await _configure(services, tmp_path, tenant, "tax_codes: {taxable: TAX, non_taxable: NON}\n")
    event = await _post(services, tenant, shopify_paid)
    assert event.status is LedgerStatus.POSTED
    (invoice,) = await _all(books, tenant, "Invoice")
    assert (invoice["TxnTaxDetail"]["TotalTax"], invoice["TotalAmt"], invoice["Balance"]) == (0, Decimal("340.11"), 0)


async def test_an_order_in_another_currency_goes_to_the_customer_of_that_currency(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    assert (await _post(services, tenant, shopify_paid)).status is LedgerStatus.POSTED
    euro = copy.deepcopy(shopify_paid)
    euro["order"].update(id=5400000007020, order_number=7020, name="#7020", currency="EUR")
    event = await _post(services, tenant, euro)
    assert event.status is LedgerStatus.POSTED, event.documents
    (customer,) = await books.query(tenant, "Customer", equals("DisplayName", "Jane Cooper (EUR)"))
    assert customer["CurrencyRef"]["value"] == "EUR"
    (invoice,) = await books.query(tenant, "Invoice", equals("CustomerRef", customer["Id"]))
    assert invoice["CurrencyRef"]["value"] == "EUR"


async def test_every_posted_document_keeps_the_intuit_tid_of_its_call(
    services: LocalServices, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    assert (await _post(services, tenant, shopify_paid)).status is LedgerStatus.POSTED
    conn = await asyncpg.connect(services.stack.database_url, server_settings={"search_path": "ledger_writer"})
    try:
        rows = await conn.fetch("SELECT entity, trace_id FROM document_intents WHERE tenant_id = $1", tenant)
    finally:
        await conn.close()
    assert rows and all(str(row["trace_id"]).startswith("1-") for row in rows), rows
