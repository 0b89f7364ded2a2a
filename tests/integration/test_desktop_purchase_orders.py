"""A system's purchase orders into a QuickBooks Desktop company file through its Web Connector, on the real stack.

The purchase order, an item receipt (or a bill) per delivery linked to its lines, the order changed before any
receipt, closed when the system closes or cancels it; a replayed version, a later one, and an answer lost after
QuickBooks saved the document never put a document in the company file twice.
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from pathlib import Path
from typing import Any

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.publishing import PurchaseOrderToPublish, publish_envelopes, purchase_order_envelope
from ledgerflow.cli.watching import wait_for_outcomes
from ledgerflow.contracts import LedgerEvent, LedgerStatus, PurchaseOrderSystem, RawPurchaseOrderEnvelope, Topic
from tests.integration.conftest import Connect
from tests.integration.pipeline import read_topic
from tests.integration.test_desktop import TIMEOUT, _cli, _faults, _of
from tests.integration.test_purchase_order_posting import FIXTURES, SUPPLIER, _delivered
from tests.unit.purchase_orders.helpers import erply_waybill_then_invoice

VENDOR = "Northwind Ceramics"


async def _configure(services: LocalServices, tmp_path: Path, tenant: str, system: str, settings: str) -> str:
    connection = f"{tenant}-{system}"
    path = tmp_path / "connection.yaml"
    path.write_text(
        f"tenant: {tenant}\nconnection: {connection}\nchannel: {system}\ntarget: quickbooks_desktop\n{settings}"
    )
    await asyncio.to_thread(_cli, "config", "apply", str(path), "--database-url", services.stack.database_url)
    return connection


def _linnworks(name: str = "linnworks-partial-gbp.json") -> dict[str, Any]:
    return dict(json.loads((FIXTURES / name).read_text()))


def _ordered(partial: dict[str, Any]) -> dict[str, Any]:
    """The purchase order as it was sent to the supplier: nothing delivered yet."""
    payload = copy.deepcopy(partial)
    payload["PurchaseOrderHeader"]["Status"] = "OPEN"
    payload["DeliveredRecords"] = []
    for item in payload["PurchaseOrderItem"]:
        item["Delivered"] = 0
    return payload


async def _post(
    services: LocalServices,
    tenant: str,
    connection: str,
    system: str,
    *payloads: dict[str, Any],
    replay: bool = False,
    refused: bool = False,
) -> Any:
    """Publish the versions in order; the last one's outcome (None: it added nothing to post). ``refused``: a document
    of the last one is refused by the books, so its dead letter comes beside its event, in either order."""
    envelopes: list[RawPurchaseOrderEnvelope] = [
        purchase_order_envelope(PurchaseOrderToPublish(tenant, connection, PurchaseOrderSystem(system), p, replay))
        for p in payloads
    ]
    bootstrap = services.stack.bootstrap_servers
    await publish_envelopes(bootstrap, envelopes)
    last = envelopes[-1].meta.correlation_id
    outcomes = await wait_for_outcomes(bootstrap, {e.meta.correlation_id for e in envelopes}, timeout=TIMEOUT)
    if refused:
        return await _event_of(bootstrap, last)
    assert last not in outcomes.dead_letters, outcomes.dead_letters[last]
    return outcomes.events.get(last)


async def _event_of(bootstrap: str, correlation_id: uuid.UUID) -> LedgerEvent:
    for _ in range(int(TIMEOUT)):
        events = [LedgerEvent.model_validate_json(v) for v in await read_topic(bootstrap, Topic.EVENTS, 500)]
        if found := [event for event in events if event.meta.correlation_id == correlation_id]:
            return found[0]
        await asyncio.sleep(1)
    raise AssertionError(f"no event for {correlation_id}")


def _summary(books: dict[str, Any], kind: str) -> list[tuple[Any, ...]]:
    return sorted((d["date"], d["total"], d["doc_number"], d["vendor"], d["status"]) for d in _of(books, kind))


async def test_purchase_order_and_deliveries_become_item_receipts_once_and_the_order_is_closed(
    services: LocalServices, connect: Connect, tenant: str, tmp_path: Path
) -> None:
    company = await connect(vendors=[VENDOR])
    connection = await _configure(services, tmp_path, tenant, "linnworks", f"vendors:\n  {SUPPLIER}: {VENDOR}\n")
    partial = _linnworks()

    event = await _post(services, tenant, connection, "linnworks", partial)
    assert event.status is LedgerStatus.POSTED, event
    assert [(d.type.value, d.doc_number) for d in event.documents] == [
        ("purchase_order", "PO-2041"),
        ("item_receipt", None),
        ("item_receipt", None),
    ]
    books = await company.books()
    (po,) = _of(books, "PurchaseOrder")
    assert (po["doc_number"], po["vendor"], po["total"], po["status"]) == (
        "PO-2041",
        VENDOR,
        "138.00",
        "partially_received",
    )
    assert po["memo"] == "Linnworks purchase order PO-2041 · supplier ref NW-88120"
    receipts = _of(books, "ItemReceipt")
    assert _summary(books, "ItemReceipt") == [
        ("2026-11-10", "84.00", None, VENDOR, "received"),
        ("2026-11-12", "19.50", None, VENDOR, "received"),
    ]
    assert all(r["linked"] == [f"PurchaseOrder:{po['id']}"] for r in receipts)

    # The same version again (a poller re-reading it), then the next: the last delivery, and the order delivered.
    event = await _post(services, tenant, connection, "linnworks", partial, _delivered(partial), replay=True)
    assert event.status is LedgerStatus.POSTED, event
    assert [(d.type.value, d.action.value) for d in event.documents] == [
        ("item_receipt", "create"),
        ("purchase_order", "close"),
    ]
    books = await company.books()
    (po,) = _of(books, "PurchaseOrder")
    assert po["status"] == "closed"  # its freight line is never received: closed by ledgerflow, not by QuickBooks
    assert [r[:2] for r in _summary(books, "ItemReceipt")] == [
        ("2026-11-10", "84.00"),
        ("2026-11-12", "19.50"),
        ("2026-11-14", "19.50"),
    ]
    assert sorted(po["linked"]) == sorted(f"ItemReceipt:{r['id']}" for r in _of(books, "ItemReceipt"))


async def test_receipt_as_bill_links_bills_and_a_cancelled_order_is_closed(
    services: LocalServices, connect: Connect, tenant: str, tmp_path: Path
) -> None:
    company = await connect(vendors=["Northwind Textiles"])
    connection = await _configure(
        services,
        tmp_path,
        tenant,
        "skuvault",
        "receipt_policy: receipt-as-bill\nvendors:\n  Northwind Textiles: Northwind Textiles\n",
    )
    partial = _linnworks("skuvault-partial.json")
    event = await _post(services, tenant, connection, "skuvault", partial)
    assert [(d.type.value, d.status.value) for d in event.documents] == [
        ("purchase_order", "posted"),
        ("bill", "posted"),
        ("bill", "posted"),
    ]
    cancelled = copy.deepcopy(partial)
    cancelled["PurchaseOrders"][0]["Status"] = "Cancelled"
    event = await _post(services, tenant, connection, "skuvault", cancelled)
    assert [(d.type.value, d.action.value, d.status.value) for d in event.documents] == [
        ("purchase_order", "close", "posted")
    ]
    books = await company.books()
    (po,) = _of(books, "PurchaseOrder")
    assert (po["doc_number"], po["total"], po["status"]) == ("SV-7781", "391.50", "closed")
    bills = _of(books, "Bill")
    assert sorted(b["total"] for b in bills) == ["20.50", "287.00"]
    assert all(b["linked"] == [f"PurchaseOrder:{po['id']}"] and b["balance"] == b["total"] for b in bills)


async def test_an_order_changed_before_any_receipt_is_changed_in_quickbooks_not_added_again(
    services: LocalServices, connect: Connect, tenant: str, tmp_path: Path
) -> None:
    company = await connect(vendors=[VENDOR])
    connection = await _configure(services, tmp_path, tenant, "linnworks", f"vendors:\n  {SUPPLIER}: {VENDOR}\n")
    ordered = _ordered(_linnworks())
    more = copy.deepcopy(ordered)
    more["PurchaseOrderItem"][1].update({"Quantity": 18, "Cost": 70.2, "Tax": 11.7})  # 18 white mugs, not 12
    more["PurchaseOrderHeader"]["TotalCost"] = 189.0

    event = await _post(services, tenant, connection, "linnworks", ordered, more)
    assert [(d.type.value, d.action.value, d.status.value) for d in event.documents] == [
        ("purchase_order", "update", "posted")
    ]
    (po,) = _of(await company.books(), "PurchaseOrder")
    assert (po["doc_number"], po["total"], po["status"]) == ("PO-2041", "157.50", "open")

    # The changed version again (a poller re-reading it) adds nothing: no second change, no second order.
    assert await _post(services, tenant, connection, "linnworks", more, replay=True) is None
    assert [(d["doc_number"], d["total"]) for d in _of(await company.books(), "PurchaseOrder")] == [
        ("PO-2041", "157.50")
    ]


async def test_answers_lost_after_quickbooks_saved_never_make_a_duplicate(
    services: LocalServices, connect: Connect, tenant: str, tmp_path: Path
) -> None:
    """QuickBooks saves the purchase order, an item receipt, then the close, and each answer is lost with its
    session: the writer looks each up (RefNumber, or vendor and date, with the memo; the order's state) before it
    would send it again."""
    company = await connect(vendors=[VENDOR])
    connection = await _configure(services, tmp_path, tenant, "linnworks", f"vendors:\n  {SUPPLIER}: {VENDOR}\n")
    partial = _linnworks()
    steps = (
        ("PurchaseOrderAddRq", _ordered(partial)),
        ("ItemReceiptAddRq", partial),
        ("PurchaseOrderModRq", _delivered(partial)),
    )
    for lost_on, payload in steps:
        await _faults(services, {"response_lost_on": lost_on})
        try:
            event = await _post(services, tenant, connection, "linnworks", payload)
            struck = await _faults(services, None)
        finally:
            await _faults(services, {})
        assert struck["response_lost_on"] == "", f"the fault never struck on {lost_on}"
        assert event.status is LedgerStatus.POSTED, event
    books = await company.books()
    assert [(d["doc_number"], d["status"]) for d in _of(books, "PurchaseOrder")] == [("PO-2041", "closed")]
    assert [r[:2] for r in _summary(books, "ItemReceipt")] == [
        ("2026-11-10", "84.00"),
        ("2026-11-12", "19.50"),
        ("2026-11-14", "19.50"),
    ]


async def test_an_invoice_for_goods_already_received_as_an_item_receipt_is_refused_with_what_to_do(
    services: LocalServices, connect: Connect, tenant: str, tmp_path: Path
) -> None:
    """Erply's waybill is goods (an item receipt); its invoice-only document is the bill for them, which QuickBooks
    makes from the item receipt only in its own window: the bill fails alone, the rest is posted."""
    company = await connect(vendors=["Baltic Wool"])
    connection = await _configure(services, tmp_path, tenant, "erply", 'vendors:\n  "77": Baltic Wool\n')
    payload = erply_waybill_then_invoice()
    event = await _post(services, tenant, connection, "erply", payload, refused=True)
    assert [(d.type.value, d.status.value) for d in event.documents] == [
        ("purchase_order", "posted"),
        ("item_receipt", "posted"),
        ("bill", "failed"),
    ]
    error = event.documents[2].error
    assert error is not None and error.code == "qbd.bill_for_item_receipt"
    assert "Enter Bill for Received Items" in str(error.fix)
    books = await company.books()
    assert [d["type"] for d in books["documents"]] == ["PurchaseOrder", "ItemReceipt"]
