"""SKU Vault purchase orders (payloads of our own, built on the getPOs / getReceivesHistory skeletons)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledgerflow.contracts import ChargeKind, PurchaseOrderStatus, PurchaseOrderSystem

from .helpers import edited, load, normalized, refused

SKUVAULT = PurchaseOrderSystem.SKUVAULT
PO: list[str | int] = ["PurchaseOrders", 0]


def _po() -> dict[str, Any]:
    return load("skuvault-partial.json")


def test_partly_received_order_with_freight() -> None:
    po = normalized(SKUVAULT, _po())
    assert (po.po_number, po.source_po_id, po.status) == ("SV-7781", "118204", PurchaseOrderStatus.PARTIALLY_RECEIVED)
    assert [(line.line_id, line.sku, line.quantity, line.unit_cost, line.received) for line in po.lines] == [
        ("1", "TEE-S", Decimal(50), Decimal("4.1"), Decimal(50)),
        ("2", "TEE-M", Decimal(40), Decimal("4.1"), Decimal(25)),
    ]
    assert [(c.kind, c.amount) for c in po.charges] == [(ChargeKind.SHIPPING, Decimal("22.5"))]
    assert (po.memo, po.ship_to) == ("Please label cartons by size", "WH1 / Main warehouse")
    assert "Reorder after the autumn sale" in (po.private_note or "")


def test_no_currency_and_no_tax_means_the_accounts_currency() -> None:
    po = normalized(SKUVAULT, _po())
    assert po.currency is None and po.exchange_rate is None
    assert all(line.tax == 0 and line.tax_rate is None for line in po.lines)


def test_vendor_identity_is_the_supplier_name() -> None:
    po = normalized(SKUVAULT, _po())
    assert (po.vendor.source_id, po.vendor.name) == (None, "Northwind Textiles")
    assert refused(SKUVAULT, edited(_po(), [*PO, "SupplierName"], "")).code == "purchase_order.no_supplier"


def test_zero_cost_line_is_flagged_not_posted_silently() -> None:
    po = normalized(SKUVAULT, edited(_po(), [*PO, "LineItems", 1, "Cost"], 0))
    assert po.lines[1].unit_cost == 0
    assert po.warnings == ("zero unit cost on TEE-M: check the cost in SKU Vault",)


def test_quantity_to_3pl_is_not_added_to_the_ordered_quantity() -> None:
    po = normalized(SKUVAULT, edited(_po(), [*PO, "LineItems", 1, "QuantityTo3PL"], 10))
    assert po.lines[1].quantity == 40


def test_dotnet_dates_with_seven_fractional_digits_and_the_minimum_date() -> None:
    po = normalized(SKUVAULT, _po())
    assert str(po.ordered_on) == "2026-10-28"
    assert po.expected_on is None  # ArrivalDueDate 0001-01-01T00:00:00 is "no date"
    assert str(po.receipts[0].received_on) == "2026-11-05"  # from ...T17:12:07.5146577Z


def test_order_date_falls_back_to_the_created_date() -> None:
    po = normalized(SKUVAULT, edited(_po(), [*PO, "OrderDate"], ""))
    assert str(po.ordered_on) == "2026-10-28"


def test_completed_is_the_final_state_received_or_short_closed() -> None:
    assert normalized(SKUVAULT, edited(_po(), [*PO, "Status"], "Completed")).status is PurchaseOrderStatus.CLOSED
    full = edited(edited(_po(), [*PO, "Status"], "Completed"), [*PO, "LineItems", 1, "ReceivedQuantity"], 40)
    assert normalized(SKUVAULT, full).status is PurchaseOrderStatus.RECEIVED
    assert normalized(SKUVAULT, edited(_po(), [*PO, "Status"], "Cancelled")).status is PurchaseOrderStatus.CANCELLED


def test_status_missing_from_the_poll_is_refused_saying_to_ask_for_completed() -> None:
    detail = refused(SKUVAULT, edited(_po(), [*PO, "Status"], ""))
    assert detail.code == "purchase_order.unknown_status" and "Completed" in (detail.fix or "")


def test_receives_grouped_by_received_date_and_warehouse_other_orders_left_out() -> None:
    po = normalized(SKUVAULT, _po())
    assert [(r.receipt_id, [(rl.line_id, rl.quantity) for rl in r.lines]) for r in po.receipts] == [
        ("2026-11-05T17:12:07.5146577Z|WH1", [("1", Decimal(50)), ("2", Decimal(20))]),
        ("2026-11-08T10:00:00.0000000Z|WH1", [("2", Decimal(5))]),
    ]


def test_correction_is_an_adjustment_event_of_its_own() -> None:
    payload = _po()
    payload["Corrections"] = [
        {
            "Code": "",
            "CorrectedDate": "2026-11-09T09:00:00.0000000Z",
            "NewQuantity": 18,
            "NewQuantity3pl": 0,
            "OldQuantity": 20,
            "OldQuantity3pl": 0,
            "PONumber": "SV-7781",
            "PartNumber": "",
            "QuantityByReceiptDate": [],
            "ReceivedDate": "",
            "SKU": "TEE-M",
            "Username": "dock",
        }
    ]
    last = normalized(SKUVAULT, payload).receipts[-1]
    assert (last.receipt_id, last.lines[0].line_id, last.lines[0].quantity) == (
        "correction|2026-11-09T09:00:00.0000000Z|TEE-M",
        "2",
        Decimal(-2),
    )


def test_receive_of_a_sku_not_on_the_order_is_refused() -> None:
    detail = refused(SKUVAULT, edited(_po(), ["Receives", 0, "SKU"], "HAT-9"))
    assert detail.code == "purchase_order.unknown_line" and "HAT-9" in detail.message


def test_a_response_with_two_orders_is_refused() -> None:
    payload = _po()
    payload["PurchaseOrders"].append(payload["PurchaseOrders"][0])
    assert refused(SKUVAULT, payload).code == "purchase_order.not_one_order"


def test_one_order_under_its_own_key_is_taken() -> None:
    payload = _po()
    bundle = {"PurchaseOrder": payload["PurchaseOrders"][0], "Receives": payload["Receives"]}
    assert normalized(SKUVAULT, bundle).po_number == "SV-7781"
