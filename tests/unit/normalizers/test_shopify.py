"""Shopify REST orders (and orders/* webhook bodies) into canonical orders."""

from __future__ import annotations

import contextlib
import copy
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerflow.cli.samples import SampleOrder
from ledgerflow.contracts import Channel, FulfillmentState, PaymentState
from ledgerflow.ingest.normalizers import NormalizationError, normalize


def test_paid_order_with_tax_shipping_and_a_discount(shopify_paid: dict[str, Any]) -> None:
    order = normalize(Channel.SHOPIFY, shopify_paid)
    assert order.channel_order_id == "5400000001001"
    assert order.order_number == "1001"
    assert order.currency == "USD"
    assert order.ordered_at.utcoffset() is not None
    assert [(line.sku, line.quantity, line.unit_price) for line in order.lines] == [
        ("TENT-2P", Decimal(1), Decimal("249.00")),
        ("STOVE-MINI", Decimal(2), Decimal("39.50")),
    ]
    assert order.lines[0].discount == Decimal("24.90")
    assert order.shipping_lines[0].amount == Decimal("12.00")
    assert order.total_tax == Decimal("25.01")
    assert order.channel_total == order.computed_total() == Decimal("340.11")
    assert order.payment_state is PaymentState.PAID
    assert order.amount_paid == Decimal("340.11")
    assert order.customer is not None and order.customer.display_name == "Jane Cooper"


def test_webhook_body_without_the_order_wrapper_is_accepted(shopify_paid: dict[str, Any]) -> None:
    assert normalize(Channel.SHOPIFY, shopify_paid["order"]) == normalize(Channel.SHOPIFY, shopify_paid)


def test_order_status_is_not_payment_status_bank_deposit_is_on_terms(samples: dict[str, SampleOrder]) -> None:
    order = normalize(Channel.SHOPIFY, samples["acme-1002-bank-deposit-unpaid"].payload())
    assert order.payment_state is PaymentState.ON_TERMS
    assert order.payments == ()


def test_partially_paid_order_records_what_was_received(samples: dict[str, SampleOrder]) -> None:
    order = normalize(Channel.SHOPIFY, samples["acme-1003-partially-paid-guest"].payload())
    assert order.payment_state is PaymentState.PARTIALLY_PAID
    assert order.amount_paid == Decimal("100.00")
    assert order.customer is not None and order.customer.channel_customer_id is None  # a guest


def test_zero_decimal_currency_with_tax_included_prices(samples: dict[str, SampleOrder]) -> None:
    order = normalize(Channel.SHOPIFY, samples["globex-5001-jpy-tax-included"].payload())
    assert order.currency == "JPY"
    assert order.taxes_included
    assert order.channel_total == Decimal(4100)
    assert order.channel_total.as_tuple().exponent == 0


def test_line_without_sku_keeps_no_sku(samples: dict[str, SampleOrder]) -> None:
    order = normalize(Channel.SHOPIFY, samples["globex-5002-jpy-line-without-sku"].payload())
    assert [line.sku for line in order.lines] == ["KYUSU-TEAPOT", None]


def test_order_id_beyond_two_to_the_53_stays_exact(shopify_paid: dict[str, Any]) -> None:
    shopify_paid["order"]["id"] = 820982911946154508
    assert normalize(Channel.SHOPIFY, shopify_paid).channel_order_id == "820982911946154508"


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("authorized", PaymentState.UNPAID),
        ("refunded", PaymentState.REFUNDED),
        ("partially_refunded", PaymentState.PARTIALLY_REFUNDED),
        ("voided", PaymentState.VOIDED),
    ],
)
def test_financial_status_mapping(shopify_paid: dict[str, Any], status: str, state: PaymentState) -> None:
    shopify_paid["order"]["financial_status"] = status
    assert normalize(Channel.SHOPIFY, shopify_paid).payment_state is state


def test_cancelled_order_is_cancelled_whatever_its_fulfillment(shopify_paid: dict[str, Any]) -> None:
    shopify_paid["order"]["cancelled_at"] = "2026-11-21T10:00:00-08:00"
    assert normalize(Channel.SHOPIFY, shopify_paid).fulfillment_state is FulfillmentState.CANCELLED


def _broken(payload: dict[str, Any], path: list[str | int], value: Any) -> dict[str, Any]:
    broken = copy.deepcopy(payload)
    target: Any = broken["order"]
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return broken


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "code", "words"),
    [
        (["total_price"], _DELETE, "payload.missing_field", "total_price is missing"),
        (["line_items", 0, "price"], "twelve", "payload.bad_number", "line_items[0].price"),
        (["financial_status"], "mystery", "payload.unknown_payment_state", "'mystery'"),
        (["processed_at"], "2026-11-20T09:15:00", "payload.bad_date", "no time zone"),
        (["total_price"], "341.11", "order.unbalanced", "340.11"),
        (["line_items"], [], "payload.no_lines", "no line items"),
    ],
)
def test_bad_input_gets_a_precise_error(
    shopify_paid: dict[str, Any], path: list[str | int], value: Any, code: str, words: str
) -> None:
    with pytest.raises(NormalizationError) as caught:
        normalize(Channel.SHOPIFY, _broken(shopify_paid, path, value))
    assert caught.value.detail.code == code
    assert words in caught.value.detail.message


def test_unbalanced_order_reports_both_figures(shopify_paid: dict[str, Any]) -> None:
    with pytest.raises(NormalizationError) as caught:
        normalize(Channel.SHOPIFY, _broken(shopify_paid, ["total_price"], "345.00"))
    message = caught.value.detail.message
    assert "345.00 USD" in message and "340.11 USD" in message
    assert caught.value.detail.fix


def test_something_that_is_not_an_order_is_refused() -> None:
    with pytest.raises(NormalizationError) as caught:
        normalize(Channel.SHOPIFY, {"product": {"id": 1}})
    assert caught.value.detail.code == "payload.not_an_order"


def test_a_channel_without_a_normalizer_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import ledgerflow.ingest.normalizers as normalizers

    real = normalizers.normalizer_for
    monkeypatch.setattr(normalizers, "normalizer_for", lambda c: None if c is Channel.MAGENTO else real(c))
    with pytest.raises(NormalizationError) as caught:
        normalize(Channel.MAGENTO, {"entity_id": 1})
    assert caught.value.detail.code == "channel.unsupported"
    assert "shopify" in caught.value.detail.message


# ---- channel-formats.md section 9, the pitfalls that apply to Shopify ----------------------------------------


def test_pitfall_1_money_types_are_decimal_strings_read_exactly(shopify_paid: dict[str, Any]) -> None:
    shopify_paid["order"]["line_items"][1]["price"] = 39.5  # a JSON number where a string is documented
    order = normalize(Channel.SHOPIFY, shopify_paid)
    assert order.lines[1].unit_price == Decimal("39.50")
    assert isinstance(order.lines[1].unit_price, Decimal)


def test_pitfall_4_discounts_allocated_unevenly_add_up(shopify_paid: dict[str, Any]) -> None:
    allocations = shopify_paid["order"]["line_items"]
    allocations[0]["discount_allocations"] = [{"amount": "8.30"}, {"amount": "8.30"}, {"amount": "8.30"}]
    assert normalize(Channel.SHOPIFY, shopify_paid).lines[0].discount == Decimal("24.90")


def test_pitfall_5_presentment_currency_is_kept_but_the_books_use_shop_money(shopify_paid: dict[str, Any]) -> None:
    o = shopify_paid["order"]
    o["presentment_currency"] = "CAD"
    o["total_price_set"]["presentment_money"] = {"amount": "466.12", "currency_code": "CAD"}
    order = normalize(Channel.SHOPIFY, shopify_paid)
    assert (order.currency, order.channel_total) == ("USD", Decimal("340.11"))
    assert (order.presentment_currency, order.presentment_total) == ("CAD", Decimal("466.12"))


def test_pitfall_6_the_original_total_is_the_reference_not_the_current_one(shopify_paid: dict[str, Any]) -> None:
    shopify_paid["order"]["current_total_price"] = "100.00"  # after a refund; refunds are counted apart
    assert normalize(Channel.SHOPIFY, shopify_paid).channel_total == Decimal("340.11")


def test_pitfall_8_legacy_total_discount_is_ignored_when_allocations_exist(shopify_paid: dict[str, Any]) -> None:
    shopify_paid["order"]["line_items"][0]["total_discount"] = "0.00"
    assert normalize(Channel.SHOPIFY, shopify_paid).lines[0].discount == Decimal("24.90")


def test_pitfall_10_blank_sku_is_no_sku(shopify_paid: dict[str, Any]) -> None:
    shopify_paid["order"]["line_items"][0]["sku"] = ""
    assert normalize(Channel.SHOPIFY, shopify_paid).lines[0].sku is None


def test_pitfall_11_guest_checkout_without_customer_or_email(shopify_paid: dict[str, Any]) -> None:
    o = shopify_paid["order"]
    o.update(customer=None, email="", contact_email=None, billing_address=None, shipping_address=None)
    order = normalize(Channel.SHOPIFY, shopify_paid)
    assert order.customer is None
    assert order.billing_address is None


def test_pitfall_12_pending_is_not_paid(shopify_paid: dict[str, Any]) -> None:
    shopify_paid["order"]["financial_status"] = "pending"
    order = normalize(Channel.SHOPIFY, shopify_paid)
    assert order.payment_state is PaymentState.UNPAID
    assert order.payments == ()


def test_pitfall_13_net_terms_make_an_open_invoice(shopify_paid: dict[str, Any]) -> None:
    shopify_paid["order"].update(financial_status="pending", payment_terms={"payment_terms_name": "Net 30"})
    assert normalize(Channel.SHOPIFY, shopify_paid).payment_state is PaymentState.ON_TERMS


def test_pitfall_14_gift_cards_are_a_liability_when_sold_and_a_tender_when_redeemed(
    shopify_paid: dict[str, Any],
) -> None:
    shopify_paid["order"]["line_items"][1]["gift_card"] = True
    shopify_paid["order"]["payment_gateway_names"] = ["gift_card"]
    order = normalize(Channel.SHOPIFY, shopify_paid)
    assert order.lines[1].gift_card
    assert order.payments[0].tender == "gift_card"
    assert order.order_discount == 0


def test_pitfall_17_the_accounting_date_keeps_the_shops_offset(shopify_paid: dict[str, Any]) -> None:
    shopify_paid["order"]["created_at"] = "2026-11-20T23:59:00-08:00"
    shopify_paid["order"]["processed_at"] = "2026-11-21T07:59:00-08:00"  # imported orders can move the date
    order = normalize(Channel.SHOPIFY, shopify_paid)
    assert order.ordered_at.isoformat() == "2026-11-21T07:59:00-08:00"


def test_pitfall_18_ids_beyond_two_to_the_53_stay_exact(shopify_paid: dict[str, Any]) -> None:
    shopify_paid["order"]["id"] = 976318377106520349
    assert normalize(Channel.SHOPIFY, shopify_paid).channel_order_id == "976318377106520349"


@pytest.mark.parametrize("value", ["NaN", "Infinity", "9" * 300, -1, 1.5, "two", None, True, [], {}])
def test_absurd_quantities_are_refused_with_the_field_named(shopify_paid: dict[str, Any], value: Any) -> None:
    shopify_paid["order"]["line_items"][0]["quantity"] = value
    with pytest.raises(NormalizationError) as caught:
        normalize(Channel.SHOPIFY, shopify_paid)
    assert "line_items[0].quantity" in caught.value.detail.message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_mutation_is_an_order_or_a_typed_error(shopify_paid: dict[str, Any], data: st.DataObject) -> None:
    payload = copy.deepcopy(shopify_paid)
    target: Any = payload["order"]
    if data.draw(st.booleans()):
        target = data.draw(st.sampled_from(target["line_items"]))
    key = data.draw(st.sampled_from(sorted(target)))
    if data.draw(st.booleans()):
        del target[key]
    else:
        target[key] = data.draw(json_values)
    with contextlib.suppress(NormalizationError):
        normalize(Channel.SHOPIFY, payload)
