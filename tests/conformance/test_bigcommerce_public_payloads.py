"""BigCommerce's own published V2 examples: what the normalizer makes of them, decided from their numbers.

The two public payloads are not one order: the order example is order 247, the products example lists the
products of order 149. Neither normalizes as it stands, and the tests pin down the exact refusal.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledgerflow.contracts import Channel
from ledgerflow.ingest.normalizers import NormalizationError, normalize
from ledgerflow.ingest.normalizers.bigcommerce import _order_lines, _Side

ORDER_247 = "v2-order-247-awaiting-fulfillment-captured.json"
PRODUCTS_OF_149 = "v2-order-products.json"

# The two products the same spec (bigcommerce/docs reference/orders.v2.oas2.yml, orderProductLineItem_Resp
# examples "Custom Product" and "Product with Variants") publishes for order 247, figures copied as published.
PRODUCTS_OF_247 = [
    {"id": 238, "order_id": 247, "product_id": 0, "name": "Journal", "sku": "Jour-BLK", "type": "physical",
     "base_price": "45.0000", "price_ex_tax": "41.5700", "price_inc_tax": "45.0000", "price_tax": "3.4300",
     "total_ex_tax": "41.5700", "total_inc_tax": "45.0000", "total_tax": "3.4300", "quantity": 1,
     "parent_order_product_id": None, "is_bundled_product": False, "applied_discounts": []},
    {"id": 240, "order_id": 247, "product_id": 201, "name": "BigCommerce T-Shirt",
     "sku": "SKU-201-Red-Small T-Shirt-Able Brewing System", "type": "physical", "base_price": "235.0000",
     "price_ex_tax": "217.0900", "price_inc_tax": "235.0000", "price_tax": "17.9100", "total_ex_tax": "868.3600",
     "total_inc_tax": "940.0000", "total_tax": "71.6400", "quantity": 4, "parent_order_product_id": None,
     "is_bundled_product": False, "applied_discounts": []},
]  # fmt: skip


def _read(channels_dir: Path, name: str) -> Any:
    return json.loads((channels_dir / "bigcommerce" / name).read_text())


def _refusal(payload: dict[str, Any]) -> NormalizationError:
    with pytest.raises(NormalizationError) as caught:
        normalize(Channel.BIGCOMMERCE, payload)
    return caught.value


def test_order_247_alone_is_refused_until_its_products_are_fetched(channels_dir: Path) -> None:
    error = _refusal(_read(channels_dir, ORDER_247))
    assert error.detail.code == "payload.missing_field"
    assert "/orders/247/products" in error.detail.message


def test_order_247_with_the_products_of_order_149_is_refused(channels_dir: Path) -> None:
    payload = {"order": _read(channels_dir, ORDER_247), "products": _read(channels_dir, PRODUCTS_OF_149)}
    error = _refusal(payload)
    assert error.detail.code == "payload.foreign_subresource"
    assert "products[0].order_id is 149 but the order is 247" in error.detail.message


def test_order_247_with_its_two_published_products_is_unbalanced(channels_dir: Path) -> None:
    # Deliberate (section 9 item 19): order 247 says 11 items and subtotal_ex_tax 924.47, the spec shows only
    # 5 items of it (41.57 + 4 x 217.09 = 909.93). Lines 909.93 + shipping 7.39 + tax 76.88 = 994.20, not the
    # order's total_inc_tax 1008.74. The currency comes from default_currency_code: currency_code is a broken key.
    error = _refusal({"order": _read(channels_dir, ORDER_247), "products": PRODUCTS_OF_247})
    assert error.detail.code == "order.unbalanced"
    assert "1008.74 USD" in error.detail.message
    assert "994.20 USD" in error.detail.message
    assert "difference 14.54" in error.detail.message


def test_order_149_products_post_the_bundle_parent_only(channels_dir: Path) -> None:
    # No published order 149 exists to pair them with, so the product rows are read on their own.
    lines, rounding = _order_lines(_read(channels_dir, PRODUCTS_OF_149), "USD", _Side(inclusive=False))
    assert rounding == 0
    assert [(line.line_id, line.sku, line.quantity, line.unit_price) for line in lines] == [
        ("65", "S-ORAN", Decimal(1), Decimal("55.99"))
    ]  # the "ABS" child (parent_order_product_id 65, price 0) is not posted
    assert lines[0].discount == Decimal("1.59")  # the order-level manual discount BigCommerce allocated to it
    assert lines[0].tax == Decimal("9.24")
