"""A system's purchase order through the real stack into the simulator's books: the purchase order, a bill per
delivery linked to it, closed when the system closes it; a replayed version and a later one never post a document
twice, and a supplier missing from the vendor map stops the purchase order with its reason."""

from __future__ import annotations

import asyncio
import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.main import app
from ledgerflow.cli.publishing import PurchaseOrderToPublish, publish_envelopes, purchase_order_envelope
from ledgerflow.cli.watching import wait_for_outcomes
from ledgerflow.contracts import LedgerStatus, PurchaseOrderSystem, RawPurchaseOrderEnvelope
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient, equals

FIXTURES = Path(__file__).parents[1] / "fixtures" / "purchase_orders"
SUPPLIER = "b7e2d4c1-5a3f-4e9b-8c21-6d0f3a9e7c55"  # the Linnworks payload's fkSupplierId


def _cli(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output


async def _reconciled(services: LocalServices, tenant: str) -> dict[str, Any]:
    """`ledgerflow reconcile`: every planned document in the books once, at its amount, nothing unexplained."""
    args = [
        "reconcile",
        "--tenant",
        tenant,
        "--books",
        services.sim_url,
        "--database-url",
        services.stack.database_url,
        "--bootstrap",
        services.stack.bootstrap_servers,
        "--json",
    ]
    result = await asyncio.to_thread(CliRunner().invoke, app, args)
    report: dict[str, Any] = json.loads(result.stdout)
    assert result.exit_code == 0, report
    return report


async def _configure(services: LocalServices, tmp_path: Path, tenant: str, connection: str, vendors: str) -> None:
    path = tmp_path / "connection.yaml"
    path.write_text(
        f"tenant: {tenant}\nconnection: {connection}\nchannel: linnworks\nreceipt_policy: receipt-as-bill\n"
        f"vendors:\n{vendors}"
    )
    await asyncio.to_thread(_cli, "config", "apply", str(path), "--database-url", services.stack.database_url)


def _envelope(tenant: str, connection: str, payload: dict[str, Any], replay: bool = False) -> RawPurchaseOrderEnvelope:
    return purchase_order_envelope(
        PurchaseOrderToPublish(tenant, connection, PurchaseOrderSystem.LINNWORKS, payload, replay)
    )


def _delivered(partial: dict[str, Any]) -> dict[str, Any]:
    """The same purchase order later: the rest of the white mugs came in a third delivery, and it is DELIVERED."""
    payload = copy.deepcopy(partial)
    payload["PurchaseOrderHeader"]["Status"] = "DELIVERED"
    payload["PurchaseOrderItem"][1]["Delivered"] = 12
    payload["DeliveredRecords"].append(
        {
            **payload["DeliveredRecords"][1],
            "fkDeliveryId": 503,
            "pkDeliveryRecordId": 9003,
            "CreatedDateTime": "2026-11-14T10:00:00Z",
        }
    )
    return payload


async def test_a_purchase_order_and_its_deliveries_reach_the_books_once_and_close_it(
    services: LocalServices, books: QuickBooksClient, tenant: str, tmp_path: Path
) -> None:
    connection = f"{tenant}-linnworks"
    vendor = (await books.create(tenant, "Vendor", {"DisplayName": "Northwind Ceramics"}, "v-1"))["Id"]
    await _configure(services, tmp_path, tenant, connection, f"  {SUPPLIER}: Northwind Ceramics\n")
    partial = json.loads((FIXTURES / "linnworks-partial-gbp.json").read_text())
    bootstrap = services.stack.bootstrap_servers

    first = _envelope(tenant, connection, partial)
    await publish_envelopes(bootstrap, [first])
    outcomes = await wait_for_outcomes(bootstrap, {first.meta.correlation_id}, timeout=90)
    assert first.meta.correlation_id not in outcomes.dead_letters, outcomes.dead_letters
    event = outcomes.events[first.meta.correlation_id]
    assert event.status is LedgerStatus.POSTED, event
    assert [(d.type.value, d.doc_number) for d in event.documents] == [
        ("purchase_order", "PO-2041"),
        ("bill", None),
        ("bill", None),
    ]
    (po,) = await books.query(tenant, "PurchaseOrder", equals("DocNumber", "PO-2041"))
    assert (po["VendorRef"]["value"], po["TotalAmt"], po["CurrencyRef"]["value"], po["POStatus"]) == (
        vendor,
        138,
        "GBP",
        "Open",
    )
    assert po["PrivateNote"] == "Linnworks purchase order PO-2041 · supplier ref NW-88120"

    # The same version again (a poller re-reading it, replayed on purpose) and then the next one.
    again = _envelope(tenant, connection, partial, replay=True)
    later = _envelope(tenant, connection, _delivered(partial))
    await publish_envelopes(bootstrap, [again, later])
    outcomes = await wait_for_outcomes(bootstrap, {later.meta.correlation_id}, timeout=90)
    event = outcomes.events[later.meta.correlation_id]
    assert event.status is LedgerStatus.POSTED, event
    assert [(d.type.value, d.action.value) for d in event.documents] == [
        ("bill", "create"),
        ("purchase_order", "close"),
    ]

    bills = await books.query(tenant, "Bill", "TxnDate >= '2000-01-01'")
    assert sorted((str(b["TxnDate"]), b["TotalAmt"]) for b in bills) == [
        ("2026-11-10", 84),
        ("2026-11-12", 19.5),
        ("2026-11-14", 19.5),
    ]  # one per delivery, never twice
    assert all(b["Line"][0]["LinkedTxn"] == [{"TxnId": po["Id"], "TxnType": "PurchaseOrder"}] for b in bills)
    (closed,) = await books.query(tenant, "PurchaseOrder", "TxnDate >= '2000-01-01'")
    assert closed["POStatus"] == "Closed"
    assert sorted(link["TxnId"] for link in closed["LinkedTxn"]) == sorted(b["Id"] for b in bills)
    report = await _reconciled(services, tenant)
    assert (report["expected_documents"], report["posted"], report["duplicates"], report["unexplained"]) == (
        4,
        4,
        0,
        0,
    )  # the purchase order and its three bills


async def test_a_supplier_missing_from_the_vendor_map_stops_the_purchase_order_with_its_reason(
    services: LocalServices, books: QuickBooksClient, tenant: str, tmp_path: Path
) -> None:
    connection = f"{tenant}-linnworks"
    await _configure(services, tmp_path, tenant, connection, "  someone-else: Another Vendor\n")
    partial = json.loads((FIXTURES / "linnworks-partial-gbp.json").read_text())
    envelope = _envelope(tenant, connection, partial)
    await publish_envelopes(services.stack.bootstrap_servers, [envelope])
    outcomes = await wait_for_outcomes(services.stack.bootstrap_servers, {envelope.meta.correlation_id}, timeout=90)
    letter = outcomes.dead_letters[envelope.meta.correlation_id]
    assert (letter.stage, letter.error.code) == ("planner-purchase-orders", "purchase_order.vendor_unmapped")
    assert SUPPLIER in letter.error.message and "vendor map" in (letter.error.fix or "")
    assert await books.query(tenant, "PurchaseOrder", "TxnDate >= '2000-01-01'") == []


# Each system's test payload: (fixture, system, supplier key in the vendor map, the purchase order's number and
# total, the bills' numbers and totals, whether the source has closed it).
SYSTEMS = [
    (
        "skuvault-partial.json",
        "skuvault",
        "Northwind Textiles",
        ("SV-7781", "391.50"),
        [(None, "20.50"), (None, "287.00")],
        False,
    ),
    ("erply-partial-eur.json", "erply", "77", ("4410", "250.00"), [("BW-2026-311", "200.00")], False),
    (
        "lightspeed_x-purchase-order-delivered.json",
        "lightspeed_x",
        "6ba7b811-9dad-41d1-80b4-00c04fd430c8",
        ("PO-1001", "25.00"),
        [("SUP-7781", "15.00")],
        False,
    ),
    (
        "lightspeed_x-consignment-received-short.json",
        "lightspeed_x",
        "0adfd74a-153e-11e9-fa42-67b5781ba1fb",
        ("PO-0714", "1000.00"),
        [(None, "0.00")],
        True,
    ),
    ("lightspeed_r-order-complete.json", "lightspeed_r", "62", ("3", "59.68"), [("1234-567890-0000", "50.12")], True),
]


@pytest.mark.parametrize(
    ("fixture", "system", "supplier", "order", "bills", "closed"),
    SYSTEMS,
    ids=[s[0].removesuffix(".json") for s in SYSTEMS],
)
async def test_each_systems_purchase_order_and_receipts_reach_the_books(
    services: LocalServices,
    books: QuickBooksClient,
    tenant: str,
    tmp_path: Path,
    fixture: str,
    system: str,
    supplier: str,
    order: tuple[str, str],
    bills: list[tuple[str | None, str]],
    closed: bool,
) -> None:
    connection = f"{tenant}-{system.replace('_', '-')}"
    vendor = (await books.create(tenant, "Vendor", {"DisplayName": "The Supplier"}, "v-1"))["Id"]
    path = tmp_path / "connection.yaml"
    path.write_text(
        f'tenant: {tenant}\nconnection: {connection}\nchannel: {system}\nvendors:\n  "{supplier}": The Supplier\n'
    )
    await asyncio.to_thread(_cli, "config", "apply", str(path), "--database-url", services.stack.database_url)
    payload = json.loads((FIXTURES / fixture).read_text())
    envelope = purchase_order_envelope(PurchaseOrderToPublish(tenant, connection, PurchaseOrderSystem(system), payload))
    await publish_envelopes(services.stack.bootstrap_servers, [envelope])
    outcomes = await wait_for_outcomes(services.stack.bootstrap_servers, {envelope.meta.correlation_id}, timeout=90)
    assert envelope.meta.correlation_id not in outcomes.dead_letters, outcomes.dead_letters
    assert outcomes.events[envelope.meta.correlation_id].status is LedgerStatus.POSTED

    (po,) = await books.query(tenant, "PurchaseOrder", "TxnDate >= '2000-01-01'")
    assert (po["DocNumber"], Decimal(str(po["TotalAmt"])), po["VendorRef"]["value"]) == (
        order[0],
        Decimal(order[1]),
        vendor,
    )
    posted = await books.query(tenant, "Bill", "TxnDate >= '2000-01-01'")
    got = sorted((b.get("DocNumber") or "", Decimal(str(b["TotalAmt"]))) for b in posted)
    assert got == sorted((number or "", Decimal(total)) for number, total in bills)
    assert all(
        line["LinkedTxn"] == [{"TxnId": po["Id"], "TxnType": "PurchaseOrder"}] for b in posted for line in b["Line"]
    )
    assert (po["POStatus"] == "Closed") is closed
    report = await _reconciled(services, tenant)
    assert (report["posted"], report["duplicates"], report["unexplained"]) == (1 + len(bills), 0, 0)


async def test_a_purchase_order_changed_before_any_receipt_is_updated_in_the_books_not_posted_again(
    services: LocalServices, books: QuickBooksClient, tenant: str, tmp_path: Path
) -> None:
    connection = f"{tenant}-linnworks"
    await books.create(tenant, "Vendor", {"DisplayName": "Northwind Ceramics"}, "v-1")
    await _configure(services, tmp_path, tenant, connection, f"  {SUPPLIER}: Northwind Ceramics\n")
    ordered = json.loads((FIXTURES / "linnworks-partial-gbp.json").read_text())
    ordered["PurchaseOrderHeader"]["Status"] = "OPEN"
    ordered["DeliveredRecords"] = []
    for item in ordered["PurchaseOrderItem"]:
        item["Delivered"] = 0
    more = copy.deepcopy(ordered)
    more["PurchaseOrderItem"][1].update({"Quantity": 18, "Cost": 70.2, "Tax": 11.7})  # 18 white mugs, not 12
    more["PurchaseOrderHeader"]["TotalCost"] = 189.0
    bootstrap = services.stack.bootstrap_servers

    first, changed = _envelope(tenant, connection, ordered), _envelope(tenant, connection, more)
    await publish_envelopes(bootstrap, [first, changed])
    outcomes = await wait_for_outcomes(bootstrap, {first.meta.correlation_id, changed.meta.correlation_id}, timeout=90)
    event = outcomes.events[changed.meta.correlation_id]
    assert event.status is LedgerStatus.POSTED, event
    assert [(d.type.value, d.action.value) for d in event.documents] == [("purchase_order", "update")]
    (po,) = await books.query(tenant, "PurchaseOrder", "TxnDate >= '2000-01-01'")
    assert (po["DocNumber"], Decimal(str(po["TotalAmt"])), po["POStatus"]) == ("PO-2041", Decimal("157.50"), "Open")
    assert [line["ItemBasedExpenseLineDetail"]["Qty"] for line in po["Line"]] == [24, 18, 1]
    report = await _reconciled(services, tenant)
    assert (report["posted"], report["wrong_amounts"], report["problems"]) == (1, 0, [])  # the updated total counts


@pytest.mark.parametrize(
    ("settings", "code"),
    [
        (None, "purchase_order.connection_unknown"),
        ("channel: skuvault\n", "purchase_order.wrong_connection"),
    ],
)
async def test_a_connection_that_cannot_take_the_purchase_order_says_why(
    services: LocalServices, tenant: str, tmp_path: Path, settings: str | None, code: str
) -> None:
    connection = f"{tenant}-po"
    if settings is not None:
        path = tmp_path / "connection.yaml"
        path.write_text(f"tenant: {tenant}\nconnection: {connection}\n{settings}")
        await asyncio.to_thread(_cli, "config", "apply", str(path), "--database-url", services.stack.database_url)
    envelope = _envelope(tenant, connection, json.loads((FIXTURES / "linnworks-partial-gbp.json").read_text()))
    await publish_envelopes(services.stack.bootstrap_servers, [envelope])
    outcomes = await wait_for_outcomes(services.stack.bootstrap_servers, {envelope.meta.correlation_id}, timeout=90)
    letter = outcomes.dead_letters[envelope.meta.correlation_id]
    assert letter.error.code == code and letter.error.fix
    assert "PO-2041" in letter.error.message
