"""Square orders (Orders API, with tenders, plus Payments API payments) into canonical orders."""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerflow.contracts import CanonicalOrder, Channel, FulfillmentState, PaymentState, TransactionMode
from ledgerflow.ingest.normalizers import NormalizationError, normalize
from ledgerflow.planner.modes import plan_order
from ledgerflow.planner.settings import ItemNames

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "square"

PAID = "paid-card-tax-discounts-shipping.json"
ON_TERMS = "open-invoice-on-terms.json"
JPY = "jpy-inclusive-tax-cash-guest.json"
GBP = "gbp-vat-inclusive-gift-card-split.json"
BY_WEIGHT = "cad-by-weight-tip-cash-rounding.json"
AUTHORIZED = "authorized-shipment-guest.json"
REFUNDED = "partially-refunded-card.json"
ALL_FIXTURES = (PAID, ON_TERMS, JPY, GBP, BY_WEIGHT, AUTHORIZED, REFUNDED)


def _load(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return body


def _order(payload: dict[str, Any]) -> dict[str, Any]:
    """The Order inside a composite payload, or the bare Order itself."""
    inner: dict[str, Any] = payload.get("order", payload)
    return inner


def _square(payload: dict[str, Any]) -> CanonicalOrder:
    return normalize(Channel.SQUARE, payload)


def _error(payload: Any) -> NormalizationError:
    with pytest.raises(NormalizationError) as caught:
        normalize(Channel.SQUARE, payload)
    return caught.value


def _money(amount: int, currency: str = "USD") -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


# ---- the project's own orders ---------------------------------------------------------------------------------


def test_paid_order_with_tax_discounts_shipping_and_catalog_skus() -> None:
    order = _square(_load(PAID))
    assert order.channel is Channel.SQUARE
    assert order.channel_order_id == "Qm7tKx3B1vZpL0aWfN9rE2cYdJ4uS"
    assert order.order_number == "WEB-10482"  # the merchant's reference_id: Square has no order number
    assert order.ordered_at == datetime(2026, 3, 14, 16, 1, 58, 907000, tzinfo=UTC)
    assert order.currency == "USD"
    assert not order.taxes_included
    assert [(li.sku, li.title, li.quantity, li.unit_price, li.discount, li.tax) for li in order.lines] == [
        ("SOCK-TR-M", "Trail Runner Socks (Medium)", Decimal(3), Decimal("14.00"), Decimal("4.20"), Decimal("3.35")),
        ("BTL-INS-750", "Insulated Bottle (750 ml)", Decimal(1), Decimal("37.00"), Decimal("6.40"), Decimal("2.72")),
    ]
    assert [(s.title, s.amount, s.tax) for s in order.shipping_lines] == [
        ("Shipping", Decimal("8.95"), Decimal("0.79"))
    ]
    assert [(t.title, t.rate, t.amount) for t in order.tax_lines] == [
        ("NY Sales Tax", Decimal("0.08875"), Decimal("6.86"))
    ]
    assert order.fees == ()
    assert order.channel_total == order.computed_total() == Decimal("84.21")
    assert order.payment_state is PaymentState.PAID
    assert order.channel_status == "OPEN"
    [payment] = order.payments
    assert payment.transaction_id == "bP9mKq2Lx7RtV4wZnC1yH8sDfG3jA"
    assert (payment.method, payment.tender, payment.amount) == ("card (VISA)", "payment", Decimal("84.21"))
    assert payment.paid_at == datetime(2026, 3, 14, 16, 2, 11, 482000, tzinfo=UTC)  # captured_at
    assert order.payment_methods == ("card (VISA)",)
    assert order.fulfillment_state is FulfillmentState.UNFULFILLED
    assert order.customer is not None
    assert (order.customer.channel_customer_id, order.customer.display_name, order.customer.email) == (
        "JDKYHBWT1D4F8MFH63DBMEN8Y4",
        "Maya Okafor",
        "maya.okafor@example.com",
    )
    assert order.shipping_address is not None and order.shipping_address.city == "Brooklyn"
    assert order.billing_address is not None and order.billing_address.name == "Maya Okafor"


def test_paid_order_plans_as_a_balanced_sales_receipt() -> None:
    order = _square(_load(PAID))
    [receipt] = plan_order(order, TransactionMode.SALES_RECEIPTS, key_prefix="t", items=ItemNames())
    assert receipt.total == Decimal("84.21")
    assert receipt.payment_reference == "bP9mKq2Lx7RtV4wZnC1yH8sDfG3jA"


def test_the_order_wrapper_is_optional() -> None:
    payload = _load(BY_WEIGHT)
    assert _square(payload["order"]) == _square(payload)
    assert _square(_load(JPY)).order_number == "hN2vQ8cR5tY1uJ7kL3mP9zX4wB6sA"  # a bare Order in the fixture


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_every_project_fixture_balances(name: str) -> None:
    order = _square(_load(name))
    assert order.computed_total() == order.channel_total
    assert order.balance_difference() == 0


# ---- payment state (R3): tenders, payments, refunds and the invoice, never the order's state ------------------


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("CAPTURED", PaymentState.PAID),
        ("AUTHORIZED", PaymentState.AUTHORIZED),
        ("VOIDED", PaymentState.VOIDED),
        ("FAILED", PaymentState.FAILED),
    ],
)
def test_card_tender_status_mapping(status: str, state: PaymentState) -> None:
    payload = _load(PAID)
    del payload["payments"]
    _order(payload)["tenders"][0]["card_details"]["status"] = status
    order = _square(payload)
    assert order.payment_state is state
    assert order.amount_paid == (Decimal("84.21") if state is PaymentState.PAID else 0)


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("COMPLETED", PaymentState.PAID),
        ("APPROVED", PaymentState.AUTHORIZED),
        ("PENDING", PaymentState.UNPAID),
        ("CANCELED", PaymentState.VOIDED),
        ("FAILED", PaymentState.FAILED),
    ],
)
def test_payments_api_status_wins_over_the_tender(status: str, state: PaymentState) -> None:
    payload = _load(AUTHORIZED)  # the tender still says AUTHORIZED: the Payment is the fresher record
    payload["payments"][0]["status"] = status
    assert _square(payload).payment_state is state


def test_a_payment_the_order_does_not_list_yet_still_counts() -> None:
    payload = _load(AUTHORIZED)
    del _order(payload)["tenders"]
    assert _square(payload).payment_state is PaymentState.AUTHORIZED
    payload["payments"][0]["status"] = "COMPLETED"
    order = _square(payload)
    assert order.payment_state is PaymentState.PAID
    assert [p.transaction_id for p in order.payments] == ["tX5cV9bN3mQ7wE1rY6uI0oP4aS8dF"]


def test_one_captured_tender_of_two_is_partially_paid() -> None:
    payload = _load(GBP)
    del payload["payments"]
    _order(payload)["tenders"][1]["card_details"]["status"] = "AUTHORIZED"
    order = _square(payload)
    assert order.payment_state is PaymentState.PARTIALLY_PAID
    assert order.amount_paid == Decimal("25.00")


def test_a_bank_debit_in_flight_is_unpaid_and_a_completed_one_is_paid() -> None:
    payload = _load(PAID)
    del payload["payments"]
    tender = _order(payload)["tenders"][0]
    del tender["card_details"]
    tender.update(type="BANK_ACCOUNT", bank_account_details={"status": "PENDING"})
    assert _square(payload).payment_state is PaymentState.UNPAID
    tender["bank_account_details"]["status"] = "COMPLETED"
    order = _square(payload)
    assert order.payment_state is PaymentState.PAID
    assert order.payments[0].method == "bank account"


@pytest.mark.parametrize(
    ("change", "raw"),
    [
        ({"card_details": {"status": "PARTIALLY_CAPTURED"}}, "card_details.status=PARTIALLY_CAPTURED"),
        ({"card_details": {}}, "card_details.status=None"),
        ({"type": "CRYPTO"}, "type=CRYPTO"),
    ],
)
def test_unclassifiable_payment_values_are_unknown_and_kept(change: dict[str, Any], raw: str) -> None:
    payload = _load(PAID)
    del payload["payments"]
    _order(payload)["tenders"][0].update(change)
    order = _square(payload)
    assert order.payment_state is PaymentState.UNKNOWN
    assert order.channel_status is not None and raw in order.channel_status
    assert order.payments == ()  # nothing is treated as paid


def test_unknown_payment_status_and_unknown_refund_status_are_unknown() -> None:
    payload = _load(REFUNDED)
    payload["refunds"][0]["status"] = "REVERSED"
    assert _square(payload).channel_status == "payload.refunds[0].status=REVERSED"
    payload = _load(AUTHORIZED)
    payload["payments"][0]["status"] = "SETTLING"
    order = _square(payload)
    assert (order.payment_state, order.channel_status) == (PaymentState.UNKNOWN, "payload.payments[0].status=SETTLING")


def test_a_no_sale_tender_is_no_money() -> None:
    payload = _load(JPY)
    payload["tenders"].append({"id": "nosale", "type": "NO_SALE", "amount_money": _money(0, "JPY")})
    order = _square(payload)
    assert order.payment_state is PaymentState.PAID
    assert len(order.payments) == 1


def test_a_zero_total_order_owes_nothing() -> None:
    payload = _load(JPY)
    for line in payload["line_items"]:
        for field in ("base_price_money", "variation_total_price_money", "gross_sales_money", "total_money"):
            line[field] = _money(0, "JPY")
        line.pop("applied_taxes", None)
        line["total_tax_money"] = _money(0, "JPY")
    payload.update(taxes=[], tenders=[], total_money=_money(0, "JPY"), total_tax_money=_money(0, "JPY"))
    order = _square(payload)
    assert (order.payment_state, order.payments) == (PaymentState.PAID, ())


# ---- channel-formats.md section 9, the pitfalls that apply to Square -----------------------------------------


def test_pitfall_1_money_types_are_integer_minor_units() -> None:
    order = _square(_load(PAID))
    assert order.lines[0].unit_price == Decimal("14.00")
    assert isinstance(order.channel_total, Decimal) and order.channel_total.as_tuple().exponent == -2
    for wrong in (15.99, "1599", None):
        payload = _load(PAID)
        _order(payload)["line_items"][0]["gross_sales_money"]["amount"] = wrong
        error = _error(payload)
        assert error.detail.code in ("payload.bad_number", "payload.missing_field")
        assert "order.line_items[0].gross_sales_money.amount" in error.detail.message


def test_pitfall_2_zero_decimal_currency_is_unscaled() -> None:
    order = _square(_load(JPY))
    assert order.currency == "JPY"
    assert [li.unit_price for li in order.lines] == [Decimal(580), Decimal(2200), Decimal(5000)]
    assert order.channel_total == Decimal(8360)
    assert order.channel_total.as_tuple().exponent == 0


def _in_currency(node: Any, currency: str) -> Any:
    if isinstance(node, dict):
        return {k: currency if k == "currency" else _in_currency(v, currency) for k, v in node.items()}
    if isinstance(node, list):
        return [_in_currency(v, currency) for v in node]
    return node


def test_pitfall_2_three_decimal_currency_is_scaled_by_its_own_exponent() -> None:
    # Square trades in no 3-decimal currency today, but its Money is ISO 4217 minor units: 4155 fils is 4.155.
    order = _square(_in_currency(_load(BY_WEIGHT), "BHD"))
    assert order.currency == "BHD"
    assert order.channel_total == order.computed_total() == Decimal("4.155")
    assert order.channel_total.as_tuple().exponent == -3


def test_pitfall_3_inclusive_taxes_mean_tax_included_prices() -> None:
    order = _square(_load(GBP))
    assert order.taxes_included
    assert [(li.unit_price, li.tax) for li in order.lines] == [
        (Decimal("65.00"), Decimal("10.83")),
        (Decimal("18.00"), Decimal("6.00")),
    ]
    assert [(t.title, t.rate, t.amount) for t in order.tax_lines] == [("VAT", Decimal("0.2"), Decimal("16.83"))]
    assert order.channel_total == order.computed_total() == Decimal("101.00")


def test_pitfall_3_inclusive_and_additive_taxes_together_book_ex_tax_lines() -> None:
    payload = _load(GBP)
    order = _order(payload)
    order["taxes"].append(
        {"uid": "eco", "name": "Bag levy", "percentage": "5", "type": "ADDITIVE", "applied_money": _money(180, "GBP")}
    )
    tote = order["line_items"][1]
    tote["applied_taxes"].append({"uid": "at-3", "tax_uid": "eco", "applied_money": _money(180, "GBP")})
    tote.update(total_tax_money=_money(780, "GBP"), total_money=_money(3780, "GBP"))
    order.update(total_tax_money=_money(1863, "GBP"), total_money=_money(10280, "GBP"))
    order["tenders"][1]["amount_money"] = _money(7780, "GBP")
    payload["payments"][1]["payment"]["total_money"] = _money(7780, "GBP")
    canonical = _square(payload)
    assert not canonical.taxes_included  # one mode per document: the VAT-inclusive prices are booked net of VAT
    assert [li.unit_price for li in canonical.lines] == [Decimal("54.17"), Decimal("15.00")]
    assert [(t.title, t.amount) for t in canonical.tax_lines] == [
        ("VAT", Decimal("16.83")),
        ("Bag levy", Decimal("1.80")),
    ]
    assert canonical.channel_total == canonical.computed_total() == Decimal("102.80")
    assert canonical.payment_state is PaymentState.PAID


def test_pitfall_4_items_sold_by_measure_keep_squares_rounded_line_totals() -> None:
    order = _square(_load(BY_WEIGHT))
    almonds, chocolate, coffee = order.lines
    assert (almonds.quantity, chocolate.quantity) == (Decimal("0.735"), Decimal("0.418"))
    # 0.735 kg at 28.99 is 21.30765: Square charged 21.31, and the line must say so.
    assert abs(almonds.unit_price - Decimal("28.99")) < Decimal("0.01")
    assert abs(almonds.gross - Decimal("21.31")) < Decimal("0.000001")
    assert abs(chocolate.gross - Decimal("14.42")) < Decimal("0.000001")
    assert coffee.unit_price == Decimal("4.60")  # whole units keep the listed price
    assert [(f.title, f.amount) for f in order.fees] == [("Tip", Decimal("1.00")), ("Cash rounding", Decimal("-0.01"))]
    assert order.channel_total == order.computed_total() == Decimal("41.55")
    [receipt] = plan_order(order, TransactionMode.SALES_RECEIPTS, key_prefix="t", items=ItemNames())
    assert [line.amount for line in receipt.lines][:2] == [Decimal("21.31"), Decimal("14.42")]
    assert receipt.total == Decimal("41.55")


def test_pitfall_6_total_money_is_the_reference_not_net_amounts() -> None:
    order = _square(_load(REFUNDED))
    assert order.channel_total == Decimal("59.36")  # net_amounts.total_money is 29.68 after the return
    assert order.amount_paid == Decimal("59.36")
    assert [r.amount for r in order.refunds] == [Decimal("29.68")]  # counted once, in refunds only


def test_pitfall_7_refunds_count_once_and_only_when_approved() -> None:
    order = _square(_load(REFUNDED))
    assert order.payment_state is PaymentState.PARTIALLY_REFUNDED
    assert [(r.refund_id, r.note) for r in order.refunds] == [
        ("yU8iO2pA6sD0fG4hJ9kL3zX7cV1bN_Rq4Wm8Ex2Tz6Yp0Lk", "Returned one beanie")
    ]
    pending = _load(REFUNDED)
    del pending["refunds"]  # the order's own copy still says PENDING
    del pending["payments"][0]["refunded_money"]
    order = _square(pending)
    assert (order.payment_state, order.refunds) == (PaymentState.PAID, ())
    summary_only = _load(REFUNDED)
    del summary_only["refunds"]
    del _order(summary_only)["refunds"]
    order = _square(summary_only)  # only the payment's refunded_money says a refund happened
    assert order.payment_state is PaymentState.PARTIALLY_REFUNDED
    assert [(r.refund_id, r.amount) for r in order.refunds] == [
        ("yU8iO2pA6sD0fG4hJ9kL3zX7cV1bN_Rq4Wm8Ex2Tz6Yp0Lk", Decimal("29.68"))
    ]
    full = _load(REFUNDED)
    full["refunds"][0]["amount_money"] = _money(5936)
    assert _square(full).payment_state is PaymentState.REFUNDED


def test_pitfall_8_order_scope_discounts_are_apportioned_into_lines() -> None:
    order = _square(_load(PAID))
    assert [li.discount for li in order.lines] == [Decimal("4.20"), Decimal("6.40")]
    assert order.order_discount == 0  # SPRING10 is ORDER scope, yet Square already put it on the lines
    payload = _load(PAID)
    _order(payload)["total_discount_money"] = _money(1160)
    _order(payload)["total_money"] = _money(8321)
    payload["payments"][0]["total_money"] = _money(8321)
    _order(payload)["tenders"][0]["amount_money"] = _money(8321)
    remainder = _square(payload)
    assert remainder.order_discount == Decimal("1.00")
    assert remainder.computed_total() == remainder.channel_total == Decimal("83.21")


def test_pitfall_9_modifiers_are_folded_into_their_line_never_posted_apart() -> None:
    order = _square(_load(PAID))
    assert len(order.lines) == 2
    assert order.lines[1].unit_price == Decimal("37.00")  # 32.00 bottle + 5.00 engraving
    payload = _load(PAID)
    bottle = _order(payload)["line_items"][1]
    del bottle["gross_sales_money"], bottle["variation_total_price_money"], bottle["modifiers"][0]["total_price_money"]
    assert _square(payload).lines[1].gross == Decimal("37.00")


def test_pitfall_10_skus_come_from_the_catalog_or_stay_missing() -> None:
    payload = _load(PAID)
    assert [li.sku for li in _square(payload).lines] == ["SOCK-TR-M", "BTL-INS-750"]
    del payload["catalog_objects"]
    order = _square(payload)
    assert [li.sku for li in order.lines] == [None, None]
    [receipt] = plan_order(order, TransactionMode.SALES_RECEIPTS, key_prefix="t", items=ItemNames())
    assert receipt.lines[0].item_name == ItemNames().fallback
    payload["catalog_objects"] = [
        {
            "type": "ITEM",
            "id": "ITEM-SOCKS",
            "item_data": {
                "variations": [{"type": "ITEM_VARIATION", "id": "VAR-SOCKS-M", "item_variation_data": {"sku": "S-M"}}]
            },
        }
    ]
    assert _square(payload).lines[0].sku == "S-M"


def test_pitfall_11_guest_checkouts_carry_no_customer_or_only_a_contact() -> None:
    assert _square(_load(JPY)).customer is None  # a counter sale: Square knows nobody
    guest = _square(_load(AUTHORIZED)).customer
    assert guest is not None
    assert guest.channel_customer_id is None
    assert (guest.email, guest.display_name) == ("jonah.brandt@example.net", "Jonah Ellery Brandt")


def test_pitfall_12_order_state_is_not_payment_state() -> None:
    paid_but_open = _square(_load(PAID))
    assert (paid_but_open.channel_status, paid_but_open.payment_state) == ("OPEN", PaymentState.PAID)
    payload = _load(PAID)
    del payload["payments"]
    _order(payload).update(state="COMPLETED", tenders=[])
    completed_unpaid = _square(payload)
    assert (completed_unpaid.channel_status, completed_unpaid.payment_state) == ("COMPLETED", PaymentState.UNPAID)


def test_pitfall_13_an_open_square_invoice_is_a_sale_on_terms() -> None:
    order = _square(_load(ON_TERMS))
    assert order.payment_state is PaymentState.ON_TERMS
    assert order.payments == ()
    assert order.order_number == "000117"  # the invoice number the buyer sees
    assert order.customer is not None and order.customer.company == "Harbor Lights Events LLC"
    [invoice] = plan_order(order, TransactionMode.INVOICES_WITH_PAYMENTS, key_prefix="t", items=ItemNames())
    assert invoice.total == Decimal("397.30")


def test_pitfall_13_a_cheque_recorded_but_not_cleared_is_on_terms() -> None:
    payload = _load(ON_TERMS)
    del payload["invoice"]
    payload["payments"] = [
        {
            "id": "chq-0042",
            "status": "PENDING",
            "source_type": "EXTERNAL",
            "external_details": {"type": "CHECK", "source": "Cheque 0042"},
            "amount_money": _money(39730),
            "order_id": "fT4nWc8QyK2mBv6RzP0xLd5HsJ9aE",
        }
    ]
    assert _square(payload).payment_state is PaymentState.ON_TERMS
    payload["payments"][0]["status"] = "COMPLETED"
    order = _square(payload)
    assert order.payment_state is PaymentState.PAID
    assert order.payments[0].method == "external (check)"


def test_pitfall_13_a_paid_invoice_without_its_tenders_is_not_guessed() -> None:
    payload = _load(ON_TERMS)
    payload["invoice"]["status"] = "PAID"
    order = _square(payload)
    assert (order.payment_state, order.channel_status) == (PaymentState.UNKNOWN, "payload.invoice.status=PAID")


def test_pitfall_14_gift_cards_are_tenders_when_redeemed_and_liabilities_when_sold() -> None:
    split = _square(_load(GBP))
    assert [(p.tender, p.method, p.amount) for p in split.payments] == [
        ("gift_card", "Square gift card", Decimal("25.00")),
        ("payment", "card (VISA)", Decimal("76.00")),
    ]
    assert split.order_discount == 0 and all(li.discount == 0 for li in split.lines)
    sold = _square(_load(JPY))
    assert [li.gift_card for li in sold.lines] == [False, False, True]
    assert not sold.lines[2].taxable
    payload = _load(GBP)
    del payload["payments"]  # the order's tender alone says SQUARE_GIFT_CARD
    assert _square(payload).payments[0].tender == "gift_card"


def test_pitfall_16_service_charges_are_buyer_fees_and_square_processing_fees_are_not() -> None:
    payload = _load(AUTHORIZED)
    _order(payload)["service_charges"][0]["name"] = "Large party service charge"
    order = _square(payload)
    assert order.shipping_lines == ()
    assert [(f.title, f.amount) for f in order.fees] == [("Large party service charge", Decimal("6.50"))]
    # processing_fee_money (Square's fee to the seller) is not the buyer's money: nowhere in the order's parts.
    assert _square(_load(PAID)).fees == ()


def test_pitfall_17_dates_are_rfc3339_and_a_date_without_offset_is_refused() -> None:
    assert _square(_load(GBP)).ordered_at.utcoffset() is not None
    payload = _load(GBP)
    _order(payload)["created_at"] = "2026-05-09T11:17:03"
    error = _error(payload)
    assert error.detail.code == "payload.bad_date"
    assert "order.created_at" in error.detail.message and "no time zone" in error.detail.message


def test_pitfall_18_ids_stay_exact_strings() -> None:
    payload = _load(PAID)
    _order(payload)["id"] = 976318377106520349
    del payload["payments"]
    assert _square(payload).channel_order_id == "976318377106520349"


def test_pitfall_19_digital_fulfilment_outside_the_documented_enum_is_accepted() -> None:
    payload = _load(AUTHORIZED)
    _order(payload)["fulfillments"] = [{"uid": "f", "type": "DIGITAL", "state": "COMPLETED"}]
    assert _square(payload).fulfillment_state is FulfillmentState.FULFILLED


def test_pitfall_20_composite_parts_must_belong_to_the_order() -> None:
    payload = _load(PAID)
    payload["payments"][0]["order_id"] = "SomeOtherOrder"
    error = _error(payload)
    assert error.detail.code == "payload.other_order"
    assert "payload.payments[0].order_id" in error.detail.message


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (["PROPOSED"], FulfillmentState.UNFULFILLED),
        (["COMPLETED", "PREPARED"], FulfillmentState.PARTIALLY_FULFILLED),
        (["COMPLETED", "CANCELED"], FulfillmentState.FULFILLED),
        (["CANCELED", "FAILED"], FulfillmentState.CANCELLED),
    ],
)
def test_fulfilment_state_mapping(states: list[str], expected: FulfillmentState) -> None:
    payload = _load(AUTHORIZED)
    _order(payload)["fulfillments"] = [{"type": "SHIPMENT", "state": s} for s in states]
    assert _square(payload).fulfillment_state is expected


def test_a_cancelled_order_is_cancelled_whatever_its_fulfilments() -> None:
    payload = _load(AUTHORIZED)
    _order(payload)["state"] = "CANCELED"
    assert _square(payload).fulfillment_state is FulfillmentState.CANCELLED


# ---- bad input ------------------------------------------------------------------------------------------------

_DELETE = object()


def _broken(name: str, path: list[str | int], value: Any) -> dict[str, Any]:
    broken = _load(name)
    target: Any = _order(broken)
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return broken


@pytest.mark.parametrize(
    ("path", "value", "code", "words"),
    [
        (["total_money"], _DELETE, "payload.missing_field", "order.total_money is missing"),
        (["id"], _DELETE, "payload.missing_field", "order.id is missing"),
        (["created_at"], _DELETE, "payload.missing_field", "order.created_at is missing"),
        (["line_items", 0, "quantity"], _DELETE, "payload.missing_field", "order.line_items[0].quantity"),
        (["line_items", 0, "gross_sales_money", "amount"], float("nan"), "payload.bad_number", "gross_sales_money"),
        (["line_items", 0, "gross_sales_money", "amount"], 10**300, "payload.bad_number", "beyond"),
        (["line_items", 0, "gross_sales_money", "amount"], 10**17, "payload.bad_number", "beyond"),
        (["line_items", 0, "total_discount_money", "amount"], -420, "payload.bad_number", "cannot be negative"),
        (["line_items", 0, "gross_sales_money", "currency"], "EUR", "payload.bad_currency", "gross_sales_money"),
        (["total_money", "currency"], "US", "payload.bad_currency", "order.total_money.currency"),
        (["line_items"], "socks", "payload.bad_type", "order.line_items"),
        (["line_items", 0], ["socks"], "payload.bad_type", "order.line_items[0]"),
        (["line_items", 0, "name"], {"en": "Socks"}, "payload.bad_type", "order.line_items[0].name"),
        (["taxes", 0, "applied_money"], 686, "payload.bad_type", "order.taxes[0].applied_money"),
        (["tenders"], {"type": "CARD"}, "payload.bad_type", "order.tenders"),
        (["line_items"], [], "payload.no_lines", "no line items"),
        (["taxes", 0, "type"], "UNKNOWN_TAX", "payload.unknown_tax_type", "order.taxes[0].type"),
        (["taxes", 0, "percentage"], "nine", "payload.bad_number", "order.taxes[0].percentage"),
        (["created_at"], "14/03/2026", "payload.bad_date", "order.created_at"),
        (["returns"], [{"source_order_id": "x"}], "payload.return_order", "returns"),
        (["total_money", "amount"], 8521, "order.unbalanced", "84.21"),
    ],
)
def test_bad_input_gets_a_precise_error(path: list[str | int], value: Any, code: str, words: str) -> None:
    error = _error(_broken(PAID, path, value))
    assert error.detail.code == code
    assert words in error.detail.message


@pytest.mark.parametrize("value", ["NaN", "Infinity", "9" * 300, "-1", -1, "two", None, True, [], {}, 1.5e400])
def test_absurd_quantities_are_refused_with_the_field_named(value: Any) -> None:
    error = _error(_broken(PAID, ["line_items", 0, "quantity"], value))
    assert error.detail.code in ("payload.bad_number", "payload.bad_quantity", "payload.missing_field")
    assert "order.line_items[0].quantity" in error.detail.message


def test_fractional_quantities_are_allowed_but_zero_quantity_lines_are_dropped() -> None:
    payload = _load(BY_WEIGHT)
    order = _order(payload)
    order["line_items"][0]["quantity"] = "0"  # an open order can show one; Square drops it when paid
    for field in ("gross_sales_money", "variation_total_price_money", "total_money"):
        order["line_items"][0][field] = _money(0, "CAD")
    order["total_money"] = order["tenders"][0]["amount_money"] = _money(2024, "CAD")
    assert len(_square(payload).lines) == 2
    for line in _order(payload)["line_items"]:
        line["quantity"] = "0"
    assert _error(payload).detail.code == "payload.no_lines"


def test_unbalanced_order_reports_both_figures() -> None:
    error = _error(_broken(PAID, ["total_money", "amount"], 8500))
    assert "85.00 USD" in error.detail.message and "84.21 USD" in error.detail.message
    assert error.detail.fix


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"orders": [{"id": "a"}]}, "search or batch response"),
        ({"event_id": "e", "type": "order.created", "data": {}}, "retrieve the order"),
        ({"order": "CAISENgvlJ6jLWAzERDzjyHVybY"}, "not an Order"),
        ({"payment": {"id": "p"}}, "has no order"),
    ],
)
def test_something_that_is_not_an_order_is_refused(payload: dict[str, Any], words: str) -> None:
    error = _error(payload)
    assert error.detail.code == "payload.not_an_order"
    assert words in error.detail.message


def test_a_json_array_is_not_an_order() -> None:
    assert _error([_load(JPY)]).detail.code == "payload.not_an_order"


# ---- any mutation is an order or a typed error ----------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["", "0", "-1", "NaN", "1e400", "9" * 300, "2026-01-01T00:00:00", "JPY", "CAPTURED"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        found.append((*prefix, key))
        found.extend(_paths(value, (*prefix, key)))
    return found


@settings(max_examples=180, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_mutation_is_an_order_or_a_typed_error(data: st.DataObject) -> None:
    payload = copy.deepcopy(_FIXTURE_CACHE[data.draw(st.sampled_from(ALL_FIXTURES))])
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
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
            parent[path[-1]] = data.draw(json_values)
    outcome: CanonicalOrder | None = None
    with contextlib.suppress(NormalizationError):
        outcome = normalize(Channel.SQUARE, payload)
    if outcome is None:
        # The safety net in normalizers/__init__ must not be what caught it: every error is the module's own.
        with pytest.raises(NormalizationError) as caught:
            normalize(Channel.SQUARE, payload)
        assert caught.value.detail.code != "payload.malformed", caught.value.detail.message
    else:
        assert outcome.computed_total() == outcome.channel_total


_FIXTURE_CACHE = {name: _load(name) for name in ALL_FIXTURES}
