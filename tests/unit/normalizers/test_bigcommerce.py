"""BigCommerce V2 orders (with products, shipping addresses, coupons, taxes, fees, V3 transactions and refunds)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerflow.contracts import CanonicalOrder, Channel, FulfillmentState, PaymentState, TransactionMode
from ledgerflow.ingest.normalizers import NormalizationError, normalize
from ledgerflow.planner.modes import plan_order
from ledgerflow.planner.settings import ItemNames
from tests.unit.normalizers.mutations import DELETE as _DELETE
from tests.unit.normalizers.mutations import broken as _broken

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bigcommerce"
PAID = "order-5101-captured-tax-coupon-bundle-fee.json"
BANK_DEPOSIT = "order-5102-awaiting-payment-bank-deposit.json"
GUEST_JPY = "order-5103-guest-jpy-tax-inclusive.json"
REFUNDED_TENDERS = "order-5104-partially-refunded-gift-certificate-store-credit.json"
BHD = "order-5105-bhd-free-shipping-coupon-four-decimal-price.json"
ALL = (PAID, BANK_DEPOSIT, GUEST_JPY, REFUNDED_TENDERS, BHD)


@cache
def _stored(name: str) -> str:
    return (FIXTURES / name).read_text()


def _load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(_stored(name))
    return payload


def _bc(payload: dict[str, Any]) -> CanonicalOrder:
    return normalize(Channel.BIGCOMMERCE, payload)


def _error(payload: Any) -> NormalizationError:
    with pytest.raises(NormalizationError) as caught:
        _bc(payload)
    return caught.value


# --- the project's own orders ----------------------------------------------------------------------------------


def test_captured_order_with_tax_coupon_bundle_and_fee() -> None:
    order = _bc(_load(PAID))
    assert (order.channel_order_id, order.order_number, order.currency) == ("5101", "5101", "USD")
    assert [(line.sku, line.quantity, line.unit_price, line.discount) for line in order.lines] == [
        ("SHOE-TR-42", Decimal(2), Decimal("89.50"), Decimal("21.58")),
        ("SOCK-M3", Decimal(1), Decimal("24.50"), Decimal("0.50")),
        ("KIT-HYD", Decimal(1), Decimal("40.00"), Decimal("0.82")),
    ]
    assert [(s.title, s.amount, s.tax) for s in order.shipping_lines] == [
        ("UPS Ground", Decimal("9.95"), Decimal("0.82"))
    ]
    assert [(f.title, f.amount) for f in order.fees] == [("Package protection", Decimal("2.50"))]
    assert [(t.title, t.rate, t.amount) for t in order.tax_lines] == [
        ("Texas State Tax", Decimal("0.0625"), Decimal("14.41")),
        ("Austin City Tax", Decimal("0.02"), Decimal("4.61")),
    ]
    assert order.order_discount == 0
    assert order.channel_total == order.computed_total() == Decimal("252.07")
    assert order.payment_state is PaymentState.PAID
    assert [(p.transaction_id, p.amount) for p in order.payments] == [("8f3k2m9q", Decimal("252.07"))]
    assert order.fulfillment_state is FulfillmentState.UNFULFILLED
    assert order.customer is not None and order.customer.channel_customer_id == "42"
    assert order.customer.display_name == "Jane Cooper"
    assert order.shipping_address is not None and order.shipping_address.line2 == "Apt 4"
    assert order.ordered_at == datetime(2026, 3, 14, 17, 5, 9, tzinfo=UTC)
    assert order.note == "Please leave at the side door."


def test_bank_deposit_order_awaiting_payment() -> None:
    order = _bc(_load(BANK_DEPOSIT))
    assert order.payment_state is PaymentState.ON_TERMS
    assert order.payments == ()
    assert order.channel_total == order.computed_total() == Decimal("360.00")
    assert order.shipping_lines == ()  # free shipping is not a zero line
    assert order.customer is not None and order.customer.company == "Acme Outfitters LLC"
    assert order.shipping_address is not None and order.shipping_address.line1 == "90 Harbor Way"


@pytest.mark.parametrize("name", ALL)
def test_every_fixture_balances_and_plans(name: str) -> None:
    order = _bc(_load(name))
    assert order.computed_total() == order.channel_total
    documents = plan_order(order, TransactionMode.INVOICES_WITH_PAYMENTS, key_prefix="t", items=ItemNames())
    assert documents[0].total == order.channel_total


def test_bare_order_with_inline_subresources_is_accepted() -> None:
    composite = _load(PAID)
    bare = {**composite["order"], **{k: v for k, v in composite.items() if k != "order"}}
    assert _bc(bare) == _bc(composite)


# --- pitfalls (channel-formats.md section 9) -------------------------------------------------------------------


def test_pitfall_1_money_types_are_decimal() -> None:
    payload = _load(PAID)
    order_fields = payload["order"]
    # "Float, Float-As-String, Integer": the same amounts as JSON numbers give the same exact figures.
    order_fields["total_inc_tax"] = 252.07
    order_fields["shipping_cost_ex_tax"] = 9.95
    order_fields["discount_amount"] = 5
    payload["products"][1]["price_ex_tax"] = 24.5
    payload["products"][1]["total_ex_tax"] = 24.5
    payload["products"][0]["applied_discounts"][1]["amount"] = 3.6756
    order = _bc(payload)
    assert order == _bc(_load(PAID))
    assert order.channel_total == Decimal("252.07")
    assert order.channel_total.as_tuple().exponent == -2
    assert all(isinstance(line.unit_price, Decimal) for line in order.lines)


def test_pitfall_2_zero_and_three_decimal_currencies() -> None:
    jpy = _bc(_load(GUEST_JPY))
    assert (jpy.currency, jpy.channel_total) == ("JPY", Decimal(8520))
    assert jpy.channel_total.as_tuple().exponent == 0  # "8520.0000" is 8520 yen, not 852000 sen
    assert jpy.lines[0].unit_price.as_tuple().exponent == 0
    bhd = _bc(_load(BHD))
    assert (bhd.currency, bhd.channel_total) == ("BHD", Decimal("34.650"))
    assert bhd.channel_total.as_tuple().exponent == -3


def test_pitfall_3_tax_inclusive_pricing_takes_the_inclusive_figures() -> None:
    inclusive = _bc(_load(GUEST_JPY))
    assert inclusive.taxes_included
    assert [line.unit_price for line in inclusive.lines] == [Decimal(4400), Decimal(1620)]
    assert inclusive.shipping_lines[0].amount == Decimal(880)
    assert inclusive.total_tax == Decimal(720)
    assert inclusive.computed_total() == inclusive.channel_total == Decimal(8520)
    payload = _load(GUEST_JPY)
    payload["order"]["is_tax_inclusive_pricing"] = False
    exclusive = _bc(payload)
    assert not exclusive.taxes_included
    assert [line.unit_price for line in exclusive.lines] == [Decimal(4000), Decimal(1500)]
    assert exclusive.computed_total() == exclusive.channel_total == Decimal(8520)


def test_pitfall_4_four_decimal_prices_round_per_line_with_a_rounding_line() -> None:
    order = _bc(_load(BHD))
    assert order.lines[0].unit_price == Decimal("4.333")  # "4.3333" x 3 is the "13.0000" line total
    assert [(f.title, f.amount) for f in order.fees] == [("Rounding", Decimal("0.001"))]
    assert order.computed_total() == order.channel_total


def test_pitfall_4_a_line_total_far_from_price_times_quantity_is_refused() -> None:
    payload = _load(BHD)
    payload["products"][0]["total_ex_tax"] = "13.5000"
    error = _error(payload)
    assert error.detail.code == "payload.inconsistent_line"
    assert "products[0]" in error.detail.message and "13.500" in error.detail.message


def test_pitfall_5_transactional_currency_not_display_currency() -> None:
    payload = _load(PAID)
    payload["order"]["default_currency_code"] = "EUR"
    payload["transactions"]["data"][0]["currency"] = "EUR"
    order = _bc(payload)
    assert (order.currency, order.presentment_currency) == ("EUR", "USD")
    del payload["order"]["default_currency_code"]
    error = _error(payload)
    assert error.detail.code == "payload.missing_field"
    assert "order.default_currency_code" in error.detail.message


def test_pitfall_6_refunds_do_not_change_the_booked_total() -> None:
    order = _bc(_load(REFUNDED_TENDERS))
    assert order.channel_total == order.computed_total() == Decimal("191.96")
    assert order.amount_paid == Decimal("191.96")
    assert [r.amount for r in order.refunds] == [Decimal("6.99")]
    assert [line.quantity for line in order.lines] == [Decimal(1), Decimal(4)]  # quantity_refunded is not deducted


def test_pitfall_7_refunds_come_from_v3_not_from_refunded_amount() -> None:
    payload = _load(REFUNDED_TENDERS)
    order = _bc(payload)
    assert [(r.refund_id, r.amount, r.note) for r in order.refunds] == [
        ("31", Decimal("6.99"), "Fuel canister arrived dented")
    ]
    assert order.refunds[0].created_at == datetime(2026, 3, 20, 10, 12, tzinfo=UTC)
    payload["order"]["refunded_amount"] = "6.9900"  # documented as "always returns 0": never read
    del payload["refunds"]
    assert _bc(payload).refunds == ()
    payload["transactions"] = [
        {"id": 81, "order_id": 5104, "event": "refund", "method": "credit_card", "amount": 6.99, "currency": "USD",
         "gateway": "braintree", "status": "ok", "date_created": "2026-03-20T10:12:05+00:00"},
    ]  # fmt: skip
    assert [(r.refund_id, r.amount) for r in _bc(payload).refunds] == [("transaction-81", Decimal("6.99"))]


def test_pitfall_7_a_refund_whose_payments_were_all_declined_returned_nothing() -> None:
    payload = _load(REFUNDED_TENDERS)
    payload["refunds"]["data"][0]["payments"][0]["is_declined"] = True
    assert _bc(payload).refunds == ()


def test_pitfall_8_discounts_by_level() -> None:
    payload = _load(PAID)
    assert sum(line.discount for line in _bc(payload).lines) == Decimal("22.90")
    for product in payload["products"]:
        product["applied_discounts"] = []
    unallocated = _bc(payload)
    assert unallocated.order_discount == Decimal("22.90")  # discount_amount 5.00 + coupon 17.90, positive
    assert unallocated.computed_total() == unallocated.channel_total
    shipping_coupon = _bc(_load(BHD))
    assert [(s.amount, s.discount) for s in shipping_coupon.shipping_lines] == [(Decimal("2.500"), Decimal("2.500"))]
    assert shipping_coupon.order_discount == 0


def test_pitfall_8_a_shipping_coupon_on_shipping_already_recorded_free_takes_nothing_off() -> None:
    payload = _load(BHD)
    for fields in (payload["order"], payload["shipping_addresses"][0]):
        for key in ("base_shipping_cost", "shipping_cost_ex_tax", "shipping_cost_inc_tax", "base_cost",
                    "cost_ex_tax", "cost_inc_tax"):  # fmt: skip
            if key in fields:
                fields[key] = "0.0000"
    order = _bc(payload)
    assert order.shipping_lines == ()
    assert order.order_discount == 0
    assert order.computed_total() == order.channel_total


def test_pitfall_9_bundle_children_are_not_posted_twice() -> None:
    order = _bc(_load(PAID))
    assert "FLASK-500" not in [line.sku for line in order.lines]
    payload = _load(PAID)
    parent, child = payload["products"][2], payload["products"][3]
    for key in ("price_ex_tax", "total_ex_tax"):
        parent[key], child[key] = child[key], parent[key]
    child["applied_discounts"], parent["applied_discounts"] = parent["applied_discounts"], []
    priced_children = _bc(payload)
    assert [line.sku for line in priced_children.lines] == ["SHOE-TR-42", "SOCK-M3", "FLASK-500"]
    assert priced_children.computed_total() == priced_children.channel_total


def test_pitfall_10_blank_sku_stays_blank() -> None:
    order = _bc(_load(GUEST_JPY))
    assert [(line.sku, line.title) for line in order.lines] == [
        ("KYUSU-TK", "Tokoname Kyusu Teapot"),
        (None, "Sencha 100g (custom item)"),
    ]


def test_pitfall_11_guest_checkout() -> None:
    order = _bc(_load(GUEST_JPY))
    assert order.customer is not None
    assert (order.customer.channel_customer_id, order.customer.email) == (None, "yuki.tanaka@example.jp")
    payload = _load(GUEST_JPY)
    payload["order"]["billing_address"] = {"first_name": "", "last_name": "", "email": "", "zip": "150-0001"}
    anonymous = _bc(payload)
    assert anonymous.customer is None
    assert anonymous.billing_address is not None and anonymous.billing_address.postal_code == "150-0001"


@pytest.mark.parametrize(
    ("payment_status", "state"),
    [
        ("captured", PaymentState.PAID),
        ("paid", PaymentState.PAID),
        ("authorized", PaymentState.AUTHORIZED),
        ("capture pending", PaymentState.AUTHORIZED),
        ("pending", PaymentState.UNPAID),
        ("held for review", PaymentState.UNPAID),
        ("", PaymentState.UNPAID),
        ("declined", PaymentState.FAILED),
        ("partially refunded", PaymentState.PARTIALLY_REFUNDED),
        ("refunded", PaymentState.REFUNDED),
        ("void", PaymentState.VOIDED),
        ("void pending", PaymentState.VOIDED),
        ("awaiting crypto confirmation", PaymentState.UNKNOWN),
    ],
)
def test_pitfall_12_order_status_is_not_payment_status(payment_status: str, state: PaymentState) -> None:
    payload = _load(PAID)
    del payload["transactions"]
    payload["order"]["payment_status"] = payment_status
    payload["order"].update(status_id=10, status="Completed", custom_status="Completed")  # says nothing about money
    order = _bc(payload)
    assert order.payment_state is state
    assert order.channel_status == (payment_status or "Completed")


def test_pitfall_12_recorded_captures_are_money_received() -> None:
    payload = _load(PAID)
    payload["order"]["payment_status"] = "authorized"
    order = _bc(payload)  # the V3 transactions show the purchase went through
    assert order.payment_state is PaymentState.PAID
    assert order.amount_paid == Decimal("252.07")


@pytest.mark.parametrize(
    ("method", "state"),
    [
        ("Bank Deposit", PaymentState.ON_TERMS),
        ("Manual", PaymentState.ON_TERMS),
        ("Cash", PaymentState.ON_TERMS),
        ("Cheque", PaymentState.ON_TERMS),
        ("Cash on Delivery", PaymentState.ON_TERMS),
        ("Purchase Order", PaymentState.ON_TERMS),
        ("Net 30", PaymentState.ON_TERMS),
        ("Credit Card", PaymentState.UNPAID),
        ("Cash App Pay", PaymentState.UNPAID),  # an online wallet, whatever its name says
    ],
)
def test_pitfall_13_offline_methods_not_yet_paid_are_on_terms(method: str, state: PaymentState) -> None:
    payload = _load(BANK_DEPOSIT)
    payload["order"]["payment_method"] = method
    assert _bc(payload).payment_state is state


def test_pitfall_13_cash_marked_authorized_is_still_on_terms() -> None:
    payload = _load(BANK_DEPOSIT)
    payload["order"]["payment_method"], payload["order"]["payment_status"] = "Cash", "authorized"
    assert _bc(payload).payment_state is PaymentState.ON_TERMS


def test_pitfall_14_gift_certificates_and_store_credit_are_tenders() -> None:
    order = _bc(_load(REFUNDED_TENDERS))
    assert [(p.tender, p.amount) for p in order.payments] == [
        ("gift_card", Decimal("50.00")),
        ("store_credit", Decimal("20.00")),
        ("payment", Decimal("121.96")),
    ]
    assert order.payments[2].transaction_id == "txn_77aa01"
    assert order.order_discount == 0 and all(line.discount == 0 for line in order.lines)
    assert order.payment_methods == ("Credit Card", "Gift certificate", "Store credit")


def test_pitfall_14_an_order_paid_by_gift_certificate_alone_is_paid() -> None:
    payload = _load(BANK_DEPOSIT)
    payload["order"].update(payment_method="", payment_status="", gift_certificate_amount="360.0000")
    order = _bc(payload)
    assert order.payment_state is PaymentState.PAID
    assert [(p.tender, p.amount) for p in order.payments] == [("gift_card", Decimal("360.00"))]


def test_pitfall_14_a_partial_gift_certificate_leaves_the_rest_on_terms_as_partially_paid() -> None:
    payload = _load(BANK_DEPOSIT)
    payload["order"]["gift_certificate_amount"] = "60.0000"
    order = _bc(payload)
    assert order.payment_state is PaymentState.PARTIALLY_PAID
    assert order.amount_paid == Decimal("60.00")


def test_pitfall_15_store_collected_tax_is_not_channel_liable() -> None:
    assert not any(t.channel_liable for name in ALL for t in _bc(_load(name)).tax_lines)


def test_pitfall_16_buyer_paid_fees_including_the_cost_exc_tax_spelling() -> None:
    payload = _load(PAID)
    assert "cost_ex_tax" not in payload["fees"][0]  # BigCommerce's own examples spell it cost_exc_tax
    assert _bc(payload).fees[0].amount == Decimal("2.50")
    payload = _load(BANK_DEPOSIT)
    del payload["fees"]  # read from the order's own "fees" array (GET /v2/orders/{id}?include=fees)
    payload["order"]["fees"] = [
        {"id": 2, "type": "custom_fee", "display_name_merchant": "B Fee", "cost_ex_tax": "4.0000", "cost_tax": "8.0000"}
    ]
    payload["order"].update(wrapping_cost_ex_tax="3.5000", wrapping_cost_tax="0.0000")
    payload["order"].update(total_ex_tax="367.5000", total_tax="8.0000", total_inc_tax="375.5000")
    order = _bc(payload)
    assert [(f.title, f.amount, f.tax) for f in order.fees] == [
        ("B Fee", Decimal("4.00"), Decimal("8.00")),
        ("Gift wrapping", Decimal("3.50"), Decimal("0.00")),
    ]
    assert order.computed_total() == order.channel_total == Decimal("375.50")


def test_pitfall_17_rfc2822_dates_need_their_offset() -> None:
    assert _bc(_load(PAID)).ordered_at == datetime(2026, 3, 14, 17, 5, 9, tzinfo=UTC)
    for value in ("Sat, 14 Mar 2026 17:05:09", "Sat, 14 Mar 2026 17:05:09 -0000", "2026-03-14T17:05:09+00:00"):
        payload = _load(PAID)
        payload["order"]["date_created"] = value
        error = _error(payload)
        assert error.detail.code == "payload.bad_date"
        assert "order.date_created" in error.detail.message


def test_pitfall_18_large_ids_stay_exact() -> None:
    payload = _load(PAID)
    payload["order"]["id"] = 820982911946154508
    for name in ("products", "shipping_addresses", "coupons", "taxes"):
        for row in payload[name]:
            row["order_id"] = 820982911946154508
    payload["transactions"]["data"][0]["order_id"] = 820982911946154508
    assert _bc(payload).channel_order_id == "820982911946154508"
    payload["order"]["id"] = 9.763183771065203e17  # 976318377106520349 after a trip through a double
    error = _error(payload)
    assert error.detail.code == "payload.bad_number"
    assert "order.id" in error.detail.message


def test_pitfall_19_the_documented_quirks_of_the_samples() -> None:
    payload = _load(PAID)
    payload["order"]['currency_code"'] = payload["order"].pop("currency_code")  # example 247's broken key
    order = _bc(payload)
    assert (order.currency, order.presentment_currency) == ("USD", None)
    assert order.fees[0].amount == Decimal("2.50")  # from cost_exc_tax


def test_pitfall_20_subresources_must_come_with_the_order() -> None:
    bare = _load(PAID)["order"]  # products, shipping addresses and coupons are only links here
    error = _error(bare)
    assert error.detail.code == "payload.missing_field"
    assert "/orders/5101/products" in error.detail.message
    assert error.detail.fix is not None and "products" in error.detail.fix


def test_pitfall_20_subresources_of_another_order_are_refused() -> None:
    payload = _load(PAID)
    payload["shipping_addresses"] = _load(BANK_DEPOSIT)["shipping_addresses"]
    error = _error(payload)
    assert error.detail.code == "payload.foreign_subresource"
    assert "shipping_addresses[0].order_id is 5102" in error.detail.message


def test_pitfall_20_v3_bodies_whole_or_as_their_data_array() -> None:
    payload = _load(PAID)
    whole = _bc(payload)
    payload["transactions"] = payload["transactions"]["data"]
    payload["refunds"] = []
    assert _bc(payload) == whole


def test_tax_breakdown_rounded_per_row_gets_an_explicit_rounding_line() -> None:
    payload = _load(PAID)
    payload["taxes"][0]["line_amount"] = "14.4040"  # rows rounded one by one: 14.40 + 4.61 is not 19.02
    payload["taxes"][1]["line_amount"] = "4.6140"
    order = _bc(payload)
    assert [(t.title, t.amount) for t in order.tax_lines][-1] == ("Tax rounding", Decimal("0.01"))
    assert order.total_tax == Decimal("19.02")


def test_tax_breakdown_that_does_not_describe_the_total_gives_way_to_it() -> None:
    payload = _load(PAID)
    payload["taxes"] = [{"order_id": 5101, "name": "Automatic Tax", "class": "Automatic Tax", "line_amount": "0"}]
    assert [(t.title, t.amount) for t in _bc(payload).tax_lines] == [("Tax", Decimal("19.02"))]


def test_several_shipping_addresses_give_one_shipping_line_each() -> None:
    payload = _load(PAID)
    first = payload["shipping_addresses"][0]
    second = {**first, "id": 78, "shipping_method": "USPS Priority", "cost_ex_tax": "4.0000", "cost_tax": "0.3300"}
    first.update(cost_ex_tax="5.9500", cost_tax="0.4909")
    payload["shipping_addresses"].append(second)
    order = _bc(payload)
    assert [(s.title, s.amount, s.tax) for s in order.shipping_lines] == [
        ("UPS Ground", Decimal("5.95"), Decimal("0.49")),
        ("USPS Priority", Decimal("4.00"), Decimal("0.33")),
    ]
    assert order.computed_total() == order.channel_total


def test_fulfillment_follows_the_status_and_items_shipped() -> None:
    assert _bc(_load(REFUNDED_TENDERS)).fulfillment_state is FulfillmentState.FULFILLED  # 5 of 5 shipped
    payload = _load(PAID)
    payload["order"].update(status_id=3, status="Partially Shipped", items_shipped=2)
    assert _bc(payload).fulfillment_state is FulfillmentState.PARTIALLY_FULFILLED
    payload["order"].update(status_id=5, status="Cancelled", payment_status="void")
    assert _bc(payload).fulfillment_state is FulfillmentState.CANCELLED


# --- bad input -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "code", "words"),
    [
        (["order", "total_inc_tax"], _DELETE, "payload.missing_field", "order.total_inc_tax is missing"),
        (["order", "total_inc_tax"], "9" * 300, "payload.bad_number", "order.total_inc_tax"),
        (["order", "total_inc_tax"], "253.07", "order.unbalanced", "252.07"),
        (["order", "shipping_cost_ex_tax"], "-9.95", "payload.bad_number", "order.shipping_cost_ex_tax"),
        (["order", "default_currency_code"], "US Dollar", "payload.bad_currency", "order.default_currency_code"),
        (["order", "date_created"], 1773507909, "payload.bad_date", "order.date_created"),
        (["order", "status_id"], 0, "payload.not_an_order", "Incomplete"),
        (["order", "is_tax_inclusive_pricing"], "yes", "payload.malformed", "order.is_tax_inclusive_pricing"),
        (["order", "billing_address"], "Jane Cooper", "payload.malformed", "order.billing_address"),
        (["order", "id"], True, "payload.malformed", "order.id"),
        (["order", "id"], _DELETE, "payload.missing_field", "order.id is missing"),
        (["products"], [], "payload.no_lines", "has no products"),
        (["products"], "lots", "payload.malformed", "products is str"),
        (["products", 1], 7, "payload.malformed", "products[1] is int"),
        (["products", 0, "price_ex_tax"], "twelve", "payload.bad_number", "products[0].price_ex_tax"),
        (["products", 0, "price_ex_tax"], "NaN", "payload.bad_number", "products[0].price_ex_tax"),
        (["products", 0, "price_ex_tax"], float("inf"), "payload.bad_number", "products[0].price_ex_tax"),
        (["products", 0, "price_ex_tax"], _DELETE, "payload.missing_field", "products[0].price_ex_tax"),
        (["products", 0, "quantity"], -2, "payload.bad_quantity", "products[0].quantity"),
        (["products", 0, "quantity"], 1.5, "payload.bad_quantity", "products[0].quantity"),
        (["products", 0, "quantity"], "two", "payload.bad_number", "products[0].quantity"),
        (["products", 0, "quantity"], 10**14, "payload.bad_number", "products[0]"),
        (["products", 0, "applied_discounts", 0, "amount"], "-17.90", "payload.bad_number", "applied_discounts[0]"),
        (["fees", 0], {"display_name_customer": "Fee"}, "payload.missing_field", "fees[0].cost_ex_tax"),
        (["fees", 0, "cost_tax"], "1.0000", "payload.inconsistent_fee", "fees[0]"),
        (["taxes", 0, "line_amount"], [], "payload.bad_number", "taxes[0].line_amount"),
        (["transactions", "data", 0, "currency"], "EUR", "payload.bad_currency", "transactions[0].currency"),
        (["transactions", "data", 0, "date_created"], "yesterday", "payload.bad_date", "transactions[0].date_created"),
        (["refunds", "data"], [{"id": 1}], "payload.missing_field", "refunds[0].total_amount"),
        (["coupons", 0, "order_id"], 4242, "payload.foreign_subresource", "coupons[0].order_id is 4242"),
    ],
)
def test_bad_input_gets_a_precise_error(path: list[str | int], value: Any, code: str, words: str) -> None:
    error = _error(_broken(_load(PAID), path, value))
    assert error.detail.code == code
    assert words in error.detail.message


def test_unbalanced_order_reports_both_figures() -> None:
    error = _error(_broken(_load(PAID), ["order", "total_inc_tax"], "260.0000"))
    assert "260.00 USD" in error.detail.message and "252.07 USD" in error.detail.message
    assert error.detail.fix


@pytest.mark.parametrize("payload", [{"product": {"id": 1}}, {"order": [1, 2]}, {"order": {"id": 5101}}])
def test_something_that_is_not_an_order_is_refused(payload: dict[str, Any]) -> None:
    assert _error(payload).detail.code == "payload.not_an_order"


# --- property: any mutation fails cleanly ----------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=5,
)


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_payloads_normalize_or_fail_with_a_normalization_error(data: st.DataObject) -> None:
    payload = _load(data.draw(st.sampled_from(ALL)))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        path = data.draw(st.sampled_from(_paths(payload)))
        parent: Any = payload
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and data.draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(_JSON)
    outcome: CanonicalOrder | NormalizationError
    try:
        outcome = _bc(payload)
    except NormalizationError as error:
        outcome = error
    if isinstance(outcome, NormalizationError):
        # The ingest safety net chains the exception it caught; the normalizer's own errors chain nothing.
        assert outcome.__cause__ is None, f"unforeseen {outcome.__cause__!r} for {payload}"
    else:
        assert isinstance(outcome, CanonicalOrder)
