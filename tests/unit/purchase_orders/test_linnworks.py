"""Linnworks purchase orders (payloads of our own, built on the spec's skeleton: see tests/fixtures/purchase_orders)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from ledgerflow.contracts import ChargeKind, PurchaseOrderStatus, PurchaseOrderSystem

from .helpers import edited, load, normalized, refused

LINNWORKS = PurchaseOrderSystem.LINNWORKS
ITEMS = "PurchaseOrderItem"
HEADER = "PurchaseOrderHeader"


def _po() -> dict[str, Any]:
    return load("linnworks-partial-gbp.json")


def test_partly_delivered_order_in_pounds() -> None:
    po = normalized(LINNWORKS, _po())
    assert (po.po_number, po.currency, po.vendor_reference) == ("PO-2041", "GBP", "NW-88120")
    assert po.vendor.source_id == "b7e2d4c1-5a3f-4e9b-8c21-6d0f3a9e7c55"
    assert str(po.ordered_on) == "2026-11-02" and str(po.expected_on) == "2026-11-16"
    assert po.status is PurchaseOrderStatus.PARTIALLY_RECEIVED
    assert [(line.sku, line.quantity, line.unit_cost, line.received) for line in po.lines] == [
        ("MUG-BLK", Decimal(24), Decimal("3.5"), Decimal(24)),
        ("MUG-WHT", Decimal(12), Decimal("3.25"), Decimal(6)),
    ]
    assert po.source_total == Decimal("138.0") and po.net_total() == Decimal("138.0")


def test_cost_is_the_line_total_including_tax_as_the_spec_defines_it() -> None:
    line = normalized(LINNWORKS, _po()).lines[0]
    # Cost 100.80 = 24 x 3.50 + 16.80 tax: the unit cost posted is net of the tax.
    assert (line.unit_cost, line.tax, line.tax_rate) == (Decimal("3.5"), Decimal("16.8"), Decimal(20))


def test_cost_read_as_a_unit_cost_when_the_order_total_says_so() -> None:
    payload = edited(_po(), [ITEMS, 0, "Cost"], 3.5)
    payload = edited(payload, [ITEMS, 1, "Cost"], 3.25)
    po = normalized(LINNWORKS, payload)
    assert [line.unit_cost for line in po.lines] == [Decimal("3.5"), Decimal("3.25")]


def test_cost_that_fits_neither_reading_is_refused_with_both_figures() -> None:
    detail = refused(LINNWORKS, edited(_po(), [HEADER, "TotalCost"], 999.99))
    assert detail.code == "purchase_order.unbalanced"
    assert "999.99" in detail.message and "165.6" in detail.message


def test_tax_inclusive_unit_amounts_are_reduced_to_net() -> None:
    payload = edited(_po(), [HEADER, "UnitAmountTaxIncludedType"], 1)
    payload = edited(payload, [ITEMS, 0, "Cost"], 4.2)  # 24 x 4.20 = 100.80 with its tax inside
    payload = edited(payload, [ITEMS, 1, "Cost"], 3.9)  # 12 x 3.90 = 46.80
    po = normalized(LINNWORKS, payload)
    assert [line.unit_cost for line in po.lines] == [Decimal("3.5"), Decimal("3.25")]


def test_no_tax_type_ignores_tax_fields() -> None:
    payload = edited(_po(), [HEADER, "UnitAmountTaxIncludedType"], 2)
    payload = edited(payload, [ITEMS, 0, "Cost"], 84.0)
    payload = edited(payload, [ITEMS, 1, "Cost"], 39.0)
    payload = edited(payload, [HEADER, "TotalCost"], 138.0)
    payload = edited(payload, ["AdditionalCosts", 0, "Tax"], 0)
    payload = edited(payload, ["AdditionalCosts", 0, "TotalLineCost"], 18.0)
    po = normalized(LINNWORKS, payload)
    assert [(line.unit_cost, line.tax) for line in po.lines] == [
        (Decimal("3.5"), Decimal(0)),
        (Decimal("3.25"), Decimal(0)),
    ]


def test_money_as_json_doubles_is_read_from_its_literal_text() -> None:
    body = json.dumps(_po()).replace('"Cost": 46.8', '"Cost": 46.80000000000001')
    body = body.replace('"TotalCost": 165.6', '"TotalCost": 165.60000000000002')
    po = normalized(LINNWORKS, json.loads(body))
    assert all(isinstance(line.unit_cost, Decimal) for line in po.lines)
    assert po.lines[1].unit_cost == Decimal("3.25")  # rounded once, at the end
    assert po.source_total == Decimal("138.00000000000002")


def test_status_as_integer_enum_is_accepted() -> None:
    assert normalized(LINNWORKS, edited(_po(), [HEADER, "Status"], 2)).status is PurchaseOrderStatus.PARTIALLY_RECEIVED
    assert normalized(LINNWORKS, edited(_po(), [HEADER, "Status"], 0)).status is PurchaseOrderStatus.DRAFT
    assert refused(LINNWORKS, edited(_po(), [HEADER, "Status"], 7)).code == "purchase_order.unknown_status"


def test_pending_is_a_draft_that_never_reaches_the_books() -> None:
    assert normalized(LINNWORKS, edited(_po(), [HEADER, "Status"], "PENDING")).status is PurchaseOrderStatus.DRAFT


def test_date_of_delivery_is_not_a_receipt_date() -> None:
    po = normalized(LINNWORKS, edited(_po(), [HEADER, "DateOfDelivery"], "2026-12-31T00:00:00Z"))
    assert [str(r.received_on) for r in po.receipts] == ["2026-11-10", "2026-11-12"]
    assert str(po.expected_on) == "2026-11-16"


def test_delivered_lines_count_is_not_trusted_quantities_are() -> None:
    # DeliveredLinesCount counts fully delivered lines only; the partly delivered line is still received in part.
    po = normalized(LINNWORKS, edited(_po(), [HEADER, "DeliveredLinesCount"], 0))
    assert [line.received for line in po.lines] == [24, 6]


def test_is_deleted_means_the_stock_item_not_a_cancelled_line() -> None:
    po = normalized(LINNWORKS, edited(_po(), [ITEMS, 1, "IsDeleted"], True))
    assert not po.lines[1].cancelled and po.lines[1].quantity == 12


def test_same_sku_on_two_lines_keeps_both_lines_keyed_by_line_id() -> None:
    payload = edited(_po(), [ITEMS, 1, "SKU"], "MUG-BLK")
    po = normalized(LINNWORKS, payload)
    assert [line.sku for line in po.lines] == ["MUG-BLK", "MUG-BLK"]
    assert len({line.line_id for line in po.lines}) == 2
    assert [r.lines[0].line_id for r in po.receipts] == [po.lines[0].line_id, po.lines[1].line_id]


def test_delivered_with_lines_short_is_a_short_close() -> None:
    po = normalized(LINNWORKS, edited(_po(), [HEADER, "Status"], "DELIVERED"))
    assert po.status is PurchaseOrderStatus.CLOSED and po.lines[1].open_quantity == 6


def test_delivered_in_full_is_received() -> None:
    payload = edited(_po(), [HEADER, "Status"], "DELIVERED")
    payload = edited(payload, [ITEMS, 1, "Delivered"], 12)
    assert normalized(LINNWORKS, payload).status is PurchaseOrderStatus.RECEIVED


def test_over_receipt_is_kept_as_received() -> None:
    po = normalized(LINNWORKS, edited(_po(), [ITEMS, 1, "Delivered"], 15))
    assert po.lines[1].over_received and po.lines[1].open_quantity == 0


def test_deliveries_are_receipt_events_grouped_by_delivery_id() -> None:
    payload = _po()
    payload["DeliveredRecords"][1]["fkDeliveryId"] = 501  # both rows in one delivery
    po = normalized(LINNWORKS, payload)
    assert [(r.receipt_id, len(r.lines), str(r.received_on)) for r in po.receipts] == [("501", 2, "2026-11-10")]


def test_additional_costs_are_charges_never_folded_into_unit_costs() -> None:
    po = normalized(LINNWORKS, _po())
    assert [(c.kind, c.title, c.amount, c.tax) for c in po.charges] == [
        (ChargeKind.SHIPPING, "Shipping", Decimal("15.0"), Decimal("3.0"))
    ]


def test_empty_guid_supplier_is_the_default_supplier() -> None:
    po = normalized(LINNWORKS, edited(_po(), [HEADER, "fkSupplierId"], "00000000-0000-0000-0000-000000000000"))
    assert po.vendor.source_id == "default"


def test_supplier_name_is_taken_from_get_suppliers_when_given() -> None:
    payload = {**_po(), "Supplier": {"pkSupplierID": "b7e2d4c1", "SupplierName": "Northwind Ceramics"}}
    assert normalized(LINNWORKS, payload).vendor.name == "Northwind Ceramics"


def test_search_result_is_refused_as_headers_only() -> None:
    detail = refused(LINNWORKS, {"Result": [_po()[HEADER]], "TotalPages": 1})
    assert detail.code == "purchase_order.headers_only" and "Get_PurchaseOrder" in (detail.fix or "")


def test_delivery_against_an_unknown_item_is_refused() -> None:
    detail = refused(LINNWORKS, edited(_po(), ["DeliveredRecords", 0, "fkPurchaseItemId"], "nope"))
    assert detail.code == "purchase_order.unknown_line" and "nope" in detail.message


def test_additional_cost_in_another_currency_is_refused() -> None:
    detail = refused(LINNWORKS, edited(_po(), ["AdditionalCosts", 0, "Currency"], "EUR"))
    assert detail.code == "purchase_order.mixed_currencies"


def test_a_text_where_a_quantity_belongs_names_the_field() -> None:
    detail = refused(LINNWORKS, edited(_po(), [ITEMS, 0, "Quantity"], "two dozen"))
    assert detail.code == "payload.bad_number" and "PurchaseOrderItem[0].Quantity" in detail.message
