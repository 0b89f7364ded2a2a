"""Lightspeed X-Series: consignments (API 2.0) and the 2026-04 Purchase Order API. The bundles are assembled from
Lightspeed's own examples (see tests/fixtures/purchase_orders/README.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ledgerflow.contracts import PurchaseOrderStatus, PurchaseOrderSystem, ReceiptKind

from .helpers import edited, load, normalized, refused

X = PurchaseOrderSystem.LIGHTSPEED_X
CONSIGNMENT = ["consignment", "data"]
PURCHASE_ORDER = ["purchase_order", "data"]


def _consignment() -> dict[str, Any]:
    return load("lightspeed_x-consignment-received-short.json")


def _purchase_order() -> dict[str, Any]:
    return load("lightspeed_x-purchase-order-delivered.json")


def test_purchase_order_with_a_delivery_invoiced_by_the_supplier() -> None:
    po = normalized(X, _purchase_order())
    assert (po.po_number, po.vendor.name, po.memo) == ("PO-1001", "Roastery Supply Co", "Restock front outlet")
    assert [(line.sku, line.quantity, line.unit_cost, line.received) for line in po.lines] == [
        ("BEAN-1KG", Decimal(10), Decimal("2.50"), Decimal(6))
    ]
    (delivery,) = po.receipts
    assert (delivery.kind, delivery.supplier_invoice, str(delivery.invoice_date)) == (
        ReceiptKind.GOODS_AND_INVOICE,
        "SUP-7781",
        "2026-04-10",
    )
    assert po.status is PurchaseOrderStatus.PARTIALLY_RECEIVED


def test_money_and_quantities_as_decimal_strings_may_be_fractional() -> None:
    payload = edited(_purchase_order(), ["line_items", "data", 0, "quantity"], "2.500")
    payload = edited(payload, ["purchase_order", "data", "cost_price_total"], "6.25")
    payload = edited(payload, ["delivery_line_items", "data", 0, "received_quantity"], "1.25")
    po = normalized(X, payload)
    assert (po.lines[0].quantity, po.lines[0].received) == (Decimal("2.500"), Decimal("1.25"))


def test_null_cost_is_refused_never_read_as_zero() -> None:
    detail = refused(X, edited(_purchase_order(), ["line_items", "data", 0, "cost_price"], None))
    assert detail.code == "purchase_order.cost_hidden" and "products:read:costs" in (detail.fix or "")


def test_product_sku_is_optional_and_resolved_through_the_products_map() -> None:
    payload = _purchase_order()
    del payload["skus"]
    assert normalized(X, payload).lines[0].sku is None  # the planner then stops it with the product id
    payload["line_items"]["data"][0]["product_sku"] = "BEAN-1KG-X"
    assert normalized(X, payload).lines[0].sku == "BEAN-1KG-X"


def test_consignment_rows_keyed_by_position_same_product_and_a_row_without_count() -> None:
    po = normalized(X, _consignment())
    assert [(line.line_id, line.product_id[:8] if line.product_id else None) for line in po.lines] == [
        ("1", "fa16cdf8"),
        ("2", "fa16cdf8"),
        ("3", "fa16cdf8"),
    ]
    # The row without "count" was added while receiving and received nothing: it orders nothing.
    assert (po.lines[1].quantity, po.lines[1].cancelled) == (Decimal(0), True)
    # Its line status RECEIVE_SUCCESS, outside the schema's list, is no obstacle.


def test_no_tax_and_no_currency_in_the_payloads() -> None:
    po = normalized(X, _consignment())
    assert po.currency is None and all(line.tax == 0 for line in po.lines)


@pytest.mark.parametrize("kind", ["OUTLET", "RETURN", "STOCKTAKE"])
def test_consignments_other_than_supplier_are_not_purchase_orders(kind: str) -> None:
    detail = refused(X, edited(_consignment(), [*CONSIGNMENT, "type"], kind))
    assert detail.code == "purchase_order.not_a_purchase_order" and kind in detail.message


def test_received_needs_only_one_line_so_a_short_order_is_short_closed() -> None:
    assert normalized(X, _consignment()).status is PurchaseOrderStatus.CLOSED


def test_dispatched_can_mean_partly_received() -> None:
    po = normalized(X, edited(_consignment(), [*CONSIGNMENT, "status"], "DISPATCHED"))
    assert po.status is PurchaseOrderStatus.PARTIALLY_RECEIVED
    nothing = edited(edited(_consignment(), [*CONSIGNMENT, "status"], "SENT"), ["products", "data", 0, "received"], "0")
    assert normalized(X, nothing).status is PurchaseOrderStatus.OPEN


def test_open_consignment_never_sent_is_a_draft() -> None:
    assert normalized(X, edited(_consignment(), [*CONSIGNMENT, "status"], "OPEN")).status is PurchaseOrderStatus.DRAFT


def test_cancelled_or_deleted_order_is_cancelled() -> None:
    assert normalized(X, edited(_consignment(), [*CONSIGNMENT, "status"], "CANCELLED")).status is (
        PurchaseOrderStatus.CANCELLED
    )
    deleted = edited(_purchase_order(), [*PURCHASE_ORDER, "deleted_at"], "2026-04-11T00:00:00Z")
    assert normalized(X, deleted).status is PurchaseOrderStatus.CANCELLED


def test_draft_delivery_is_not_a_receipt() -> None:
    payload = edited(_purchase_order(), ["deliveries", "data", 0, "status"], "DRAFT")
    po = normalized(X, payload)
    assert po.receipts == () and po.lines[0].received == 0


def test_delivery_without_a_supplier_invoice_is_goods_only() -> None:
    payload = edited(_purchase_order(), ["deliveries", "data", 0, "supplier_invoice"], None)
    assert normalized(X, payload).receipts[0].kind is ReceiptKind.GOODS


def test_zero_cost_rows_are_flagged() -> None:
    assert normalized(X, _consignment()).warnings == (
        "zero unit cost on COFFEE-BAG: check the cost in Lightspeed X-Series",
    )


def test_consignment_without_a_reference_is_numbered_by_its_id_and_said_so() -> None:
    payload = _consignment()
    del payload["consignment"]["data"]["reference"]
    po = normalized(X, payload)
    assert po.po_number == "7dbe52cd-0ae4-11e4-a0f5-b8ca3a64f8f4"
    assert any("no reference" in w for w in po.warnings)


def test_order_without_a_supplier_is_refused() -> None:
    payload = _purchase_order()
    del payload["purchase_order"]["data"]["supplier_id"]
    assert refused(X, payload).code == "purchase_order.no_supplier"


def test_delivery_of_another_order_is_refused() -> None:
    detail = refused(X, edited(_purchase_order(), ["deliveries", "data", 0, "purchase_order_id"], "other"))
    assert detail.code == "purchase_order.foreign_delivery"


def test_costs_and_discounts_of_the_order_are_charges() -> None:
    payload = edited(_purchase_order(), [*PURCHASE_ORDER, "costs"], [{"name": "Freight", "amount": "4.00"}])
    payload = edited(payload, [*PURCHASE_ORDER, "discounts"], [{"name": "Early order", "amount": "1.50"}])
    po = normalized(X, payload)
    assert [(c.title, c.amount) for c in po.charges] == [
        ("Freight", Decimal("4.00")),
        ("Early order", Decimal("-1.50")),
    ]


def test_received_consignment_is_one_receipt_event_of_what_arrived() -> None:
    (receipt,) = normalized(X, _consignment()).receipts
    assert (receipt.receipt_id, str(receipt.received_on)) == (
        "7dbe52cd-0ae4-11e4-a0f5-b8ca3a64f8f4/received",
        "2015-07-30",
    )
    assert [(rl.line_id, rl.quantity) for rl in receipt.lines] == [("1", Decimal("10.00000"))]


def test_consignment_on_its_way_has_no_receipt_event_yet() -> None:
    po = normalized(X, edited(_consignment(), [*CONSIGNMENT, "status"], "DISPATCHED"))
    assert po.receipts == () and po.lines[0].received == 10
