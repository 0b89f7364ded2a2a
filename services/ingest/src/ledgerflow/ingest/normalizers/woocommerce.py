"""WooCommerce REST API v3 order (``GET /wp-json/wc/v3/orders/{id}``; ``order.*`` webhooks send the same body).

Payload
-------
The order embeds only a summary of each refund, so the full picture takes two calls. The raw payload is::

    {
      "order": {...},                    # GET /wp-json/wc/v3/orders/{id}, as returned
      "refunds": [{...}, ...],           # GET /wp-json/wc/v3/orders/{id}/refunds, every page (optional)
      "site_timezone": "Asia/Kolkata"    # the WordPress site's IANA zone (optional)
    }

The bare order (a webhook body) is accepted too; its own ``refunds[] {id, reason, total}`` summaries then stand in
for the refund objects. A summary whose refund is missing from ``refunds`` (a page that was not fetched) is kept.

How WooCommerce fields become canonical ones
--------------------------------------------
- Lines: ``subtotal`` is before discounts and ``total`` after, both without tax, even when ``prices_include_tax``
  (the canonical order is therefore always tax-exclusive). The unit price is ``subtotal / quantity``; ``price`` is a
  JSON float after discounts and is not read. Zero-priced members of a bundle or composite (Product Bundles
  ``bundled_by``/``bundled_items``, Composite Products ``composite_parent``/``composite_children``) are dropped: in
  WooCommerce each level carries its own share of the price, so only priced lines are posted.
- Tax: one canonical tax line per ``tax_lines[]`` rate (``tax_total + shipping_tax_total``); the order's
  ``total_tax`` is the reference and a difference of a few minor units (each figure is rounded on its own, while
  ``taxes[].total`` are kept unrounded) is booked as a "Tax rounding" line, never spread over the rates.
- Fees: ``fee_lines`` are buyer-paid fees; a negative fee is an order-level discount, or a tender when its name says
  it is a gift card or store credit. Gift cards from the WooCommerce Gift Cards extension (``gift_cards[]``) are
  tenders too; that extension lowers ``total`` by what the cards paid, so the channel total adds them back.
- Dates: ``*_gmt`` fields are UTC without an offset; the others are site time without an offset and are used only
  when ``*_gmt`` is absent and ``site_timezone`` is given. Times are shown in the site's zone, or in the offset
  between ``date_created`` and ``date_created_gmt``.
- Payment state: WooCommerce has no payment status of its own; ``status`` is read together with the payment method,
  ``date_paid`` and ``transaction_id`` (see ``_status_state``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from enum import Enum
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledgerflow.contracts import (
    Address,
    CanonicalOrder,
    Channel,
    Customer,
    FulfillmentState,
    OrderLine,
    OrderPayment,
    PaymentState,
    ShippingLine,
    TaxLine,
    currency_exponent,
    quantize,
)
from ledgerflow.contracts.canonical import ZERO, FeeLine, OrderRefund
from ledgerflow.ingest.normalizers.errors import NormalizationError
from ledgerflow.ingest.normalizers.fields import (
    currency_code,
    decimal,
    money,
    optional_money,
    quantity,
    required,
    text,
    timestamp_assuming,
)

_FIX = "Publish the order exactly as GET /wp-json/wc/v3/orders/<id> returns it."


class _Method(Enum):
    """How a WooCommerce payment method collects money, which decides what ``status`` says about payment."""

    ONLINE = "online"  # a gateway: paid when WooCommerce recorded the payment (date_paid, transaction_id)
    MERCHANT_CONFIRMED = "merchant_confirmed"  # bank transfer, cheque, none: paid once the merchant moves it on
    ON_DELIVERY = "on_delivery"  # cash on delivery: paid when the order is completed
    TERMS = "terms"  # purchase order, invoice, net terms: the books collect, WooCommerce never knows


_MERCHANT_CONFIRMED = frozenset({"bacs", "cheque", "check", "bank_transfer", "wire_transfer", ""})
_ON_DELIVERY = frozenset({"cod", "cash_on_delivery"})
_TERMS_MARKERS = ("purchase_order", "purchaseorder", "invoice", "net30", "net_terms", "pay_later")

# Line-item fields and meta keys that Product Bundles and Composite Products add to a bundle's parent and children.
_BUNDLE_FIELDS = ("bundled_by", "bundled_items", "composite_parent", "composite_children")
_BUNDLE_META = frozenset({"_bundled_by", "_bundled_items", "_composite_parent", "_composite_children"})
# Item meta of a sold gift card (WooCommerce Gift Cards, PW Gift Cards): a liability, not revenue.
_GIFT_CARD_META = ("wc_gc_giftcard_", "pw_gift_card_")

_RECEIVED = (PaymentState.PAID, PaymentState.PARTIALLY_REFUNDED, PaymentState.REFUNDED)


def normalize(payload: dict[str, Any]) -> CanonicalOrder:
    order, refund_objects, site_zone = _unwrap(payload)
    currency = currency_code(required(order, "currency", "order"), "order.currency")
    status = _status(order)
    clock = _SiteClock(display=site_zone or _offset_of(order), site_zone=site_zone)
    lines = _lines(order, currency)
    shipping = tuple(
        _shipping(s, currency, i) for i, s in enumerate(_records(order.get("shipping_lines"), "order.shipping_lines"))
    )
    fees, fee_discount, fee_tenders = _fees(order, currency)
    tenders = (*_gift_cards(order, currency), *fee_tenders)
    total = _order_total(order, currency)
    # Tenders that WooCommerce took off the total are part of what the buyer was charged.
    channel_total = total + sum((t.amount for t in tenders), ZERO)
    refunds = _refunds(order, refund_objects, currency, clock)
    method = _slug(order, "payment_method")
    payment_state = _payment_state(order, status, method, channel_total, total, tenders, refunds)
    return CanonicalOrder(
        channel=Channel.WOOCOMMERCE,
        channel_order_id=_identifier(required(order, "id", "order"), "order.id"),
        order_number=_order_number(order),
        ordered_at=clock.required(order, "date_created", "order"),
        channel_status=status,
        currency=currency,
        taxes_included=False,  # WooCommerce stores line amounts without tax, whatever prices_include_tax says
        customer=_customer(order),
        billing_address=_address(order, "billing"),
        shipping_address=_address(order, "shipping") or _address(order, "billing"),
        lines=lines,
        shipping_lines=shipping,
        fees=fees,
        tax_lines=_tax_lines(order, currency),
        order_discount=fee_discount,
        payments=_payments(order, payment_state, total, tenders, method, clock),
        payment_methods=tuple(dict.fromkeys(m for m in (method, *(t.method for t in tenders)) if m)),
        payment_state=payment_state,
        fulfillment_state=_fulfillment_state(order, status),
        refunds=refunds,
        channel_total=channel_total,
        note=_text(order, "customer_note"),
    )


# --- payload shape -------------------------------------------------------------------------------------------------


def _unwrap(payload: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]] | None, tzinfo | None]:
    if "order" in payload:
        order = payload["order"]
        if not isinstance(order, dict) or "line_items" not in order:
            raise _not_an_order("'order' holds no WooCommerce order with line_items")
        refunds = None if payload.get("refunds") is None else _records(payload["refunds"], "refunds")
        return order, refunds, _site_zone(payload.get("site_timezone"))
    if "refunded_payment" in payload:
        raise _not_an_order("this is a refund object; send it in 'refunds' beside its order")
    if "line_items" not in payload:
        raise _not_an_order("expected an Order object or {'order': {...}, 'refunds': [...]} with line_items")
    return payload, None, None


def _not_an_order(reason: str) -> NormalizationError:
    return NormalizationError(
        "payload.not_an_order",
        f"the WooCommerce payload has no order: {reason}",
        "Publish GET /wp-json/wc/v3/orders/<id> (or an order webhook body), optionally as "
        "{'order': ..., 'refunds': <GET /orders/<id>/refunds>, 'site_timezone': ...}.",
    )


def _records(value: Any, where: str) -> list[dict[str, Any]]:
    """A JSON array of objects; absent is empty."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _wrong_type(where, value, "an array")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise _wrong_type(f"{where}[{i}]", item, "an object")
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    # PHP serialises an empty associative array as [], so an empty block can arrive as a list.
    if value is None or value == []:
        return {}
    if not isinstance(value, dict):
        raise _wrong_type(where, value, "an object")
    return value


def _wrong_type(where: str, value: Any, expected: str) -> NormalizationError:
    return NormalizationError(
        "payload.wrong_type", f"{where} is {type(value).__name__} {_short(value)}, not {expected}", _FIX
    )


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _text(obj: dict[str, Any], field: str) -> str | None:
    """A free-text field; WooCommerce HTML-escapes names (``Ship Your Idea &ndash; Black``)."""
    value = obj.get(field)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    plain = text(value)
    return html.unescape(plain) if plain else None


def _slug(obj: dict[str, Any], field: str) -> str | None:
    value = obj.get(field)
    if value is not None and not isinstance(value, str):
        raise _wrong_type(f"order.{field}", value, "a text slug")
    return text(value)


def _identifier(value: Any, where: str) -> str:
    """An API id as a string: WooCommerce ids are integers, kept exact whatever their size."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise _wrong_type(where, value, "an integer id")


def _site_zone(value: Any) -> tzinfo | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise NormalizationError(
        "payload.bad_timezone",
        f"site_timezone is {_short(value)}, not an IANA time zone such as 'Europe/Berlin'",
        "Send the WordPress site's timezone_string, or leave site_timezone out.",
    )


# --- dates ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SiteClock:
    """Reads WooCommerce's paired dates: ``<field>_gmt`` is UTC and ``<field>`` site time, neither with an offset."""

    display: tzinfo
    site_zone: tzinfo | None

    def read(self, obj: dict[str, Any], field: str, where: str) -> datetime | None:
        gmt = obj.get(f"{field}_gmt")
        if gmt is not None and gmt != "":
            instant = timestamp_assuming(gmt, UTC, f"{where}.{field}_gmt")
            try:
                return instant.astimezone(self.display)
            except (OverflowError, ValueError):
                raise NormalizationError("payload.bad_date", f"{where}.{field}_gmt is {gmt!r}, out of range") from None
        local = obj.get(field)
        if local is None or local == "":
            return None
        if self.site_zone is None:
            raise NormalizationError(
                "payload.bad_date",
                f"{where}.{field} is {_short(local)}: WooCommerce site time has no offset and {where}.{field}_gmt "
                "is missing, so the time zone would be a guess",
                f"Send {field}_gmt as the API returns it, or the site's zone as 'site_timezone' in the payload.",
            )
        return timestamp_assuming(local, self.site_zone, f"{where}.{field}")

    def required(self, obj: dict[str, Any], field: str, where: str) -> datetime:
        moment = self.read(obj, field, where)
        if moment is None:
            raise NormalizationError(
                "payload.missing_field", f"{where}.{field}_gmt is missing", f"Send the order with '{field}_gmt'."
            )
        return moment


def _offset_of(order: dict[str, Any]) -> tzinfo:
    """The site's UTC offset when the order was placed: ``date_created`` minus ``date_created_gmt``."""
    local, gmt = order.get("date_created"), order.get("date_created_gmt")
    if not isinstance(local, str) or not isinstance(gmt, str):
        return UTC
    try:
        site_time = datetime.fromisoformat(local)
        if site_time.tzinfo is not None:
            return site_time.tzinfo  # a site (or plugin) that does send its offset
        delta = site_time - datetime.fromisoformat(gmt)
    except (ValueError, TypeError, OverflowError):
        return UTC  # an unreadable pair: the instant comes from _gmt alone, shown in UTC
    if abs(delta) > timedelta(hours=14) or delta % timedelta(minutes=15):
        return UTC
    return timezone(delta)


# --- identity and status -------------------------------------------------------------------------------------------


def _order_number(order: dict[str, Any]) -> str:
    number = order.get("number")
    if number is None or number == "":
        return _identifier(required(order, "id", "order"), "order.id")
    # Sequential-number plugins add prefixes; '#' is decoration, anything else is part of the number.
    shown = _identifier(number, "order.number").lstrip("#").strip()
    if not shown:
        raise _wrong_type("order.number", number, "an order number")
    return shown


def _status(order: dict[str, Any]) -> str:
    status = required(order, "status", "order")
    if not isinstance(status, str):
        raise _wrong_type("order.status", status, "a status slug")
    slug = status.strip().lower().removeprefix("wc-")
    if slug == "checkout-draft":
        raise NormalizationError(
            "payload.draft_order",
            f"order {order.get('id')!r} has status checkout-draft: a Blocks checkout that was never placed",
            "Drafts are carts, not sales: publish the order once it leaves checkout-draft.",
        )
    return slug


def _fulfillment_state(order: dict[str, Any], status: str) -> FulfillmentState:
    if status == "cancelled":
        return FulfillmentState.CANCELLED
    # WooCommerce has no fulfilment field: completion is the only shipped signal it keeps, even after a refund.
    if status == "completed" or order.get("date_completed_gmt") or order.get("date_completed"):
        return FulfillmentState.FULFILLED
    return FulfillmentState.UNFULFILLED


# --- lines, shipping, fees, tax ------------------------------------------------------------------------------------


def _lines(order: dict[str, Any], currency: str) -> tuple[OrderLine, ...]:
    lines = []
    for index, item in enumerate(_records(order["line_items"], "order.line_items")):
        line = _line(item, currency, index)
        if _in_bundle(item) and not (line.gross or line.discount or line.tax):
            continue  # the bundle's price sits on another level of it; this row only says what was packed
        lines.append(line)
    if not lines:
        raise NormalizationError(
            "payload.no_lines", f"WooCommerce order {order.get('number') or order.get('id')!r} has no priced line items"
        )
    return tuple(lines)


def _line(item: dict[str, Any], currency: str, index: int) -> OrderLine:
    where = f"line_items[{index}]"
    count = quantity(required(item, "quantity", where), f"{where}.quantity")
    total = money(required(item, "total", where), currency, f"{where}.total")
    subtotal = optional_money(item.get("subtotal"), currency, f"{where}.subtotal")
    before_discount = total if subtotal is None else subtotal
    if total > before_discount:
        raise NormalizationError(
            "payload.bad_line_total",
            f"{where}.total is {total} but {where}.subtotal is {before_discount}: a line cannot cost more after "
            "discounts than before",
            _FIX,
        )
    tax = _amount(item.get("total_tax"), currency, f"{where}.total_tax")
    if tax < 0:
        raise NormalizationError("payload.bad_number", f"{where}.total_tax is {tax}: line tax cannot be negative")
    taxes = item.get("taxes")
    return OrderLine(
        line_id=_identifier(item["id"], f"{where}.id") if item.get("id") is not None else str(index + 1),
        sku=_text(item, "sku"),
        title=_text(item, "name") or f"line {index + 1}",
        quantity=count,
        unit_price=_unit_price(before_discount, count, currency),
        discount=before_discount - total,  # WooCommerce keeps no per-line discount field: it is subtotal - total
        tax=tax,
        taxable=bool(tax) or (isinstance(taxes, list) and bool(taxes)),
        gift_card=_sells_gift_card(item, where),
    )


def _unit_price(subtotal: Decimal, count: Decimal, currency: str) -> Decimal:
    exact = subtotal / count
    rounded = quantize(exact, currency)
    # 10.00 for 3 has no exact cent price; the unrounded one keeps quantity x price equal to the subtotal.
    return rounded if rounded * count == subtotal else exact


def _meta_keys(item: dict[str, Any], where: str) -> set[str]:
    return {
        entry["key"]
        for entry in _records(item.get("meta_data"), f"{where}.meta_data")
        if isinstance(entry.get("key"), str)
    }


def _sells_gift_card(item: dict[str, Any], where: str) -> bool:
    return any(key.startswith(_GIFT_CARD_META) for key in _meta_keys(item, where))


def _in_bundle(item: dict[str, Any]) -> bool:
    if any(item.get(field) not in (None, "", 0, "0", []) for field in _BUNDLE_FIELDS):
        return True
    meta = item.get("meta_data")
    return isinstance(meta, list) and any(
        isinstance(m, dict) and isinstance(m.get("key"), str) and m["key"] in _BUNDLE_META for m in meta
    )


def _shipping(line: dict[str, Any], currency: str, index: int) -> ShippingLine:
    where = f"shipping_lines[{index}]"
    return ShippingLine(
        title=_text(line, "method_title") or "Shipping",
        code=_text(line, "method_id"),
        amount=money(required(line, "total", where), currency, f"{where}.total"),
        discount=quantize(ZERO, currency),  # WooCommerce coupons never discount shipping; free shipping is a method
        tax=_amount(line.get("total_tax"), currency, f"{where}.total_tax"),
    )


def _fees(order: dict[str, Any], currency: str) -> tuple[tuple[FeeLine, ...], Decimal, tuple[OrderPayment, ...]]:
    """Buyer-paid fees; negative fees are discounts, or tenders when they name a gift card or store credit."""
    fees: list[FeeLine] = []
    discount = quantize(ZERO, currency)
    tenders: list[OrderPayment] = []
    for index, fee in enumerate(_records(order.get("fee_lines"), "order.fee_lines")):
        where = f"fee_lines[{index}]"
        title = _text(fee, "name") or "Fee"
        amount = money(required(fee, "total", where), currency, f"{where}.total")
        tax = _amount(fee.get("total_tax"), currency, f"{where}.total_tax")
        tender = _tender_named(title)
        if amount >= 0:
            fees.append(FeeLine(title=title, amount=amount, tax=tax))
        elif tender is not None and not tax:
            tenders.append(OrderPayment(method=title, tender=tender, amount=-amount))
        else:
            discount -= amount  # a pre-tax reduction of the sale, whatever the store calls it
    return tuple(fees), discount, tuple(tenders)


def _tender_named(title: str) -> Literal["gift_card", "store_credit"] | None:
    lowered = title.lower()
    if "gift card" in lowered or "gift certificate" in lowered:
        return "gift_card"
    if "store credit" in lowered:
        return "store_credit"
    return None


def _gift_cards(order: dict[str, Any], currency: str) -> tuple[OrderPayment, ...]:
    """Cards redeemed through the WooCommerce Gift Cards extension (``gift_cards[] {id, code, amount}``)."""
    tenders = []
    for index, card in enumerate(_records(order.get("gift_cards"), "order.gift_cards")):
        where = f"gift_cards[{index}]"
        amount = money(required(card, "amount", where), currency, f"{where}.amount")
        if amount < 0:
            raise NormalizationError("payload.bad_number", f"{where}.amount is {amount}: a redeemed card pays")
        if amount:
            # The card's id, never its code: a code is a bearer credential and may still hold a balance.
            card_id = card.get("id")
            reference = _identifier(card_id, f"{where}.id") if card_id is not None else None
            tenders.append(
                OrderPayment(transaction_id=reference, method="gift_card", tender="gift_card", amount=amount)
            )
    return tuple(tenders)


def _tax_lines(order: dict[str, Any], currency: str) -> tuple[TaxLine, ...]:
    rates = [_rate(rate, currency, i) for i, rate in enumerate(_records(order.get("tax_lines"), "order.tax_lines"))]
    booked = tuple(rate for rate in rates if rate.amount)
    channel_tax = optional_money(order.get("total_tax"), currency, "order.total_tax")
    if channel_tax is None:
        return booked
    if not rates:
        return (TaxLine(title="Tax", amount=channel_tax),) if channel_tax else ()
    difference = channel_tax - sum((rate.amount for rate in rates), ZERO)
    if not difference:
        return booked
    # Each rate's tax_total and shipping_tax_total is rounded on its own, from unrounded line taxes.
    tolerance = Decimal(2 * len(rates)).scaleb(-currency_exponent(currency))
    if abs(difference) > tolerance:
        raise NormalizationError(
            "payload.tax_mismatch",
            f"order.total_tax is {channel_tax} {currency} but order.tax_lines add up to "
            f"{channel_tax - difference} {currency} (difference {difference}, beyond rounding)",
            "Recalculate the order's taxes in WooCommerce, then republish it.",
        )
    return (*booked, TaxLine(title="Tax rounding", amount=difference))


def _rate(rate: dict[str, Any], currency: str, index: int) -> TaxLine:
    where = f"tax_lines[{index}]"
    cart = _amount(rate.get("tax_total"), currency, f"{where}.tax_total")
    shipping = _amount(rate.get("shipping_tax_total"), currency, f"{where}.shipping_tax_total")
    percent = rate.get("rate_percent")  # WooCommerce 3.7+; a percentage, the canonical rate is a fraction
    return TaxLine(
        title=_text(rate, "rate_code") or _text(rate, "label") or "Tax",
        rate=None if percent is None or percent == "" else decimal(percent, f"{where}.rate_percent") / 100,
        amount=cart + shipping,
    )


def _amount(value: Any, currency: str, where: str) -> Decimal:
    """An optional amount; absent is zero at the currency's scale (0.00 USD, 0 JPY, 0.000 BHD)."""
    amount = optional_money(value, currency, where)
    return quantize(ZERO, currency) if amount is None else amount


def _order_total(order: dict[str, Any], currency: str) -> Decimal:
    raw = required(order, "total", "order")
    exact = decimal(raw, "order.total")
    total = quantize(exact, currency)
    if total != exact:
        raise NormalizationError(
            "payload.bad_precision",
            f"order.total is {_short(raw)}, finer than {currency}'s {currency_exponent(currency)} decimal places",
            "Check the store's currency and its 'Number of decimals' setting (WooCommerce > Settings > General).",
        )
    return total


# --- payment -------------------------------------------------------------------------------------------------------


def _method_kind(method: str | None) -> _Method:
    slug = (method or "").strip().lower()
    if slug in _ON_DELIVERY:
        return _Method.ON_DELIVERY
    if slug in _MERCHANT_CONFIRMED:
        return _Method.MERCHANT_CONFIRMED
    if any(marker in slug for marker in _TERMS_MARKERS):
        return _Method.TERMS
    return _Method.ONLINE


def _status_state(order: dict[str, Any], status: str, method: _Method) -> PaymentState:
    """What ``status`` means for payment, given how the method collects money.

    ============  ==========================  ================================  ==========  ========
    status        online gateway              bacs / cheque / none              cod         terms
    ============  ==========================  ================================  ==========  ========
    pending       unpaid                      on_terms                          on_terms    on_terms
    on-hold       authorized (transaction)    on_terms                          on_terms    on_terms
                  or unpaid
    processing    paid (date_paid or          paid (the merchant confirmed      on_terms    on_terms
                  transaction), else unknown  receipt by moving it on)
    completed     as processing               paid                              paid        on_terms
    refunded      refunded                    refunded                          refunded    refunded
    failed        failed                      failed                            failed      failed
    cancelled     voided; unknown when a      voided                            voided      voided
                  payment was recorded
    other         unknown (plugin statuses)
    ============  ==========================  ================================  ==========  ========
    """
    paid_online = bool(_text(order, "transaction_id") or order.get("date_paid_gmt") or order.get("date_paid"))
    if status in ("refunded", "failed"):
        return PaymentState.REFUNDED if status == "refunded" else PaymentState.FAILED
    if status == "cancelled":
        return PaymentState.UNKNOWN if method is _Method.ONLINE and paid_online else PaymentState.VOIDED
    if status in ("pending", "on-hold"):
        if method is not _Method.ONLINE:
            return PaymentState.ON_TERMS
        held = status == "on-hold" and _text(order, "transaction_id")
        return PaymentState.AUTHORIZED if held else PaymentState.UNPAID
    if status in ("processing", "completed"):
        if method is _Method.TERMS or (method is _Method.ON_DELIVERY and status == "processing"):
            return PaymentState.ON_TERMS
        if method is _Method.ONLINE and not paid_online:
            return PaymentState.UNKNOWN
        return PaymentState.PAID
    return PaymentState.UNKNOWN


def _payment_state(
    order: dict[str, Any],
    status: str,
    method: str | None,
    channel_total: Decimal,
    total: Decimal,
    tenders: tuple[OrderPayment, ...],
    refunds: tuple[OrderRefund, ...],
) -> PaymentState:
    state = _status_state(order, status, _method_kind(method))
    refunded = sum((r.amount for r in refunds), ZERO)
    money_came_back = state is PaymentState.PAID or status == "cancelled"
    if refunded and money_came_back:
        return PaymentState.REFUNDED if refunded >= channel_total else PaymentState.PARTIALLY_REFUNDED
    if tenders and state in (PaymentState.UNPAID, PaymentState.ON_TERMS, PaymentState.AUTHORIZED):
        # A redeemed gift card is money in even while the rest waits.
        return PaymentState.PARTIALLY_PAID if total else PaymentState.PAID
    return state


def _payments(
    order: dict[str, Any],
    state: PaymentState,
    total: Decimal,
    tenders: tuple[OrderPayment, ...],
    method: str | None,
    clock: _SiteClock,
) -> tuple[OrderPayment, ...]:
    if state not in (*_RECEIVED, PaymentState.PARTIALLY_PAID):
        return ()
    redeemed_at = clock.read(order, "date_created", "order")
    received = [t.model_copy(update={"paid_at": redeemed_at}) for t in tenders]
    if state in _RECEIVED and total:
        received.append(
            OrderPayment(
                transaction_id=_text(order, "transaction_id"),
                method=method,
                amount=total,
                paid_at=clock.read(order, "date_paid", "order"),
            )
        )
    return tuple(received)


# --- refunds -------------------------------------------------------------------------------------------------------


def _refunds(
    order: dict[str, Any], objects: list[dict[str, Any]] | None, currency: str, clock: _SiteClock
) -> tuple[OrderRefund, ...]:
    summaries = [
        _refund(r, "total", f"order.refunds[{i}]", currency, clock)
        for i, r in enumerate(_records(order.get("refunds"), "order.refunds"))
    ]
    if objects is None:
        return tuple(summaries)
    full = [_refund(r, "amount", f"refunds[{i}]", currency, clock) for i, r in enumerate(objects)]
    by_id = {r.refund_id: r for r in full}
    for summary in summaries:
        match = by_id.get(summary.refund_id)
        if match is None:
            full.append(summary)  # a page of /refunds was not fetched; the order's summary still has the amount
        elif match.amount != summary.amount:
            raise NormalizationError(
                "payload.refund_mismatch",
                f"refund {summary.refund_id} is {match.amount} {currency} in refunds but {summary.amount} "
                f"{currency} in order.refunds",
                "Fetch the order and its refunds again, together, and republish them.",
            )
    return tuple(full)


def _refund(refund: dict[str, Any], field: str, where: str, currency: str, clock: _SiteClock) -> OrderRefund:
    # The order's summaries carry refunds negative, the refund objects positive (pitfall 7): money back either way.
    amount = abs(money(required(refund, field, where), currency, f"{where}.{field}"))
    return OrderRefund(
        refund_id=_identifier(required(refund, "id", where), f"{where}.id"),
        amount=amount,
        created_at=clock.read(refund, "date_created", where),
        note=_text(refund, "reason"),
    )


# --- people --------------------------------------------------------------------------------------------------------


def _customer(order: dict[str, Any]) -> Customer | None:
    billing = _object(order.get("billing"), "order.billing")
    shipping = _object(order.get("shipping"), "order.shipping")
    customer_id = order.get("customer_id")
    # customer_id 0 is a guest checkout.
    known = None if customer_id in (None, "", 0, "0") else _identifier(customer_id, "order.customer_id")
    customer = Customer(
        channel_customer_id=known,
        email=_text(billing, "email"),  # WooCommerce keeps the buyer's email only in billing
        first_name=_text(billing, "first_name") or _text(shipping, "first_name"),
        last_name=_text(billing, "last_name") or _text(shipping, "last_name"),
        company=_text(billing, "company") or _text(shipping, "company"),
        phone=_text(billing, "phone") or _text(shipping, "phone"),
    )
    return customer if any(customer.model_dump().values()) else None


def _address(order: dict[str, Any], block: str) -> Address | None:
    fields = _object(order.get(block), f"order.{block}")
    name = " ".join(p for p in (_text(fields, "first_name"), _text(fields, "last_name")) if p)
    address = Address(
        name=name or None,
        company=_text(fields, "company"),
        line1=_text(fields, "address_1"),
        line2=_text(fields, "address_2"),
        city=_text(fields, "city"),
        region=_text(fields, "state"),
        postal_code=_text(fields, "postcode"),
        country_code=_text(fields, "country"),
        phone=_text(fields, "phone"),
    )
    # A shipping block of empty strings (digital goods) is no address at all.
    return address if any(address.model_dump().values()) else None
