"""Magento 2 / Adobe Commerce orders (GET /V1/orders/{id}, optionally with invoices and credit memos)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerflow.contracts import CanonicalOrder, Channel, DocumentType, FulfillmentState, PaymentState, TransactionMode
from ledgerflow.ingest.normalizers import NormalizationError, normalize
from ledgerflow.planner.modes import plan_order
from ledgerflow.planner.settings import ItemNames
from tests.unit.normalizers.mutations import DELETE as _DELETE
from tests.unit.normalizers.mutations import broken as _broken

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "magento"

PAID = "paid-card-tax-coupon-configurable-partly-shipped.json"
ON_TERMS = "on-terms-purchase-order-dynamic-bundle.json"
GUEST_JPY = "guest-jpy-tax-inclusive-coupon.json"
BHD = "bhd-three-decimals-bank-transfer-invoiced-complete.json"
COMPOSITE = "composite-order-invoice-creditmemo-partially-refunded.json"
ADOBE = "adobe-commerce-gift-card-store-credit-reward-gift-wrap.json"
MULTICURRENCY = "multicurrency-base-usd-order-eur-pending-payment.json"
TAX_INCLUSIVE_EUR = "eur-tax-inclusive-prices-row-rounding.json"


def _load(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return body


def _normalize(payload: dict[str, Any]) -> CanonicalOrder:
    return normalize(Channel.MAGENTO, payload)


def _error(payload: Any) -> NormalizationError:
    with pytest.raises(NormalizationError) as caught:
        normalize(Channel.MAGENTO, payload)
    return caught.value


def _set(document: dict[str, Any], **amounts: Any) -> None:
    """Set an amount in both currencies (base_<field> and <field>), as Magento would; None removes it."""
    for field, value in amounts.items():
        for key in (f"base_{field}", field):
            if value is None:
                document.pop(key, None)
            else:
                document[key] = value


@pytest.fixture
def paid() -> dict[str, Any]:
    return _load(PAID)


# --- the fixtures, one by one --------------------------------------------------------------------------------


def test_paid_card_order_with_tax_a_coupon_and_shipping(paid: dict[str, Any]) -> None:
    order = _normalize(paid)
    assert (order.channel, order.channel_order_id, order.order_number) == (Channel.MAGENTO, "1042", "000001042")
    assert order.ordered_at == datetime(2026, 3, 2, 15, 4, 31, tzinfo=UTC)
    assert order.currency == "USD"
    assert order.channel_status == "processing"
    assert [
        (line.line_id, line.sku, line.quantity, line.unit_price, line.discount, line.tax) for line in order.lines
    ] == [
        ("2101", "MH01-M-Black", Decimal(2), Decimal("52.00"), Decimal("10.40"), Decimal("7.72")),
        ("2103", "24-WG086", Decimal(1), Decimal("17.00"), Decimal("1.70"), Decimal("1.26")),
    ]
    assert [(s.title, s.code, s.amount) for s in order.shipping_lines] == [
        ("Flat Rate - Fixed", "flatrate_flatrate", Decimal("10.00"))
    ]
    assert [(t.title, t.rate, t.amount) for t in order.tax_lines] == [
        ("US-TX-*-Rate 1", Decimal("0.0825"), Decimal("8.98"))
    ]
    assert order.order_discount == Decimal(0)
    assert order.channel_total == order.computed_total() == Decimal("127.88")
    assert order.payment_state is PaymentState.PAID
    assert [(p.transaction_id, p.method, p.amount) for p in order.payments] == [
        ("kx9f2m7w", "braintree", Decimal("127.88"))
    ]
    assert order.payment_methods == ("braintree",)
    assert order.fulfillment_state is FulfillmentState.PARTIALLY_FULFILLED  # the hoodies shipped, the strap not yet
    assert order.customer is not None
    assert (order.customer.channel_customer_id, order.customer.display_name) == ("88", "Maya Patel")
    assert order.shipping_address is not None
    assert (order.shipping_address.line1, order.shipping_address.line2) == ("500 Congress Ave", "Suite 210")
    assert order.shipping_address.region == "TX"


def test_purchase_order_on_terms_with_a_dynamic_bundle() -> None:
    order = _normalize(_load(ON_TERMS))
    assert order.payment_state is PaymentState.ON_TERMS
    assert order.payments == ()
    assert order.payment_methods == ("purchaseorder",)
    assert [(line.sku, line.quantity, line.unit_price, line.tax) for line in order.lines] == [
        ("24-WG080-24-WG084-24-WG088-24-WG082-blue-24-WG086", Decimal(2), Decimal("68.00"), Decimal("9.88")),
        ("WS12-M-Orange", Decimal(3), Decimal("22.00"), Decimal("4.79")),
    ]
    assert order.channel_total == order.computed_total() == Decimal("231.67")
    assert order.customer is not None and order.customer.company == "Globex Corporation"
    assert order.shipping_address is not None and order.shipping_address.line2 == "Building C"
    documents = plan_order(order, TransactionMode.INVOICES_WITH_PAYMENTS, key_prefix="t", items=ItemNames())
    assert [(d.type, d.total) for d in documents] == [(DocumentType.INVOICE, Decimal("231.67"))]


def test_multi_currency_order_waiting_for_paypal_is_unpaid() -> None:
    order = _normalize(_load(MULTICURRENCY))
    assert order.payment_state is PaymentState.UNPAID
    assert order.channel_status == "pending_payment"
    assert order.payments == ()


# --- pitfalls (channel-formats.md section 9) -----------------------------------------------------------------


def _walk(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [leaf for value in node.values() for leaf in _walk(value)]
    if isinstance(node, list | tuple):
        return [leaf for value in node for leaf in _walk(value)]
    return [node]


def test_pitfall_1_money_types_are_decimal() -> None:
    """Magento sends JSON floats (8.215, 0.822): they are read through their text, never as binary floats."""
    order = _normalize(_load(BHD))
    leaves = _walk(order.model_dump())
    assert not any(isinstance(leaf, float) for leaf in leaves)
    assert order.lines[1].unit_price == Decimal("8.215")
    assert order.lines[1].tax == Decimal("0.822")
    assert order.channel_total == order.computed_total() == Decimal("105.287")
    assert order.channel_total.as_tuple().exponent == -3  # BHD has three decimals and Magento does not scale


def test_pitfall_2_zero_decimal_currency_is_not_scaled() -> None:
    order = _normalize(_load(GUEST_JPY))
    assert order.currency == "JPY"
    assert order.channel_total == Decimal(9010)  # not 90.10: Magento sends major units in every currency
    amounts = [order.channel_total, order.total_tax, *(line.unit_price for line in order.lines)]
    assert all(amount.as_tuple().exponent == 0 for amount in amounts)


def test_pitfall_3_tax_inclusive_prices_become_ex_tax_lines_plus_tax() -> None:
    """A 5500-yen teapot (tax incl.) with 500 off: the discount's 45-yen tax part is not an ex-tax discount."""
    order = _normalize(_load(GUEST_JPY))
    assert not order.taxes_included
    teapot, sencha = order.lines
    assert (teapot.unit_price, teapot.discount, teapot.tax) == (Decimal(5000), Decimal(455), Decimal(455))
    assert (sencha.quantity, sencha.unit_price, sencha.tax) == (Decimal(3), Decimal(1000), Decimal(240))
    assert [(s.amount, s.tax) for s in order.shipping_lines] == [(Decimal(700), Decimal(70))]
    assert [(t.title, t.rate, t.amount) for t in order.tax_lines] == [
        ("消費税 10%", Decimal("0.1"), Decimal(525)),
        ("消費税 8% (軽減税率)", Decimal("0.08"), Decimal(240)),
    ]
    assert order.computed_total() == order.channel_total == Decimal(9010)


def test_pitfall_4_row_rounding_is_booked_as_a_line() -> None:
    """3 x 10.00 EUR incl. 19% VAT: Magento's row is 25.21 ex-tax, three unit prices of 8.40 make 25.20."""
    order = _normalize(_load(TAX_INCLUSIVE_EUR))
    assert (order.lines[0].quantity, order.lines[0].unit_price) == (Decimal(3), Decimal("8.40"))
    assert [(fee.title, fee.amount) for fee in order.fees] == [("Rounding (Magento row totals)", Decimal("0.01"))]
    assert order.channel_total == order.computed_total() == Decimal("34.90")
    (invoice,) = plan_order(order, TransactionMode.INVOICES, key_prefix="t", items=ItemNames())
    assert invoice.total == Decimal("34.90")


def test_pitfall_4_a_row_that_rounding_cannot_explain_is_reported() -> None:
    payload = _load(TAX_INCLUSIVE_EUR)
    payload["items"][0]["base_row_total"] = 26.21
    error = _error(payload)
    assert error.detail.code == "order.unbalanced"
    assert "34.90 EUR" in error.detail.message


def test_pitfall_5_base_currency_is_booked_order_currency_kept_as_presentment() -> None:
    order = _normalize(_load(MULTICURRENCY))
    assert order.currency == "USD"
    assert order.channel_total == order.computed_total() == Decimal("45.00")
    assert order.lines[0].unit_price == Decimal("40.00")  # base_price, not the EUR price 36.80
    assert (order.presentment_currency, order.presentment_total) == ("EUR", Decimal("41.40"))


def test_pitfall_5_single_currency_order_has_no_presentment(paid: dict[str, Any]) -> None:
    order = _normalize(paid)
    assert (order.presentment_currency, order.presentment_total) == (None, None)


def test_pitfall_6_grand_total_stays_original_and_refunds_are_not_counted_twice() -> None:
    """The order says total_refunded 50 and the credit memo says 50: one refund of 50, total still 147."""
    order = _normalize(_load(COMPOSITE))
    assert order.channel_total == Decimal("147.00")
    assert [r.amount for r in order.refunds] == [Decimal("50.00")]
    assert order.payment_state is PaymentState.PARTIALLY_REFUNDED


def test_pitfall_7_refunds_come_from_credit_memos_or_from_total_refunded() -> None:
    composite = _load(COMPOSITE)
    (refund,) = _normalize(composite).refunds
    assert refund.refund_id == "12"
    assert refund.created_at == datetime(2026, 2, 10, 16, 40, tzinfo=UTC)
    assert refund.note == "credit memo 000000012: Returned unworn"

    (summary,) = _normalize(composite["order"]).refunds  # the bare order: only its total_refunded
    assert (summary.refund_id, summary.amount, summary.created_at) == ("total_refunded", Decimal("50.00"), None)

    cancelled = copy.deepcopy(composite)
    cancelled["creditmemos"]["items"][0]["state"] = 3
    order = _normalize(cancelled)
    assert order.refunds == ()
    assert order.payment_state is PaymentState.PAID


def test_pitfall_8_discount_signs_order_negative_items_positive(paid: dict[str, Any]) -> None:
    assert paid["base_discount_amount"] < 0 < paid["items"][0]["base_discount_amount"]
    order = _normalize(paid)
    assert [line.discount for line in order.lines] == [Decimal("10.40"), Decimal("1.70")]
    assert order.order_discount == Decimal(0)

    flipped = copy.deepcopy(paid)
    flipped["base_discount_amount"] = 12.10  # a sign convention the other way round reads the same
    flipped["items"][0]["base_discount_amount"] = -10.40
    assert _normalize(flipped).lines[0].discount == Decimal("10.40")

    unallocated = copy.deepcopy(paid)
    unallocated["base_discount_amount"] = -15.10  # 3.00 that no item or shipping carries
    unallocated["base_grand_total"] = 124.88
    unallocated["base_total_paid"] = 124.88  # paid in full, as the lower total says
    unallocated["payment"]["base_amount_paid"] = 124.88
    order = _normalize(unallocated)
    assert order.order_discount == Decimal("3.00")
    assert order.computed_total() == Decimal("124.88")


def test_pitfall_9_bundle_and_configurable_children_are_never_posted_with_their_parent() -> None:
    payload = _load(ON_TERMS)
    order = _normalize(payload)
    assert len(payload["items"]) == 6
    assert [line.line_id for line in order.lines] == ["2201", "2206"]
    assert sum(line.gross for line in order.lines) == Decimal(payload["base_subtotal"])

    configurable = _normalize(_load(PAID))
    assert "2102" not in [line.line_id for line in configurable.lines]  # the price-0 child of the configurable


def test_pitfall_9_bundle_tax_kept_only_on_the_children_is_not_lost() -> None:
    payload = _load(ON_TERMS)
    payload["items"][0]["base_tax_amount"] = 0
    assert _normalize(payload).lines[0].tax == Decimal("9.88")


def test_pitfall_9_a_parent_priced_zero_posts_its_priced_children() -> None:
    payload = _load(ON_TERMS)
    for field in ("base_price", "base_row_total", "price", "row_total", "base_tax_amount", "tax_amount"):
        payload["items"][0][field] = 0
    order = _normalize(payload)
    assert [line.line_id for line in order.lines] == ["2202", "2203", "2204", "2205", "2206"]
    assert order.computed_total() == order.channel_total == Decimal("231.67")


def test_pitfall_10_blank_or_missing_sku_is_none(paid: dict[str, Any]) -> None:
    paid["items"][0]["sku"] = ""
    del paid["items"][2]["sku"]
    order = _normalize(paid)
    assert [line.sku for line in order.lines] == [None, None]
    assert [line.title for line in order.lines] == ["Chaz Kangeroo Hoodie", "Sprite Yoga Strap 8 foot"]


def test_pitfall_11_guest_checkout_has_no_customer_id() -> None:
    order = _normalize(_load(GUEST_JPY))
    assert order.customer is not None
    assert order.customer.channel_customer_id is None
    assert order.customer.email == "hanako.yamada@example.jp"
    assert order.customer.display_name == "Hanako Yamada"  # from the billing address: guests have no names
    assert order.billing_address is not None
    assert (order.billing_address.line1, order.billing_address.line2) == ("神宮前1-2-3", "グリーンハイツ101")


def test_pitfall_11_a_guest_flag_wins_over_a_stray_customer_id_and_null_postcode_is_kept_null() -> None:
    payload = _load(BHD)
    payload["customer_is_guest"] = 1
    order = _normalize(payload)
    assert order.customer is not None and order.customer.channel_customer_id is None
    assert order.billing_address is not None and order.billing_address.postal_code is None


def test_pitfall_11_an_order_without_any_buyer_data_has_no_customer(paid: dict[str, Any]) -> None:
    for field in ("customer_email", "customer_firstname", "customer_lastname", "customer_id", "billing_address"):
        paid.pop(field)
    paid["customer_is_guest"] = 1
    assert _normalize(paid).customer is None


@pytest.mark.parametrize(
    ("labels", "amounts", "state", "status"),
    [
        # "complete" yet nothing was paid: the money fields win, and what they say cannot be classified
        (("complete", "complete"), {"total_paid": None, "total_due": 127.88}, "unknown", "complete"),
        # a "pending" status with the money in: paid
        (("new", "pending"), {}, "paid", "pending"),
        # a custom status on a closed, refunded order: refunded, with the raw status kept
        (("closed", "closed_exchange_success"), {"total_refunded": 127.88}, "refunded", "closed_exchange_success"),
    ],
)  # fmt: skip
def test_pitfall_12_order_status_is_not_payment_status(
    paid: dict[str, Any], labels: tuple[str, str], amounts: dict[str, Any], state: str, status: str
) -> None:
    paid["state"], paid["status"] = labels
    _set(paid, **amounts)
    order = _normalize(paid)
    assert (order.payment_state.value, order.channel_status) == (state, status)


@pytest.mark.parametrize(
    ("order_state", "amounts", "payment", "state"),
    [
        ("processing", {"total_paid": 50}, {}, PaymentState.PARTIALLY_PAID),
        ("processing", {"total_paid": None, "total_due": 127.88}, {"amount_paid": None, "amount_authorized": 127.88},
         PaymentState.AUTHORIZED),
        ("canceled", {"total_paid": None, "total_due": 127.88}, {"amount_paid": None}, PaymentState.VOIDED),
        ("processing", {"total_refunded": 127.88}, {}, PaymentState.REFUNDED),
        ("processing", {"total_refunded": 20}, {}, PaymentState.PARTIALLY_REFUNDED),
        ("processing", {"total_paid": None, "total_due": None}, {"amount_paid": 127.88}, PaymentState.PAID),
        ("processing", {"total_paid": None, "total_due": None}, {"amount_paid": None}, PaymentState.UNPAID),
        ("some_plugin_state", {"total_paid": None, "total_due": 127.88}, {}, PaymentState.UNKNOWN),
    ],
)  # fmt: skip
def test_payment_state_mapping(
    paid: dict[str, Any], order_state: str, amounts: dict[str, Any], payment: dict[str, Any], state: PaymentState
) -> None:
    paid["state"] = order_state
    _set(paid, **amounts)
    _set(paid["payment"], **payment)
    assert _normalize(paid).payment_state is state


def test_cancelled_order_is_cancelled_whatever_its_shipments(paid: dict[str, Any]) -> None:
    paid["state"] = paid["status"] = "canceled"
    assert _normalize(paid).fulfillment_state is FulfillmentState.CANCELLED


@pytest.mark.parametrize("method", ["checkmo", "banktransfer", "cashondelivery", "purchaseorder", "companycredit"])
def test_pitfall_13_offline_methods_not_yet_paid_are_on_terms(method: str) -> None:
    payload = _load(ON_TERMS)
    payload["payment"]["method"] = method
    assert _normalize(payload).payment_state is PaymentState.ON_TERMS


def test_pitfall_13_an_offline_method_once_invoiced_is_paid() -> None:
    order = _normalize(_load(BHD))  # bank transfer, invoiced: Magento registers the payment
    assert order.payment_state is PaymentState.PAID
    assert order.fulfillment_state is FulfillmentState.FULFILLED


def test_pitfall_13_a_card_order_with_nothing_paid_is_unpaid_not_on_terms() -> None:
    payload = _load(ON_TERMS)
    payload["payment"]["method"] = "braintree"
    assert _normalize(payload).payment_state is PaymentState.UNPAID


def test_pitfall_14_gift_cards_and_store_credit_are_tenders_not_discounts() -> None:
    order = _normalize(_load(ADOBE))
    assert order.order_discount == 0 and all(line.discount == 0 for line in order.lines)
    assert [(p.tender, p.method, p.amount) for p in order.payments] == [
        ("payment", "braintree", Decimal("60.00")),
        ("gift_card", "gift_card", Decimal("20.00")),
        ("store_credit", "store_credit", Decimal("15.00")),
        ("store_credit", "reward_points", Decimal("2.22")),
    ]
    # grand_total (60.00) is what the card paid; the order itself is worth the tenders more.
    assert order.channel_total == order.computed_total() == Decimal("97.22")
    assert order.amount_paid == Decimal("97.22")
    assert order.payment_state is PaymentState.PAID
    assert [line.gift_card for line in order.lines] == [False, True]  # selling a gift card is a liability


def test_pitfall_15_the_merchant_remits_magento_tax() -> None:
    order = _normalize(_load(GUEST_JPY))
    assert order.tax_lines and not any(t.channel_liable for t in order.tax_lines)


def test_pitfall_16_gift_wrapping_is_a_buyer_paid_fee() -> None:
    order = _normalize(_load(ADOBE))
    assert [(fee.title, fee.amount, fee.tax) for fee in order.fees] == [
        ("Gift wrapping", Decimal("5.00"), Decimal("0.41"))
    ]
    assert order.total_tax == Decimal("3.22")  # the wrapping's 0.41 is inside Magento's tax_amount


def test_pitfall_17_dates_without_offset(paid: dict[str, Any]) -> None:
    assert _normalize(paid).ordered_at == datetime(2026, 3, 2, 15, 4, 31, tzinfo=UTC)
    paid["created_at"] = "2026-03-02T15:04:31+09:00"  # an explicit offset is respected
    assert _normalize(paid).ordered_at.utcoffset() == timedelta(hours=9)
    assert _normalize(paid).ordered_at.tzinfo == timezone(timedelta(hours=9))


def test_pitfall_18_large_integer_ids_stay_exact(paid: dict[str, Any]) -> None:
    paid["entity_id"] = 820982911946154508
    paid["customer_id"] = 976318377106520349
    order = _normalize(paid)
    assert order.channel_order_id == "820982911946154508"
    assert order.customer is not None and order.customer.channel_customer_id == "976318377106520349"


def test_pitfall_18_an_id_that_went_through_a_float_is_refused(paid: dict[str, Any]) -> None:
    paid["entity_id"] = 9.763183771065203e17
    error = _error(paid)
    assert error.detail.code == "payload.bad_id"
    assert "order.entity_id" in error.detail.message


def test_pitfall_19_inconsistent_totals_are_reported_not_fixed(paid: dict[str, Any]) -> None:
    paid["base_grand_total"] = 130.00
    error = _error(paid)
    assert error.detail.code == "order.unbalanced"
    assert "130.00 USD" in error.detail.message and "127.88 USD" in error.detail.message


def test_pitfall_20_composite_payload_takes_payments_from_invoices_and_refunds_from_credit_memos() -> None:
    composite = _load(COMPOSITE)
    order = _normalize(composite)
    (payment,) = order.payments
    assert (payment.transaction_id, payment.amount) == ("9TX12345AB678901C", Decimal("147.00"))
    assert payment.paid_at == datetime(2026, 2, 2, 10, 15, 9, tzinfo=UTC)
    assert order.fulfillment_state is FulfillmentState.FULFILLED  # the returned watch needs no shipping

    open_invoice = copy.deepcopy(composite)
    open_invoice["invoices"][0]["state"] = 1  # an open (not yet paid) invoice is not money received
    del open_invoice["creditmemos"]
    assert _normalize(open_invoice).payments == ()


def test_pitfall_20_an_invoice_of_another_order_is_refused() -> None:
    composite = _load(COMPOSITE)
    composite["invoices"][0]["order_id"] = 5002
    error = _error(composite)
    assert error.detail.code == "payload.wrong_order"
    assert "invoices[0]" in error.detail.message and "5002" in error.detail.message


# --- bad input -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "code", "words"),
    [
        (["increment_id"], _DELETE, "payload.missing_field", "order.increment_id is missing"),
        (["entity_id"], None, "payload.missing_field", "order.entity_id is missing"),
        (["created_at"], _DELETE, "payload.missing_field", "order.created_at is missing"),
        (["items"], _DELETE, "payload.missing_field", "order.items is missing"),
        (["items"], [], "payload.no_lines", "has no items"),
        (["items"], {"0": {}}, "payload.bad_shape", "order.items is dict"),
        (["items", 0], "MH01-M-Black", "payload.bad_shape", "order.items[0] is str"),
        (["billing_address"], "123 Oak Ave", "payload.bad_shape", "order.billing_address"),
        (["extension_attributes"], [], "payload.bad_shape", "order.extension_attributes"),
        (["items", 0, "base_price"], "twelve", "payload.bad_number", "order.items[0].base_price"),
        (["items", 0, "base_price"], "NaN", "payload.bad_number", "order.items[0].base_price"),
        (["items", 0, "base_price"], float("nan"), "payload.bad_number", "order.items[0].base_price"),
        (["items", 0, "base_price"], "9" * 300, "payload.bad_number", "order.items[0].base_price"),
        (["items", 0, "base_price"], 10**300, "payload.bad_number", "order.items[0].base_price"),
        (["items", 0, "base_price"], True, "payload.bad_number", "order.items[0].base_price"),
        (["base_grand_total"], float("inf"), "payload.bad_number", "order.base_grand_total"),
        (["items", 0, "qty_ordered"], -1, "payload.bad_quantity", "order.items[0].qty_ordered"),
        (["items", 0, "qty_ordered"], 0, "payload.bad_quantity", "order.items[0].qty_ordered"),
        (["items", 0, "qty_ordered"], 1.5, "payload.bad_quantity", "order.items[0].qty_ordered"),
        (["items", 0, "qty_ordered"], _DELETE, "payload.missing_field", "order.items[0].qty_ordered is missing"),
        (["items", 0, "base_tax_amount"], -7.72, "payload.bad_number", "order.items[0].tax_amount"),
        (["items", 0, "base_discount_tax_compensation_amount"], 11, "payload.bad_number", "discount_tax_compensation"),
        (["created_at"], "21/08/2017 22:22", "payload.bad_date", "order.created_at"),
        (["created_at"], 1503354139, "payload.bad_date", "order.created_at"),
        (["base_currency_code"], "US", "payload.bad_currency", "order.base_currency_code"),
        (["base_currency_code"], 840, "payload.bad_currency", "order.base_currency_code"),
        (["entity_id"], [3], "payload.bad_id", "order.entity_id"),
    ],
)  # fmt: skip
def test_bad_input_gets_a_precise_error(
    paid: dict[str, Any], path: list[str | int], value: Any, code: str, words: str
) -> None:
    error = _error(_broken(paid, path, value))
    assert error.detail.code == code
    assert words in error.detail.message


def test_an_order_without_a_grand_total_is_refused(paid: dict[str, Any]) -> None:
    _set(paid, grand_total=None)
    error = _error(paid)
    assert (error.detail.code, "order.base_grand_total is missing" in error.detail.message) == (
        "payload.missing_field",
        True,
    )


def test_an_order_without_any_currency_is_refused(paid: dict[str, Any]) -> None:
    del paid["base_currency_code"], paid["order_currency_code"]
    error = _error(paid)
    assert (error.detail.code, "order.base_currency_code" in error.detail.message) == ("payload.missing_field", True)


def test_fractional_quantity_is_accepted_where_the_item_is_sold_by_measure(paid: dict[str, Any]) -> None:
    strap = paid["items"][2]
    strap.update(is_qty_decimal=1, qty_ordered=1.5, base_row_total=25.50)
    paid["base_grand_total"] = 136.38
    order = _normalize(paid)
    assert order.lines[1].quantity == Decimal("1.5")
    assert order.computed_total() == Decimal("136.38")


def test_invoice_without_a_state_is_refused() -> None:
    composite = _load(COMPOSITE)
    del composite["invoices"][0]["state"]
    error = _error(composite)
    assert (error.detail.code, "invoices[0].state is missing" in error.detail.message) == (
        "payload.missing_field",
        True,
    )


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"product": {"id": 1}}, "no order"),
        ({"order": ["not", "an", "order"]}, "payload.order is list"),
        ({"items": [], "search_criteria": {}, "total_count": 0}, "search result"),
        ({"entity_id": 3, "order_id": 3, "increment_id": "000000003", "items": []}, "invoice or credit memo"),
    ],
)
def test_something_that_is_not_an_order_is_refused(payload: dict[str, Any], words: str) -> None:
    error = _error(payload)
    assert error.detail.code == "payload.not_an_order"
    assert words in error.detail.message
    assert error.detail.fix


# --- any mutation of a fixture: a canonical order or a NormalizationError, nothing else ------------------------

_FIXTURE_BODIES = {path.name: json.loads(path.read_text()) for path in sorted(FIXTURES.glob("*.json"))}

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["", "0", "-1", "1.5", "NaN", "1e400", "2017-08-21 22:22:19", "9" * 300, 10**30]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    children: list[tuple[str | int, Any]] = []
    if isinstance(node, dict):
        children = list(node.items())
    elif isinstance(node, list):
        children = list(enumerate(node))
    found = []
    for key, value in children:
        found.append((*prefix, key))
        found.extend(_paths(value, (*prefix, key)))
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(data=st.data())
def test_any_mutation_gives_an_order_or_a_normalization_error(data: st.DataObject) -> None:
    payload = copy.deepcopy(_FIXTURE_BODIES[data.draw(st.sampled_from(sorted(_FIXTURE_BODIES)), label="fixture")])
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
        paths = _paths(payload)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths), label="path")
        target: Any = payload
        for key in path[:-1]:
            target = target[key]
        if data.draw(st.booleans(), label="drop"):
            del target[path[-1]]
        else:
            target[path[-1]] = data.draw(_json_values, label="value")
    outcome: CanonicalOrder | NormalizationError
    try:
        outcome = normalize(Channel.MAGENTO, payload)
    except NormalizationError as error:
        outcome = error
    if isinstance(outcome, NormalizationError):
        # The normalizer names the problem itself rather than leaning on the safety net in __init__.
        assert outcome.detail.code != "payload.malformed", outcome.detail.message
    else:
        assert isinstance(outcome, CanonicalOrder)
