"""Amazon SP-API orders (Orders v0 order + items, Orders 2026-01-01) into canonical orders."""

from __future__ import annotations

import json
from collections.abc import Callable
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

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "amazon"
US_SHIPPED = "v0-us-shipped-tax-promo-giftwrap.json"
US_INVOICE = "v0-us-business-invoice-unshipped.json"
JP_COD = "v0-jp-cod-gift-card-shipped.json"
UK_GUEST = "v0-uk-vat-inclusive-fba-guest.json"
V2026_US = "v2026-us-shipped-discount-tip.json"
V2026_JP = "v2026-jp-unshipped-jpy.json"
ALL_FIXTURES = (US_SHIPPED, US_INVOICE, JP_COD, UK_GUEST, V2026_US, V2026_JP)


def _load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return payload


def _amazon(payload: dict[str, Any]) -> CanonicalOrder:
    return normalize(Channel.AMAZON, payload)


def _error(payload: dict[str, Any]) -> NormalizationError:
    with pytest.raises(NormalizationError) as caught:
        _amazon(payload)
    return caught.value


def _money(amount: str, currency: str = "USD") -> dict[str, str]:
    return {"CurrencyCode": currency, "Amount": amount}


def _uk_as_composite() -> dict[str, Any]:
    raw = _load(UK_GUEST)
    return {"order": raw["getOrder"]["payload"], "items": raw["getOrderItems"]["payload"]["OrderItems"]}


def _v2026(payload: dict[str, Any]) -> dict[str, Any]:
    order: dict[str, Any] = payload["order"] if "order" in payload else payload["orders"][0]
    return order


# ---------------------------------------------------------------------------------------------------------------
# Fixture orders


def test_v0_paid_order_with_facilitator_tax_promotion_free_shipping_and_gift_wrap() -> None:
    order = _amazon(_load(US_SHIPPED))
    assert (order.channel_order_id, order.order_number) == ("113-4829157-2750630", "113-4829157-2750630")
    assert order.currency == "USD" and not order.taxes_included
    assert [(line.sku, line.quantity, line.unit_price, line.discount) for line in order.lines] == [
        ("TRAIL-BOTTLE-750", Decimal(3), Decimal("24.99"), Decimal("7.50")),
        ("CAMP-MUG-SS", Decimal(1), Decimal("12.50"), Decimal("0.00")),
    ]
    (shipping,) = order.shipping_lines
    assert (shipping.amount, shipping.discount, shipping.net) == (Decimal("5.99"), Decimal("5.99"), Decimal(0))
    assert [(f.title, f.amount, f.tax) for f in order.fees] == [("Gift wrap", Decimal("3.99"), Decimal("0.30"))]
    assert order.total_tax == Decimal("6.30")  # 5.62 - 0.56 + 0.45 - 0.45 + 0.94 + 0.30
    assert order.channel_total == order.computed_total() == Decimal("90.26")
    assert order.payment_state is PaymentState.PAID and order.amount_paid == Decimal("90.26")
    assert order.fulfillment_state is FulfillmentState.FULFILLED
    assert order.customer is not None and order.customer.display_name == "Dana Whitfield"
    assert order.shipping_address is not None and order.shipping_address.line2 == "Apt 3"


def test_v0_order_plans_as_an_invoice_and_its_payment() -> None:
    invoice, payment = plan_order(
        _amazon(_load(US_SHIPPED)), TransactionMode.INVOICES_WITH_PAYMENTS, key_prefix="t", items=ItemNames()
    )
    assert (invoice.type, invoice.total) == (DocumentType.INVOICE, Decimal("90.26"))
    assert (payment.type, payment.total, payment.payment_method) == (DocumentType.PAYMENT, Decimal("90.26"), "Amazon")


def test_v0_raw_responses_and_the_composite_give_the_same_order() -> None:
    assert _amazon(_load(UK_GUEST)) == _amazon(_uk_as_composite())


def test_v0_items_may_be_the_whole_get_order_items_response() -> None:
    composite = _uk_as_composite()
    composite["items"] = {"payload": {"AmazonOrderId": "205-8817302-4462318", "OrderItems": composite["items"]}}
    assert _amazon(composite) == _amazon(_uk_as_composite())


def test_v2026_paid_order_with_discount_split_between_item_and_shipping_and_a_delivery_tip() -> None:
    order = _amazon(_load(V2026_US))
    assert order.channel_order_id == "112-5930184-6620417"
    assert [(line.sku, line.quantity, line.unit_price, line.discount) for line in order.lines] == [
        ("SKILLET-10", Decimal(2), Decimal("34.50"), Decimal("3.00")),
        ("SCRAPER-PAN", Decimal(1), Decimal("4.99"), Decimal(0)),
    ]
    (shipping,) = order.shipping_lines
    assert (shipping.title, shipping.amount, shipping.discount) == ("Standard", Decimal("6.00"), Decimal("6.00"))
    assert [(f.title, f.amount) for f in order.fees] == [("Delivery tip", Decimal("3.00"))]
    assert order.total_tax == Decimal("5.68")
    assert order.channel_total == order.computed_total() == Decimal("79.67")
    assert order.payment_state is PaymentState.PAID


def test_v2026_search_orders_page_with_one_jpy_order() -> None:
    order = _amazon(_load(V2026_JP))
    assert order.currency == "JPY"
    assert order.channel_total == Decimal(12760) and order.channel_total.as_tuple().exponent == 0
    assert order.payment_state is PaymentState.AUTHORIZED  # UNSHIPPED: authorised, charged at shipment
    assert order.payments == ()
    assert order.fulfillment_state is FulfillmentState.UNFULFILLED


def test_v2026_bare_order_and_get_order_response_are_the_same() -> None:
    assert _amazon(_v2026(_load(V2026_US))) == _amazon(_load(V2026_US))


def test_v2026_items_without_proceeds_use_unit_price_and_order_level_breakdowns() -> None:
    payload = _load(V2026_US)
    for item in _v2026(payload)["orderItems"]:
        del item["proceeds"]
    order = _amazon(payload)
    assert [line.gross for line in order.lines] == [Decimal("69.00"), Decimal("4.99")]
    assert order.order_discount == Decimal("9.00")
    assert order.total_tax == Decimal("5.68")
    assert order.computed_total() == Decimal("79.67")


def test_v2026_card_payment_execution_keeps_its_authorization_code() -> None:
    payload = _load(V2026_US)
    _v2026(payload)["payment"] = {
        "paymentExecutions": [
            {
                "paymentMethod": "CreditCard",
                "paymentAmount": {"amount": "79.67", "currencyCode": "USD"},
                "authorizationCode": "A1B2C3",
            }
        ]
    }
    (payment,) = _amazon(payload).payments
    assert (payment.method, payment.transaction_id, payment.amount) == ("CreditCard", "A1B2C3", Decimal("79.67"))


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"product": {"id": 1}}, "neither AmazonOrderId"),
        ({"orders": []}, "holds 0 orders"),
        ({"getOrderItems": {"payload": {"AmazonOrderId": "1", "OrderItems": []}}}, "without the order"),
    ],
)
def test_something_that_is_not_one_amazon_order_is_refused(payload: dict[str, Any], words: str) -> None:
    error = _error(payload)
    assert error.detail.code == "payload.not_an_order"
    assert words in error.detail.message


# ---------------------------------------------------------------------------------------------------------------
# Pitfalls (channel-formats.md section 9)


def test_pitfall_1_money_types_are_decimal() -> None:
    payload = _load(US_SHIPPED)
    payload["items"][1]["ItemPrice"]["Amount"] = 12.5  # a JSON number from a client library: read via its text
    order = _amazon(payload)
    amounts = [order.channel_total, order.total_tax, *(line.unit_price for line in order.lines)]
    assert all(isinstance(a, Decimal) for a in amounts)
    assert order.lines[1].unit_price == Decimal("12.50")


def test_pitfall_2_zero_decimal_currency_traps() -> None:
    order = _amazon(_load(JP_COD))
    assert order.channel_total == Decimal(6690) and order.channel_total.as_tuple().exponent == 0
    # Amazon's own v0 JPY sample has "25.99" JPY: refused, not rounded to 26.
    payload = _load(JP_COD)
    payload["items"][0]["ItemPrice"]["Amount"] = "6159.99"
    error = _error(payload)
    assert error.detail.code == "payload.bad_number"
    assert "items[0].ItemPrice.Amount" in error.detail.message and "0 decimal places" in error.detail.message
    # ... and a GBP gift-wrap price inside a JPY order.
    payload = _load(JP_COD)
    payload["items"][0]["BuyerInfo"] = {"GiftWrapPrice": _money("2.00", "GBP")}
    error = _error(payload)
    assert error.detail.code == "payload.bad_currency"
    assert "items[0].BuyerInfo.GiftWrapPrice is in GBP" in error.detail.message


def test_pitfall_3_tax_inclusive_or_exclusive_follows_the_marketplace() -> None:
    uk = _amazon(_load(UK_GUEST))
    assert uk.taxes_included and uk.total_tax == Decimal("9.17")  # the VAT inside the prices
    assert uk.channel_total == uk.computed_total() == Decimal("54.96")
    assert not _amazon(_load(US_SHIPPED)).taxes_included
    for name, included in ((UK_GUEST, True), (US_SHIPPED, False)):
        payload = _load(name)
        order = payload["getOrder"]["payload"] if "getOrder" in payload else payload["order"]
        order["MarketplaceId"] = "A0NEWMARKETPLACE"  # unknown: the order total tells
        assert _amazon(payload).taxes_included is included


def test_pitfall_4_rounding_a_line_total_that_does_not_divide() -> None:
    payload = _load(US_INVOICE)
    item = payload["items"][0]
    item["QuantityOrdered"] = 3
    item["ItemPrice"] = _money("10.00")
    item["ItemTax"] = _money("0.60")
    payload["order"]["OrderTotal"] = _money("19.08")  # 10.00 + 8.00 + 0.60 + 0.48
    order = _amazon(payload)
    assert order.lines[0].unit_price == Decimal("3.3333333333")
    assert order.computed_total() == order.channel_total == Decimal("19.08")
    (invoice,) = plan_order(order, TransactionMode.INVOICES, key_prefix="t", items=ItemNames())
    assert invoice.lines[0].amount == Decimal("10.00")


def test_pitfall_5_amazon_orders_have_one_currency_and_no_presentment() -> None:
    order = _amazon(_load(UK_GUEST))
    assert order.currency == "GBP" and order.presentment_currency is None and order.presentment_total is None


def test_pitfall_7_refunds_are_not_in_the_orders_api() -> None:
    payload = _load(US_SHIPPED)
    payload["order"]["OrderStatus"] = "Canceled"
    order = _amazon(payload)
    assert order.refunds == ()
    assert order.payment_state is PaymentState.VOIDED and order.payments == ()
    assert order.fulfillment_state is FulfillmentState.CANCELLED


def test_pitfall_8_discounts_are_positive_amounts_to_subtract() -> None:
    order = _amazon(_load(US_SHIPPED))
    assert order.lines[0].discount == Decimal("7.50") and order.lines[0].net == Decimal("67.47")
    negated = _load(US_SHIPPED)
    negated["items"][0]["PromotionDiscount"]["Amount"] = "-7.50"  # how some exports show it: same discount
    assert _amazon(negated) == order
    # 2026 DISCOUNT breakdowns come negative (parts that add up to the total); the magnitude is subtracted.
    assert _amazon(_load(V2026_US)).lines[0].discount == Decimal("3.00")


def test_pitfall_9_number_of_items_is_a_multipack_not_child_lines() -> None:
    payload = _load(US_SHIPPED)
    payload["items"][0]["ProductInfo"] = {"NumberOfItems": "6"}
    payload["items"][1]["ProductInfo"] = {"NumberOfItems": 6}  # a number in some client libraries
    order = _amazon(payload)
    assert [line.quantity for line in order.lines] == [Decimal(3), Decimal(1)]
    assert order.computed_total() == Decimal("90.26")


def test_pitfall_10_blank_or_missing_seller_sku() -> None:
    order = _amazon(_load(UK_GUEST))
    assert [line.sku for line in order.lines] == [None, "FILTER-PAPER-100"]
    payload = _load(UK_GUEST)
    item = payload["getOrderItems"]["payload"]["OrderItems"][0]
    del item["SellerSKU"], item["Title"]
    assert _amazon(payload).lines[0].title == "ASIN B0D1KETTLE"


def test_pitfall_11_guest_and_restricted_buyer_data() -> None:
    order = _amazon(_load(UK_GUEST))  # FBA without a Restricted Data Token: no BuyerInfo, partial address
    assert order.customer is None and order.billing_address is None
    assert order.shipping_address is not None
    assert (order.shipping_address.name, order.shipping_address.postal_code) == (None, "LS1 4DY")
    relay_only = _load(US_SHIPPED)
    relay_only["order"]["BuyerInfo"] = {"BuyerEmail": "k3v9x2mq8tjw4rz@marketplace.amazon.com"}
    customer = _amazon(relay_only).customer
    assert customer is not None and customer.channel_customer_id is None
    assert customer.display_name == "k3v9x2mq8tjw4rz@marketplace.amazon.com"


@pytest.mark.parametrize(
    ("status", "state", "fulfilment"),
    [
        ("Pending", PaymentState.UNPAID, FulfillmentState.UNFULFILLED),
        ("PendingAvailability", PaymentState.UNPAID, FulfillmentState.UNFULFILLED),
        ("Unshipped", PaymentState.AUTHORIZED, FulfillmentState.UNFULFILLED),
        ("PartiallyShipped", PaymentState.AUTHORIZED, FulfillmentState.PARTIALLY_FULFILLED),
        ("Shipped", PaymentState.PAID, FulfillmentState.FULFILLED),
        ("InvoiceUnconfirmed", PaymentState.PAID, FulfillmentState.FULFILLED),
        ("Canceled", PaymentState.VOIDED, FulfillmentState.CANCELLED),
        ("Unfulfillable", PaymentState.UNKNOWN, FulfillmentState.UNFULFILLED),
        ("SomethingNew", PaymentState.UNKNOWN, FulfillmentState.UNFULFILLED),
    ],
)
def test_pitfall_12_status_is_not_payment(status: str, state: PaymentState, fulfilment: FulfillmentState) -> None:
    payload = _load(US_SHIPPED)
    payload["order"]["OrderStatus"] = status
    order = _amazon(payload)
    assert (order.payment_state, order.fulfillment_state, order.channel_status) == (state, fulfilment, status)
    assert bool(order.payments) is (state is PaymentState.PAID)


def test_pitfall_12_pending_without_order_total_is_refused_not_guessed() -> None:
    # Deliberate: see amazon._payment_not_authorized. Deriving the total from the items would book an order
    # Amazon may still cancel, and make the balance check vacuous.
    payload = _load(US_SHIPPED)
    payload["order"]["OrderStatus"] = "Pending"
    del payload["order"]["OrderTotal"]
    error = _error(payload)
    assert error.detail.code == "payload.payment_not_authorized"
    assert "113-4829157-2750630 is Pending" in error.detail.message and "OrderTotal" in error.detail.message
    assert error.detail.fix and "Unshipped" in error.detail.fix
    v2026 = _load(V2026_US)
    _v2026(v2026)["fulfillment"]["fulfillmentStatus"] = "PENDING"
    del _v2026(v2026)["proceeds"]["grandTotal"]
    assert _error(v2026).detail.code == "payload.payment_not_authorized"


def test_pitfall_12_convenience_store_is_paid_once_amazon_releases_the_order() -> None:
    payload = _load(US_INVOICE)
    payload["order"].update(PaymentMethod="CVS", PaymentMethodDetails=["ConvenienceStore"])
    assert _amazon(payload).payment_state is PaymentState.PAID  # Unshipped: the buyer has paid at the store
    payload["order"]["OrderStatus"] = "Pending"
    assert _amazon(payload).payment_state is PaymentState.ON_TERMS


def test_pitfall_13_invoice_and_cash_on_delivery_are_on_terms() -> None:
    order = _amazon(_load(US_INVOICE))
    assert order.payment_state is PaymentState.ON_TERMS and order.payments == ()
    assert order.payment_methods == ("Invoice",)
    assert order.note == "Purchase order PO-77120"
    assert order.customer is not None and order.customer.company == "Raman Lab Supplies LLC"
    cod = _load(JP_COD)
    del cod["order"]["PaymentExecutionDetail"]
    assert _amazon(cod).payment_state is PaymentState.ON_TERMS
    shipped_invoice = _load(US_INVOICE)
    shipped_invoice["order"]["OrderStatus"] = "Shipped"
    assert _amazon(shipped_invoice).payment_state is PaymentState.ON_TERMS  # shipped, still owed


def test_pitfall_14_gift_cards_are_tenders_not_discounts() -> None:
    order = _amazon(_load(JP_COD))
    assert order.payment_state is PaymentState.PARTIALLY_PAID
    assert [(p.tender, p.method, p.amount) for p in order.payments] == [("gift_card", "GC", Decimal(3000))]
    assert order.order_discount == 0 and order.lines[0].discount == Decimal(600)  # only the promotion
    invoice, payment = plan_order(order, TransactionMode.INVOICES_WITH_PAYMENTS, key_prefix="t", items=ItemNames())
    assert (invoice.total, payment.total) == (Decimal(6690), Decimal(3000))
    # A prepaid order paid partly with an Amazon gift certificate: still no discount, and listed as a method.
    gift = _load(US_SHIPPED)
    gift["order"]["PaymentMethodDetails"] = ["CreditCard", "GiftCertificate"]
    paid = _amazon(gift)
    assert paid.payment_methods == ("CreditCard", "GiftCertificate")
    assert paid.order_discount == 0 and paid.amount_paid == Decimal("90.26")


def test_pitfall_15_marketplace_facilitator_tax_is_channel_liable() -> None:
    (tax,) = _amazon(_load(US_SHIPPED)).tax_lines
    assert tax.channel_liable and tax.title == "Tax collected by Amazon Services, Inc."
    (v2026_tax,) = _amazon(_load(V2026_US)).tax_lines
    assert v2026_tax.channel_liable
    (seller_tax,) = _amazon(_load(UK_GUEST)).tax_lines  # no TaxCollection: the seller remits
    assert not seller_tax.channel_liable


def test_pitfall_16_only_buyer_paid_fees_are_fees() -> None:
    order = _amazon(_load(JP_COD))
    assert [(f.title, f.amount) for f in order.fees] == [("Cash on delivery fee", Decimal(330))]
    discounted = _load(JP_COD)
    discounted["items"][0]["CODFeeDiscount"] = _money("330", "JPY")
    discounted["order"]["OrderTotal"] = _money("6360", "JPY")
    discounted["order"]["PaymentExecutionDetail"][1]["Payment"] = _money("3360", "JPY")
    assert _amazon(discounted).order_discount == Decimal(330)  # the fee stays gross, its discount is a discount


def test_pitfall_17_dates_without_offset_are_refused() -> None:
    assert _amazon(_load(US_SHIPPED)).ordered_at.utcoffset() is not None
    payload = _load(US_SHIPPED)
    payload["order"]["PurchaseDate"] = "2026-03-02T17:41:09"
    error = _error(payload)
    assert error.detail.code == "payload.bad_date" and "order.PurchaseDate" in error.detail.message


def test_pitfall_18_ids_stay_exact_strings() -> None:
    order = _amazon(_load(US_SHIPPED))
    assert order.channel_order_id == "113-4829157-2750630"
    payload = _load(US_SHIPPED)
    payload["items"][0]["OrderItemId"] = "05015851154158"  # leading zero, as in Amazon's sandbox
    payload["items"][1]["OrderItemId"] = 976318377106520349  # beyond 2^53 if a client sends it as a number
    assert [line.line_id for line in _amazon(payload).lines] == ["05015851154158", "976318377106520349"]


def test_pitfall_19_an_order_whose_total_does_not_match_its_items_is_unbalanced() -> None:
    payload = _load(US_SHIPPED)
    payload["order"]["OrderTotal"] = _money("91.26")
    error = _error(payload)
    assert error.detail.code == "order.unbalanced"
    assert "91.26 USD" in error.detail.message and "90.26 USD" in error.detail.message


def test_pitfall_20_the_order_needs_all_its_items() -> None:
    bare = _load(US_SHIPPED)["order"]
    error = _error(bare)
    assert error.detail.code == "payload.missing_field" and "order items" in error.detail.message
    paged = _load(UK_GUEST)
    paged["getOrderItems"]["payload"]["NextToken"] = "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4"
    error = _error(paged)
    assert error.detail.code == "payload.incomplete_items" and "NextToken" in error.detail.message
    other = _load(UK_GUEST)
    other["getOrderItems"]["payload"]["AmazonOrderId"] = "205-0000000-0000000"
    assert _error(other).detail.code == "payload.order_mismatch"
    page = _load(UK_GUEST)
    order = page.pop("getOrder")["payload"]
    page["getOrders"] = {"payload": {"Orders": [{**order, "AmazonOrderId": "205-1111111-1111111"}, order]}}
    assert _amazon(page).channel_order_id == "205-8817302-4462318"  # picked by getOrderItems' AmazonOrderId


# ---------------------------------------------------------------------------------------------------------------
# Bad input: a precise code and the field named


def _set(path: list[str | int], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(payload: dict[str, Any]) -> None:
        target: Any = payload
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return mutate


_DELETE = object()


@pytest.mark.parametrize(
    ("name", "mutate", "code", "words"),
    [
        (US_SHIPPED, _set(["order", "OrderTotal"], _DELETE), "payload.missing_field", "order.OrderTotal is missing"),
        (US_SHIPPED, _set(["order", "PurchaseDate"], _DELETE), "payload.missing_field", "order.PurchaseDate"),
        (US_SHIPPED, _set(["order", "AmazonOrderId"], ""), "payload.missing_field", "order.AmazonOrderId"),
        (US_SHIPPED, _set(["items", 0, "OrderItemId"], _DELETE), "payload.missing_field", "items[0].OrderItemId"),
        (US_SHIPPED, _set(["items", 0, "QuantityOrdered"], _DELETE), "payload.missing_field", "QuantityOrdered"),
        (US_SHIPPED, _set(["items", 1, "ItemPrice"], _DELETE), "payload.missing_field", "items[1].ItemPrice"),
        (US_SHIPPED, _set(["items", 0, "QuantityOrdered"], -1), "payload.bad_quantity", "items[0].QuantityOrdered"),
        (US_SHIPPED, _set(["items", 0, "QuantityOrdered"], 1.5), "payload.bad_quantity", "whole units"),
        (US_SHIPPED, _set(["items", 0, "QuantityOrdered"], "three"), "payload.bad_number", "QuantityOrdered"),
        (US_SHIPPED, _set(["items", 0, "ItemPrice", "Amount"], "NaN"), "payload.bad_number", "ItemPrice.Amount"),
        (US_SHIPPED, _set(["items", 0, "ItemPrice", "Amount"], "9" * 300), "payload.bad_number", "ItemPrice.Amount"),
        (US_SHIPPED, _set(["items", 0, "ItemPrice", "Amount"], True), "payload.bad_number", "ItemPrice.Amount"),
        (US_SHIPPED, _set(["items", 0, "ItemPrice"], "74.97"), "payload.malformed", "items[0].ItemPrice"),
        (US_SHIPPED, _set(["items", 0, "ItemTax", "Amount"], "-1.00"), "payload.bad_number", "items[0].ItemTax"),
        (US_SHIPPED, _set(["items", 0, "PromotionDiscountTax"], _money("6.00")), "payload.bad_number", "ItemTax"),
        (US_SHIPPED, _set(["items"], "none"), "payload.malformed", "items"),
        (US_SHIPPED, _set(["items"], []), "payload.no_lines", "113-4829157-2750630"),
        (US_SHIPPED, _set(["items", 0], 42), "payload.malformed", "items[0]"),
        (US_SHIPPED, _set(["order", "BuyerInfo"], ["Dana"]), "payload.malformed", "order.BuyerInfo"),
        (US_SHIPPED, _set(["order", "OrderTotal", "CurrencyCode"], "US"), "payload.bad_currency", "CurrencyCode"),
        (US_SHIPPED, _set(["order", "PaymentMethodDetails"], "Standard"), "payload.malformed", "PaymentMethod"),
        (V2026_US, _set(["order", "proceeds"], _DELETE), "payload.missing_field", "proceeds.grandTotal"),
        (V2026_US, _set(["order", "fulfillment"], _DELETE), "payload.missing_field", "fulfillmentStatus"),
        (V2026_US, _set(["order", "orderItems"], _DELETE), "payload.missing_field", "order.orderItems"),
        (
            V2026_US,
            _set(["order", "orderItems", 1, "proceeds", "breakdowns", 0, "type"], "LOYALTY"),
            "payload.unknown_amount_type",
            "'LOYALTY'",
        ),
        (
            V2026_US,
            _set(["order", "orderItems", 0, "quantityOrdered"], 0),
            "payload.bad_quantity",
            "orderItems[0].quantityOrdered",
        ),
        (
            V2026_US,
            _set(["order", "createdTime"], "14/02/2026"),
            "payload.bad_date",
            "order.createdTime",
        ),
    ],
)
def test_bad_input_gets_a_precise_error(
    name: str, mutate: Callable[[dict[str, Any]], None], code: str, words: str
) -> None:
    payload = _load(name)
    mutate(payload)
    error = _error(payload)
    assert error.detail.code == code
    assert words in error.detail.message


def test_a_cancelled_item_with_quantity_zero_and_no_price_is_left_out() -> None:
    payload = _load(US_SHIPPED)
    payload["items"].append({"ASIN": "B0GONE0001", "OrderItemId": "12345678909999", "QuantityOrdered": 0})
    assert len(_amazon(payload).lines) == 2


# ---------------------------------------------------------------------------------------------------------------
# Property: any mutation of a fixture gives a canonical order or a NormalizationError, nothing else

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths: list[tuple[Any, ...]] = []
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        paths.append((*prefix, key))
        paths.extend(_paths(child, (*prefix, key)))
    return paths


@settings(max_examples=180, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_payloads_normalize_or_fail_with_a_normalization_error(data: st.DataObject) -> None:
    payload = _load(data.draw(st.sampled_from(ALL_FIXTURES)))
    for _ in range(data.draw(st.integers(1, 3))):
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
    outcome: CanonicalOrder | NormalizationError
    try:
        outcome = normalize(Channel.AMAZON, payload)
    except NormalizationError as error:
        outcome = error
    if isinstance(outcome, NormalizationError):
        assert outcome.detail.code.startswith(("payload.", "order.")) and outcome.detail.message
    else:
        assert isinstance(outcome, CanonicalOrder) and outcome.balance_difference() == 0
