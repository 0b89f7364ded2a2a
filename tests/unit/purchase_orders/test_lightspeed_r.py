"""Lightspeed R-Series purchase orders: an Order with its OrderLines and shipments, assembled from Lightspeed's own
examples (see tests/fixtures/purchase_orders/README.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledgerflow.contracts import ChargeKind, PurchaseOrderStatus, PurchaseOrderSystem, ReceiptKind

from .helpers import edited, load, normalized, refused

R = PurchaseOrderSystem.LIGHTSPEED_R
ORDER = ["Order"]
LINES = ["Order", "OrderLines", "OrderLine"]


def _po() -> dict[str, Any]:
    return load("lightspeed_r-order-complete.json")


def test_completed_order_with_its_shipment() -> None:
    po = normalized(R, _po())
    assert (po.po_number, po.vendor.source_id, po.vendor.name) == ("3", "62", "Green Valley Farms")
    assert [(line.line_id, line.sku, line.quantity, line.unit_cost) for line in po.lines] == [
        ("73", "TOMATO-CASE", Decimal(1), Decimal("20.12")),
        ("74", "BASIL-BUNCH", Decimal(4), Decimal("7.50")),
    ]
    assert po.status is PurchaseOrderStatus.RECEIVED
    (shipment,) = po.receipts
    assert (shipment.receipt_id, shipment.kind, str(shipment.due_date)) == (
        "101",
        ReceiptKind.GOODS_AND_INVOICE,
        "2021-11-20",
    )
    assert [(c.kind, c.amount) for c in po.charges] == [(ChargeKind.SHIPPING, Decimal("9.56"))]


def test_every_value_a_json_string_numbers_and_booleans_included() -> None:
    po = normalized(R, edited(_po(), [*ORDER, "complete"], "false"))
    assert po.status is PurchaseOrderStatus.PARTIALLY_RECEIVED
    assert isinstance(po.lines[0].quantity, Decimal)


def test_single_relation_is_an_object_several_an_array() -> None:
    payload = _po()
    payload["Order"]["OrderLines"]["OrderLine"] = payload["Order"]["OrderLines"]["OrderLine"][0]
    payload["OrderShipments"]["OrderShipment"]["OrderShipmentItems"]["OrderShipmentItem"] = payload["OrderShipments"][
        "OrderShipment"
    ]["OrderShipmentItems"]["OrderShipmentItem"][0]
    po = normalized(R, payload)
    assert [line.line_id for line in po.lines] == ["73"] and po.receipts[0].lines[0].line_id == "73"


def test_one_currency_per_order_merchant_prices_never_vendor_costs() -> None:
    po = normalized(R, _po())
    assert po.lines[0].unit_cost == Decimal("20.12")  # price, not vendorCost 15.12
    assert po.charges[0].amount == Decimal("9.56")  # shipCost, not shipVendorCost 8.12
    assert po.currency is None and "vendor currency USD at 1.5" in (po.private_note or "")


def test_price_already_has_the_order_discount_in_it() -> None:
    payload = edited(_po(), [*LINES, 0, "originalPrice"], "25.00")
    payload = edited(payload, [*ORDER, "discountMoneyValue"], "4.88")
    po = normalized(R, payload)
    assert po.lines[0].unit_cost == Decimal("20.12")
    assert all(c.kind is not ChargeKind.DISCOUNT for c in po.charges)


def test_num_received_is_not_stock_only_checked_in_is() -> None:
    payload = edited(_po(), [*LINES, 1, "checkedIn"], "0")
    payload = edited(payload, [*LINES, 1, "numReceived"], "4")
    payload = edited(payload, [*ORDER, "complete"], "false")
    po = normalized(R, payload)
    assert po.lines[1].received == 0


def test_complete_with_lines_short_is_a_short_close() -> None:
    po = normalized(R, edited(_po(), [*LINES, 1, "checkedIn"], "3"))
    assert po.status is PurchaseOrderStatus.CLOSED and po.lines[1].open_quantity == 1


def test_costs_modified_after_shipment_is_noted_for_the_bookkeeper() -> None:
    po = normalized(R, edited(_po(), [*ORDER, "costsModifiedAfterShipment"], "true"))
    assert "costs were modified after shipment" in (po.private_note or "")


def test_order_never_placed_is_a_draft_and_archived_is_cancelled() -> None:
    assert normalized(R, edited(_po(), [*ORDER, "orderedDate"], "")).status is PurchaseOrderStatus.DRAFT
    assert normalized(R, edited(_po(), [*ORDER, "archived"], "true")).status is PurchaseOrderStatus.CANCELLED


def test_negative_other_cost_is_a_discount() -> None:
    po = normalized(R, edited(_po(), [*ORDER, "otherCost"], "-5.00"))
    assert (po.charges[1].kind, po.charges[1].amount) == (ChargeKind.DISCOUNT, Decimal("-5.00"))


def test_ref_num_is_the_number_when_set() -> None:
    assert normalized(R, edited(_po(), [*ORDER, "refNum"], "GV-1021")).po_number == "GV-1021"


def test_vendor_zero_is_no_vendor() -> None:
    assert refused(R, edited(_po(), [*ORDER, "vendorID"], "0")).code == "purchase_order.no_supplier"


def test_a_line_of_another_order_is_refused() -> None:
    detail = refused(R, edited(_po(), [*LINES, 0, "orderID"], "32"))
    assert detail.code == "purchase_order.foreign_line" and "order 32" in detail.message


def test_shipment_of_an_item_on_no_line_is_refused() -> None:
    payload = _po()
    payload["OrderShipments"]["OrderShipment"]["OrderShipmentItems"]["OrderShipmentItem"][0]["itemID"] = "999"
    assert refused(R, payload).code == "purchase_order.unknown_line"


def test_sku_from_the_skus_map_when_the_item_relation_is_not_loaded() -> None:
    payload = _po()
    del payload["Order"]["OrderLines"]["OrderLine"][0]["Item"]
    payload["skus"] = {"89": "TOMATO-CASE"}
    assert normalized(R, payload).lines[0].sku == "TOMATO-CASE"
