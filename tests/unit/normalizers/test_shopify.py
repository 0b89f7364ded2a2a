"""Shopify REST orders (and orders/* webhook bodies) into canonical orders."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

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


def test_channels_without_a_normalizer_say_so() -> None:
    with pytest.raises(NormalizationError) as caught:
        normalize(Channel.MAGENTO, {"entity_id": 1})
    assert caught.value.detail.code == "channel.unsupported"
    assert "shopify" in caught.value.detail.message
