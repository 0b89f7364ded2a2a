"""A purchase order's documents in the books: the purchase order, its receipts by the connection's policy, its
closing, and later versions that update or close, never duplicate."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ledgerflow.contracts import (
    BooksTarget,
    DocumentAction,
    DocumentType,
    LineKind,
    PlannedDocument,
    PurchaseOrderSystem,
)
from ledgerflow.planner.source_purchase_orders import (
    PurchaseOrderPlan,
    PurchaseOrderSettings,
    ReceiptPolicy,
    plan_purchase_order,
)
from ledgerflow.planner.state import KnownDocument, fingerprint

from .helpers import edited, erply_waybill_then_invoice, load, normalized

PREFIX = "acme/acme-po/linnworks/3f1c2b9a"
PO_KEY = f"{PREFIX}/purchase_order"
LINNWORKS_VENDOR = "b7e2d4c1-5a3f-4e9b-8c21-6d0f3a9e7c55"
ONLINE = PurchaseOrderSettings(
    vendors={
        LINNWORKS_VENDOR: "Northwind Ceramics",
        "Northwind Textiles": "Northwind",
        "77": "Bright Wax",
        "62": "Green Valley",
    }
)


def _linnworks(
    payload: dict[str, Any] | None = None,
    settings: PurchaseOrderSettings = ONLINE,
    known: dict[str, KnownDocument] | None = None,
) -> PurchaseOrderPlan:
    po = normalized(PurchaseOrderSystem.LINNWORKS, payload or load("linnworks-partial-gbp.json"))
    return plan_purchase_order(po, settings, PREFIX, known)


def _known(documents: Iterable[PlannedDocument], status: str = "posted") -> dict[str, KnownDocument]:
    return {
        d.key: KnownDocument(
            key=d.key,
            type=d.type,
            action=d.action,
            status=status,
            total=d.total,
            fingerprint=fingerprint(d),
            links=d.applies_to,
            target=d.target,
            external_id=None,
        )
        for d in documents
    }


def _shape(plan: PurchaseOrderPlan) -> list[tuple[str, str, str]]:
    return [(d.type.value, d.action.value, d.key.removeprefix(PREFIX + "/")) for d in plan.documents]


def test_partly_received_order_is_a_purchase_order_and_a_bill_per_delivery_on_online() -> None:
    plan = _linnworks()
    assert plan.problems == ()
    assert _shape(plan) == [
        ("purchase_order", "create", "purchase_order"),
        ("bill", "create", "bill/501"),
        ("bill", "create", "bill/502"),
    ]
    order, first, second = plan.documents
    assert (order.vendor_name, order.currency, str(order.txn_date), order.total) == (
        "Northwind Ceramics",
        "GBP",
        "2026-11-02",
        Decimal("138.00"),
    )
    assert [(line.kind, line.item_name, line.quantity, line.amount) for line in order.lines] == [
        (LineKind.ITEM, "MUG-BLK", Decimal(24), Decimal("84.00")),
        (LineKind.ITEM, "MUG-WHT", Decimal(12), Decimal("39.00")),
        (LineKind.SHIPPING, "Freight", Decimal(1), Decimal("15.00")),
    ]
    assert order.memo == "Linnworks purchase order PO-2041 · supplier ref NW-88120"
    assert (first.applies_to, str(first.txn_date), first.total) == ((PO_KEY,), "2026-11-10", Decimal("84.00"))
    assert (second.lines[0].item_name, second.lines[0].quantity, second.total) == (
        "MUG-WHT",
        Decimal(6),
        Decimal("19.50"),
    )


def test_the_same_version_again_plans_nothing() -> None:
    first = _linnworks()
    assert _linnworks(known=_known(first.documents)).documents == ()


def test_a_later_delivery_adds_its_bill_and_the_close_only() -> None:
    before = _linnworks()
    payload = load("linnworks-partial-gbp.json")
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
    after = _linnworks(payload, known=_known(before.documents))
    assert _shape(after) == [("bill", "create", "bill/503"), ("purchase_order", "close", "purchase_order/close")]
    assert after.documents[1].target == PO_KEY


def test_po_only_posts_the_purchase_order_and_closes_it_when_the_source_does() -> None:
    settings = PurchaseOrderSettings(receipt_policy=ReceiptPolicy.PO_ONLY, vendors=ONLINE.vendors)
    assert _shape(_linnworks(settings=settings)) == [("purchase_order", "create", "purchase_order")]
    delivered = edited(load("linnworks-partial-gbp.json"), ["PurchaseOrderHeader", "Status"], "DELIVERED")
    assert _shape(_linnworks(delivered, settings=settings)) == [
        ("purchase_order", "create", "purchase_order"),
        ("purchase_order", "close", "purchase_order/close"),
    ]


def test_short_closed_order_is_closed_and_the_remainder_never_billed() -> None:
    delivered = edited(load("linnworks-partial-gbp.json"), ["PurchaseOrderHeader", "Status"], "DELIVERED")
    plan = _linnworks(delivered)
    bills = [d for d in plan.documents if d.type is DocumentType.BILL]
    assert sum(line.quantity for d in bills for line in d.lines) == 30  # 24 + 6 received of 36 ordered
    assert plan.documents[-1].action is DocumentAction.CLOSE


def test_an_unmapped_vendor_stops_the_purchase_order_never_creates_one() -> None:
    plan = _linnworks(settings=PurchaseOrderSettings())
    assert plan.documents == ()
    (problem,) = plan.problems
    assert problem.code == "purchase_order.vendor_unmapped" and LINNWORKS_VENDOR in problem.message
    assert "vendor map" in (problem.fix or "")


def test_vendor_by_name_when_the_source_knows_names_only() -> None:
    po = normalized(PurchaseOrderSystem.SKUVAULT, load("skuvault-partial.json"))
    settings = PurchaseOrderSettings(vendors={"northwind textiles": "Northwind"})
    assert plan_purchase_order(po, settings, PREFIX).documents[0].vendor_name == "Northwind"


def test_a_line_without_sku_stops_the_purchase_order() -> None:
    payload = load("lightspeed_x-purchase-order-delivered.json")
    del payload["skus"]
    po = normalized(PurchaseOrderSystem.LIGHTSPEED_X, payload)
    plan = plan_purchase_order(
        po, PurchaseOrderSettings(vendors={"6ba7b811-9dad-41d1-80b4-00c04fd430c8": "Roastery"}), PREFIX
    )
    assert plan.documents == () and plan.problems[0].code == "purchase_order.line_without_sku"
    assert "550e8402-e29b-41d4-a716-446655440000" in plan.problems[0].message


def test_a_draft_never_reaches_the_books() -> None:
    draft = edited(load("linnworks-partial-gbp.json"), ["PurchaseOrderHeader", "Status"], "PENDING")
    assert _linnworks(draft) == PurchaseOrderPlan(())


def test_cancelled_before_posting_is_nothing_after_posting_a_close() -> None:
    payload = load("skuvault-partial.json")
    payload["PurchaseOrders"][0]["Status"] = "Cancelled"
    po = normalized(PurchaseOrderSystem.SKUVAULT, payload)
    settings = PurchaseOrderSettings(vendors={"Northwind Textiles": "Northwind"}, receipt_policy=ReceiptPolicy.PO_ONLY)
    assert plan_purchase_order(po, settings, PREFIX).documents == ()
    open_po = normalized(PurchaseOrderSystem.SKUVAULT, load("skuvault-partial.json"))
    posted = _known(plan_purchase_order(open_po, settings, PREFIX).documents)
    assert _shape(plan_purchase_order(po, settings, PREFIX, posted)) == [
        ("purchase_order", "close", "purchase_order/close")
    ]


def test_an_edit_before_any_receipt_updates_the_purchase_order() -> None:
    settings = PurchaseOrderSettings(receipt_policy=ReceiptPolicy.PO_ONLY, vendors=ONLINE.vendors)
    before = _linnworks(settings=settings)
    payload = load("linnworks-partial-gbp.json")
    payload["PurchaseOrderItem"][1]["Quantity"] = 18
    payload["PurchaseOrderItem"][1]["Cost"] = 70.2  # 18 x 3.25 + 11.70 tax
    payload["PurchaseOrderItem"][1]["Tax"] = 11.7
    payload["PurchaseOrderHeader"]["TotalCost"] = 189.0
    after = _linnworks(payload, settings=settings, known=_known(before.documents))
    (update,) = after.documents
    assert (update.action, update.target, update.total) == (DocumentAction.UPDATE, PO_KEY, Decimal("157.50"))
    assert _linnworks(payload, settings=settings, known=_known([*before.documents, update])).documents == ()


def test_an_edit_after_goods_were_billed_is_left_to_the_bookkeeper() -> None:
    before = _linnworks()
    payload = copy.deepcopy(load("linnworks-partial-gbp.json"))
    payload["PurchaseOrderItem"][1]["Quantity"] = 18
    payload["PurchaseOrderItem"][1]["Cost"] = 70.2
    payload["PurchaseOrderItem"][1]["Tax"] = 11.7
    payload["PurchaseOrderHeader"]["TotalCost"] = 189.0
    after = _linnworks(payload, known=_known(before.documents))
    assert after.documents == ()
    assert (
        after.problems[0].code == "purchase_order.changed_after_receipt" and "was 138.00" in after.problems[0].message
    )


def test_desktop_item_receipts_for_goods_and_a_bill_for_the_invoice_linked_to_them() -> None:
    po = normalized(PurchaseOrderSystem.ERPLY, erply_waybill_then_invoice())
    desktop = PurchaseOrderSettings(target=BooksTarget.QUICKBOOKS_DESKTOP, vendors={"77": "Bright Wax"})
    plan = plan_purchase_order(po, desktop, PREFIX)
    assert [(d.type.value, d.key.removeprefix(PREFIX + "/"), d.applies_to) for d in plan.documents] == [
        ("purchase_order", "purchase_order", ()),
        ("item_receipt", "item_receipt/9050", (PO_KEY,)),
        ("bill", "bill/9060", (f"{PREFIX}/item_receipt/9050",)),
    ]
    # On QuickBooks Online the waybill moves no payable: its invoice alone is the bill.
    online = plan_purchase_order(po, ONLINE, PREFIX)
    assert [d.key.removeprefix(PREFIX + "/") for d in online.documents] == ["purchase_order", "bill/9060"]


def test_a_supplier_invoice_wins_its_own_costs_and_date() -> None:
    payload = edited(load("erply-partial-eur.json"), ["records", 1, "rows", 0, "price"], 9.5)
    po = normalized(PurchaseOrderSystem.ERPLY, payload)
    bill = plan_purchase_order(po, ONLINE, PREFIX).documents[1]
    assert (bill.lines[0].unit_price, bill.total, str(bill.txn_date)) == (
        Decimal("9.50000"),
        Decimal("190.00"),
        "2026-11-09",
    )
    assert "supplier invoice BW-2026-311" in bill.memo


def test_item_receipts_need_desktop() -> None:
    settings = PurchaseOrderSettings(receipt_policy=ReceiptPolicy.ITEM_RECEIPT, vendors=ONLINE.vendors)
    plan = _linnworks(settings=settings)
    assert plan.documents == () and plan.problems[0].code == "purchase_order.policy_unsupported"


def test_a_receipt_correction_is_a_problem_for_the_bookkeeper_not_a_negative_bill() -> None:
    payload = load("skuvault-partial.json")
    payload["Corrections"] = [
        {
            "CorrectedDate": "2026-11-09T09:00:00Z",
            "NewQuantity": 18,
            "OldQuantity": 20,
            "PONumber": "SV-7781",
            "SKU": "TEE-M",
        }
    ]
    po = normalized(PurchaseOrderSystem.SKUVAULT, payload)
    plan = plan_purchase_order(po, PurchaseOrderSettings(vendors={"Northwind Textiles": "Northwind"}), PREFIX)
    assert [p.code for p in plan.problems] == ["purchase_order.receipt_corrected"]
    assert all(line.quantity > 0 for d in plan.documents for line in d.lines)


def test_the_cents_lines_leave_from_the_source_total_are_a_rounding_line() -> None:
    payload = load("linnworks-partial-gbp.json")
    payload["PurchaseOrderItem"][1]["Quantity"] = 3000
    payload["PurchaseOrderItem"][1]["Cost"] = 1200.01  # 1,000.01 net for 3,000: 0.33334 each, 1,000.02 in all
    payload["PurchaseOrderItem"][1]["Tax"] = 200.0
    payload["PurchaseOrderHeader"]["TotalCost"] = 1318.81
    order = _linnworks(payload).documents[0]
    assert [(line.kind, line.amount) for line in order.lines][1:] == [
        (LineKind.ITEM, Decimal("1000.02")),
        (LineKind.SHIPPING, Decimal("15.00")),
        (LineKind.ROUNDING, Decimal("-0.01")),
    ]
    assert order.total == Decimal("1099.01")


def test_x_series_consignment_received_is_billed_once() -> None:
    po = normalized(PurchaseOrderSystem.LIGHTSPEED_X, load("lightspeed_x-consignment-received-short.json"))
    settings = PurchaseOrderSettings(vendors={"0adfd74a-153e-11e9-fa42-67b5781ba1fb": "Coffee Co"})
    plan = plan_purchase_order(po, settings, PREFIX)
    assert _shape(plan) == [
        ("purchase_order", "create", "purchase_order"),
        ("bill", "create", "bill/7dbe52cd-0ae4-11e4-a0f5-b8ca3a64f8f4/received"),
        ("purchase_order", "close", "purchase_order/close"),
    ]
    assert plan_purchase_order(po, settings, PREFIX, _known(plan.documents)).documents == ()
