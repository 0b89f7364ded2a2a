"""QuickBooks Desktop on the real stack: orders reach a simulated company file through its Web Connector.

Every order goes the whole way (ingest, planner, numbering, writer), and the writer is only ever called: the
simulator's Web Connector polls the writer's endpoint every two seconds, as a real one polls on its schedule.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from typer.testing import CliRunner

from ledgerflow.cli.desktop_setup import ADMIN
from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.main import app
from ledgerflow.cli.publishing import publish_envelopes
from ledgerflow.cli.watching import wait_for_outcomes
from ledgerflow.contracts import DocumentType, LedgerStatus, RawOrderEnvelope
from tests.integration.conftest import Connect
from tests.integration.pipeline import publish_and_wait, raw_order

SHOP = "shop"
TIMEOUT = 90.0


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return str(result.stdout)


async def _configure(services: LocalServices, tmp_path: Path, tenant: str, settings: str, connection: str = SHOP):
    path = tmp_path / f"{connection}.yaml"
    path.write_text(
        f"tenant: {tenant}\nconnection: {connection}\nchannel: shopify\ntarget: quickbooks_desktop\n{settings}"
    )
    await asyncio.to_thread(_cli, "config", "apply", str(path), "--database-url", services.stack.database_url)


def _version(payload: dict[str, Any], **order: Any) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    changed["order"].update(order)
    return changed


def _numbered(payload: dict[str, Any], number: int) -> dict[str, Any]:
    return _version(payload, id=5500000000000 + number, order_number=number, name=f"#{number}")


async def _post(services: LocalServices, tenant: str, payload: dict[str, Any], connection: str = SHOP) -> Any:
    envelope: RawOrderEnvelope = raw_order(tenant, payload, connection)
    published = await asyncio.wait_for(publish_and_wait(services.stack.bootstrap_servers, envelope), TIMEOUT)
    return published[1].events[envelope.meta.correlation_id]


def _of(books: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in books["documents"] if doc["type"] == kind]


async def _eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = TIMEOUT) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"not within {timeout}s: {what}"
        await asyncio.sleep(0.5)


async def _faults(services: LocalServices, faults: dict[str, Any] | None) -> dict[str, Any]:
    """Set the simulated Web Connector's faults (None: only read them, with what is left of each)."""
    async with httpx.AsyncClient(base_url=services.desktop_sim_url, headers=ADMIN) as client:
        response = await (client.get("/admin/faults") if faults is None else client.put("/admin/faults", json=faults))
        response.raise_for_status()
        return dict(response.json())


async def test_sales_order_is_closed_by_its_later_invoice_and_its_payment_moves_to_the_invoice(
    services: LocalServices, connect: Connect, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    """The source documents' flow: a sales order with its deposit, an invoice when it ships, a $0 balance."""
    company = await connect()
    await _configure(services, tmp_path, tenant, "mode: sales_orders_invoices\ninvoice_when: fulfilled\n")

    event = await _post(services, tenant, shopify_paid)
    assert event.status is LedgerStatus.POSTED, event
    assert [(d.type, d.doc_number) for d in event.documents] == [
        (DocumentType.SALES_ORDER, "1001"), (DocumentType.PAYMENT, None),
    ]  # fmt: skip
    books = await company.books()
    (sales_order,) = _of(books, "SalesOrder")
    (payment,) = _of(books, "ReceivePayment")
    assert (sales_order["doc_number"], Decimal(sales_order["total"])) == ("1001", Decimal("340.11"))
    assert Decimal(payment["balance"]) == Decimal("340.11")  # taken with the order, not applied yet

    await _post(services, tenant, _version(shopify_paid, fulfillment_status="fulfilled"))

    async def settled() -> bool:
        payments = _of(await company.books(), "ReceivePayment")
        return len(payments) == 1 and Decimal(payments[0]["balance"] or "0") == 0

    await _eventually(settled, "the sales order's payment applied to the invoice")
    books = await company.books()
    (sales_order,) = _of(books, "SalesOrder")
    (invoice,) = _of(books, "Invoice")
    (payment,) = _of(books, "ReceivePayment")
    assert invoice["doc_number"] == "1001"
    assert Decimal(invoice["total"]) == Decimal("340.11") and Decimal(invoice["balance"]) == 0
    assert f"SalesOrder:{sales_order['id']}" in invoice["linked"]
    assert sales_order["status"] in ("fully_invoiced", "closed")
    assert f"Invoice:{invoice['id']}" in payment["linked"]


@pytest.mark.parametrize(
    ("mode", "number", "expected"),
    [
        ("invoices", 7101, ["Invoice"]),
        ("invoices_with_payments", 7102, ["Invoice", "ReceivePayment"]),
        ("sales_receipts", 7103, ["SalesReceipt"]),
        ("sales_orders", 7104, ["SalesOrder", "ReceivePayment"]),
        ("sales_orders_invoices", 7105, ["SalesOrder", "Invoice", "ReceivePayment"]),
        ("estimates", 7107, ["Estimate"]),
    ],
)
async def test_every_mode_posts_desktops_own_documents(
    services: LocalServices,
    connect: Connect,
    tenant: str,
    shopify_paid: dict[str, Any],
    tmp_path: Path,
    mode: str,
    number: int,
    expected: list[str],
) -> None:
    company = await connect()
    await _configure(services, tmp_path, tenant, f"mode: {mode}\n")
    event = await _post(services, tenant, _numbered(shopify_paid, number))
    assert event.status is LedgerStatus.POSTED, event
    books = await company.books()
    assert sorted({doc["type"] for doc in books["documents"]}) == sorted(set(expected))
    for doc in books["documents"]:
        assert Decimal(doc["total"]) == Decimal("340.11"), doc
        if doc["type"] != "ReceivePayment":
            assert doc["doc_number"] == str(number)
        assert str(number) in (doc["memo"] or "")


async def test_m6_makes_one_purchase_order_per_vendor_from_the_company_files_items(
    services: LocalServices, connect: Connect, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    items = [
        {"name": "TENT-2P", "vendor": "Ridge Tents", "cost": "80.00"},
        {"name": "STOVE-MINI", "vendor": "Camp Kitchen Co", "cost": "12.50"},
        {"name": "LANTERN-LED"},
    ]
    company = await connect(vendors=["Ridge Tents", "Camp Kitchen Co"], items=items)
    await asyncio.to_thread(_cli, "refdata", "sync", "--tenant", tenant, "--target", "quickbooks_desktop",
                            "--bootstrap", services.stack.bootstrap_servers)  # fmt: skip

    async def synced() -> bool:  # the sync waits for the company file's next Web Connector session
        connection = await asyncpg.connect(services.stack.database_url)
        try:
            count = await connection.fetchval(
                "SELECT count(*) FROM planner.reference_items WHERE tenant_id = $1", tenant
            )
        except asyncpg.UndefinedTableError:
            return False
        finally:
            await connection.close()
        return bool(count >= 3)

    await _eventually(synced, "the company file's items synced to the planner")
    await _configure(services, tmp_path, tenant, "mode: sales_orders_invoices_pos\n")

    event = await _post(services, tenant, shopify_paid)
    assert event.status is LedgerStatus.POSTED, event
    orders = _of(await company.books(), "PurchaseOrder")
    assert sorted(order["vendor"] for order in orders) == ["Camp Kitchen Co", "Ridge Tents"]


async def test_a_lost_response_never_makes_a_duplicate(
    services: LocalServices, connect: Connect, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    """The company file saves the invoice, the answer never reaches ledgerflow: the next session looks first."""
    company = await connect()
    await _configure(services, tmp_path, tenant, "mode: invoices\n")
    await _post(services, tenant, _numbered(shopify_paid, 7201))  # its customer and items are known from here
    # QuickBooks saves the next invoice, and its answer is lost with the session (the PC goes to sleep).
    await _faults(services, {"response_lost_on": "InvoiceAddRq"})
    try:
        event = await _post(services, tenant, _numbered(shopify_paid, 7202))
        struck = await _faults(services, None)
    finally:
        await _faults(services, {})
    assert struck["response_lost_on"] == "", "the fault never struck: QuickBooks never saved an invoice unanswered"
    assert event.status is LedgerStatus.POSTED, event
    invoices = _of(await company.books(), "Invoice")
    assert sorted(doc["doc_number"] for doc in invoices) == ["7201", "7202"]


async def test_a_session_cut_midway_resumes_and_posts_everything_once(
    services: LocalServices, connect: Connect, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    company = await connect()
    await _configure(services, tmp_path, tenant, "mode: invoices_with_payments\n")
    # Every session dies after a few round trips, without a word to ledgerflow (a PC going to sleep).
    await _faults(services, {"cut_session_after": 4})
    try:
        envelopes = [raw_order(tenant, _numbered(shopify_paid, n), SHOP) for n in range(7301, 7306)]
        await publish_envelopes(services.stack.bootstrap_servers, envelopes)
        wanted = {e.meta.correlation_id for e in envelopes}
        outcomes = await wait_for_outcomes(services.stack.bootstrap_servers, wanted, timeout=240)
    finally:
        await _faults(services, {})
    assert set(outcomes.events) == wanted, f"dead letters: {outcomes.dead_letters}"
    assert all(event.status is LedgerStatus.POSTED for event in outcomes.events.values())
    sessions = await company.sessions()
    assert any(session["ending"] == "cut" for session in sessions), "the fault never cut a session"
    books = await company.books()
    assert sorted(doc["doc_number"] for doc in _of(books, "Invoice")) == [str(n) for n in range(7301, 7306)]
    assert len(_of(books, "ReceivePayment")) == 5


async def test_sales_orders_on_quickbooks_pro_fail_in_a_bookkeepers_words(
    services: LocalServices, connect: Connect, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    await connect(edition="pro")
    await _configure(services, tmp_path, tenant, "mode: sales_orders\n")
    event = await _post(services, tenant, _numbered(shopify_paid, 7401))
    assert event.status is LedgerStatus.FAILED
    error = event.documents[0].error
    assert error is not None and error.code in ("qbd.3250", "qbd.1030")
    assert "Premier or Enterprise" in str(error.fix)


async def test_delete_and_resync_posts_the_order_again_after_it_was_deleted_in_quickbooks(
    services: LocalServices, connect: Connect, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    company = await connect()
    await _configure(services, tmp_path, tenant, "mode: invoices\n")
    await _post(services, tenant, _numbered(shopify_paid, 7501))
    (invoice,) = _of(await company.books(), "Invoice")
    async with httpx.AsyncClient(base_url=services.desktop_sim_url, headers=ADMIN) as client:
        deleted = await client.delete(f"/admin/company-files/{tenant}/transactions/Invoice/{invoice['id']}")
        deleted.raise_for_status()
    assert _of(await company.books(), "Invoice") == []

    bootstrap = services.stack.bootstrap_servers
    await asyncio.to_thread(_cli, "resync", "--tenant", tenant, "--order", "7501", "--delete", "--bootstrap", bootstrap)

    async def reposted() -> bool:
        return len(_of(await company.books(), "Invoice")) == 1

    await _eventually(reposted, "the invoice posted again")
    (again,) = _of(await company.books(), "Invoice")
    assert again["id"] != invoice["id"] and again["doc_number"] == "7501"


async def test_a_wrong_password_is_refused_and_nothing_is_written(
    services: LocalServices, connect: Connect, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    company = await connect()
    changed = await asyncio.to_thread(
        CliRunner().invoke, app, ["desktop", "password", "--tenant", tenant, "--database-url",
                                  services.stack.database_url], input="a-different-password-entirely\n",
    )  # fmt: skip
    assert changed.exit_code == 0, changed.output
    log = await company.run_now()
    assert "nvu" in str(log)
    assert (await company.books())["documents"] == []


async def test_refunds_become_credit_memos_and_refund_receipts_are_refused_with_the_fix(
    services: LocalServices, connect: Connect, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    company = await connect()
    await _configure(services, tmp_path, tenant, "mode: invoices_with_payments\nrefunds: credit_memo\n")
    await _post(services, tenant, shopify_paid)
    refund = {"id": 77, "created_at": "2026-11-03T10:00:00Z",
              "transactions": [{"kind": "refund", "status": "success", "amount": "20.00"}]}  # fmt: skip
    refunded = _version(shopify_paid, financial_status="partially_refunded", refunds=[refund])
    event = await _post(services, tenant, refunded)
    assert [(d.type, d.status) for d in event.documents] == [(DocumentType.CREDIT_MEMO, LedgerStatus.POSTED)]
    (memo,) = _of(await company.books(), "CreditMemo")
    assert (memo["doc_number"], Decimal(memo["total"])) == ("1001", Decimal("20.00"))

    await _configure(services, tmp_path, tenant, "mode: invoices_with_payments\nrefunds: refund_receipt\n")
    second = {**refund, "id": 78, "transactions": [{"kind": "refund", "status": "success", "amount": "5.00"}]}
    again = _version(shopify_paid, financial_status="partially_refunded", refunds=[refund, second])
    failed = await _post(services, tenant, again)
    assert failed.status is LedgerStatus.FAILED
    error = failed.documents[0].error
    assert error is not None and error.code == "qbd.refund_receipt" and "refunds: credit_memo" in str(error.fix)


async def test_a_resync_posts_again_only_what_was_deleted_in_quickbooks(
    services: LocalServices, connect: Connect, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    company = await connect()
    await _configure(services, tmp_path, tenant, "mode: invoices_with_payments\n")
    await _post(services, tenant, _numbered(shopify_paid, 7601))
    (payment,) = _of(await company.books(), "ReceivePayment")
    (invoice,) = _of(await company.books(), "Invoice")
    async with httpx.AsyncClient(base_url=services.desktop_sim_url, headers=ADMIN) as client:
        deleted = await client.delete(f"/admin/company-files/{tenant}/transactions/ReceivePayment/{payment['id']}")
        deleted.raise_for_status()
    bootstrap = services.stack.bootstrap_servers
    await asyncio.to_thread(_cli, "resync", "--tenant", tenant, "--order", "7601", "--bootstrap", bootstrap)

    async def repaid() -> bool:
        return len(_of(await company.books(), "ReceivePayment")) == 1

    await _eventually(repaid, "the deleted payment posted again")
    books = await company.books()
    assert [doc["id"] for doc in _of(books, "Invoice")] == [invoice["id"]]  # the invoice was there: left alone
    (again,) = _of(books, "ReceivePayment")
    assert again["id"] != payment["id"] and f"Invoice:{invoice['id']}" in again["linked"]


async def test_books_reads_a_desktop_company_file(
    services: LocalServices, connect: Connect, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    await connect()
    await _configure(services, tmp_path, tenant, "mode: sales_orders\n")
    await _post(services, tenant, _numbered(shopify_paid, 7701))
    shown = await asyncio.to_thread(_cli, "books", "--tenant", tenant, "--sim", services.sim_url, "--desktop-sim",
                                    services.desktop_sim_url, "--json")  # fmt: skip
    documents = json.loads(shown)["documents"]
    assert [(doc["type"], doc["doc_number"]) for doc in documents] == [("SalesOrder", "7701"), ("ReceivePayment", None)]
