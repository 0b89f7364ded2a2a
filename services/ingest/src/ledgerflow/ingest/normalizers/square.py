"""Square Orders API order, with its tenders, plus the Payments API payments where given.

An order's SKUs, customer, payment statuses and invoice live behind other Square APIs, so the payload is a
composite object; only ``order`` is required, and a bare Order object (as RetrieveOrder returns it inside
``{"order": ...}``) is accepted too::

    {
      "order": {...},               # Order: GET /v2/orders/{id} (or the CreateOrder / PayOrder response body)
      "payments": [{...}],          # Payment per tender: GET /v2/payments/{tender.payment_id}; optional
      "refunds": [{...}],           # PaymentRefund: GET /v2/refunds/{id}; optional
      "customer": {...},            # Customer: GET /v2/customers/{order.customer_id}; optional
      "catalog_objects": [{...}],   # ITEM_VARIATION (or ITEM) objects, for SKUs: BatchRetrieveCatalogObjects
      "invoice": {...}              # Invoice, when the order is billed through the Invoices API; optional
    }

``payments`` and ``refunds`` entries may also be wrapped as Square's single-object responses
(``{"payment": {...}}``, ``{"refund": {...}}``).

Amounts are ``Money {amount, currency}`` in integer minor units, scaled by the currency's ISO 4217 exponent
(USD 1599 is 15.99, JPY 1599 is 1599); quantities are decimal strings, fractional for items sold by measure.

Square has no order number, no SKU on a line and no customer beyond ``customer_id``; what it has instead is
said where it is read. The payment state comes from tenders, payments, refunds and the invoice, never from the
order's ``state``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

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
)
from ledgerflow.contracts.canonical import ZERO, FeeLine, OrderRefund
from ledgerflow.contracts.money import currency_exponent, quantize
from ledgerflow.ingest.normalizers.errors import NormalizationError
from ledgerflow.ingest.normalizers.fields import (
    MAX_AMOUNT,
    currency_code,
    decimal,
    minor_units,
    quantity,
    required,
    text,
    timestamp,
)

Tender = Literal["payment", "gift_card", "store_credit"]

_FIX = (
    "Publish the order as GET /v2/orders/{id} returns it, with any payments, refunds, customer, catalog objects "
    "and invoice beside it (see ledgerflow.ingest.normalizers.square)."
)

# Service charges are Square's only place for a buyer-paid delivery price (Square Online books shipping so).
_SHIPPING_NAME = re.compile(r"\b(shipping|delivery|postage|freight)\b", re.IGNORECASE)

# What a tender's or payment's own status says about the money (R3); anything else is unclassifiable.
_CAPTURED, _AUTHORIZED, _PENDING, _VOIDED, _FAILED = "captured", "authorized", "pending", "voided", "failed"
_CARD_STATUSES = {"CAPTURED": _CAPTURED, "AUTHORIZED": _AUTHORIZED, "VOIDED": _VOIDED, "FAILED": _FAILED}
_BANK_STATUSES = {"COMPLETED": _CAPTURED, "PENDING": _PENDING, "FAILED": _FAILED}
_PAYMENT_STATUSES = {
    "COMPLETED": _CAPTURED,
    "APPROVED": _AUTHORIZED,
    "PENDING": _PENDING,
    "CANCELED": _VOIDED,
    "FAILED": _FAILED,
}
# Tender type -> (field holding its status, that status's vocabulary); None: recording the tender took the money.
_TENDER_STATUS_FIELDS: dict[str, tuple[str, dict[str, str]] | None] = {
    "CARD": ("card_details", _CARD_STATUSES),
    "SQUARE_GIFT_CARD": ("card_details", _CARD_STATUSES),
    "BANK_ACCOUNT": ("bank_account_details", _BANK_STATUSES),
    "BUY_NOW_PAY_LATER": ("buy_now_pay_later_details", _CARD_STATUSES),
    "SQUARE_ACCOUNT": ("square_account_details", _CARD_STATUSES),
    "CASH": None,
    "THIRD_PARTY_CARD": None,
    "WALLET": None,
    "OTHER": None,
}
_METHOD_NAMES = {
    "CARD": "card",
    "CASH": "cash",
    "THIRD_PARTY_CARD": "third-party card",
    "SQUARE_GIFT_CARD": "Square gift card",
    "BANK_ACCOUNT": "bank account",
    "WALLET": "wallet",
    "BUY_NOW_PAY_LATER": "buy now pay later",
    "SQUARE_ACCOUNT": "Square account",
    "OTHER": "other",
    "EXTERNAL": "external",
}
# External payments the seller records by hand: while pending, the buyer owes the money on terms.
_OFFLINE_EXTERNAL_TYPES = {"CHECK", "BANK_TRANSFER"}
_EXTERNAL_TENDERS: dict[str, Tender] = {"OTHER_GIFT_CARD": "gift_card", "STORED_BALANCE": "store_credit"}

_REFUND_COUNTED = {"APPROVED", "COMPLETED"}
_REFUND_NOT_YET = {"PENDING", "REJECTED", "FAILED"}

# Invoices API: a sent invoice not yet paid is a sale on terms; a paid one must come with its tenders.
_INVOICE_OPEN = {"DRAFT", "UNPAID", "SCHEDULED", "PARTIALLY_PAID", "PAYMENT_PENDING"}
_INVOICE_CLOSED = {"CANCELED", "FAILED"}

# Fulfilment states; PROPOSED, RESERVED and PREPARED (and any newer one) are still open.
_FULFILLMENT_DONE = {"COMPLETED"}
_FULFILLMENT_DROPPED = {"CANCELED", "FAILED"}

# A unit price derived for an item sold by measure: at most this many decimals beyond the currency's, and
# within 10^-4 of a minor unit of Square's line gross.
_UNIT_PRICE_EXTRA_PLACES = 9
_UNIT_PRICE_TOLERANCE_PLACES = 4


# --------------------------------------------------------------------------------------------- payload shape


@dataclass(frozen=True)
class _Parts:
    order: dict[str, Any]
    payments: tuple[dict[str, Any], ...]
    refunds: tuple[dict[str, Any], ...]
    customer: dict[str, Any] | None
    skus: dict[str, str]
    invoice: dict[str, Any] | None


def _bad_type(where: str, value: Any, expected: str) -> NormalizationError:
    return NormalizationError(
        "payload.bad_type", f"{where} is {type(value).__name__} {_preview(value)}, not {expected}", _FIX
    )


def _preview(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad_type(where, value, "an object")
    return value


def _optional_object(obj: dict[str, Any], field: str, where: str) -> dict[str, Any] | None:
    value = obj.get(field)
    return None if value is None else _object(value, f"{where}.{field}")


def _list(obj: dict[str, Any], field: str, where: str) -> list[Any]:
    value = obj.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad_type(f"{where}.{field}", value, "a list")
    return value


def _text(obj: dict[str, Any], field: str, where: str) -> str | None:
    value = obj.get(field)
    if value is None or isinstance(value, str):
        return text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _bad_type(f"{where}.{field}", value, "a string")


def _enum(obj: dict[str, Any], field: str, where: str) -> str | None:
    value = _text(obj, field, where)
    return value.upper() if value else None


def _identifier(obj: dict[str, Any], field: str, where: str) -> str:
    value = required(obj, field, where)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _bad_type(f"{where}.{field}", value, "an id string")
    # Square ids are opaque strings; an integer id is kept digit for digit, never through a float.
    identifier = str(value).strip()
    if not identifier:
        raise NormalizationError("payload.missing_field", f"{where}.{field} is blank", _FIX)
    return identifier


def _unwrap(value: Any, key: str, where: str) -> dict[str, Any]:
    """A Square object, or the single-object response that wraps it (``{"payment": {...}}``)."""
    body = _object(value, where)
    return _object(body[key], f"{where}.{key}") if key in body else body


def _parts(payload: dict[str, Any]) -> _Parts:
    if not isinstance(payload, dict):
        raise NormalizationError(
            "payload.not_an_order", f"a Square order is a JSON object, not {type(payload).__name__}", _FIX
        )
    if "order" in payload:
        order = payload["order"]
        if not isinstance(order, dict):
            raise NormalizationError("payload.not_an_order", f"payload.order is {_preview(order)}, not an Order", _FIX)
        composite = payload
    elif "line_items" in payload or "location_id" in payload:
        order, composite = payload, {}
    else:
        raise NormalizationError(
            "payload.not_an_order",
            "the Square payload has no order: expected an Order object or {'order': {...}, 'payments': [...]}"
            + _not_an_order_hint(payload),
            "Publish the body of GET /v2/orders/{id}, one order per message.",
        )
    customer = _optional_object(composite, "customer", "payload")
    invoice = _optional_object(composite, "invoice", "payload")
    return _Parts(
        order=order,
        payments=tuple(
            _unwrap(p, "payment", f"payload.payments[{i}]")
            for i, p in enumerate(_list(composite, "payments", "payload"))
        ),
        refunds=tuple(
            _unwrap(r, "refund", f"payload.refunds[{i}]") for i, r in enumerate(_list(composite, "refunds", "payload"))
        ),
        customer=_unwrap(customer, "customer", "payload.customer") if customer is not None else None,
        skus=_skus(_list(composite, "catalog_objects", "payload")),
        invoice=_unwrap(invoice, "invoice", "payload.invoice") if invoice is not None else None,
    )


def _not_an_order_hint(payload: dict[str, Any]) -> str:
    if "orders" in payload:
        return " (this looks like a search or batch response: send its orders one by one)"
    if "event_id" in payload:
        return " (order webhooks carry only the order id: retrieve the order first)"
    return ""


def _skus(objects: list[Any]) -> dict[str, str]:
    """Variation id -> SKU: Square lines name a CatalogItemVariation, never a SKU."""
    skus: dict[str, str] = {}
    for i, raw in enumerate(objects):
        obj = _object(raw, f"payload.catalog_objects[{i}]")
        kind = _enum(obj, "type", f"payload.catalog_objects[{i}]")
        if kind == "ITEM_VARIATION":
            _add_sku(skus, obj, f"payload.catalog_objects[{i}]")
        elif kind == "ITEM":
            item = _optional_object(obj, "item_data", f"payload.catalog_objects[{i}]") or {}
            for j, variation in enumerate(_list(item, "variations", f"payload.catalog_objects[{i}].item_data")):
                at = f"payload.catalog_objects[{i}].item_data.variations[{j}]"
                _add_sku(skus, _object(variation, at), at)
    return skus


def _add_sku(skus: dict[str, str], variation: dict[str, Any], where: str) -> None:
    data = _optional_object(variation, "item_variation_data", where) or {}
    sku = _text(data, "sku", f"{where}.item_variation_data")
    object_id = _text(variation, "id", where)
    if sku and object_id:
        skus[object_id] = sku


# --------------------------------------------------------------------------------------------------- money


class _Money:
    """Reads Square ``Money`` objects of one order: integer minor units, all in the order's currency."""

    def __init__(self, currency: str) -> None:
        self.currency = currency

    def optional(self, obj: dict[str, Any], field: str, where: str, *, signed: bool = False) -> Decimal | None:
        raw = obj.get(field)
        if raw is None:
            return None
        at = f"{where}.{field}"
        money = _object(raw, at)
        if money.get("currency") is not None:
            code = currency_code(money["currency"], f"{at}.currency")
            if code != self.currency:
                raise NormalizationError(
                    "payload.bad_currency",
                    f"{at} is in {code} but the order is in {self.currency}: one Square order has one currency",
                    _FIX,
                )
        amount = minor_units(required(money, "amount", at), self.currency, f"{at}.amount")
        if amount < 0 and not signed:
            raise NormalizationError("payload.bad_number", f"{at}.amount is {money['amount']}: it cannot be negative")
        return self.bounded(amount, f"{at}.amount")

    def read(self, obj: dict[str, Any], field: str, where: str, *, signed: bool = False) -> Decimal:
        amount = self.optional(obj, field, where, signed=signed)
        if amount is None:
            raise NormalizationError("payload.missing_field", f"{where}.{field} is missing", _FIX)
        return amount

    def zero_if_absent(self, obj: dict[str, Any], field: str, where: str) -> Decimal:
        amount = self.optional(obj, field, where)
        return ZERO if amount is None else amount

    def product(self, unit: Decimal, times: Decimal, where: str) -> Decimal:
        """A price times a quantity, rounded as Square rounds a line (only when Square left the total out)."""
        return quantize(self.bounded(unit * times, where), self.currency)

    @staticmethod
    def bounded(amount: Decimal, where: str) -> Decimal:
        # minor_units allows 10^17 units, which in JPY is beyond any amount QuickBooks can hold.
        if abs(amount) >= MAX_AMOUNT:
            raise NormalizationError("payload.bad_number", f"{where} is {amount}, beyond any real order amount")
        return amount


def _order_currency(order: dict[str, Any]) -> str:
    total = _object(required(order, "total_money", "order"), "order.total_money")
    return currency_code(required(total, "currency", "order.total_money"), "order.total_money.currency")


# ---------------------------------------------------------------------------------------------------- taxes


@dataclass(frozen=True)
class _Tax:
    uid: str | None
    title: str
    rate: Decimal | None
    inclusive: bool
    applied: Decimal | None


def _taxes(order: dict[str, Any], money: _Money) -> tuple[_Tax, ...]:
    taxes = []
    for i, raw in enumerate(_list(order, "taxes", "order")):
        where = f"order.taxes[{i}]"
        tax = _object(raw, where)
        kind = _enum(tax, "type", where) or "ADDITIVE"
        if kind not in ("ADDITIVE", "INCLUSIVE"):
            raise NormalizationError(
                "payload.unknown_tax_type",
                f"{where}.type is {kind!r}: a Square tax is ADDITIVE or INCLUSIVE",
                "Check the tax in the Square dashboard; UNKNOWN_TAX appears only on reporting-only records.",
            )
        percentage = tax.get("percentage")
        taxes.append(
            _Tax(
                uid=_text(tax, "uid", where),
                title=_text(tax, "name", where) or "Tax",
                rate=None if percentage in (None, "") else decimal(percentage, f"{where}.percentage") / 100,
                inclusive=kind == "INCLUSIVE",
                applied=money.optional(tax, "applied_money", where),
            )
        )
    return tuple(taxes)


@dataclass(frozen=True)
class _AppliedTax:
    tax: _Tax | None
    amount: Decimal


def _applied_taxes(obj: dict[str, Any], where: str, taxes: tuple[_Tax, ...], money: _Money) -> list[_AppliedTax]:
    by_uid = {t.uid: t for t in taxes if t.uid}
    applied = []
    for i, raw in enumerate(_list(obj, "applied_taxes", where)):
        at = f"{where}.applied_taxes[{i}]"
        entry = _object(raw, at)
        applied.append(
            _AppliedTax(
                tax=by_uid.get(_text(entry, "tax_uid", at) or ""),
                amount=money.zero_if_absent(entry, "applied_money", at),
            )
        )
    return applied


def _inclusive_part(applied: list[_AppliedTax]) -> Decimal:
    return sum((a.amount for a in applied if a.tax is not None and a.tax.inclusive), ZERO)


@dataclass(frozen=True)
class _TaxMode:
    """Square marks each tax ADDITIVE or INCLUSIVE; the canonical order has one mode for the whole document."""

    taxes_included: bool
    derive_ex_tax: bool  # both kinds on one order: book INCLUSIVE-taxed amounts net of their tax


def _tax_mode(tax_lines: tuple[tuple[_Tax | None, Decimal], ...]) -> _TaxMode:
    inclusive = any(t is not None and t.inclusive and amount for t, amount in tax_lines)
    additive = any((t is None or not t.inclusive) and amount for t, amount in tax_lines)
    return _TaxMode(taxes_included=inclusive and not additive, derive_ex_tax=inclusive and additive)


def _order_tax_amounts(
    order: dict[str, Any], taxes: tuple[_Tax, ...], applied: list[_AppliedTax], money: _Money
) -> tuple[tuple[_Tax | None, Decimal], ...]:
    """Tax per jurisdiction: each order tax's own ``applied_money``, else what its lines and charges applied."""
    amounts: list[tuple[_Tax | None, Decimal]] = []
    for tax in taxes:
        amount = tax.applied
        if amount is None:
            amount = sum((a.amount for a in applied if a.tax is tax), ZERO)
        amounts.append((tax, amount))
    if not taxes:
        # Orders from before per-order taxes carry only the total.
        amounts.append((None, money.zero_if_absent(order, "total_tax_money", "order")))
    return tuple((t, a) for t, a in amounts if a)


def _tax_line(tax: _Tax | None, amount: Decimal) -> TaxLine:
    return TaxLine(title=tax.title if tax else "Tax", rate=tax.rate if tax else None, amount=amount)


# ---------------------------------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class _LineParts:
    index: int
    item: dict[str, Any]
    quantity: Decimal
    gross: Decimal
    listed_unit_price: Decimal | None
    discount: Decimal
    taxes: list[_AppliedTax]
    tax: Decimal


def _line_parts(raw: Any, index: int, taxes: tuple[_Tax, ...], money: _Money) -> _LineParts | None:
    where = f"order.line_items[{index}]"
    item = _object(raw, where)
    raw_quantity = required(item, "quantity", where)
    if decimal(raw_quantity, f"{where}.quantity") == 0:
        return None  # Square drops zero-quantity lines when the order is paid; an open order may still show them
    sold = quantity(raw_quantity, f"{where}.quantity", fractional=True)
    applied = _applied_taxes(item, where, taxes, money)
    discount = money.optional(item, "total_discount_money", where)
    if discount is None:
        discount = sum(
            (
                money.zero_if_absent(
                    _object(d, f"{where}.applied_discounts[{i}]"), "applied_money", f"{where}.applied_discounts[{i}]"
                )
                for i, d in enumerate(_list(item, "applied_discounts", where))
            ),
            ZERO,
        )
    tax = money.optional(item, "total_tax_money", where)
    return _LineParts(
        index=index,
        item=item,
        quantity=sold,
        gross=_line_gross(item, sold, where, money),
        listed_unit_price=_listed_unit_price(item, where, money),
        discount=discount,
        taxes=applied,
        tax=sum((a.amount for a in applied), ZERO) if tax is None else tax,
    )


def _modifiers(item: dict[str, Any], where: str) -> list[tuple[dict[str, Any], str]]:
    return [
        (_object(m, f"{where}.modifiers[{i}]"), f"{where}.modifiers[{i}]")
        for i, m in enumerate(_list(item, "modifiers", where))
    ]


def _modifier_quantity(modifier: dict[str, Any], where: str) -> Decimal:
    raw = modifier.get("quantity")
    return Decimal(1) if raw in (None, "") else quantity(raw, f"{where}.quantity", fractional=True)


def _line_gross(item: dict[str, Any], sold: Decimal, where: str, money: _Money) -> Decimal:
    """Square's own gross (variation price times quantity, plus priced modifiers), rounded as Square rounded it.

    Modifiers are priced children of the line: they are folded into it, never posted as lines of their own.
    """
    gross = money.optional(item, "gross_sales_money", where)
    if gross is not None:
        return gross
    variation = money.optional(item, "variation_total_price_money", where)
    if variation is None:
        variation = money.product(money.read(item, "base_price_money", where), sold, f"{where}.base_price_money")
    for modifier, at in _modifiers(item, where):
        total = money.optional(modifier, "total_price_money", at)
        if total is None:
            unit = money.zero_if_absent(modifier, "base_price_money", at)
            total = money.product(unit * _modifier_quantity(modifier, at), sold, f"{at}.base_price_money")
        variation += total
    return money.bounded(variation, f"{where}.gross_sales_money")


def _listed_unit_price(item: dict[str, Any], where: str, money: _Money) -> Decimal | None:
    base = money.optional(item, "base_price_money", where)
    if base is None:
        return None
    for modifier, at in _modifiers(item, where):
        base += money.zero_if_absent(modifier, "base_price_money", at) * _modifier_quantity(modifier, at)
    return base


def _unit_price(gross: Decimal, sold: Decimal, listed: Decimal | None, currency: str) -> Decimal:
    """The price Square lists when it multiplies out to Square's gross; else the shortest one derived from it.

    Items sold by measure (0.735 kg at 28.99) have a gross Square rounded per line; quantity times the listed
    price misses it by a fraction of a cent on every line, and the document would not add up. The derived
    price comes within a ten-thousandth of a minor unit of the gross, so thousands of lines still balance.
    """
    if listed is not None and listed * sold == gross:
        return listed
    exact = gross / sold
    if exact >= MAX_AMOUNT:
        raise NormalizationError("payload.bad_number", f"a unit price of {gross} / {sold} is beyond any real price")
    places = currency_exponent(currency)
    tolerance = Decimal(1).scaleb(-(places + _UNIT_PRICE_TOLERANCE_PLACES))
    candidate = exact
    for extra in range(_UNIT_PRICE_EXTRA_PLACES + 1):
        candidate = exact.quantize(Decimal(1).scaleb(-(places + extra)))
        if abs(candidate * sold - gross) < tolerance:
            return candidate
    return candidate


def _order_line(parts: _LineParts, mode: _TaxMode, skus: dict[str, str], currency: str) -> OrderLine:
    where = f"order.line_items[{parts.index}]"
    item = parts.item
    gross = parts.gross - _inclusive_part(parts.taxes) if mode.derive_ex_tax else parts.gross
    if gross < 0:
        raise NormalizationError("payload.bad_number", f"{where}: its inclusive tax exceeds its gross {parts.gross}")
    catalog_id = _text(item, "catalog_object_id", where)
    kind = _enum(item, "item_type", where)
    return OrderLine(
        line_id=_text(item, "uid", where) or str(parts.index),
        sku=skus.get(catalog_id) if catalog_id else None,
        title=_line_title(item, where, parts.index),
        quantity=parts.quantity,
        unit_price=_unit_price(
            gross, parts.quantity, None if mode.derive_ex_tax else parts.listed_unit_price, currency
        ),
        discount=parts.discount,
        tax=parts.tax,
        tax_lines=tuple(_tax_line(a.tax, a.amount) for a in parts.taxes if a.amount),
        taxable=bool(parts.taxes),
        gift_card=kind == "GIFT_CARD",
    )


def _line_title(item: dict[str, Any], where: str, index: int) -> str:
    name = _text(item, "name", where)
    variation = _text(item, "variation_name", where)
    if name and variation and variation.lower() != "regular":
        return f"{name} ({variation})"
    if name:
        return name
    if _enum(item, "item_type", where) == "CUSTOM_AMOUNT":
        return "Custom amount"
    return variation or f"line {index + 1}"


# ------------------------------------------------------------------------------------- service charges, tips


@dataclass(frozen=True)
class _Charge:
    where: str
    name: str
    uid: str | None
    amount: Decimal  # applied_money: already holds any inclusive tax; additive tax is on top
    tax: Decimal
    taxes: list[_AppliedTax]


def _charge_parts(order: dict[str, Any], taxes: tuple[_Tax, ...], money: _Money) -> list[_Charge]:
    charges = []
    for i, raw in enumerate(_list(order, "service_charges", "order")):
        where = f"order.service_charges[{i}]"
        charge = _object(raw, where)
        applied = _applied_taxes(charge, where, taxes, money)
        amount = money.optional(charge, "applied_money", where)
        tax = money.optional(charge, "total_tax_money", where)
        charges.append(
            _Charge(
                where=where,
                name=_text(charge, "name", where) or "Service charge",
                uid=_text(charge, "uid", where),
                amount=money.read(charge, "amount_money", where) if amount is None else amount,
                tax=sum((a.amount for a in applied), ZERO) if tax is None else tax,
                taxes=applied,
            )
        )
    return charges


def _charge_lines(charges: list[_Charge], mode: _TaxMode) -> tuple[list[ShippingLine], list[FeeLine]]:
    """Buyer-paid service charges are fees, except those that are the delivery price."""
    shipping: list[ShippingLine] = []
    fees: list[FeeLine] = []
    for charge in charges:
        amount = charge.amount - _inclusive_part(charge.taxes) if mode.derive_ex_tax else charge.amount
        if _SHIPPING_NAME.search(charge.name):
            shipping.append(ShippingLine(title=charge.name, code=charge.uid, amount=amount, tax=charge.tax))
        else:
            fees.append(FeeLine(title=charge.name, amount=amount, tax=charge.tax))
    return shipping, fees


def _tip_and_rounding(order: dict[str, Any], money: _Money) -> list[FeeLine]:
    fees = []
    tip = money.zero_if_absent(order, "total_tip_money", "order")
    if tip:
        fees.append(FeeLine(title="Tip", amount=tip))
    rounding = _optional_object(order, "rounding_adjustment", "order")
    if rounding is not None:
        # Cash rounding to the smallest coin in circulation: signed, and part of total_money.
        adjustment = money.optional(rounding, "amount_money", "order.rounding_adjustment", signed=True)
        if adjustment:
            title = _text(rounding, "name", "order.rounding_adjustment") or "Cash rounding"
            fees.append(FeeLine(title=title, amount=adjustment))
    return fees


# ------------------------------------------------------------------------------------------------ payments


@dataclass(frozen=True)
class _Settlement:
    """One tender or payment, classified from its own status."""

    outcome: str | None  # None: the status cannot be classified; ``raw`` then says what it was
    raw: str
    amount: Decimal
    tender: Tender
    method: str
    transaction_id: str | None
    at: datetime | None
    offline: bool = False
    refunded: Decimal = ZERO
    refund_ids: tuple[str, ...] = ()


def _settlements(parts: _Parts, order_id: str, money: _Money) -> list[_Settlement]:
    payments = {}
    for i, payment in enumerate(parts.payments):
        where = f"payload.payments[{i}]"
        _same_order(payment, order_id, where)
        payments[_identifier(payment, "id", where)] = (payment, where)
    settlements = []
    for i, raw in enumerate(_list(parts.order, "tenders", "order")):
        where = f"order.tenders[{i}]"
        tender = _object(raw, where)
        kind = _enum(tender, "type", where)
        if kind == "NO_SALE":
            continue  # the register opened with no money taken
        payment_id = _text(tender, "payment_id", where) or _text(tender, "id", where)
        matched = payments.pop(payment_id, None) if payment_id else None
        if matched is not None:
            settlements.append(_from_payment(*matched, money, tender_type=kind))
        else:
            settlements.append(_from_tender(tender, kind, where, money))
    # Payments the order does not list yet (an approved card awaiting capture, a pending bank debit).
    settlements.extend(_from_payment(payment, where, money, tender_type=None) for payment, where in payments.values())
    return settlements


def _same_order(obj: dict[str, Any], order_id: str, where: str) -> None:
    other = _text(obj, "order_id", where)
    if other and other != order_id:
        raise NormalizationError(
            "payload.other_order",
            f"{where}.order_id is {other!r} but the order is {order_id!r}",
            "Assemble each message from one order and its own payments, refunds and invoice.",
        )


def _status(value: str | None, vocabulary: dict[str, str]) -> str | None:
    return vocabulary.get(value) if value else None


def _card_brand(details: dict[str, Any] | None, where: str) -> str | None:
    card = _optional_object(details, "card", where) if details else None
    return _enum(card, "card_brand", f"{where}.card") if card else None


def _from_tender(tender: dict[str, Any], kind: str | None, where: str, money: _Money) -> _Settlement:
    amount = money.read(tender, "amount_money", where)  # includes the tip
    transaction_id = _text(tender, "payment_id", where) or _text(tender, "id", where)
    at = timestamp(tender["created_at"], f"{where}.created_at") if tender.get("created_at") else None
    if kind not in _TENDER_STATUS_FIELDS:
        return _Settlement(
            outcome=None,
            raw=f"{where}.type={kind}",
            amount=amount,
            tender="payment",
            method=(kind or "unknown").lower(),
            transaction_id=transaction_id,
            at=at,
        )
    status_field = _TENDER_STATUS_FIELDS[kind]
    card = _optional_object(tender, "card_details", where)
    kind_of_tender, method = _tender_and_method(kind, _card_brand(card, f"{where}.card_details"), None)
    if status_field is None:
        outcome: str | None = _CAPTURED
        raw = kind
    else:
        field, vocabulary = status_field
        details = _optional_object(tender, field, where) or {}
        status = _enum(details, "status", f"{where}.{field}")
        outcome = _status(status, vocabulary)
        raw = f"{where}.{field}.status={status}"
    return _Settlement(
        outcome=outcome,
        raw=raw,
        amount=amount,
        tender=kind_of_tender,
        method=method,
        transaction_id=transaction_id,
        at=at,
    )


def _tender_and_method(source: str, brand: str | None, external_type: str | None) -> tuple[Tender, str]:
    """Gift cards and store credit redeemed are tenders of their own, never discounts."""
    if source == "SQUARE_GIFT_CARD" or brand == "SQUARE_GIFT_CARD":
        return "gift_card", _METHOD_NAMES["SQUARE_GIFT_CARD"]
    method = _METHOD_NAMES.get(source, source.lower())
    if brand:
        return "payment", f"{method} ({brand})"
    if external_type:
        tender = _EXTERNAL_TENDERS.get(external_type, "payment")
        return tender, f"{method} ({external_type.lower().replace('_', ' ')})"
    return "payment", method


def _from_payment(payment: dict[str, Any], where: str, money: _Money, *, tender_type: str | None) -> _Settlement:
    status = _enum(payment, "status", where)
    total = money.optional(payment, "total_money", where)
    if total is None:
        total = money.read(payment, "amount_money", where) + money.zero_if_absent(payment, "tip_money", where)
    source_type = _enum(payment, "source_type", where) or "OTHER"
    # The order's tender type is the finer one (SQUARE_GIFT_CARD where the payment says CARD).
    source = tender_type if tender_type in _METHOD_NAMES else source_type
    card = _optional_object(payment, "card_details", where)
    external = _optional_object(payment, "external_details", where) or {}
    external_type = _enum(external, "type", f"{where}.external_details")
    tender, method = _tender_and_method(source, _card_brand(card, f"{where}.card_details"), external_type)
    refund_ids = tuple(
        str(r) for r in _list(payment, "refund_ids", where) if isinstance(r, str | int) and not isinstance(r, bool)
    )
    return _Settlement(
        outcome=_status(status, _PAYMENT_STATUSES),
        raw=f"{where}.status={status}",
        amount=total,
        tender=tender,
        method=method,
        transaction_id=_identifier(payment, "id", where),
        at=_payment_time(payment, card, where),
        offline=source_type == "EXTERNAL" and external_type in _OFFLINE_EXTERNAL_TYPES,
        refunded=money.zero_if_absent(payment, "refunded_money", where),
        refund_ids=refund_ids,
    )


def _payment_time(payment: dict[str, Any], card: dict[str, Any] | None, where: str) -> datetime | None:
    timeline = _optional_object(card, "card_payment_timeline", f"{where}.card_details") if card else None
    if timeline and timeline.get("captured_at"):
        return timestamp(timeline["captured_at"], f"{where}.card_details.card_payment_timeline.captured_at")
    if payment.get("created_at"):
        return timestamp(payment["created_at"], f"{where}.created_at")
    return None


@dataclass(frozen=True)
class _Refund:
    refund: OrderRefund
    status: str | None
    where: str


def _refunds(parts: _Parts, order_id: str, settlements: list[_Settlement], money: _Money) -> list[_Refund]:
    """Order refunds and PaymentRefunds, once each by id; a payment's ``refunded_money`` only when none is given."""
    found: dict[str, _Refund] = {}
    sources = [(r, f"order.refunds[{i}]") for i, r in enumerate(_list(parts.order, "refunds", "order"))]
    sources += [(r, f"payload.refunds[{i}]") for i, r in enumerate(parts.refunds)]
    for raw, where in sources:
        refund = _object(raw, where)
        _same_order(refund, order_id, where)
        refund_id = _identifier(refund, "id", where)
        found[refund_id] = _Refund(  # the PaymentRefund, read later, is the fresher record of the same refund
            OrderRefund(
                refund_id=refund_id,
                amount=money.read(refund, "amount_money", where),
                created_at=timestamp(refund["created_at"], f"{where}.created_at") if refund.get("created_at") else None,
                note=_text(refund, "reason", where),
            ),
            _enum(refund, "status", where),
            where,
        )
    if not found:
        for s in settlements:
            if s.refunded:
                refund_id = ",".join(s.refund_ids) or f"{s.transaction_id}:refunded"
                found[refund_id] = _Refund(OrderRefund(refund_id=refund_id, amount=s.refunded), "COMPLETED", "payment")
    return list(found.values())


@dataclass(frozen=True)
class _PaymentVerdict:
    state: PaymentState
    unclassified: str | None = None


def _payment_state(
    settlements: list[_Settlement], refunds: list[_Refund], invoice: dict[str, Any] | None, total: Decimal
) -> _PaymentVerdict:
    """R3: from tenders, payments, refunds and the invoice; the order's own ``state`` is never consulted."""
    for s in settlements:
        if s.outcome is None:
            return _PaymentVerdict(PaymentState.UNKNOWN, s.raw)
    for r in refunds:
        if r.status not in _REFUND_COUNTED and r.status not in _REFUND_NOT_YET:
            return _PaymentVerdict(PaymentState.UNKNOWN, f"{r.where}.status={r.status}")
    received = sum((s.amount for s in settlements if s.outcome == _CAPTURED), ZERO)
    refunded = sum((r.refund.amount for r in refunds if r.status in _REFUND_COUNTED), ZERO)
    if refunded:
        if not received:
            return _PaymentVerdict(PaymentState.UNKNOWN, "refunds without a captured tender")
        return _PaymentVerdict(PaymentState.REFUNDED if refunded >= received else PaymentState.PARTIALLY_REFUNDED)
    if received >= total:
        return _PaymentVerdict(PaymentState.PAID)  # a zero-total (fully comped) order owes nothing
    if received:
        return _PaymentVerdict(PaymentState.PARTIALLY_PAID)
    outcomes = {s.outcome for s in settlements}
    if _AUTHORIZED in outcomes:
        return _PaymentVerdict(PaymentState.AUTHORIZED)
    invoice_verdict = _invoice_verdict(invoice)
    if invoice_verdict is not None:
        return invoice_verdict
    if any(s.outcome == _PENDING and s.offline for s in settlements):
        return _PaymentVerdict(PaymentState.ON_TERMS)
    if outcomes == {_VOIDED}:
        return _PaymentVerdict(PaymentState.VOIDED)
    if outcomes and outcomes <= {_VOIDED, _FAILED}:
        return _PaymentVerdict(PaymentState.FAILED)
    return _PaymentVerdict(PaymentState.UNPAID)


def _invoice_verdict(invoice: dict[str, Any] | None) -> _PaymentVerdict | None:
    if invoice is None:
        return None
    status = _enum(invoice, "status", "payload.invoice")
    if status in _INVOICE_OPEN:
        return _PaymentVerdict(PaymentState.ON_TERMS)
    if status in _INVOICE_CLOSED:
        return None
    # PAID/REFUNDED with no captured tender, or a status Square added later: do not guess.
    return _PaymentVerdict(PaymentState.UNKNOWN, f"payload.invoice.status={status}")


def _received_payments(settlements: list[_Settlement], state: PaymentState) -> tuple[OrderPayment, ...]:
    if state not in (
        PaymentState.PAID,
        PaymentState.PARTIALLY_PAID,
        PaymentState.PARTIALLY_REFUNDED,
        PaymentState.REFUNDED,
    ):
        return ()
    return tuple(
        OrderPayment(
            transaction_id=s.transaction_id,
            method=s.method,
            tender=s.tender,
            amount=s.amount,
            paid_at=s.at,
        )
        for s in settlements
        if s.outcome == _CAPTURED and s.amount
    )


# ---------------------------------------------------------------------------------------- fulfilment, people


def _fulfillment_state(order: dict[str, Any], state: str | None) -> FulfillmentState:
    if state == "CANCELED":
        return FulfillmentState.CANCELLED
    states = []
    for i, raw in enumerate(_list(order, "fulfillments", "order")):
        # The type is not checked: Square's own payment-link example uses DIGITAL, outside the documented enum.
        states.append(_enum(_object(raw, f"order.fulfillments[{i}]"), "state", f"order.fulfillments[{i}]"))
    live = [s for s in states if s not in _FULFILLMENT_DROPPED]
    if not states:
        # A counter sale has no fulfilment: handing the goods over is what completes it.
        return FulfillmentState.FULFILLED if state == "COMPLETED" else FulfillmentState.UNFULFILLED
    if not live:
        return FulfillmentState.CANCELLED
    done = sum(1 for s in live if s in _FULFILLMENT_DONE)
    if done == len(live):
        return FulfillmentState.FULFILLED
    return FulfillmentState.PARTIALLY_FULFILLED if done else FulfillmentState.UNFULFILLED


def _recipients(order: dict[str, Any]) -> list[tuple[dict[str, Any], str, bool]]:
    """(recipient, where, ships) for every fulfilment, shipment and delivery first."""
    found = []
    for i, raw in enumerate(_list(order, "fulfillments", "order")):
        where = f"order.fulfillments[{i}]"
        fulfillment = _object(raw, where)
        for field, ships in (("shipment_details", True), ("delivery_details", True), ("pickup_details", False)):
            details = _optional_object(fulfillment, field, where)
            recipient = _optional_object(details, "recipient", f"{where}.{field}") if details else None
            if recipient:
                found.append((recipient, f"{where}.{field}.recipient", ships))
    return sorted(found, key=lambda r: not r[2])


def _address(
    raw: dict[str, Any] | None, where: str, name: str | None = None, phone: str | None = None
) -> Address | None:
    if not raw:
        return None
    first, last = _text(raw, "first_name", where), _text(raw, "last_name", where)
    line2 = " ".join(p for p in (_text(raw, "address_line_2", where), _text(raw, "address_line_3", where)) if p)
    return Address(
        name=" ".join(p for p in (first, last) if p) or name,
        line1=_text(raw, "address_line_1", where),
        line2=line2 or None,
        city=_text(raw, "locality", where),
        region=_text(raw, "administrative_district_level_1", where),
        postal_code=_text(raw, "postal_code", where),
        country_code=_text(raw, "country", where),
        phone=phone,
    )


def _split_name(display: str | None) -> tuple[str | None, str | None]:
    if not display:
        return None, None
    first, _, last = display.rpartition(" ")
    return (first, last) if first else (last, None)


def _customer(parts: _Parts, recipients: list[tuple[dict[str, Any], str, bool]]) -> Customer | None:
    order, profile = parts.order, parts.customer or {}
    customer_id = _text(order, "customer_id", "order") or _text(profile, "id", "payload.customer")
    first = _text(profile, "given_name", "payload.customer")
    last = _text(profile, "family_name", "payload.customer")
    email = _text(profile, "email_address", "payload.customer")
    phone = _text(profile, "phone_number", "payload.customer")
    for recipient, where, _ in recipients:
        if not (first or last):
            first, last = _split_name(_text(recipient, "display_name", where))
        email = email or _text(recipient, "email_address", where)
        phone = phone or _text(recipient, "phone_number", where)
    for i, payment in enumerate(parts.payments):
        email = email or _text(payment, "buyer_email_address", f"payload.payments[{i}]")
    company = _text(profile, "company_name", "payload.customer")
    if not any((customer_id, email, first, last, company)):
        return None  # a guest at the counter: Square knows nobody
    return Customer(
        channel_customer_id=customer_id,
        email=email,
        first_name=first,
        last_name=last,
        company=company,
        phone=phone,
    )


def _addresses(
    parts: _Parts, recipients: list[tuple[dict[str, Any], str, bool]]
) -> tuple[Address | None, Address | None]:
    billing = shipping = None
    for i, payment in enumerate(parts.payments):
        where = f"payload.payments[{i}]"
        billing = billing or _address(_optional_object(payment, "billing_address", where), f"{where}.billing_address")
        shipping = shipping or _address(
            _optional_object(payment, "shipping_address", where), f"{where}.shipping_address"
        )
    for recipient, where, ships in recipients:
        if ships:
            name, phone = _text(recipient, "display_name", where), _text(recipient, "phone_number", where)
            shipping = (
                _address(_optional_object(recipient, "address", where), f"{where}.address", name, phone) or shipping
            )
            break
    if billing is None and parts.customer:
        billing = _address(_optional_object(parts.customer, "address", "payload.customer"), "payload.customer.address")
    return billing, shipping


# --------------------------------------------------------------------------------------------------- order


def normalize(payload: dict[str, Any]) -> CanonicalOrder:
    parts = _parts(payload)
    order = parts.order
    _refuse_return_order(order)
    currency = _order_currency(order)
    money = _Money(currency)
    order_id = _identifier(order, "id", "order")
    taxes = _taxes(order, money)
    line_parts = [
        p for p in (_line_parts(li, i, taxes, money) for i, li in enumerate(_list(order, "line_items", "order"))) if p
    ]
    if not line_parts:
        raise NormalizationError(
            "payload.no_lines",
            f"Square order {order_id} has no line items with a quantity",
            "An order with nothing sold cannot become a sales document.",
        )
    charges = _charge_parts(order, taxes, money)
    applied = [a for p in line_parts for a in p.taxes] + [a for c in charges for a in c.taxes]
    tax_amounts = _order_tax_amounts(order, taxes, applied, money)
    mode = _tax_mode(tax_amounts)
    shipping, fees = _charge_lines(charges, mode)
    lines = tuple(_order_line(p, mode, parts.skus, currency) for p in line_parts)
    total = money.read(order, "total_money", "order")
    settlements = _settlements(parts, order_id, money)
    refunds = _refunds(parts, order_id, settlements, money)
    if parts.invoice is not None:
        _same_order(parts.invoice, order_id, "payload.invoice")
    verdict = _payment_state(settlements, refunds, parts.invoice, total)
    state = _enum(order, "state", "order")
    recipients = _recipients(order)
    billing, shipping_address = _addresses(parts, recipients)
    return CanonicalOrder(
        channel=Channel.SQUARE,
        channel_order_id=order_id,
        order_number=_order_number(order, parts.invoice, order_id),
        ordered_at=timestamp(required(order, "created_at", "order"), "order.created_at"),
        channel_status=verdict.unclassified or state,
        currency=currency,
        taxes_included=mode.taxes_included,
        customer=_customer(parts, recipients),
        billing_address=billing,
        shipping_address=shipping_address,
        lines=lines,
        shipping_lines=tuple(shipping),
        fees=(*fees, *_tip_and_rounding(order, money)),
        tax_lines=tuple(_tax_line(t, a) for t, a in tax_amounts),
        order_discount=_unallocated_discount(order, lines, money),
        payments=_received_payments(settlements, verdict.state),
        payment_methods=tuple(
            dict.fromkeys(s.method for s in settlements if s.outcome not in (None, _VOIDED, _FAILED))
        ),
        payment_state=verdict.state,
        fulfillment_state=_fulfillment_state(order, state),
        refunds=tuple(r.refund for r in refunds if r.status in _REFUND_COUNTED),
        channel_total=total,
    )


def _order_number(order: dict[str, Any], invoice: dict[str, Any] | None, order_id: str) -> str:
    """Square has no order number: the merchant's reference, else the invoice's number, else the order id."""
    number = _text(order, "reference_id", "order")
    if number is None and invoice is not None:
        number = _text(invoice, "invoice_number", "payload.invoice")
    return (number or "").lstrip("#") or order_id


def _refuse_return_order(order: dict[str, Any]) -> None:
    if _list(order, "returns", "order"):
        raise NormalizationError(
            "payload.return_order",
            f"Square order {order.get('id')!r} is a return or exchange order (it has returns[])",
            "Refunds are booked from the original sale's refunds; return and exchange orders are not imported.",
        )


def _unallocated_discount(order: dict[str, Any], lines: tuple[OrderLine, ...], money: _Money) -> Decimal:
    # ORDER-scope discounts are apportioned into every line's applied_discounts; only a remainder is order-level.
    total = money.zero_if_absent(order, "total_discount_money", "order")
    return max(total - sum((line.discount for line in lines), ZERO), ZERO)


__all__ = ["normalize"]
