"""The order lifecycle on the real stack (L1-L3, M6, refunds): later versions, ledger events and resyncs move an
order's documents forward in the simulator's books, and never post one twice."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from typer.testing import CliRunner

from ledgerflow.cli.local_services import SIM_TOKEN, LocalServices
from ledgerflow.cli.main import app
from ledgerflow.contracts import DocumentType, RawOrderEnvelope
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient, equals
from tests.integration.pipeline import keyed_item, publish_and_wait, raw_order

SHOP = "shop"


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return str(result.stdout)


async def _configure(services: LocalServices, tmp_path: Path, tenant: str, settings: str) -> None:
    path = tmp_path / "connection.yaml"
    path.write_text(f"tenant: {tenant}\nconnection: {SHOP}\nchannel: shopify\n{settings}")
    # The command runs its own event loop, so it runs beside this test's.
    await asyncio.to_thread(_cli, "config", "apply", str(path), "--database-url", services.stack.database_url)


def _version(payload: dict[str, Any], **order: Any) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    changed["order"].update(order)
    return changed


async def _post(services: LocalServices, tenant: str, payload: dict[str, Any]) -> list[tuple[DocumentType, str]]:
    envelope: RawOrderEnvelope = raw_order(tenant, payload, SHOP)
    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, envelope)
    event = outcomes.events[envelope.meta.correlation_id]
    return [(d.type, d.action.value) for d in event.documents]


async def _eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"not within {timeout}s: {what}"
        await asyncio.sleep(0.5)


async def _all(books: QuickBooksClient, tenant: str, entity: str) -> list[dict[str, Any]]:
    return await books.query(tenant, entity, "TxnDate >= '2000-01-01'")


async def test_terms_order_is_an_open_invoice_and_the_later_paid_version_adds_only_the_payment(
    services: LocalServices, books: QuickBooksClient, tenant: str, samples: dict[str, Any]
) -> None:
    unpaid = samples["acme-1002-bank-deposit-unpaid"].payload()
    assert await _post(services, tenant, unpaid) == [(DocumentType.INVOICE, "create")]
    (invoice,) = await books.query(tenant, "Invoice", equals("DocNumber", "1002"))
    assert invoice["Balance"] == Decimal("80.00")  # on terms: open

    assert await _post(services, tenant, _version(unpaid, financial_status="paid")) == [
        (DocumentType.PAYMENT, "create")
    ]
    (invoice,) = await books.query(tenant, "Invoice", equals("DocNumber", "1002"))
    (payment,) = await _all(books, tenant, "Payment")
    assert invoice["Balance"] == 0
    assert payment["Line"][0]["LinkedTxn"] == [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]


async def test_invoice_made_when_the_order_ships_closes_the_sales_order_and_takes_its_payment(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    await _configure(services, tmp_path, tenant, "mode: sales_orders_invoices\ninvoice_when: fulfilled\n")
    assert await _post(services, tenant, shopify_paid) == [
        (DocumentType.SALES_ORDER, "create"), (DocumentType.PAYMENT, "create"),
    ]  # fmt: skip
    (estimate,) = await books.query(tenant, "Estimate", equals("DocNumber", "1001"))
    (payment,) = await _all(books, tenant, "Payment")
    assert (estimate["TxnStatus"], payment["UnappliedAmt"]) == ("Pending", Decimal("340.11"))

    shipped = _version(shopify_paid, fulfillment_status="fulfilled")
    assert await _post(services, tenant, shipped) == [(DocumentType.INVOICE, "create")]

    async def completed() -> bool:
        (payment,) = await _all(books, tenant, "Payment")
        return bool(payment["UnappliedAmt"] == 0)

    await _eventually(completed, "the sales order's payment applied to the invoice")
    (estimate,) = await _all(books, tenant, "Estimate")
    (invoice,) = await _all(books, tenant, "Invoice")
    (payment,) = await _all(books, tenant, "Payment")
    assert estimate["TxnStatus"] == "Closed"
    assert (invoice["DocNumber"], invoice["Balance"]) == ("1001", 0)
    assert {"TxnId": estimate["Id"], "TxnType": "Estimate"} in invoice["LinkedTxn"]
    # QuickBooks adds its LineEx to an applied line; what the writer sent is the amount and the link
    assert [{k: line[k] for k in ("Amount", "LinkedTxn")} for line in payment["Line"]] == [
        {"Amount": Decimal("340.11"), "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}
    ]


async def test_m6_makes_a_purchase_order_per_vendor_from_the_items_in_the_books(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    vendors = {}
    for name in ("Ridge Tents", "Camp Kitchen Co"):
        vendors[name] = (await books.create(tenant, "Vendor", {"DisplayName": name}, f"v-{name}"))["Id"]
    for name, vendor, cost in (("TENT-2P", "Ridge Tents", "80.00"), ("STOVE-MINI", "Camp Kitchen Co", "12.50")):
        item = {"Name": name, "Type": "NonInventory", "PrefVendorRef": {"value": vendors[vendor]}, "PurchaseCost": cost}
        await keyed_item(books, tenant, item, f"i-{name}")
    await keyed_item(books, tenant, {"Name": "LANTERN-LED", "Type": "NonInventory"}, "i-lantern")
    await asyncio.to_thread(
        _cli, "refdata", "sync", "--tenant", tenant, "--bootstrap", services.stack.bootstrap_servers
    )

    async def synced() -> bool:
        connection = await asyncpg.connect(services.stack.database_url)
        try:
            count = await connection.fetchval(
                "SELECT count(*) FROM planner.reference_items WHERE tenant_id = $1", tenant
            )
        except asyncpg.UndefinedTableError:
            return False  # the planner is still starting
        finally:
            await connection.close()
        return bool(count == 3)

    await _eventually(synced, "the books' items synced to the planner")
    await _configure(services, tmp_path, tenant, "mode: sales_orders_invoices_pos\n")

    documents = await _post(services, tenant, shopify_paid)
    assert documents == [
        (DocumentType.SALES_ORDER, "create"), (DocumentType.INVOICE, "create"), (DocumentType.PAYMENT, "create"),
        (DocumentType.PURCHASE_ORDER, "create"), (DocumentType.PURCHASE_ORDER, "create"),
    ]  # fmt: skip
    orders = {po["DocNumber"]: po for po in await _all(books, tenant, "PurchaseOrder")}
    assert sorted(orders) == ["1001", "1001-1"]
    assert (orders["1001"]["VendorRef"]["value"], orders["1001"]["TotalAmt"]) == (vendors["Ridge Tents"], 80)
    assert (orders["1001-1"]["VendorRef"]["value"], orders["1001-1"]["TotalAmt"]) == (
        vendors["Camp Kitchen Co"], Decimal("25.00"),
    )  # fmt: skip
    assert orders["1001-1"]["Line"][0]["ItemBasedExpenseLineDetail"]["Qty"] == 2

    # An item without a preferred vendor stops that order's purchase orders, with the item named; the sale posts.
    lantern = _version(shopify_paid, id=5400000009001, order_number=9001, name="#9001")
    lantern["order"]["line_items"][0]["sku"] = "LANTERN-LED"
    envelope = raw_order(tenant, lantern, SHOP)
    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, envelope)
    letter = outcomes.dead_letters[envelope.meta.correlation_id]
    assert letter.error.code == "purchase_order.items_incomplete"
    assert "LANTERN-LED: no preferred vendor and no purchase cost" in letter.error.message


async def test_resync_adds_back_a_payment_deleted_in_the_books_and_nothing_else(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    await _configure(services, tmp_path, tenant, "mode: sales_orders\n")
    assert await _post(services, tenant, shopify_paid) == [
        (DocumentType.SALES_ORDER, "create"), (DocumentType.PAYMENT, "create"),
    ]  # fmt: skip
    (estimate,) = await _all(books, tenant, "Estimate")
    (payment,) = await _all(books, tenant, "Payment")
    async with httpx.AsyncClient(base_url=services.sim_url, headers={"Authorization": f"Bearer {SIM_TOKEN}"}) as http:
        deleted = await http.post(
            f"/v3/company/{tenant}/payment", params={"operation": "delete"},
            json={"Id": payment["Id"], "SyncToken": payment["SyncToken"]},
        )  # fmt: skip
        assert deleted.status_code == 200, deleted.text
    assert await _all(books, tenant, "Payment") == []

    bootstrap = services.stack.bootstrap_servers
    await asyncio.to_thread(_cli, "resync", "--tenant", tenant, "--order", "1001", "--bootstrap", bootstrap)

    async def payment_back() -> bool:
        return len(await _all(books, tenant, "Payment")) == 1

    await _eventually(payment_back, "the deleted payment posted again")
    (again,) = await _all(books, tenant, "Payment")
    assert again["Id"] != payment["Id"] and again["TotalAmt"] == Decimal("340.11")
    assert [e["Id"] for e in await _all(books, tenant, "Estimate")] == [estimate["Id"]]  # the sales order untouched


async def test_refunds_become_credit_memos_numbered_after_the_order(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    await _configure(services, tmp_path, tenant, "mode: invoices_with_payments\nrefunds: credit_memo\n")
    await _post(services, tenant, shopify_paid)
    refund = {"id": 77, "created_at": "2026-11-03T10:00:00Z",
              "transactions": [{"kind": "refund", "status": "success", "amount": "20.00"}]}  # fmt: skip
    refunded = _version(shopify_paid, financial_status="partially_refunded", refunds=[refund])
    assert await _post(services, tenant, refunded) == [(DocumentType.CREDIT_MEMO, "create")]
    (memo,) = await _all(books, tenant, "CreditMemo")
    assert (memo["DocNumber"], memo["TotalAmt"]) == ("1001", Decimal("20.00"))
    assert len(await _all(books, tenant, "Invoice")) == 1


async def test_an_edit_after_posting_is_flagged_and_the_books_are_left_alone(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    await _post(services, tenant, shopify_paid)
    edited = copy.deepcopy(shopify_paid)
    edited["order"]["customer"]["last_name"] = "Renamed"
    envelope = raw_order(tenant, edited, SHOP)
    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, envelope)
    letter = outcomes.dead_letters[envelope.meta.correlation_id]
    assert letter.error.code == "order.changed_after_posting"
    assert "resync --order 1001 --delete" in str(letter.error.fix)
    (invoice,) = await _all(books, tenant, "Invoice")
    assert invoice["TotalAmt"] == Decimal("340.11")


async def _delete(services: LocalServices, tenant: str, entity: str, record: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=services.sim_url, headers={"Authorization": f"Bearer {SIM_TOKEN}"}) as http:
        answer = await http.post(
            f"/v3/company/{tenant}/{entity.lower()}", params={"operation": "delete"},
            json={"Id": record["Id"], "SyncToken": record["SyncToken"]},
        )  # fmt: skip
        assert answer.status_code == 200, answer.text


async def test_delete_and_resync_posts_the_order_afresh_and_a_date_range_resync_adds_nothing_twice(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    second = _version(shopify_paid, id=5400000008002, order_number=8002, name="#8002")
    assert await _post(services, tenant, shopify_paid) == [
        (DocumentType.INVOICE, "create"),
        (DocumentType.PAYMENT, "create"),
    ]
    await _post(services, tenant, second)
    (payment,) = [p for p in await _all(books, tenant, "Payment") if p["PrivateNote"] == "shopify order 1001"]
    await _delete(services, tenant, "Payment", payment)
    (invoice,) = await books.query(tenant, "Invoice", equals("DocNumber", "1001"))  # its balance changed
    await _delete(services, tenant, "Invoice", invoice)

    bootstrap = services.stack.bootstrap_servers
    await asyncio.to_thread(_cli, "resync", "--tenant", tenant, "--order", "1001", "--delete", "--bootstrap", bootstrap)

    async def reposted() -> bool:
        found = await books.query(tenant, "Invoice", equals("DocNumber", "1001"))
        return len(found) == 1 and found[0]["Balance"] == 0

    await _eventually(reposted, "order 1001 posted afresh")
    (again,) = await books.query(tenant, "Invoice", equals("DocNumber", "1001"))
    assert again["Id"] != invoice["Id"]

    # Both orders by date: everything is in the books already, so nothing is posted twice.
    day = shopify_paid["order"]["created_at"][:10]
    await asyncio.to_thread(_cli, "resync", "--tenant", tenant, "--from", day, "--to", day, "--bootstrap", bootstrap)
    await asyncio.sleep(5)
    invoices = await _all(books, tenant, "Invoice")
    assert sorted(i["DocNumber"] for i in invoices) == ["1001", "8002"]
    assert len(await _all(books, tenant, "Payment")) == 2
