"""The public purchase-order examples in ``../shared/fixtures/purchase-orders``, each asserted on its own: it
normalizes, or it is refused with a reason that says what it is and what to publish instead.

Lightspeed's files are vendor examples, one API response each; a purchase order is several responses bundled, so
each file alone is refused, and the bundles made of them are asserted after. Linnworks', SKU Vault's and Erply's are
skeletons with placeholder values (empty numbers, suppliers and dates), refused for what is empty.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledgerflow.contracts import PurchaseOrderStatus, PurchaseOrderSystem
from ledgerflow.ingest.normalizers import NormalizationError
from ledgerflow.ingest.normalizers.purchase_orders import normalize_purchase_order

SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "purchase-orders"
X, R = PurchaseOrderSystem.LIGHTSPEED_X, PurchaseOrderSystem.LIGHTSPEED_R

REFUSED = [
    (
        "lightspeed/xseries-consignment-supplier-received.json",
        X,
        "purchase_order.bad_shape",
        "consignment without its products",
    ),
    (
        "lightspeed/xseries-consignment-products-received-and-open-lines.json",
        X,
        "purchase_order.bad_shape",
        "consignment's products without the consignment",
    ),
    (
        "lightspeed/xseries-consignment-totals-partially-received.json",
        X,
        "purchase_order.bad_shape",
        "consignment's totals",
    ),
    (
        "lightspeed/xseries-2026-purchase-order-open.json",
        X,
        "purchase_order.bad_shape",
        "a purchase order without its line items",
    ),
    (
        "lightspeed/xseries-2026-purchase-orders-list-null-cost.json",
        X,
        "purchase_order.bad_shape",
        "a list of purchase orders without its line items",
    ),
    (
        "lightspeed/xseries-2026-purchase-order-line-items.json",
        X,
        "purchase_order.bad_shape",
        "line items without the purchase order",
    ),
    (
        "lightspeed/xseries-2026-purchase-order-deliveries-draft.json",
        X,
        "purchase_order.bad_shape",
        "deliveries without the purchase order",
    ),
    (
        "lightspeed/xseries-2026-purchase-order-delivery-line-items-not-received.json",
        X,
        "purchase_order.bad_shape",
        "a delivery's line items without their purchase order",
    ),
    (
        "lightspeed/rseries-order-single-complete-usd-vendor.json",
        R,
        "purchase_order.bad_shape",
        "order 3 comes without its OrderLines",
    ),
    (
        "lightspeed/rseries-orderline-single-not-received.json",
        R,
        "purchase_order.bad_shape",
        "an OrderLine without its Order",
    ),
    (
        "lightspeed/rseries-order-shipment-received-cad-usd.json",
        R,
        "purchase_order.bad_shape",
        "an OrderShipment without its Order",
    ),
    (
        "lightspeed/rseries-order-shipment-item-single.json",
        R,
        "purchase_order.bad_shape",
        "an OrderShipmentItem without its Order",
    ),
    (
        "linnworks/get-purchaseorder-response-skeleton.json",
        PurchaseOrderSystem.LINNWORKS,
        "purchase_order.missing_number",
        "has no ExternalInvoiceNumber",
    ),
    (
        "linnworks/search-purchaseorders2-response-skeleton.json",
        PurchaseOrderSystem.LINNWORKS,
        "purchase_order.headers_only",
        "Search_PurchaseOrders2 result",
    ),
    (
        "skuvault/getpos-response-skeleton.json",
        PurchaseOrderSystem.SKUVAULT,
        "purchase_order.missing_number",
        "has no PoNumber",
    ),
    (
        "skuvault/getreceiveshistory-response-skeleton.json",
        PurchaseOrderSystem.SKUVAULT,
        "purchase_order.bad_shape",
        "receive history without its purchase order",
    ),
    (
        "erply/getpurchasedocuments-response-skeleton.json",
        PurchaseOrderSystem.ERPLY,
        "purchase_order.missing_number",
        "has no number",
    ),
]


@pytest.fixture(scope="module")
def shared() -> Path:
    assert SHARED.is_dir(), f"the public purchase-order examples are expected at {SHARED}"
    return SHARED


def _load(shared: Path, name: str) -> Any:
    return json.loads((shared / name).read_text())


def _refusal(system: PurchaseOrderSystem, payload: Any) -> NormalizationError:
    with pytest.raises(NormalizationError) as caught:
        normalize_purchase_order(system, payload)
    assert caught.value.detail.fix, "every refusal says how to fix it"
    return caught.value


def test_every_public_example_is_asserted(shared: Path) -> None:
    on_disk = {str(p.relative_to(shared)) for p in shared.rglob("*.json") if p.name != "PROVENANCE.json"}
    assert on_disk == {name for name, *_ in REFUSED}


@pytest.mark.parametrize(("name", "system", "code", "says"), REFUSED, ids=[r[0] for r in REFUSED])
def test_each_public_example_alone_is_refused_precisely(
    shared: Path, name: str, system: PurchaseOrderSystem, code: str, says: str
) -> None:
    error = _refusal(system, _load(shared, name))
    assert error.detail.code == code
    assert says in error.detail.message


def test_x_series_purchase_order_and_its_line_items_normalize_as_a_draft(shared: Path) -> None:
    # OPEN is an order not yet sent to the supplier: it normalizes, and stays out of the books until it is sent.
    po = normalize_purchase_order(
        X,
        {
            "purchase_order": _load(shared, "lightspeed/xseries-2026-purchase-order-open.json"),
            "line_items": _load(shared, "lightspeed/xseries-2026-purchase-order-line-items.json"),
            "deliveries": _load(shared, "lightspeed/xseries-2026-purchase-order-deliveries-draft.json"),
            "delivery_line_items": _load(
                shared, "lightspeed/xseries-2026-purchase-order-delivery-line-items-not-received.json"
            ),
        },
    )
    assert (po.po_number, po.status, po.memo) == ("PO-1001", PurchaseOrderStatus.DRAFT, "Restock front outlet")
    assert [(line.quantity, str(line.unit_cost)) for line in po.lines] == [(Decimal(10), "2.50")]
    assert po.receipts == ()  # the draft delivery is no receipt
    assert po.lines[0].sku is None  # the example names the product by id only


def test_x_series_listed_order_with_a_null_total_normalizes_from_its_line_costs(shared: Path) -> None:
    listed = _load(shared, "lightspeed/xseries-2026-purchase-orders-list-null-cost.json")["data"][0]
    po = normalize_purchase_order(
        X,
        {
            "purchase_order": listed,
            "line_items": _load(shared, "lightspeed/xseries-2026-purchase-order-line-items.json"),
        },
    )
    assert po.source_total is None and po.net_total() == 25


def test_x_series_line_items_with_a_null_cost_are_refused(shared: Path) -> None:
    items = _load(shared, "lightspeed/xseries-2026-purchase-order-line-items.json")
    items["data"][0]["cost_price"] = None
    error = _refusal(
        X, {"purchase_order": _load(shared, "lightspeed/xseries-2026-purchase-order-open.json"), "line_items": items}
    )
    assert error.detail.code == "purchase_order.cost_hidden"


def test_x_series_consignment_and_its_products_are_refused_for_want_of_a_supplier(shared: Path) -> None:
    error = _refusal(
        X,
        {
            "consignment": _load(shared, "lightspeed/xseries-consignment-supplier-received.json"),
            "products": _load(shared, "lightspeed/xseries-consignment-products-received-and-open-lines.json"),
        },
    )
    assert error.detail.code == "purchase_order.no_supplier"


def test_r_series_order_with_the_example_line_is_refused_as_the_line_is_another_orders(shared: Path) -> None:
    order = _load(shared, "lightspeed/rseries-order-single-complete-usd-vendor.json")["Order"]
    order["OrderLines"] = _load(shared, "lightspeed/rseries-orderline-single-not-received.json")
    error = _refusal(R, {"Order": order})
    assert error.detail.code == "purchase_order.foreign_line" and "order 32, not order 3" in error.detail.message
