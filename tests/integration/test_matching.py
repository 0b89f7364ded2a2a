"""Customer and product matching policies (C1, P1) as the writer applies them against the simulator's books."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.contracts import LedgerStatus
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient, equals
from tests.integration.pipeline import keyed_item, publish_and_wait, raw_order
from tests.integration.test_lifecycle import SHOP, _configure


async def test_one_web_store_customer_for_every_order(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    await _configure(services, tmp_path, tenant, "matching: {customers: single, single_customer: Web Shop}\n")
    other = copy.deepcopy(shopify_paid)
    other["order"].update(id=5400000007002, order_number=7002, name="#7002")
    other["order"]["customer"].update(first_name="Ada", last_name="Byron", email="ada@example.com")
    first, second = raw_order(tenant, shopify_paid, SHOP), raw_order(tenant, other, SHOP)
    await publish_and_wait(services.stack.bootstrap_servers, first, second)
    invoices = await books.query(tenant, "Invoice", "TxnDate >= '2000-01-01'")
    (customer,) = await books.query(tenant, "Customer", equals("DisplayName", "Web Shop"))
    assert len(invoices) == 2 and {i["CustomerRef"]["value"] for i in invoices} == {customer["Id"]}


async def test_customer_found_by_email_and_a_missing_item_stops_the_order(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    known = await books.create(
        tenant, "Customer", {"DisplayName": "J. Cooper (wholesale)",
                             "PrimaryEmailAddr": {"Address": "jane.cooper@example.com"}}, "c-1",
    )  # fmt: skip
    await keyed_item(books, tenant, {"Name": "TENT-2P", "Type": "NonInventory"}, "i-1")
    await _configure(services, tmp_path, tenant, "matching: {customers: email, missing_item: stop}\n")
    envelope = raw_order(tenant, shopify_paid, SHOP)
    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, envelope)
    event = outcomes.events[envelope.meta.correlation_id]
    assert event.status is LedgerStatus.FAILED
    error = event.documents[0].error
    assert error is not None and error.code == "item.unknown" and "STOVE-MINI" in error.message
    assert "missing_item: create" in str(error.fix)
    assert await books.query(tenant, "Invoice", "TxnDate >= '2000-01-01'") == []

    await keyed_item(books, tenant, {"Name": "STOVE-MINI", "Type": "NonInventory"}, "i-2")
    replay = raw_order(tenant, shopify_paid, SHOP).model_copy(update={"source": "replay"})
    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, replay)
    assert outcomes.events[replay.meta.correlation_id].status is LedgerStatus.POSTED
    (invoice,) = await books.query(tenant, "Invoice", "TxnDate >= '2000-01-01'")
    assert invoice["CustomerRef"]["value"] == known["Id"]  # matched by email, not created by name


async def test_connection_tax_codes_and_deposit_account_reach_the_books(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    await _configure(
        services, tmp_path, tenant,
        "accounts: {deposit: Checking}\ntax_codes: {taxable: TAX, non_taxable: NON, shipping: NON}\n",
    )  # fmt: skip
    envelope = raw_order(tenant, shopify_paid, SHOP)
    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, envelope)
    assert outcomes.events[envelope.meta.correlation_id].status is LedgerStatus.POSTED
    (invoice,) = await books.query(tenant, "Invoice", "TxnDate >= '2000-01-01'")
    codes = [
        (line["SalesItemLineDetail"]["ItemRef"]["name"], line["SalesItemLineDetail"].get("TaxCodeRef", {}).get("value"))
        for line in invoice["Line"]
        if line["DetailType"] == "SalesItemLineDetail"
    ]
    assert codes[:3] == [("TENT-2P", "TAX"), ("STOVE-MINI", "TAX"), ("Shipping", "NON")]
    (checking,) = await books.query(tenant, "Account", equals("Name", "Checking"))
    (payment,) = await books.query(tenant, "Payment", "TxnDate >= '2000-01-01'")
    assert payment["DepositToAccountRef"]["value"] == checking["Id"]
