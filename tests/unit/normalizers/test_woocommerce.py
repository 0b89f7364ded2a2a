"""WooCommerce REST v3 orders (with the refunds from their own endpoint) into canonical orders."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerflow.contracts import (
    CanonicalOrder,
    Channel,
    DocumentType,
    ErrorDetail,
    FulfillmentState,
    PaymentState,
    TransactionMode,
)
from ledgerflow.ingest.normalizers import NormalizationError, normalize
from ledgerflow.planner.modes import plan_order
from ledgerflow.planner.settings import ItemNames
from tests.unit.normalizers.mutations import DELETE as _DELETE
from tests.unit.normalizers.mutations import broken as _broken

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "woocommerce"

PAID = "order-1001-processing-stripe-tax-coupon.json"
ON_HOLD_GUEST = "order-1002-on-hold-bacs-guest.json"
JPY_COD = "order-8812-jpy-cod-tax-inclusive.json"
BHD_REFUNDED = "order-2207-bhd-completed-with-refunds.json"
BUNDLE_GIFT_CARD = "order-3310-bundle-gift-card-loyalty-fee.json"
ALL_FIXTURES = (PAID, ON_HOLD_GUEST, JPY_COD, BHD_REFUNDED, BUNDLE_GIFT_CARD)


def _load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return payload


def _woo(payload: Any) -> CanonicalOrder:
    return normalize(Channel.WOOCOMMERCE, payload)


def _order_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The order object inside a fixture, whether it is bare or the {'order': ..., 'refunds': ...} composite."""
    order: dict[str, Any] = payload.get("order", payload)
    return order


def _error(payload: Any) -> NormalizationError:
    with pytest.raises(NormalizationError) as caught:
        _woo(payload)
    return caught.value


@pytest.fixture
def paid() -> dict[str, Any]:
    return _load(PAID)


@pytest.fixture
def guest() -> dict[str, Any]:
    return _load(ON_HOLD_GUEST)


@pytest.fixture
def jpy() -> dict[str, Any]:
    return _load(JPY_COD)


@pytest.fixture
def bhd() -> dict[str, Any]:
    return _load(BHD_REFUNDED)


@pytest.fixture
def bundle() -> dict[str, Any]:
    return _load(BUNDLE_GIFT_CARD)


# --- the fixtures, one by one --------------------------------------------------------------------------------------


def test_paid_card_order_with_tax_coupon_and_shipping(paid: dict[str, Any]) -> None:
    order = _woo(paid)
    assert (order.channel_order_id, order.order_number, order.currency) == ("5123", "1001", "USD")
    assert order.ordered_at == datetime(2026, 11, 20, 14, 15, tzinfo=UTC)
    assert order.ordered_at.utcoffset() == timedelta(hours=-5)  # the site's time: the accounting date is local
    assert [(line.sku, line.quantity, line.unit_price, line.discount, line.tax) for line in order.lines] == [
        ("TENT-2P", Decimal(1), Decimal("249.00"), Decimal("24.90"), Decimal("19.05")),
        ("STOVE-MINI", Decimal(2), Decimal("39.50"), Decimal("7.90"), Decimal("6.04")),
    ]
    assert order.lines[1].title == "Mini Stove – Titanium"  # WooCommerce HTML-escapes names
    assert all(line.taxable for line in order.lines)
    assert [(s.title, s.code, s.amount, s.tax) for s in order.shipping_lines] == [
        ("Flat rate", "flat_rate", Decimal("12.00"), Decimal("1.02"))
    ]
    assert [(t.title, t.rate, t.amount) for t in order.tax_lines] == [
        ("US-NY-STATE TAX-1", Decimal("0.04"), Decimal("12.29")),
        ("US-NY-CITY TAX-2", Decimal("0.045"), Decimal("13.82")),
    ]
    assert order.total_tax == Decimal("26.11")
    assert order.channel_total == order.computed_total() == Decimal("333.31")
    assert order.payment_state is PaymentState.PAID
    [payment] = order.payments
    assert (payment.transaction_id, payment.method, payment.amount) == (
        "pi_3QFx2bLkdIwHu7ix0Ab1Cd2E",
        "stripe",
        Decimal("333.31"),
    )
    assert payment.paid_at == datetime(2026, 11, 20, 14, 15, 3, tzinfo=UTC)
    assert order.customer is not None
    assert (order.customer.channel_customer_id, order.customer.display_name) == ("12", "Jane Cooper")
    assert order.fulfillment_state is FulfillmentState.UNFULFILLED


def test_bare_order_and_composite_payload_give_the_same_order(paid: dict[str, Any]) -> None:
    assert _woo({"order": copy.deepcopy(paid)}) == _woo(paid)
    assert _woo({"order": copy.deepcopy(paid), "refunds": []}) == _woo(paid)


def test_bank_transfer_on_hold_for_a_guest_is_on_terms(guest: dict[str, Any]) -> None:
    order = _woo(guest)
    assert order.payment_state is PaymentState.ON_TERMS
    assert order.payments == ()
    assert order.ordered_at.utcoffset() == timedelta(hours=1)
    assert order.channel_total == order.computed_total() == Decimal("48.40")
    assert order.note == "Bitte beim Nachbarn abgeben, falls niemand da ist."


def test_bank_transfer_the_merchant_confirmed_is_paid(guest: dict[str, Any]) -> None:
    guest["status"] = "processing"  # the merchant saw the transfer arrive and moved the order on
    order = _woo(guest)
    assert order.payment_state is PaymentState.PAID
    assert [(p.method, p.transaction_id, p.amount) for p in order.payments] == [("bacs", None, Decimal("48.40"))]


def test_cash_on_delivery_is_on_terms_until_the_order_is_completed(jpy: dict[str, Any]) -> None:
    assert _woo(jpy).payment_state is PaymentState.ON_TERMS  # although WooCommerce stamped date_paid
    jpy["status"] = "completed"
    order = _woo(jpy)
    assert order.payment_state is PaymentState.PAID
    assert order.amount_paid == Decimal(6450)
    assert order.fulfillment_state is FulfillmentState.FULFILLED


def test_three_decimal_currency_with_a_fee_and_refund_objects(bhd: dict[str, Any]) -> None:
    order = _woo(bhd)
    assert order.currency == "BHD"
    assert order.lines[1].unit_price == Decimal("7.875")
    assert [(f.title, f.amount, f.tax) for f in order.fees] == [("Gift wrapping", Decimal("1.500"), Decimal("0.150"))]
    assert order.total_tax == Decimal("6.175")
    assert order.channel_total == order.computed_total() == Decimal("67.925")
    assert order.payment_state is PaymentState.PARTIALLY_REFUNDED
    [refund] = order.refunds
    assert (refund.refund_id, refund.amount, refund.note) == ("2231", Decimal("8.663"), "Burner arrived cracked")
    assert refund.created_at is not None and refund.created_at.isoformat() == "2026-11-25T10:00:00+03:00"
    assert order.fulfillment_state is FulfillmentState.FULFILLED


def test_invoice_and_payments_planned_from_a_gift_card_order(bundle: dict[str, Any]) -> None:
    order = _woo(bundle)
    invoice, *payments = plan_order(order, TransactionMode.INVOICES_WITH_PAYMENTS, key_prefix="t", items=ItemNames())
    assert (invoice.type, invoice.total) == (DocumentType.INVOICE, Decimal("125.00"))
    assert [(p.type, p.total, p.payment_method) for p in payments] == [
        (DocumentType.PAYMENT, Decimal("50.00"), "gift_card"),
        (DocumentType.PAYMENT, Decimal("75.00"), "ppcp-gateway"),
    ]


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_every_fixture_balances_to_the_minor_unit(name: str) -> None:
    order = _woo(_load(name))
    assert order.balance_difference() == 0


# --- payment state (R3) --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "method", "transaction_id", "date_paid", "state"),
    [
        ("pending", "stripe", "", None, PaymentState.UNPAID),
        ("pending", "bacs", "", None, PaymentState.ON_TERMS),
        ("on-hold", "stripe", "ch_3Q1", None, PaymentState.AUTHORIZED),  # authorised, capture later
        ("on-hold", "paypal", "", None, PaymentState.UNPAID),
        ("on-hold", "cheque", "", None, PaymentState.ON_TERMS),
        ("on-hold", "cod", "", None, PaymentState.ON_TERMS),
        ("processing", "stripe", "ch_3Q1", "2026-11-20T14:15:03", PaymentState.PAID),
        ("processing", "stripe", "", "2026-11-20T14:15:03", PaymentState.PAID),
        ("processing", "stripe", "", None, PaymentState.UNKNOWN),  # a gateway order nobody recorded as paid
        ("processing", "cod", "", "2026-11-20T14:15:03", PaymentState.ON_TERMS),
        ("processing", "", "", None, PaymentState.PAID),  # keyed in by the merchant, who settles it by hand
        ("completed", "cod", "", None, PaymentState.PAID),
        ("completed", "woocommerce_gateway_purchase_order", "", "2026-11-20T14:15:03", PaymentState.ON_TERMS),
        ("refunded", "stripe", "ch_3Q1", "2026-11-20T14:15:03", PaymentState.REFUNDED),
        ("failed", "stripe", "", None, PaymentState.FAILED),
        ("cancelled", "stripe", "", None, PaymentState.VOIDED),
        ("cancelled", "stripe", "ch_3Q1", "2026-11-20T14:15:03", PaymentState.UNKNOWN),  # paid, not refunded
        ("trash", "stripe", "ch_3Q1", "2026-11-20T14:15:03", PaymentState.UNKNOWN),
        ("wc-completed", "stripe", "ch_3Q1", "2026-11-20T14:15:03", PaymentState.PAID),
    ],
)
def test_payment_state_mapping(
    paid: dict[str, Any], status: str, method: str, transaction_id: str, date_paid: str | None, state: PaymentState
) -> None:
    paid.update(status=status, payment_method=method, transaction_id=transaction_id, date_paid=date_paid)
    paid["date_paid_gmt"] = date_paid
    order = _woo(paid)
    assert order.payment_state is state
    assert order.channel_status == status.removeprefix("wc-")
    assert bool(order.payments) is (state is PaymentState.PAID or state is PaymentState.REFUNDED)


def test_cancelled_after_a_full_refund_is_refunded(bhd: dict[str, Any]) -> None:
    bhd["order"]["status"] = "cancelled"
    bhd["order"]["refunds"] = []
    bhd["refunds"][0]["amount"] = "67.925"
    order = _woo(bhd)
    assert order.payment_state is PaymentState.REFUNDED
    assert order.fulfillment_state is FulfillmentState.CANCELLED


# --- pitfalls (channel-formats.md section 9) -----------------------------------------------------------------------


def _amounts(order: CanonicalOrder) -> list[Decimal]:
    return [
        order.channel_total,
        order.order_discount,
        *(v for line in order.lines for v in (line.unit_price, line.discount, line.tax)),
        *(v for s in order.shipping_lines for v in (s.amount, s.discount, s.tax)),
        *(v for f in order.fees for v in (f.amount, f.tax)),
        *(t.amount for t in order.tax_lines),
        *(p.amount for p in order.payments),
        *(r.amount for r in order.refunds),
    ]


def test_pitfall_1_money_types_are_decimal(paid: dict[str, Any]) -> None:
    # line_items[].price is a JSON float (63.241106000000002 in a Subscriptions sample); it must never leak in.
    paid["line_items"][0]["price"] = 63.241106000000002
    paid["total"] = 333.31  # a JSON number is read through its text, not as a binary float
    order = _woo(paid)
    amounts = _amounts(order)
    assert all(type(a) is Decimal and a.as_tuple().exponent == -2 for a in amounts)
    assert order.channel_total == Decimal("333.31")


def test_pitfall_1_three_decimal_amounts_keep_their_scale(bhd: dict[str, Any]) -> None:
    assert all(a.as_tuple().exponent == -3 for a in _amounts(_woo(bhd)))


def test_pitfall_2_zero_decimal_currency_keeps_whole_yen(jpy: dict[str, Any]) -> None:
    jpy["total"] = "6450.00"  # a store set to two decimals still sends whole yen
    order = _woo(jpy)
    assert order.channel_total == Decimal(6450)
    assert all(a.as_tuple().exponent == 0 for a in _amounts(order))


def test_pitfall_2_decimals_finer_than_the_currency_are_refused(jpy: dict[str, Any]) -> None:
    jpy["total"] = "6450.50"
    error = _error(jpy)
    assert error.detail.code == "payload.bad_precision"
    assert "order.total" in error.detail.message and "JPY" in error.detail.message


def test_pitfall_3_tax_inclusive_prices_become_ex_tax_lines_plus_tax(jpy: dict[str, Any]) -> None:
    order = _woo(jpy)
    assert _order_of(jpy)["prices_include_tax"] is True
    assert order.taxes_included is False  # WooCommerce stores line totals without tax even then
    assert [(line.unit_price, line.tax) for line in order.lines] == [
        (Decimal(3000), Decimal(300)),
        (Decimal(1000), Decimal(160)),
    ]
    assert [(t.title, t.rate, t.amount) for t in order.tax_lines] == [
        ("JP-CONSUMPTION TAX-1", Decimal("0.1"), Decimal(390)),
        ("JP-REDUCED RATE-2", Decimal("0.08"), Decimal(160)),
    ]
    assert order.computed_total() == order.channel_total == Decimal(6450)


def test_pitfall_4_unrounded_line_taxes_are_rounded_once(paid: dict[str, Any]) -> None:
    assert paid["line_items"][0]["taxes"][1]["total"] == "10.0845"
    order = _woo(paid)
    assert order.lines[0].tax == Decimal("19.05")
    assert order.total_tax == Decimal("26.11")


def test_pitfall_4_rounding_between_rates_and_total_tax_is_booked_as_its_own_line(paid: dict[str, Any]) -> None:
    # Each rate rounded down on its own (11.804 -> 11.80, 13.284 -> 13.28) while total_tax rounds their sum up.
    paid["tax_lines"][0]["tax_total"] = "11.80"
    order = _woo(paid)
    assert [(t.title, t.amount) for t in order.tax_lines][-1] == ("Tax rounding", Decimal("0.01"))
    assert order.total_tax == Decimal("26.11")
    assert order.computed_total() == order.channel_total


def test_pitfall_4_a_tax_difference_beyond_rounding_is_refused(paid: dict[str, Any]) -> None:
    paid["tax_lines"][0]["tax_total"] = "10.81"
    error = _error(paid)
    assert error.detail.code == "payload.tax_mismatch"
    assert "26.11 USD" in error.detail.message and "25.11 USD" in error.detail.message


def test_pitfall_5_one_currency_per_order(paid: dict[str, Any]) -> None:
    order = _woo(paid)  # WooCommerce core has one order currency; nothing is presented in another
    assert (order.presentment_currency, order.presentment_total) == (None, None)


def test_pitfall_6_the_channel_total_stays_the_original_total_after_refunds(bhd: dict[str, Any]) -> None:
    order = _woo(bhd)
    assert order.channel_total == Decimal("67.925")  # not net of the 8.663 refund
    # The refund is both in order.refunds (summary) and in refunds (object): counted once.
    assert [r.amount for r in order.refunds] == [Decimal("8.663")]
    assert order.payments[0].amount == Decimal("67.925")


def test_pitfall_7_refund_signs_from_both_sources_are_money_back(bhd: dict[str, Any]) -> None:
    from_summary = _woo(bhd["order"]).refunds  # "total": "-8.663"
    from_object = _woo(bhd).refunds  # "amount": "8.663"
    assert [r.amount for r in from_summary] == [r.amount for r in from_object] == [Decimal("8.663")]
    assert from_summary[0].created_at is None and from_object[0].created_at is not None


def test_pitfall_7_a_refund_that_disagrees_with_its_summary_is_refused(bhd: dict[str, Any]) -> None:
    bhd["refunds"][0]["amount"] = "9.000"
    error = _error(bhd)
    assert error.detail.code == "payload.refund_mismatch"
    assert "9.000" in error.detail.message and "8.663" in error.detail.message


def test_pitfall_8_discount_is_subtotal_minus_total(paid: dict[str, Any]) -> None:
    paid["coupon_lines"].append({"id": 999, "code": "welcome", "discount": "0", "discount_tax": "0"})
    order = _woo(paid)  # an attached coupon worth 0 changes nothing
    assert [line.discount for line in order.lines] == [Decimal("24.90"), Decimal("7.90")]
    assert sum(line.discount for line in order.lines) == Decimal(paid["discount_total"])
    assert order.order_discount == 0


def test_pitfall_8_a_negative_fee_is_an_order_discount(bundle: dict[str, Any]) -> None:
    order = _woo(bundle)
    assert order.fees == ()
    assert order.order_discount == Decimal("10.00")


def test_pitfall_9_a_bundle_posts_only_its_priced_level(bundle: dict[str, Any]) -> None:
    order = _woo(bundle)
    assert [line.sku for line in order.lines] == ["BUNDLE-KITCHEN", "FUEL-230"]


def test_pitfall_9_individually_priced_bundle_children_post_instead_of_the_parent(bundle: dict[str, Any]) -> None:
    items = bundle["order"]["line_items"]
    items[0].update(subtotal="0.00", total="0.00", price=0)
    items[1].update(subtotal="70.00", total="70.00", price=70)
    items[2].update(subtotal="50.00", total="50.00", price=50)
    order = _woo(bundle)
    assert [line.sku for line in order.lines] == ["STOVE-MINI", "POT-TI", "FUEL-230"]
    assert order.computed_total() == order.channel_total == Decimal("125.00")


def test_pitfall_9_a_free_line_outside_a_bundle_is_kept(guest: dict[str, Any]) -> None:
    guest["line_items"].append(
        {"id": 414, "name": "Free sample", "quantity": 1, "subtotal": "0.00", "total": "0.00", "sku": "SAMPLE"}
    )
    assert [line.sku for line in _woo(guest).lines][-1] == "SAMPLE"


def test_pitfall_10_blank_sku_stays_none(guest: dict[str, Any]) -> None:
    order = _woo(guest)
    assert [line.sku for line in order.lines] == [None, "MUG-ASH"]
    assert order.lines[0].unit_price == Decimal("8.50")  # 25.50 for 3


def test_pitfall_11_guest_checkout_keeps_only_the_billing_email(guest: dict[str, Any]) -> None:
    order = _woo(guest)
    assert order.customer is not None
    assert order.customer.channel_customer_id is None  # customer_id 0
    assert order.customer.email == "lena.hoffmann@example.de"
    # The shipping block is all empty strings: the billing address stands in.
    assert order.shipping_address == order.billing_address
    assert order.billing_address is not None and order.billing_address.line1 == "Bergmannstraße 12"


def test_pitfall_11_guest_without_any_contact_has_no_customer(guest: dict[str, Any]) -> None:
    guest["billing"] = []  # PHP writes an empty associative array as []
    guest["shipping"] = None
    order = _woo(guest)
    assert (order.customer, order.billing_address, order.shipping_address) == (None, None, None)


def test_pitfall_12_status_is_not_payment(paid: dict[str, Any], jpy: dict[str, Any]) -> None:
    jpy_order = _woo(jpy)
    assert (jpy_order.channel_status, jpy_order.payment_state) == ("processing", PaymentState.ON_TERMS)
    paid.update(status="processing", transaction_id="", date_paid=None, date_paid_gmt=None)
    assert _woo(paid).payment_state is PaymentState.UNKNOWN


def test_pitfall_12_plugin_statuses_are_unknown_and_kept(paid: dict[str, Any]) -> None:
    paid["status"] = "awaiting-shipment"
    order = _woo(paid)
    assert (order.payment_state, order.channel_status, order.payments) == (
        PaymentState.UNKNOWN,
        "awaiting-shipment",
        (),
    )


def test_pitfall_12_checkout_drafts_are_not_orders(paid: dict[str, Any]) -> None:
    paid["status"] = "checkout-draft"
    error = _error(paid)
    assert error.detail.code == "payload.draft_order"
    assert "checkout-draft" in error.detail.message


@pytest.mark.parametrize("method", ["bacs", "cheque", "cod", "woocommerce_gateway_purchase_order", "igfw_invoice"])
def test_pitfall_13_offline_methods_not_yet_paid_are_on_terms(paid: dict[str, Any], method: str) -> None:
    paid.update(status="on-hold", payment_method=method, transaction_id="", date_paid=None, date_paid_gmt=None)
    order = _woo(paid)
    assert order.payment_state is PaymentState.ON_TERMS
    assert order.payments == ()


def test_pitfall_14_gift_cards_are_tenders_not_discounts(bundle: dict[str, Any]) -> None:
    order = _woo(bundle)
    assert order.channel_total == Decimal("125.00")  # the buyer was charged 125; the card paid 50 of it
    assert order.order_discount == Decimal("10.00")  # the loyalty fee only, not the card
    card, rest = order.payments
    assert (card.tender, card.amount, card.transaction_id) == ("gift_card", Decimal("50.00"), "77")
    assert "Q4TZ" not in order.model_dump_json()  # the card's code is a credential: not copied to the books
    assert (rest.tender, rest.amount, rest.transaction_id) == ("payment", Decimal("75.00"), "8AB12345CD678901E")


def test_pitfall_14_a_gift_card_covering_part_of_an_unpaid_order_is_a_partial_payment(bundle: dict[str, Any]) -> None:
    bundle["order"].update(status="on-hold", payment_method="bacs", transaction_id="")
    order = _woo(bundle)
    assert order.payment_state is PaymentState.PARTIALLY_PAID
    assert [(p.tender, p.amount) for p in order.payments] == [("gift_card", Decimal("50.00"))]


def test_pitfall_14_negative_fees_named_gift_card_or_store_credit_are_tenders(guest: dict[str, Any]) -> None:
    guest["fee_lines"] = [
        {"id": 1, "name": "Gift card XK2P", "total": "-10.00", "total_tax": "0.00"},
        {"id": 2, "name": "Store credit", "total": "-5.00", "total_tax": "0.00"},
    ]
    guest.update(total="33.40", status="processing")
    order = _woo(guest)
    assert order.order_discount == 0
    assert [(p.tender, p.amount) for p in order.payments] == [
        ("gift_card", Decimal("10.00")),
        ("store_credit", Decimal("5.00")),
        ("payment", Decimal("33.40")),
    ]
    assert order.channel_total == order.computed_total() == Decimal("48.40")


def test_pitfall_14_a_sold_gift_card_is_a_liability_line(guest: dict[str, Any]) -> None:
    guest["line_items"][1]["meta_data"] = [{"id": 1, "key": "wc_gc_giftcard_to_multiple", "value": "a@example.com"}]
    assert [line.gift_card for line in _woo(guest).lines] == [False, True]


def test_pitfall_15_the_store_remits_its_own_tax(paid: dict[str, Any]) -> None:
    assert not any(t.channel_liable for t in _woo(paid).tax_lines)


def test_pitfall_16_buyer_paid_fees_are_fees(jpy: dict[str, Any]) -> None:
    order = _woo(jpy)
    assert [(f.title, f.amount, f.tax) for f in order.fees] == [("代引き手数料", Decimal(300), Decimal(30))]


def test_pitfall_17_dates_without_offset_come_from_the_gmt_field(paid: dict[str, Any]) -> None:
    paid["date_created"] = "2026-11-20T09:15:00"  # site time, no offset: only _gmt says which instant
    assert _woo(paid).ordered_at == datetime(2026, 11, 20, 14, 15, tzinfo=UTC)


def test_pitfall_17_site_time_alone_is_refused_without_a_zone(paid: dict[str, Any]) -> None:
    del paid["date_created_gmt"]
    error = _error(paid)
    assert error.detail.code == "payload.bad_date"
    assert "order.date_created" in error.detail.message and "no offset" in error.detail.message
    assert error.detail.fix is not None and "site_timezone" in error.detail.fix


def test_pitfall_17_site_time_is_read_in_the_site_timezone_when_given(paid: dict[str, Any]) -> None:
    del paid["date_created_gmt"]
    order = _woo({"order": paid, "site_timezone": "America/New_York"})
    assert order.ordered_at == datetime(2026, 11, 20, 14, 15, tzinfo=UTC)


def test_pitfall_17_an_unknown_site_timezone_is_refused(paid: dict[str, Any]) -> None:
    error = _error({"order": paid, "site_timezone": "Mars/Olympus_Mons"})
    assert error.detail.code == "payload.bad_timezone"
    assert "site_timezone" in error.detail.message


def test_pitfall_18_large_integer_ids_stay_exact(paid: dict[str, Any]) -> None:
    paid["id"] = 820982911946154508
    paid["number"] = "#820982911946154508"
    order = _woo(paid)
    assert (order.channel_order_id, order.order_number) == ("820982911946154508", "820982911946154508")


def test_pitfall_20_refund_objects_come_from_a_second_call(bhd: dict[str, Any]) -> None:
    bhd["order"]["refunds"].append({"id": 2240, "reason": "", "total": "-1.000"})
    order = _woo(bhd)  # refund 2240 is on a page of /refunds that was not fetched: its summary stands in
    assert [(r.refund_id, r.amount) for r in order.refunds] == [("2231", Decimal("8.663")), ("2240", Decimal("1.000"))]


def test_pitfall_20_a_refund_object_alone_is_not_an_order(bhd: dict[str, Any]) -> None:
    error = _error(bhd["refunds"][0])
    assert error.detail.code == "payload.not_an_order"
    assert "refund" in error.detail.message


# --- bad input -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "code", "words"),
    [
        (["total"], _DELETE, "payload.missing_field", "order.total is missing"),
        (["id"], _DELETE, "payload.missing_field", "order.id is missing"),
        (["status"], "", "payload.missing_field", "order.status is missing"),
        (["currency"], "US", "payload.bad_currency", "order.currency"),
        (["total"], "NaN", "payload.bad_number", "order.total"),
        (["total"], "9" * 300, "payload.bad_number", "order.total"),
        (["total"], "1e400", "payload.bad_number", "order.total"),
        (["line_items", 0, "total"], "twelve", "payload.bad_number", "line_items[0].total"),
        (["line_items", 0, "total"], _DELETE, "payload.missing_field", "line_items[0].total is missing"),
        (["line_items", 0, "total"], "250.00", "payload.bad_line_total", "line_items[0].total"),
        (["line_items", 0, "quantity"], -1, "payload.bad_quantity", "line_items[0].quantity"),
        (["line_items", 0, "quantity"], 0, "payload.bad_quantity", "line_items[0].quantity"),
        (["line_items", 0, "quantity"], 1.5, "payload.bad_quantity", "line_items[0].quantity"),
        (["line_items", 0, "quantity"], True, "payload.bad_number", "line_items[0].quantity"),
        (["line_items", 0, "total_tax"], "-1.00", "payload.bad_number", "line_items[0].total_tax"),
        (["line_items", 0, "meta_data"], "x", "payload.wrong_type", "line_items[0].meta_data"),
        (["line_items"], "two tents", "payload.wrong_type", "order.line_items"),
        (["line_items"], [7], "payload.wrong_type", "order.line_items[0]"),
        (["line_items"], [], "payload.no_lines", "no priced line items"),
        (["shipping_lines", 0, "total"], _DELETE, "payload.missing_field", "shipping_lines[0].total is missing"),
        (["tax_lines", 1, "rate_percent"], "4.5%", "payload.bad_number", "tax_lines[1].rate_percent"),
        (["billing"], "Jane", "payload.wrong_type", "order.billing"),
        (["status"], 42, "payload.wrong_type", "order.status"),
        (["payment_method"], ["stripe"], "payload.wrong_type", "order.payment_method"),
        (["id"], {"value": 5123}, "payload.wrong_type", "order.id"),
        (["date_created_gmt"], "yesterday", "payload.bad_date", "order.date_created_gmt"),
        (["date_created_gmt"], 1700000000, "payload.bad_date", "order.date_created_gmt"),
        (["date_paid_gmt"], "2026-13-01T00:00:00", "payload.bad_date", "order.date_paid_gmt"),
        (["refunds"], [{"id": 1, "total": "abc"}], "payload.bad_number", "order.refunds[0].total"),
        (["refunds"], [{"total": "-1.00"}], "payload.missing_field", "order.refunds[0].id is missing"),
        (["gift_cards"], [{"id": 1, "amount": -5}], "payload.bad_number", "gift_cards[0].amount"),
        (["total"], "334.31", "order.unbalanced", "334.31 USD"),
    ],
)
def test_bad_input_gets_a_precise_error(
    paid: dict[str, Any], path: list[str | int], value: Any, code: str, words: str
) -> None:
    error = _error(_broken(paid, path, value))
    assert error.detail.code == code
    assert words in error.detail.message


def test_unbalanced_order_names_both_figures(paid: dict[str, Any]) -> None:
    error = _error(_broken(paid, ["total"], "340.00"))
    assert "340.00 USD" in error.detail.message and "333.31 USD" in error.detail.message
    assert error.detail.fix


@pytest.mark.parametrize(
    "payload",
    [
        {"product": {"id": 1}},
        {"order": "5123"},
        {"order": {"id": 5123}},
        {"id": 5123, "status": "processing"},
    ],
)
def test_something_that_is_not_an_order_is_refused(payload: dict[str, Any]) -> None:
    assert _error(payload).detail.code == "payload.not_an_order"


def test_refunds_that_are_not_a_list_are_refused(bhd: dict[str, Any]) -> None:
    bhd["refunds"] = {"id": 2231}
    error = _error(bhd)
    assert (error.detail.code, "refunds" in error.detail.message) == ("payload.wrong_type", True)


# --- property: any mutation is an order or a precise error ---------------------------------------------------------

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["", "0", "-1", "12.345", "NaN", "1e999", "2026-11-20T14:15:00", "processing", "cod"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


@settings(max_examples=180, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_orders_normalize_or_fail_with_a_precise_error(data: st.DataObject) -> None:
    payload = _load(data.draw(st.sampled_from(ALL_FIXTURES)))
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(payload)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        parent: Any = payload
        for key in path[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(_JSON)
    try:
        outcome: CanonicalOrder | ErrorDetail = _woo(payload)
    except NormalizationError as error:
        outcome = error.detail
    # Anything else than a NormalizationError escapes and fails the test. Beyond that, the normalizer names the
    # problem itself: the safety net's generic "payload.malformed" is never needed.
    if isinstance(outcome, ErrorDetail):
        assert outcome.code != "payload.malformed", outcome.message
