"""The custom-store format: ledgerflow's own order JSON for shops without a channel of their own."""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerflow.contracts import Channel, PaymentState
from ledgerflow.ingest.normalizers import NormalizationError, normalize
from ledgerflow.ingest.normalizers.custom import CustomStoreOrder

FIXTURES = Path(__file__).parents[2] / "fixtures" / "custom"


def _load(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return body


def test_paid_order_with_tax_shipping_discount_and_a_line_without_sku() -> None:
    order = normalize(Channel.CUSTOM, _load("paid-tax-shipping-discount.json"))
    assert (order.order_number, order.currency, order.channel_total) == ("W-20417", "EUR", Decimal("44.03"))
    assert [line.sku for line in order.lines] == ["MUG-BLUE", None]
    assert order.lines[0].discount == Decimal("2.90")
    assert order.payment_state is PaymentState.PAID
    assert order.payments[0].transaction_id == "pi_3QxA1"
    assert order.computed_total() == order.channel_total


def test_guest_on_terms_in_a_zero_decimal_currency_with_tax_included_prices() -> None:
    order = normalize(Channel.CUSTOM, _load("guest-on-terms-jpy.json"))
    assert order.payment_state is PaymentState.ON_TERMS
    assert order.taxes_included
    assert order.channel_total == Decimal(7530)
    assert order.customer is not None and order.customer.channel_customer_id is None
    assert order.fees[0].amount == Decimal(330)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"total": 44.03}, "decimal strings"),
        ({"currency": "EURO"}, "currency"),
        ({"created_at": "2026-11-21T16:45:00"}, "created_at"),
        ({"lines": []}, "lines"),
        ({"payment_status": "kinda"}, "payment_status"),
        ({"total": "9" * 300}, "total"),
        ({"total": "NaN"}, "total"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_custom_orders_name_the_field(change: dict[str, Any], words: str) -> None:
    with pytest.raises(NormalizationError) as caught:
        normalize(Channel.CUSTOM, _load("paid-tax-shipping-discount.json") | change)
    assert caught.value.detail.code == "payload.invalid_custom_order"
    assert words in caught.value.detail.message


def test_negative_or_zero_quantities_are_refused() -> None:
    payload = _load("paid-tax-shipping-discount.json")
    payload["lines"][0]["quantity"] = "-1"
    with pytest.raises(NormalizationError, match=r"lines\.0\.quantity"):
        normalize(Channel.CUSTOM, payload)


def test_parts_that_do_not_add_up_are_reported_with_both_figures() -> None:
    with pytest.raises(NormalizationError) as caught:
        normalize(Channel.CUSTOM, _load("paid-tax-shipping-discount.json") | {"total": "50.00"})
    assert caught.value.detail.code == "order.unbalanced"
    assert "50.00 EUR" in caught.value.detail.message and "44.03 EUR" in caught.value.detail.message


def test_the_published_json_schema_matches_the_model() -> None:
    committed = Path(__file__).parents[3] / "docs" / "schemas" / "custom_store_order.schema.json"
    assert json.loads(committed.read_text()) == CustomStoreOrder.model_json_schema(), "run `make schemas`"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(sorted(_load("paid-tax-shipping-discount.json"))), value=json_values)
def test_any_mutation_is_an_order_or_a_typed_error(key: str, value: Any) -> None:
    payload = _load("paid-tax-shipping-discount.json")
    payload[key] = value
    with contextlib.suppress(NormalizationError):
        normalize(Channel.CUSTOM, payload)
