"""Stripe Checkout Sessions, PaymentIntents, Charges and Invoices (bare or inside Events) into canonical orders."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerflow.contracts import CanonicalOrder, Channel, FulfillmentState, PaymentState
from ledgerflow.ingest.normalizers import NormalizationError, normalize
from tests.unit.normalizers.mutations import DELETE as _DELETE
from tests.unit.normalizers.mutations import broken as _broken

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "stripe"

SESSION = "checkout-session-paid-tax-discount-shipping.json"
SESSION_JPY = "checkout-session-jpy-guest-tax-inclusive.json"
SESSION_TRANSFER = "checkout-session-complete-unpaid-bank-transfer.json"
CHARGE_EVENT = "event-charge-refunded-partial.json"
INTENT = "payment-intent-succeeded-adaptive-pricing.json"
INVOICE_BHD = "invoice-paid-bhd-vat-inclusive-credit.json"
INVOICE_TERMS = "invoice-open-send-invoice-net30.json"
ALL_FIXTURES = (SESSION, SESSION_JPY, SESSION_TRANSFER, CHARGE_EVENT, INTENT, INVOICE_BHD, INVOICE_TERMS)


def load(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return body


def run(payload: dict[str, Any]) -> CanonicalOrder:
    return normalize(Channel.STRIPE, payload)


def refused(payload: Any) -> NormalizationError:
    with pytest.raises(NormalizationError) as caught:
        normalize(Channel.STRIPE, payload)
    return caught.value


def charge(**changes: Any) -> dict[str, Any]:
    """The charge inside the charge.refunded event fixture, with changes."""
    body: dict[str, Any] = load(CHARGE_EVENT)["data"]["object"]
    body.update(changes)
    return body


def session_line(amount_subtotal: int, amount_tax: int, amount_total: int, **extra: Any) -> dict[str, Any]:
    item = {
        "id": f"li_{amount_subtotal}",
        "object": "item",
        "amount_subtotal": amount_subtotal,
        "amount_discount": 0,
        "amount_tax": amount_tax,
        "amount_total": amount_total,
        "description": f"item {amount_subtotal}",
        "quantity": 1,
    }
    item.update(extra)
    return item


def bare_session(items: list[dict[str, Any]], currency: str = "usd", **changes: Any) -> dict[str, Any]:
    subtotal = sum(i["amount_subtotal"] for i in items)
    total = sum(i["amount_total"] for i in items)
    body: dict[str, Any] = {
        "id": "cs_test_bare",
        "object": "checkout.session",
        "amount_subtotal": subtotal,
        "amount_total": total,
        "created": 1763630100,
        "currency": currency,
        "customer": None,
        "customer_details": {"email": "buyer@example.com"},
        "line_items": {"object": "list", "data": items, "has_more": False},
        "mode": "payment",
        "payment_intent": "pi_test_bare",
        "payment_method_types": ["card"],
        "payment_status": "paid",
        "status": "complete",
        "total_details": {
            "amount_discount": 0,
            "amount_shipping": 0,
            "amount_tax": sum(i["amount_tax"] for i in items),
        },
    }
    body.update(changes)
    return body


# --- the project's own fixtures -------------------------------------------------------------------------------------


def test_paid_session_with_tax_discount_and_shipping() -> None:
    order = run(load(SESSION))
    assert order.channel is Channel.STRIPE
    assert order.channel_order_id.startswith("cs_live_")
    assert order.order_number == "1042"  # client_reference_id: the shop's own order number
    assert order.currency == "USD"
    assert [(line.sku, line.quantity, line.unit_price, line.discount) for line in order.lines] == [
        ("TRAIL-RUN-09", Decimal(1), Decimal("129.00"), Decimal("12.90")),
        (None, Decimal(3), Decimal("18.00"), Decimal("5.40")),
    ]
    assert order.shipping_lines[0].title == "Ground (3-5 business days)"
    assert (order.shipping_lines[0].amount, order.shipping_lines[0].tax) == (Decimal("9.95"), Decimal("0.82"))
    assert [(t.title, t.rate, t.amount) for t in order.tax_lines] == [
        ("Sales Tax (CA - Alameda)", Decimal("0.0825"), Decimal("14.41"))
    ]
    assert not order.taxes_included
    assert order.channel_total == order.computed_total() == Decimal("189.06")
    assert order.payment_state is PaymentState.PAID
    assert [(p.transaction_id, p.method, p.amount) for p in order.payments] == [
        ("pi_3QsHoesExample0001", "card", Decimal("189.06"))
    ]
    assert order.customer is not None and order.customer.display_name == "Jane Cooper"
    assert order.customer.channel_customer_id == "cus_RtVd01ExampleJane"
    assert order.shipping_address is not None and order.shipping_address.postal_code == "94612"
    assert order.billing_address is not None and order.billing_address.phone == "+15105550142"


def test_composite_of_completed_event_and_separately_fetched_line_items() -> None:
    composite = load(SESSION_JPY)
    order = run(composite)
    assert order.order_number == "TEA-5001"  # metadata order_number, without its '#'
    assert [line.title for line in order.lines] == ["Sencha Green Tea 100g", "Kiyomizu Tea Cup"]
    expanded = copy.deepcopy(composite["session"]["data"]["object"])
    expanded["line_items"] = composite["line_items"]
    assert run(expanded) == order


def test_a_session_is_the_same_bare_or_inside_its_event() -> None:
    session = load(SESSION)
    event = {"id": "evt_1", "object": "event", "type": "checkout.session.completed", "data": {"object": session}}
    assert run(event) == run(session)


def test_bank_transfer_checkout_is_on_terms_until_the_money_arrives() -> None:
    order = run(load(SESSION_TRANSFER))
    assert order.payment_state is PaymentState.ON_TERMS
    assert order.payments == ()
    assert order.channel_status == "unpaid"
    assert order.lines[0].sku == "ESP-DUO-PRO"  # the merchant's SKU from price metadata
    assert order.customer is not None and order.customer.company == "Kaffeehaus Schmidt GmbH"
    assert order.customer.first_name is None  # a company name is not split into first and last name
    assert order.computed_total() == order.channel_total == Decimal("772.31")


def test_partially_refunded_charge_from_its_event() -> None:
    order = run(load(CHARGE_EVENT))
    assert order.order_number == "W-20931"
    assert order.payment_state is PaymentState.PARTIALLY_REFUNDED
    assert order.amount_paid == Decimal("45.00")
    assert [(r.refund_id, r.amount, r.note) for r in order.refunds] == [
        ("re_3QvUsRefund0001", Decimal("15.00"), "requested_by_customer")
    ]
    assert order.lines[0].title == "Ceramic pour-over set"
    assert order.shipping_address is not None and order.shipping_address.name == "Sam Lee"


def test_payment_intent_uses_its_latest_charge_for_the_transaction() -> None:
    order = run(load(INTENT))
    assert order.order_number == "BC-3310"
    assert order.payments[0].transaction_id == "ch_3QwGbAdaptive0001"
    assert order.payments[0].paid_at == datetime(2025, 11, 25, 8, 0, 3, tzinfo=UTC)
    assert order.payment_methods == ("card",)
    assert order.customer is not None and order.customer.email == "camille.martin@example.fr"


def test_invoice_open_on_net_terms() -> None:
    order = run(load(INVOICE_TERMS))
    assert order.order_number == "NW-1188-0042"
    assert order.ordered_at == datetime(2025, 11, 26, 11, 20, tzinfo=UTC)  # effective_at, not created
    assert [(line.quantity, line.unit_price, line.taxable) for line in order.lines] == [
        (Decimal(12), Decimal("150.00"), True),
        (Decimal(1), Decimal("234.50"), False),
    ]
    assert order.total_tax == Decimal("108.00")
    assert order.computed_total() == order.channel_total == Decimal("2142.50")
    assert order.note == "Net 30 - PO 55012"


# --- pitfalls -------------------------------------------------------------------------------------------------------


def test_pitfall_1_money_types_are_decimal() -> None:
    order = run(load(INVOICE_BHD))
    assert order.currency == "BHD"
    assert order.channel_total == Decimal("33.300")
    assert order.channel_total.as_tuple().exponent == -3  # thousandths, not a hard-coded 100
    for amount in (order.channel_total, order.lines[0].unit_price, order.payments[0].amount):
        assert isinstance(amount, Decimal)
    error = refused(bare_session([session_line(1999, 0, 1999)], amount_total=19.99))
    assert error.detail.code == "payload.bad_number"
    assert "session.amount_total" in error.detail.message


@pytest.mark.parametrize(
    ("currency", "units", "expected"),
    [
        ("usd", 1999, Decimal("19.99")),
        ("jpy", 1999, Decimal(1999)),
        ("bhd", 1990, Decimal("1.990")),
        # Stripe's own exponents where they differ from ISO 4217: MGA is zero-decimal at Stripe ...
        ("mga", 5000, Decimal(5000)),
        # ... and ISK stays two-decimal in Stripe's API, 100 = 1 krona.
        ("isk", 450000, Decimal(4500)),
    ],
)
def test_pitfall_1_minor_units_follow_stripes_exponent(currency: str, units: int, expected: Decimal) -> None:
    order = run(bare_session([session_line(units, 0, units)], currency=currency))
    assert order.channel_total == expected
    assert order.lines[0].unit_price == expected


def test_pitfall_1_fractional_krona_is_refused() -> None:
    error = refused(bare_session([session_line(4010, 0, 4010)], currency="isk"))
    assert error.detail.code == "payload.bad_number"
    assert "amount_subtotal is 4010" in error.detail.message


def test_pitfall_2_zero_decimal_currency_is_unscaled() -> None:
    order = run(load(SESSION_JPY))
    assert order.currency == "JPY"
    assert order.channel_total == Decimal(5940)
    assert order.lines[0].unit_price == Decimal(1620)
    assert all(amount.as_tuple().exponent == 0 for amount in (order.channel_total, order.lines[1].unit_price))


def test_pitfall_3_tax_inclusive_prices() -> None:
    order = run(load(SESSION_JPY))
    assert order.taxes_included
    assert [(t.title, t.rate, t.amount) for t in order.tax_lines] == [("JCT (JP)", Decimal("0.1"), Decimal(540))]
    assert order.shipping_lines[0].tax == Decimal(45)
    assert order.computed_total() == order.channel_total  # the tax is inside the prices, not added again
    invoice = run(load(INVOICE_BHD))
    assert invoice.taxes_included
    assert invoice.total_tax == Decimal("3.027")
    assert invoice.computed_total() == invoice.channel_total == Decimal("33.300")


def test_pitfall_3_mixed_inclusive_and_exclusive_lines_become_ex_tax_lines() -> None:
    # A 20% VAT-inclusive 12.00 book next to a 10.00 item with 0.80 tax on top.
    inclusive = session_line(1200, 200, 1200, price={"tax_behavior": "inclusive"})
    exclusive = session_line(1000, 80, 1080, price={"tax_behavior": "exclusive"})
    order = run(bare_session([inclusive, exclusive]))
    assert not order.taxes_included
    assert [line.unit_price for line in order.lines] == [Decimal("10.00"), Decimal("10.00")]
    assert order.total_tax == Decimal("2.80")
    assert order.computed_total() == order.channel_total == Decimal("22.80")


def test_pitfall_4_rounding_of_a_discounted_inclusive_line_is_exact_to_the_cent() -> None:
    # 3 x 9.99 inclusive of 19% VAT with 10% off: 26.97 net, 4.31 tax inside; mixed with an exclusive line.
    inclusive = session_line(2997, 431, 2697, amount_discount=300, quantity=3)
    exclusive = session_line(500, 40, 540)
    order = run(bare_session([inclusive, exclusive], total_details={"amount_discount": 300, "amount_tax": 471}))
    first = order.lines[0]
    assert first.net == Decimal("22.66")  # 26.97 - 4.31: exact
    assert first.quantity * first.unit_price - first.discount == first.net
    assert order.computed_total() == order.channel_total == Decimal("32.37")


def test_pitfall_4_a_price_that_does_not_divide_by_its_quantity_becomes_one_unit() -> None:
    # Package pricing: 3 units cost 10.00, which is no whole number of cents per unit.
    order = run(bare_session([session_line(1000, 0, 1000, quantity=3, description="Stickers")]))
    line = order.lines[0]
    assert (line.quantity, line.unit_price, line.title) == (Decimal(1), Decimal("10.00"), "Stickers (x 3)")
    assert order.computed_total() == order.channel_total


def test_pitfall_5_presentment_currency_is_kept_for_the_memo() -> None:
    order = run(load(INTENT))
    assert order.currency == "GBP"
    assert order.channel_total == Decimal("25.00")
    assert (order.presentment_currency, order.presentment_total) == ("EUR", Decimal("29.50"))


def test_pitfall_6_refunds_are_counted_once() -> None:
    listed = run(charge())
    assert sum(r.amount for r in listed.refunds) == Decimal("15.00")  # the list and amount_refunded agree
    unexpanded = run(charge(refunds=None))
    assert [(r.refund_id, r.amount) for r in unexpanded.refunds] == [
        ("ch_3QvUsRefund0001/amount_refunded", Decimal("15.00"))
    ]
    assert listed.channel_total == unexpanded.channel_total == Decimal("45.00")  # the original total stays


def test_pitfall_6_a_failed_refund_is_not_a_refund() -> None:
    body = charge(amount_refunded=0)
    body["refunds"]["data"][0]["status"] = "failed"
    order = run(body)
    assert order.refunds == ()
    assert order.payment_state is PaymentState.PAID


def test_pitfall_7_refunds_are_positive_and_a_full_refund_is_refunded() -> None:
    body = charge(amount_refunded=4500, refunded=True)
    body["refunds"]["data"][0]["amount"] = 4500
    order = run(body)
    assert order.payment_state is PaymentState.REFUNDED
    assert order.refunds[0].amount == Decimal("45.00")
    assert order.refunds[0].created_at == datetime(2025, 11, 24, 16, 30, tzinfo=UTC)


def test_pitfall_7_a_refund_alone_names_the_charge_to_publish() -> None:
    refund = {"id": "re_123", "object": "refund", "amount": 100, "charge": "ch_999", "currency": "usd"}
    for payload in (refund, {"object": "event", "type": "refund.created", "data": {"object": refund}}):
        error = refused(payload)
        assert error.detail.code == "payload.refund_without_order"
        assert "ch_999" in error.detail.message
        assert error.detail.fix is not None and "GET /v1/charges/ch_999" in error.detail.fix


def test_pitfall_8_discounts_are_positive_per_line_with_the_rest_at_order_level() -> None:
    order = run(load(SESSION))
    assert [line.discount for line in order.lines] == [Decimal("12.90"), Decimal("5.40")]
    assert order.order_discount == 0
    item = session_line(1000, 0, 900, amount_discount=100)
    unallocated = bare_session([item], total_details={"amount_discount": 150, "amount_tax": 0}, amount_total=850)
    assert run(unallocated).order_discount == Decimal("0.50")
    error = refused(bare_session([session_line(1000, 0, 1100, amount_discount=-100)]))
    assert error.detail.code == "payload.bad_number"
    assert "amount_discount" in error.detail.message


def test_pitfall_10_no_sku_means_the_fallback_item_not_a_stripe_product_id() -> None:
    order = run(load(SESSION))
    assert order.lines[1].sku is None  # price and product ids only: no SKU
    assert all(not (line.sku or "").startswith(("prod_", "price_")) for line in order.lines)


def test_pitfall_11_guest_checkout_carries_only_an_email() -> None:
    order = run(load(SESSION_JPY))
    assert order.customer is not None
    assert order.customer.channel_customer_id is None
    assert order.customer.email == "hanako.y@example.jp"
    assert order.customer.display_name == "hanako.y@example.jp"


def test_pitfall_11_an_email_in_a_name_field_is_an_email() -> None:
    body = charge(customer=None, receipt_email=None)
    body["billing_details"].update(name="ops@example.org", email=None)
    order = run(body)
    assert order.customer is not None
    assert (order.customer.first_name, order.customer.email) == (None, "ops@example.org")
    assert order.billing_address is not None and order.billing_address.name is None


def test_pitfall_11_a_guest_without_any_detail_has_no_customer() -> None:
    order = run(charge(customer=None, receipt_email=None, billing_details=None))
    assert order.customer is None


@pytest.mark.parametrize(
    ("methods", "state"),
    [
        (["card", "us_bank_account"], PaymentState.UNPAID),  # a bank debit still settling
        (["card", "customer_balance"], PaymentState.ON_TERMS),  # a bank transfer the buyer still has to make
        (["konbini"], PaymentState.ON_TERMS),
    ],
)
def test_pitfall_12_complete_session_can_be_unpaid(methods: list[str], state: PaymentState) -> None:
    session = load(SESSION)
    session.update(payment_status="unpaid", payment_method_types=methods)
    order = run(session)
    assert session["status"] == "complete"
    assert order.payment_state is state
    assert order.payments == ()


def test_pitfall_13_send_invoice_is_net_terms() -> None:
    order = run(load(INVOICE_TERMS))
    assert order.payment_state is PaymentState.ON_TERMS
    assert order.payments == ()
    automatic = load(INVOICE_TERMS) | {"collection_method": "charge_automatically"}
    assert run(automatic).payment_state is PaymentState.UNPAID


def test_pitfall_14_customer_credit_balance_is_a_store_credit_tender() -> None:
    order = run(load(INVOICE_BHD))
    assert [(p.tender, p.amount) for p in order.payments] == [
        ("store_credit", Decimal("5.000")),
        ("payment", Decimal("28.300")),
    ]
    assert order.order_discount == 0  # a tender, never a discount
    assert sum(line.discount for line in order.lines) == Decimal("3.700")  # the coupon is the only discount
    assert order.amount_paid == order.channel_total
    assert order.payment_state is PaymentState.PAID


def test_pitfall_16_stripe_fees_are_not_buyer_fees() -> None:
    order = run(load(CHARGE_EVENT))
    assert order.fees == ()  # balance_transaction.fee_details is Stripe's processing fee, not the buyer's
    assert order.channel_total == Decimal("45.00")


def test_pitfall_17_dates_are_epoch_seconds_in_utc() -> None:
    order = run(load(SESSION))
    assert order.ordered_at == datetime(2025, 11, 20, 9, 15, tzinfo=UTC)
    error = refused(load(SESSION) | {"created": "2025-11-20T09:15:00"})
    assert error.detail.code == "payload.bad_date"
    assert "session.created" in error.detail.message


def test_pitfall_18_ids_and_references_stay_exact_strings() -> None:
    session = load(SESSION) | {"client_reference_id": "820982911946154508"}
    order = run(session)
    assert order.order_number == "820982911946154508"
    assert order.channel_order_id == session["id"]
    error = refused(load(SESSION) | {"client_reference_id": 820982911946154508})
    assert error.detail.code == "payload.wrong_type"
    assert "client_reference_id" in error.detail.message


def test_pitfall_19_captured_charge_reporting_zero_captured() -> None:
    # Published samples say captured: true with amount_captured: 0 (older charges lack the figure): take the amount.
    order = run(charge(amount_captured=0, amount_refunded=0, refunds=None))
    assert order.payment_state is PaymentState.PAID
    assert order.amount_paid == Decimal("45.00")


def test_pitfall_20_session_without_expanded_line_items_says_how_to_get_them() -> None:
    session = load(SESSION)
    del session["line_items"]
    error = refused(session)
    assert error.detail.code == "payload.missing_field"
    assert "session.line_items" in error.detail.message
    assert error.detail.fix is not None and "expand[]=line_items" in error.detail.fix


def test_pitfall_20_paginated_lines_are_refused_rather_than_half_booked() -> None:
    session = load(SESSION)
    session["line_items"]["has_more"] = True
    error = refused(session)
    assert error.detail.code == "payload.incomplete_list"
    assert "session.line_items" in error.detail.message
    invoice = load(INVOICE_TERMS)
    invoice["lines"]["has_more"] = True
    assert refused(invoice).detail.code == "payload.incomplete_list"


# --- payment state mapping ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "state"),
    [
        ({"status": "succeeded", "captured": False, "refunds": None, "amount_refunded": 0}, PaymentState.AUTHORIZED),
        ({"status": "succeeded", "captured": False, "refunded": True}, PaymentState.VOIDED),
        ({"status": "pending", "refunds": None, "amount_refunded": 0}, PaymentState.UNPAID),
        ({"status": "failed", "refunds": None, "amount_refunded": 0}, PaymentState.FAILED),
        ({"status": "disputed_somehow"}, PaymentState.UNKNOWN),
    ],
)
def test_charge_status_mapping(changes: dict[str, Any], state: PaymentState) -> None:
    order = run(charge(**changes))
    assert order.payment_state is state
    assert order.channel_status == changes["status"]
    if state is not PaymentState.PAID:
        assert order.payments == ()


@pytest.mark.parametrize(
    ("changes", "state"),
    [
        ({"status": "requires_capture"}, PaymentState.AUTHORIZED),
        ({"status": "processing"}, PaymentState.UNPAID),
        ({"status": "requires_payment_method", "last_payment_error": {"code": "card_declined"}}, PaymentState.FAILED),
        ({"status": "canceled"}, PaymentState.VOIDED),
        (
            {"status": "requires_action", "next_action": {"type": "display_bank_transfer_instructions"}},
            PaymentState.ON_TERMS,
        ),
        ({"status": "something_new"}, PaymentState.UNKNOWN),
    ],
)
def test_payment_intent_status_mapping(changes: dict[str, Any], state: PaymentState) -> None:
    intent = load(INTENT) | changes | {"latest_charge": None}
    order = run(intent)
    assert order.payment_state is state
    assert order.channel_status == changes["status"]
    assert order.payments == ()


@pytest.mark.parametrize(
    ("changes", "state"),
    [
        ({"status": "open", "amount_paid": 100000, "amount_remaining": 114250}, PaymentState.PARTIALLY_PAID),
        ({"status": "uncollectible"}, PaymentState.UNPAID),
        ({"status": "void"}, PaymentState.VOIDED),
        ({"status": "paid", "amount_paid": 214250, "amount_remaining": 0}, PaymentState.PAID),
        (
            {"status": "paid", "amount_paid": 214250, "post_payment_credit_notes_amount": 23450},
            PaymentState.PARTIALLY_REFUNDED,
        ),
        ({"status": "mystery"}, PaymentState.UNKNOWN),
    ],
)
def test_invoice_status_mapping(changes: dict[str, Any], state: PaymentState) -> None:
    order = run(load(INVOICE_TERMS) | changes)
    assert order.payment_state is state
    assert order.channel_status == changes["status"]


def test_invoice_credit_notes_are_its_refunds() -> None:
    order = run(
        load(INVOICE_TERMS) | {"status": "paid", "amount_paid": 214250, "post_payment_credit_notes_amount": 23450}
    )
    assert [(r.refund_id, r.amount) for r in order.refunds] == [
        ("in_1QyUsNet30Consult/post_payment_credit_notes_amount", Decimal("234.50"))
    ]


def test_expired_session_is_voided_and_cancelled() -> None:
    order = run(load(SESSION) | {"status": "expired", "payment_status": "unpaid"})
    assert order.payment_state is PaymentState.VOIDED
    assert order.fulfillment_state is FulfillmentState.CANCELLED
    assert order.channel_status == "expired"


def test_unknown_session_payment_status_keeps_the_raw_value() -> None:
    order = run(load(SESSION) | {"payment_status": "partially_funded"})
    assert order.payment_state is PaymentState.UNKNOWN
    assert order.channel_status == "partially_funded"
    assert order.payments == ()


def test_partial_capture_books_what_was_captured() -> None:
    order = run(charge(amount_captured=3000, amount_refunded=0, refunds=None))
    assert order.channel_total == order.amount_paid == Decimal("30.00")
    assert order.note == "authorised 45.00 USD, captured 30.00 USD"


def test_refunds_of_a_session_come_from_its_expanded_payment_intent() -> None:
    session = load(SESSION)
    session["payment_intent"] = {
        "id": "pi_3QsHoesExample0001",
        "object": "payment_intent",
        "latest_charge": {
            "id": "ch_3QsHoes0001",
            "object": "charge",
            "amount_refunded": 18906,
            "created": 1763630110,
            "payment_method_details": {"type": "link"},
        },
    }
    order = run(session)
    assert order.payment_state is PaymentState.REFUNDED
    assert order.payments[0].transaction_id == "ch_3QsHoes0001"
    assert order.payment_methods == ("link",)


# --- things that are not orders, and bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (load(SESSION) | {"status": "open", "payment_status": "unpaid"}, "still open"),
        (load(SESSION) | {"mode": "setup"}, "setup mode"),
        (load(INVOICE_TERMS) | {"status": "draft"}, "is a draft"),
        ({"id": "cus_1", "object": "customer"}, "'customer' object"),
        ({"object": "event", "type": "customer.created", "data": {"object": {"object": "customer"}}}, "'customer'"),
        ({"object": "event", "type": "v1.billing.meter", "related_object": {"id": "x"}}, "no data.object"),
        ({"hello": "world"}, "neither an 'object' type"),
    ],
)
def test_what_is_not_a_sale_is_refused(payload: dict[str, Any], words: str) -> None:
    error = refused(payload)
    assert error.detail.code == "payload.not_an_order"
    assert words in error.detail.message


def test_object_type_is_inferred_from_the_id_when_missing() -> None:
    body = charge()
    del body["object"]
    assert run(body).channel_order_id == "ch_3QvUsRefund0001"


_ITEM = ["line_items", "data", 0]


@pytest.mark.parametrize(
    ("path", "value", "code", "words"),
    [
        (["amount_total"], _DELETE, "payload.missing_field", "session.amount_total is missing"),
        (["currency"], _DELETE, "payload.missing_field", "session.currency is missing"),
        (["payment_status"], _DELETE, "payload.missing_field", "session.payment_status is missing"),
        (["created"], _DELETE, "payload.missing_field", "session.created is missing"),
        (["amount_total"], "189.06", "payload.bad_number", "session.amount_total"),
        (["amount_total"], float("nan"), "payload.bad_number", "session.amount_total"),
        (["amount_total"], 10**300, "payload.bad_number", "session.amount_total"),
        (["amount_total"], True, "payload.bad_number", "session.amount_total"),
        ([*_ITEM, "amount_subtotal"], int("9" * 300), "payload.bad_number", "line_items.data[0].amount_subtotal"),
        ([*_ITEM, "amount_subtotal"], None, "payload.missing_field", "line_items.data[0].amount_subtotal"),
        ([*_ITEM, "quantity"], -1, "payload.bad_quantity", "line_items.data[0].quantity"),
        ([*_ITEM, "quantity"], 0, "payload.bad_quantity", "line_items.data[0].quantity"),
        ([*_ITEM, "quantity"], 1.5, "payload.bad_quantity", "line_items.data[0].quantity"),
        ([*_ITEM, "quantity"], "two", "payload.bad_number", "line_items.data[0].quantity"),
        ([*_ITEM, "amount_total"], 99999, "payload.inconsistent_line", "line_items.data[0]"),
        ([*_ITEM], "a shoe", "payload.wrong_type", "session.line_items.data[0]"),
        (["line_items"], "everything", "payload.wrong_type", "session.line_items"),
        (["line_items", "data"], [], "payload.no_lines", "no line items"),
        (["currency"], "usdollar", "payload.bad_currency", "session.currency"),
        (["currency"], 840, "payload.bad_currency", "session.currency"),
        (["created"], 10**20, "payload.bad_date", "session.created"),
        (["customer_details"], "Jane", "payload.wrong_type", "session.customer_details"),
        (["customer_details", "email"], ["a@b.c"], "payload.wrong_type", "session.customer_details.email"),
        (["id"], 42, "payload.wrong_type", "session.id"),
        (["total_details", "amount_tax"], 1440, "payload.tax_mismatch", "session.total_details.amount_tax"),
        (["amount_total"], 18907, "order.unbalanced", "189.07"),
    ],
)
def test_bad_input_gets_a_precise_error(path: list[str | int], value: Any, code: str, words: str) -> None:
    error = refused(_broken(load(SESSION), path, value))
    assert error.detail.code == code
    assert words in error.detail.message


def test_unbalanced_order_reports_both_figures() -> None:
    error = refused(_broken(load(SESSION), ["amount_total"], 19000))
    assert error.detail.code == "order.unbalanced"
    assert "190.00 USD" in error.detail.message and "189.06 USD" in error.detail.message


@pytest.mark.parametrize(
    ("name", "path", "value", "code", "words"),
    [
        (INVOICE_TERMS, ["lines"], _DELETE, "payload.missing_field", "invoice.lines is missing"),
        (INVOICE_TERMS, ["status"], _DELETE, "payload.missing_field", "invoice.status is missing"),
        (INVOICE_TERMS, ["lines", "data", 0, "quantity"], -3, "payload.bad_quantity", "lines.data[0].quantity"),
        (INVOICE_TERMS, ["lines", "data", 0, "amount"], 1.5, "payload.bad_number", "lines.data[0].amount"),
        (INVOICE_TERMS, ["lines", "data", 0, "taxes"], "lots", "payload.wrong_type", "lines.data[0].taxes"),
        (INVOICE_TERMS, ["total_taxes", 0, "amount"], 10000, "payload.tax_mismatch", "100.00 USD"),
        (INVOICE_BHD, ["amount_paid"], -5, "payload.bad_number", "invoice.amount_paid"),
        (CHARGE_EVENT, ["data", "object", "amount"], _DELETE, "payload.missing_field", "charge.amount is missing"),
        (CHARGE_EVENT, ["data", "object", "amount"], -4500, "payload.bad_number", "charge.amount"),
        (CHARGE_EVENT, ["data", "object", "refunds", "data", 0, "amount"], "15", "payload.bad_number", "refunds"),
        (CHARGE_EVENT, ["data"], "charge", "payload.wrong_type", "payload.data"),
        (INTENT, ["latest_charge"], 7, "payload.wrong_type", "payment_intent.latest_charge"),
    ],
)
def test_bad_input_in_other_objects(name: str, path: list[str | int], value: Any, code: str, words: str) -> None:
    error = refused(_broken(load(name), path, value))
    assert error.detail.code == code
    assert words in error.detail.message


def test_a_json_array_is_not_an_order() -> None:
    assert refused([load(SESSION)]).detail.code == "payload.not_an_order"


def test_an_invoice_line_with_no_usage_is_skipped_and_a_flat_fee_kept() -> None:
    invoice = load(INVOICE_TERMS)
    metered = {"id": "il_metered", "amount": 0, "quantity": 0, "description": "API calls", "taxes": []}
    flat = {"id": "il_flat", "amount": 500, "quantity": 0, "description": "Platform fee", "taxes": []}
    invoice["lines"]["data"] += [metered, flat]
    invoice["total"] += 500
    order = run(invoice)
    assert [line.line_id for line in order.lines] == ["il_1QyUsConsulting", "il_1QyUsTravel", "il_flat"]
    assert order.lines[-1].quantity == 1


# --- property: any mutation of a fixture gives an order or a NormalizationError ------------------------------------

_JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from([0, -1, 10**300, "", "NaN", "1e400", "usd", "paid", "inclusive", "cus_1", []])
)
_JSON = st.recursive(
    _JSON_LEAVES,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found: list[tuple[str | int, ...]] = []
    children: list[tuple[str | int, Any]] = []
    if isinstance(node, dict):
        children = list(node.items())
    elif isinstance(node, list):
        children = list(enumerate(node))
    for key, child in children:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


_PATHS = {name: _paths(load(name)) for name in ALL_FIXTURES}


@settings(max_examples=180, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(ALL_FIXTURES))
def test_mutated_payloads_give_an_order_or_a_normalization_error(data: st.DataObject, name: str) -> None:
    payload = load(name)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        path = data.draw(st.sampled_from(_PATHS[name]))
        parent: Any = payload
        try:
            for key in path[:-1]:
                parent = parent[key]
            if data.draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = data.draw(_JSON)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    outcome: CanonicalOrder | NormalizationError
    try:
        outcome = normalize(Channel.STRIPE, payload)
    except NormalizationError as error:
        outcome = error
    if isinstance(outcome, NormalizationError):
        assert outcome.detail.code.startswith(("payload.", "order."))
        assert outcome.detail.code != "payload.malformed", outcome.detail.message  # the safety net was not needed
    else:
        assert isinstance(outcome, CanonicalOrder)


@pytest.mark.parametrize("lines", [{}, {"object": "list", "url": "/v1/invoices/in_1QyUsNet30Consult/lines"}])
def test_invoice_with_unexpanded_lines_is_refused_saying_how_to_expand_them(lines: dict[str, Any]) -> None:
    payload = load(INVOICE_TERMS)
    payload["lines"] = lines
    with pytest.raises(NormalizationError) as caught:
        run(payload)
    detail = caught.value.detail
    assert detail.code == "payload.lines_not_expanded"
    assert "in_1QyUsNet30Consult was published without its lines" in detail.message
    assert "GET /v1/invoices/in_1QyUsNet30Consult?expand[]=lines" in (detail.fix or "")
