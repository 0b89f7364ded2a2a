"""BigCommerce V2 order, assembled with its sub-resources, into a canonical order.

A V2 order (``GET /v2/orders/{id}``) only links to its lines, shipping addresses and coupons, so the raw
payload is a composite of the calls the publisher made::

    {
      "order": {...},                   # GET /v2/orders/{id}                                  (required)
      "products": [...],                # GET /v2/orders/{id}/products, all pages              (required)
      "shipping_addresses": [...],      # GET /v2/orders/{id}/shipping_addresses
      "coupons": [...],                 # GET /v2/orders/{id}/coupons
      "taxes": [...],                   # GET /v2/orders/{id}/taxes
      "fees": [...],                    # GET /v2/orders/{id}/fees (or the order's own "fees" array)
      "transactions": {"data": [...]},  # GET /v3/orders/{id}/transactions
      "refunds": {"data": [...]}        # GET /v3/orders/{id}/payment_actions/refunds
    }

The bare order is accepted too when it carries the sub-resources inline as arrays (``"products": [...]``
instead of BigCommerce's ``{"url", "resource"}`` link). V3 bodies may be sent whole (``{"data": [...]}``) or
as their ``data`` array. Every sub-resource row that names its ``order_id`` must name this order.

Money: amounts are decimal strings with four places ("62.6793"), or JSON numbers ("Float, Float-As-String,
Integer"); each is read exactly and rounded to the currency's minor unit. The currency is the transactional
``default_currency_code``; ``currency_code`` is only the display currency. ``is_tax_inclusive_pricing`` says
which side is the real one: the ``*_inc_tax`` figures when true, the ``*_ex_tax`` figures otherwise, so lines,
shipping and fees are taken from that side and ``taxes_included`` follows the flag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

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
    MAX_AMOUNT,
    currency_code,
    decimal,
    quantity,
    required,
    text,
    timestamp,
    timestamp_rfc2822,
)

_PAYMENT_STATES = {
    "captured": PaymentState.PAID,
    "paid": PaymentState.PAID,
    "authorized": PaymentState.AUTHORIZED,
    "capture pending": PaymentState.AUTHORIZED,  # capture requested, money not settled yet
    "pending": PaymentState.UNPAID,
    "": PaymentState.UNPAID,  # documented value: no payment recorded (manual and gift-certificate-only orders)
    "held for review": PaymentState.UNPAID,  # the gateway holds it for fraud review: nothing received yet
    "declined": PaymentState.FAILED,
    "partially refunded": PaymentState.PARTIALLY_REFUNDED,
    "refunded": PaymentState.REFUNDED,
    "void": PaymentState.VOIDED,
    "void pending": PaymentState.VOIDED,
}

# payment_method is free text; these are BigCommerce's offline methods, where "pending" means "pay later".
_OFFLINE_METHODS = frozenset(
    {
        "manual",
        "cash",
        "cash on delivery",
        "cod",
        "bank deposit",
        "bank transfer",
        "wire transfer",
        "check",
        "cheque",
        "money order",
        "pay in store",
        "purchase order",
        "invoice",
        "net terms",
    }
)
_NET_TERMS = re.compile(r"net ?\d+( days)?")
_NOT_YET_RECEIVED = (PaymentState.UNPAID, PaymentState.ON_TERMS, PaymentState.AUTHORIZED)
_MONEY_RECEIVED = (PaymentState.PAID, PaymentState.PARTIALLY_REFUNDED, PaymentState.REFUNDED)

_INCOMPLETE = 0  # an abandoned checkout: BigCommerce keeps it as an order, but nothing was sold
_FULFILLMENT_BY_STATUS = {
    2: FulfillmentState.FULFILLED,  # Shipped
    3: FulfillmentState.PARTIALLY_FULFILLED,  # Partially Shipped
    5: FulfillmentState.CANCELLED,  # Cancelled
    6: FulfillmentState.CANCELLED,  # Declined: it will not be shipped
    10: FulfillmentState.FULFILLED,  # Completed (digital goods delivered)
}

# Coupon types 3 (shipping_discount) and 4 (free_shipping) discount shipping, not goods.
_SHIPPING_COUPON_TYPES = frozenset({"3", "4"})
_PAID_EVENTS = frozenset({"purchase", "capture"})
_LARGEST_EXACT_FLOAT_ID = 2**53


@dataclass(frozen=True)
class _Parts:
    """The order and the sub-resources that came with it (None: not fetched)."""

    order: dict[str, Any]
    products: list[dict[str, Any]] | None
    shipping_addresses: list[dict[str, Any]] | None
    coupons: list[dict[str, Any]] | None
    taxes: list[dict[str, Any]] | None
    fees: list[dict[str, Any]] | None
    transactions: list[dict[str, Any]] | None
    refunds: list[dict[str, Any]] | None


@dataclass(frozen=True)
class _Side:
    """Which of BigCommerce's paired figures is the real one for this order."""

    inclusive: bool

    @property
    def suffix(self) -> str:
        return "inc_tax" if self.inclusive else "ex_tax"


def normalize(payload: dict[str, Any]) -> CanonicalOrder:
    parts = _unpack(payload)
    order = parts.order
    order_id = _order_id(order)
    _refuse_incomplete(order, order_id)
    for name in ("products", "shipping_addresses", "coupons", "taxes", "fees", "transactions", "refunds"):
        _check_belongs(getattr(parts, name), name, order_id)

    currency = currency_code(required(order, "default_currency_code", "order"), "order.default_currency_code")
    side = _Side(inclusive=_tax_inclusive(order))
    ordered_at = timestamp_rfc2822(required(order, "date_created", "order"), "order.date_created")
    total = _amount(required(order, "total_inc_tax", "order"), currency, "order.total_inc_tax")

    lines, rounding = _order_lines(_products(parts, order_id), currency, side)
    shipping = _shipping_lines(order, parts.shipping_addresses or [], parts.coupons, currency, side)
    fees = _fees(order, parts.fees or [], currency, side)
    if rounding:
        # Four-decimal unit prices times the quantity can miss the channel's line total by a fraction of a cent;
        # the difference is posted as its own line instead of bending a price.
        fees = (*fees, FeeLine(title="Rounding", amount=rounding))

    base_state = _base_payment_state(order)
    payments = _payments(order, parts.transactions, base_state, total, currency, ordered_at)
    billing = _object(order.get("billing_address"), "order.billing_address")
    return CanonicalOrder(
        channel=Channel.BIGCOMMERCE,
        channel_order_id=order_id,
        order_number=order_id,  # BigCommerce shows the order id itself to merchant and buyer ("Order #247")
        ordered_at=ordered_at,
        channel_status=_channel_status(order),
        currency=currency,
        taxes_included=side.inclusive,
        customer=_customer(order, billing),
        billing_address=_address(billing),
        shipping_address=_address(parts.shipping_addresses[0] if parts.shipping_addresses else None),
        lines=lines,
        shipping_lines=shipping,
        fees=fees,
        tax_lines=_tax_lines(order, parts.taxes or [], currency),
        order_discount=_unallocated_discount(order, lines, parts.coupons, currency),
        payments=payments,
        payment_methods=_payment_methods(order, payments),
        payment_state=_settled_payment_state(base_state, payments, total),
        fulfillment_state=_fulfillment_state(order),
        refunds=_refunds(parts.refunds, parts.transactions, currency),
        channel_total=total,
        presentment_currency=_display_currency(order, currency),
        note=text(order.get("customer_message")),
    )


# --- payload shape ---------------------------------------------------------------------------------------------


def _unpack(payload: dict[str, Any]) -> _Parts:
    order = payload.get("order", payload)
    if not isinstance(order, dict) or not any(k in order for k in ("status_id", "total_inc_tax", "date_created")):
        raise NormalizationError(
            "payload.not_an_order",
            "the BigCommerce payload has no order: expected {'order': {...}, 'products': [...], ...} "
            "or a V2 order object with its products inline",
            "Publish GET /v2/orders/{id} under 'order' together with GET /v2/orders/{id}/products "
            "(and its shipping_addresses, coupons, taxes and fees) under their own names.",
        )

    def sub(name: str) -> list[dict[str, Any]] | None:
        if order is not payload and name in payload:
            return _rows(payload[name], name)
        return _rows(order.get(name), f"order.{name}")

    return _Parts(
        order=order,
        products=sub("products"),
        shipping_addresses=sub("shipping_addresses"),
        coupons=sub("coupons"),
        taxes=sub("taxes"),
        fees=sub("fees"),
        transactions=sub("transactions"),
        refunds=sub("refunds"),
    )


def _rows(value: Any, where: str) -> list[dict[str, Any]] | None:
    """A sub-resource as rows: a V2 array, a V3 ``{"data": [...]}`` body, or None when absent or only linked."""
    if value is None:
        return None
    if isinstance(value, dict):
        if "data" in value:
            return _rows(value["data"], f"{where}.data")
        if "url" in value or "resource" in value:
            return None  # the order's own link to the sub-resource: the rows were not fetched
    if not isinstance(value, list):
        raise NormalizationError(
            "payload.malformed", f"{where} is {type(value).__name__}, not an array of {where.split('.')[-1]}"
        )
    for index, row in enumerate(value):
        if not isinstance(row, dict):
            raise NormalizationError("payload.malformed", f"{where}[{index}] is {type(row).__name__}, not an object")
    return value


def _object(value: Any, where: str) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise NormalizationError("payload.malformed", f"{where} is {type(value).__name__}, not an object")


def _products(parts: _Parts, order_id: str) -> list[dict[str, Any]]:
    if parts.products is None:
        raise NormalizationError(
            "payload.missing_field",
            f"order {order_id} comes without its products: the V2 order only links to /orders/{order_id}/products",
            "Fetch GET /v2/orders/{id}/products (every page) and publish it as 'products' beside the order.",
        )
    if not parts.products:
        raise NormalizationError("payload.no_lines", f"BigCommerce order {order_id} has no products")
    return parts.products


def _check_belongs(rows: list[dict[str, Any]] | None, name: str, order_id: str) -> None:
    for index, row in enumerate(rows or []):
        owner = row.get("order_id")
        if owner is not None and _id_text(owner) != order_id:
            raise NormalizationError(
                "payload.foreign_subresource",
                f"{name}[{index}].order_id is {owner!r} but the order is {order_id}: "
                f"these {name} belong to another order",
                f"Publish the {name} fetched for order {order_id}, not another order's.",
            )


def _id_text(value: Any) -> str | None:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return text(value)


def _order_id(order: dict[str, Any]) -> str:
    value = required(order, "id", "order")
    if isinstance(value, bool):
        raise NormalizationError("payload.malformed", f"order.id is {value!r}, not an order id")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # A JSON number that went through a double cannot be trusted beyond 2^53 (976318377106520349 -> ...300).
        if value.is_integer() and 0 < value < _LARGEST_EXACT_FLOAT_ID:
            return str(int(value))
        raise NormalizationError(
            "payload.bad_number",
            f"order.id is {value!r}: a fractional or rounded id cannot identify an order",
            "Send the id as the integer BigCommerce returns (or as a string), never through a float.",
        )
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise NormalizationError("payload.malformed", f"order.id is {value!r}, not an order id")


def _refuse_incomplete(order: dict[str, Any], order_id: str) -> None:
    if _status_id(order) == _INCOMPLETE:
        raise NormalizationError(
            "payload.not_an_order",
            f"BigCommerce order {order_id} is Incomplete (status_id 0): an abandoned checkout, not a sale",
            "Publish BigCommerce orders once they leave the Incomplete status.",
        )


def _status_id(order: dict[str, Any]) -> int | None:
    value = order.get("status_id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _tax_inclusive(order: dict[str, Any]) -> bool:
    flag = order.get("is_tax_inclusive_pricing", False)
    if flag is None:
        return False
    if not isinstance(flag, bool):
        raise NormalizationError(
            "payload.malformed",
            f"order.is_tax_inclusive_pricing is {flag!r}, not true or false",
            "Publish the order as BigCommerce returns it: the flag decides which amounts are the real ones.",
        )
    return flag


# --- money -----------------------------------------------------------------------------------------------------


def _raw(value: Any, where: str) -> Decimal:
    """An exact, non-negative amount (BigCommerce: "The value can't be negative")."""
    number = decimal(value, where)
    if number < 0:
        raise NormalizationError("payload.bad_number", f"{where} is {value!r}: this amount cannot be negative")
    return number


def _amount(value: Any, currency: str, where: str) -> Decimal:
    return quantize(_raw(value, where), currency)


def _optional_raw(obj: dict[str, Any], field: str, where: str) -> Decimal | None:
    value = obj.get(field)
    return None if value is None or value == "" else _raw(value, f"{where}.{field}")


def _field(obj: dict[str, Any], field: str, currency: str, where: str) -> Decimal:
    """An optional amount field, zero when absent."""
    value = _optional_raw(obj, field, where)
    return ZERO if value is None else quantize(value, currency)


def _half_minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-currency_exponent(currency)) / 2


# --- lines -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Product:
    id: str | None
    parent_id: str | None
    line: OrderLine
    line_total: Decimal
    residue: Decimal


def _order_lines(products: list[dict[str, Any]], currency: str, side: _Side) -> tuple[tuple[OrderLine, ...], Decimal]:
    read = [_product(p, i, currency, side) for i, p in enumerate(products)]
    posted = _priced_level(read)
    return tuple(p.line for p in posted), sum((p.residue for p in posted), ZERO)


def _priced_level(products: list[_Product]) -> list[_Product]:
    """Bundles: the parent carries the price and its children are 0 (or, rarely, the reverse); post one level."""
    ids = {p.id for p in products if p.id is not None}
    children: dict[str, list[_Product]] = {}
    for p in products:
        if p.parent_id is not None and p.parent_id in ids:
            children.setdefault(p.parent_id, []).append(p)
    posted: list[_Product] = []
    for p in products:
        if p.parent_id is not None and p.parent_id in ids:
            continue  # posted (or not) with its parent below
        kids = children.get(p.id, []) if p.id is not None else []
        if kids and not p.line_total and any(k.line_total for k in kids):
            posted.extend(kids)
        else:
            posted.append(p)
    return posted


def _product(product: dict[str, Any], index: int, currency: str, side: _Side) -> _Product:
    where = f"products[{index}]"
    qty = quantity(required(product, "quantity", where), f"{where}.quantity")
    price_field, total_field = f"price_{side.suffix}", f"total_{side.suffix}"
    unit_price = _amount(required(product, price_field, where), currency, f"{where}.{price_field}")
    gross = qty * unit_price
    if gross >= MAX_AMOUNT:
        raise NormalizationError(
            "payload.bad_number", f"{where}: {qty} × {unit_price} is {gross}, beyond any real order amount"
        )
    total = _optional_raw(product, total_field, where)
    line_total = gross if total is None else quantize(total, currency)
    residue = line_total - gross
    if abs(residue) > qty * _half_minor_unit(currency):
        raise NormalizationError(
            "payload.inconsistent_line",
            f"{where}: quantity {qty} × {price_field} {unit_price} is {gross} {currency} but {total_field} "
            f"is {line_total} {currency}, more than rounding apart",
            "Republish the order's products as BigCommerce returns them now.",
        )
    discount = quantize(
        sum(
            (_raw(d.get("amount"), f"{where}.applied_discounts[{i}].amount") for i, d in _discounts(product, where)),
            ZERO,
        ),
        currency,
    )
    return _Product(
        id=text(product.get("id")),
        parent_id=text(product.get("parent_order_product_id")),
        line=OrderLine(
            line_id=text(product.get("id")) or str(index),
            sku=text(product.get("sku")),
            title=_title(product, index),
            quantity=qty,
            unit_price=unit_price,
            discount=discount,
            tax=_field(product, "total_tax", currency, where),
            gift_card=text(product.get("type")) == "giftcertificate",
        ),
        line_total=line_total,
        residue=residue,
    )


def _discounts(product: dict[str, Any], where: str) -> Iterable[tuple[int, dict[str, Any]]]:
    return enumerate(_rows(product.get("applied_discounts"), f"{where}.applied_discounts") or [])


def _title(product: dict[str, Any], index: int) -> str:
    for field in ("name", "name_customer", "name_merchant"):
        title = text(product.get(field))
        if title:
            return title
    product_id = text(product.get("product_id"))
    return f"product {product_id}" if product_id else f"line {index + 1}"


# --- shipping, fees, discounts ---------------------------------------------------------------------------------


def _shipping_lines(
    order: dict[str, Any],
    addresses: list[dict[str, Any]],
    coupons: list[dict[str, Any]] | None,
    currency: str,
    side: _Side,
) -> tuple[ShippingLine, ...]:
    charges = _shipping_charges(order, addresses, currency, side)
    # Shipping coupons are capped at the shipping they can discount: when the store already recorded the
    # shipping as free, the coupon's face value has nothing left to take off.
    remaining = _shipping_coupon_total(coupons, currency)
    lines = []
    for title, amount, tax in charges:
        discount = min(remaining, amount)
        remaining -= discount
        lines.append(ShippingLine(title=title, amount=amount, discount=discount, tax=tax))
    handling = _field(order, f"handling_cost_{side.suffix}", currency, "order")
    handling_tax = _field(order, "handling_cost_tax", currency, "order")
    if handling or handling_tax:
        lines.append(ShippingLine(title="Handling", code="handling", amount=handling, tax=handling_tax))
    return tuple(lines)


def _shipping_charges(
    order: dict[str, Any], addresses: list[dict[str, Any]], currency: str, side: _Side
) -> list[tuple[str, Decimal, Decimal]]:
    """One charge per shipping address when they add up to the order's figure, else the order's figure alone."""
    amount = _field(order, f"shipping_cost_{side.suffix}", currency, "order")
    tax = _field(order, "shipping_cost_tax", currency, "order")
    per_address = [
        (
            _method(a),
            _field(a, f"cost_{side.suffix}", currency, f"shipping_addresses[{i}]"),
            _field(a, "cost_tax", currency, f"shipping_addresses[{i}]"),
        )
        for i, a in enumerate(addresses)
    ]
    if per_address and sum(c[1] for c in per_address) == amount and sum(c[2] for c in per_address) == tax:
        return [c for c in per_address if c[1] or c[2]]
    if not amount and not tax:
        return []
    # The order's figure is the one the total was built from; the addresses then only name the method.
    return [(per_address[0][0] if per_address else "Shipping", amount, tax)]


def _method(address: dict[str, Any]) -> str:
    method = text(address.get("shipping_method"))
    return method if method and method.lower() != "none" else "Shipping"


def _shipping_coupon_total(coupons: list[dict[str, Any]] | None, currency: str) -> Decimal:
    return sum((d for shipping, d in _coupon_discounts(coupons or [], currency) if shipping), ZERO)


def _coupon_discounts(coupons: list[dict[str, Any]], currency: str) -> list[tuple[bool, Decimal]]:
    """(discounts shipping?, amount off) per coupon; ``amount`` is the coupon's face value, ``discount`` the money."""
    return [
        (text(c.get("type")) in _SHIPPING_COUPON_TYPES, _field(c, "discount", currency, f"coupons[{i}]"))
        for i, c in enumerate(coupons)
    ]


def _unallocated_discount(
    order: dict[str, Any], lines: tuple[OrderLine, ...], coupons: list[dict[str, Any]] | None, currency: str
) -> Decimal:
    """Discounts BigCommerce did not spread over the products' ``applied_discounts``.

    ``discount_amount`` holds the manual and automatic discounts and ``coupon_discount`` the coupons, apart from
    each other; the coupons list, when fetched, says which coupons were shipping coupons (already on shipping).
    """
    if coupons is not None:
        coupon_total = sum((d for shipping, d in _coupon_discounts(coupons, currency) if not shipping), ZERO)
    else:
        coupon_total = _field(order, "coupon_discount", currency, "order")
    declared = _field(order, "discount_amount", currency, "order") + coupon_total
    allocated = sum((line.discount for line in lines), ZERO)
    return max(declared - allocated, ZERO)


def _fees(order: dict[str, Any], rows: list[dict[str, Any]], currency: str, side: _Side) -> tuple[FeeLine, ...]:
    fees = [_fee(row, i, currency, side) for i, row in enumerate(rows)]
    wrapping = _field(order, f"wrapping_cost_{side.suffix}", currency, "order")
    wrapping_tax = _field(order, "wrapping_cost_tax", currency, "order")
    if wrapping or wrapping_tax:
        fees.append(FeeLine(title="Gift wrapping", amount=wrapping, tax=wrapping_tax))
    return tuple(fees)


def _fee(row: dict[str, Any], index: int, currency: str, side: _Side) -> FeeLine:
    where = f"fees[{index}]"
    # BigCommerce's own fee examples spell the ex-tax field "cost_exc_tax"; both spellings mean the same.
    ex = _optional_raw(row, "cost_ex_tax", where)
    if ex is None:
        ex = _optional_raw(row, "cost_exc_tax", where)
    inc = _optional_raw(row, "cost_inc_tax", where)
    tax = _optional_raw(row, "cost_tax", where)
    if ex is None and inc is None:
        raise NormalizationError(
            "payload.missing_field",
            f"{where}.cost_ex_tax is missing (and so is cost_inc_tax)",
            "Publish the fees as GET /v2/orders/{id}/fees returns them.",
        )
    # A fee may state any two of the three figures; one figure alone is an untaxed fee.
    if tax is None:
        tax = inc - ex if inc is not None and ex is not None else ZERO
    if ex is None:
        ex = (inc or ZERO) - tax
    if inc is None:
        inc = ex + tax
    if ex < 0 or tax < 0 or abs(inc - ex - tax) > 2 * _half_minor_unit(currency):
        raise NormalizationError(
            "payload.inconsistent_fee",
            f"{where}: cost_ex_tax {ex} plus cost_tax {tax} is not cost_inc_tax {inc}",
            "Republish the order's fees as BigCommerce returns them now.",
        )
    title = text(row.get("display_name_customer")) or text(row.get("display_name_merchant")) or "Fee"
    return FeeLine(title=title, amount=quantize(inc if side.inclusive else ex, currency), tax=quantize(tax, currency))


# --- tax -------------------------------------------------------------------------------------------------------


def _tax_lines(order: dict[str, Any], rows: list[dict[str, Any]], currency: str) -> tuple[TaxLine, ...]:
    total = _total_tax(order, currency)
    if not total:
        return ()
    breakdown = _tax_breakdown(rows, currency)
    difference = total - sum((t.amount for t in breakdown), ZERO)
    if breakdown and not difference:
        return breakdown
    one_minor_unit = 2 * _half_minor_unit(currency)
    if breakdown and abs(difference) <= one_minor_unit * len(rows):
        # Per-jurisdiction rows are rounded one by one; the order's total_tax is what the buyer paid.
        return (*breakdown, TaxLine(title="Tax rounding", amount=difference))
    # No breakdown, or one that does not describe this total (automatic tax providers): keep the order's figure.
    return (TaxLine(title="Tax", amount=total),)


def _total_tax(order: dict[str, Any], currency: str) -> Decimal:
    if order.get("total_tax") not in (None, ""):
        return _amount(order["total_tax"], currency, "order.total_tax")
    if order.get("total_ex_tax") in (None, ""):
        raise NormalizationError(
            "payload.missing_field",
            "order.total_tax is missing (and so is total_ex_tax, which would give it)",
            "Send the full order as GET /v2/orders/{id} returns it.",
        )
    tax = _amount(order["total_inc_tax"], currency, "order.total_inc_tax") - _amount(
        order["total_ex_tax"], currency, "order.total_ex_tax"
    )
    if tax < 0:
        raise NormalizationError("payload.bad_number", "order.total_ex_tax is larger than order.total_inc_tax")
    return tax


def _tax_breakdown(rows: list[dict[str, Any]], currency: str) -> tuple[TaxLine, ...]:
    """Taxes by jurisdiction: the rows (one per address, or per line with ?details=true) summed by name and rate."""
    grouped: dict[tuple[str, Decimal | None], Decimal] = {}
    for index, row in enumerate(rows):
        where = f"taxes[{index}]"
        field = "line_amount" if row.get("line_amount") not in (None, "") else "priority_amount"
        amount = decimal(required(row, field, where), f"{where}.{field}")
        rate = _optional_raw(row, "rate", where)
        key = (text(row.get("name")) or text(row.get("class")) or "Tax", None if rate is None else rate / 100)
        grouped[key] = grouped.get(key, ZERO) + amount
    return tuple(
        TaxLine(title=title, rate=rate, amount=quantize(amount, currency))
        for (title, rate), amount in grouped.items()
        if amount
    )


# --- payment ---------------------------------------------------------------------------------------------------


def _base_payment_state(order: dict[str, Any]) -> PaymentState:
    status = order.get("payment_status")
    state = _PAYMENT_STATES.get(status.strip().lower()) if isinstance(status, str) else None
    if state is None:
        return PaymentState.UNKNOWN  # the raw value stays in channel_status
    if state in (PaymentState.UNPAID, PaymentState.AUTHORIZED) and _offline(order):
        # Cash, bank deposit, manual...: nothing for a gateway to authorize; the buyer pays later.
        return PaymentState.ON_TERMS
    return state


def _offline(order: dict[str, Any]) -> bool:
    method = " ".join((text(order.get("payment_method")) or "").lower().split())
    return method in _OFFLINE_METHODS or bool(_NET_TERMS.fullmatch(method))


def _settled_payment_state(state: PaymentState, payments: tuple[OrderPayment, ...], total: Decimal) -> PaymentState:
    """Gift certificates, store credit and recorded captures are money in hand, whatever the card's status."""
    received = sum((p.amount for p in payments), ZERO)
    if state in _NOT_YET_RECEIVED and received:
        return PaymentState.PAID if received >= total else PaymentState.PARTIALLY_PAID
    return state


def _channel_status(order: dict[str, Any]) -> str | None:
    return text(order.get("payment_status")) or text(order.get("custom_status")) or text(order.get("status"))


def _payments(
    order: dict[str, Any],
    transactions: list[dict[str, Any]] | None,
    state: PaymentState,
    total: Decimal,
    currency: str,
    ordered_at: datetime,
) -> tuple[OrderPayment, ...]:
    tenders = _order_tenders(order, currency, ordered_at)
    recorded = _transaction_payments(transactions or [], currency)
    if recorded:
        # A redemption the transaction list does not show is still recorded on the order.
        shown = {p.tender for p in recorded}
        return (*recorded, *(t for t in tenders if t.tender not in shown))
    if state in (PaymentState.VOIDED, PaymentState.FAILED, PaymentState.UNKNOWN):
        return ()
    if state not in _MONEY_RECEIVED:
        return tenders
    rest = total - sum((t.amount for t in tenders), ZERO)
    if rest <= 0:
        return tenders
    card = OrderPayment(
        transaction_id=text(order.get("payment_provider_id")),
        method=text(order.get("payment_method")),
        amount=rest,
        paid_at=ordered_at,
    )
    return (*tenders, card)


def _order_tenders(order: dict[str, Any], currency: str, ordered_at: datetime) -> tuple[OrderPayment, ...]:
    gift = _field(order, "gift_certificate_amount", currency, "order")
    credit = _field(order, "store_credit_amount", currency, "order")
    tenders = []
    if gift:
        tenders.append(OrderPayment(method="Gift certificate", tender="gift_card", amount=gift, paid_at=ordered_at))
    if credit:
        tenders.append(OrderPayment(method="Store credit", tender="store_credit", amount=credit, paid_at=ordered_at))
    return tuple(tenders)


def _transaction_payments(rows: list[dict[str, Any]], currency: str) -> tuple[OrderPayment, ...]:
    payments = []
    for index, row in _ok_transactions(rows, currency):
        if text(row.get("event")) not in _PAID_EVENTS:
            continue
        where = f"transactions[{index}]"
        method = text(row.get("method"))
        payments.append(
            OrderPayment(
                transaction_id=text(row.get("gateway_transaction_id")) or text(row.get("id")),
                method=text(row.get("gateway")) or method,
                tender="gift_card"
                if method == "gift_certificate"
                else "store_credit"
                if method == "store_credit"
                else "payment",
                amount=_amount(required(row, "amount", where), currency, f"{where}.amount"),
                paid_at=_optional_time(row, "date_created", where),
            )
        )
    return tuple(payments)


def _ok_transactions(rows: list[dict[str, Any]], currency: str) -> list[tuple[int, dict[str, Any]]]:
    ok = []
    for index, row in enumerate(rows):
        if text(row.get("status")) != "ok":
            continue
        own = row.get("currency")
        if own is not None and currency_code(own, f"transactions[{index}].currency") != currency:
            raise NormalizationError(
                "payload.bad_currency",
                f"transactions[{index}].currency is {own!r} but the order is in {currency}",
            )
        ok.append((index, row))
    return ok


def _payment_methods(order: dict[str, Any], payments: tuple[OrderPayment, ...]) -> tuple[str, ...]:
    methods = [text(order.get("payment_method")), *(p.method for p in payments)]
    return tuple(dict.fromkeys(m for m in methods if m))


def _refunds(
    refunds: list[dict[str, Any]] | None, transactions: list[dict[str, Any]] | None, currency: str
) -> tuple[OrderRefund, ...]:
    # V2's refunded_amount "always returns 0": refunds come from V3, or failing that from refund transactions.
    if refunds is not None:
        return tuple(r for i, row in enumerate(refunds) if (r := _refund(row, i, currency)) is not None)
    return tuple(
        OrderRefund(
            refund_id=f"transaction-{text(row.get('id')) or index}",
            amount=_amount(
                required(row, "amount", f"transactions[{index}]"), currency, f"transactions[{index}].amount"
            ),
            created_at=_optional_time(row, "date_created", f"transactions[{index}]"),
        )
        for index, row in _ok_transactions(transactions or [], currency)
        if text(row.get("event")) == "refund"
    )


def _refund(row: dict[str, Any], index: int, currency: str) -> OrderRefund | None:
    where = f"refunds[{index}]"
    paid_out = [
        _amount(required(p, "amount", f"{where}.payments[{i}]"), currency, f"{where}.payments[{i}].amount")
        for i, p in enumerate(_rows(row.get("payments"), f"{where}.payments") or [])
        if p.get("is_declined") is not True
    ]
    if row.get("total_amount") not in (None, ""):
        amount = _amount(row["total_amount"], currency, f"{where}.total_amount")
        if row.get("payments") and not paid_out:
            return None  # every payment of this refund was declined: no money went back
    elif paid_out:
        amount = sum(paid_out, ZERO)
    else:
        raise NormalizationError("payload.missing_field", f"{where}.total_amount is missing")
    return OrderRefund(
        refund_id=text(row.get("id")) or str(index),
        amount=amount,
        created_at=_optional_time(row, "created", where),
        note=text(row.get("reason")),
    )


def _optional_time(row: dict[str, Any], field: str, where: str) -> datetime | None:
    value = row.get(field)
    return None if value in (None, "") else timestamp(value, f"{where}.{field}")


# --- people and places -----------------------------------------------------------------------------------------


def _fulfillment_state(order: dict[str, Any]) -> FulfillmentState:
    state = _FULFILLMENT_BY_STATUS.get(_status_id(order) or -1)
    if state is not None:
        return state
    shipped, total = order.get("items_shipped"), order.get("items_total")
    if isinstance(shipped, int) and isinstance(total, int) and not isinstance(shipped, bool) and shipped > 0:
        return FulfillmentState.FULFILLED if shipped >= total else FulfillmentState.PARTIALLY_FULFILLED
    return FulfillmentState.UNFULFILLED


def _display_currency(order: dict[str, Any], currency: str) -> str | None:
    """``currency_code`` is what the shopper saw; it only matters when it is not the currency paid in."""
    display = order.get("currency_code")
    if not isinstance(display, str) or len(display.strip()) != 3 or not display.strip().isalpha():
        return None  # display-only, and absent in BigCommerce's own example 247 (a key with a stray quote)
    code = display.strip().upper()
    return code if code != currency else None


def _customer(order: dict[str, Any], billing: dict[str, Any] | None) -> Customer | None:
    billing = billing or {}
    customer_id = _customer_id(order.get("customer_id"))
    email = text(billing.get("email"))
    first, last = text(billing.get("first_name")), text(billing.get("last_name"))
    company, phone = text(billing.get("company")), text(billing.get("phone"))
    if not any((customer_id, email, first, last, company)):
        return None
    return Customer(
        channel_customer_id=customer_id,
        email=email,
        first_name=first,
        last_name=last,
        company=company,
        phone=phone,
    )


def _customer_id(value: Any) -> str | None:
    """``customer_id`` 0 is a guest checkout."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float) and value == 0:
        return None
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        raise NormalizationError("payload.malformed", f"order.customer_id is {value!r}, not a customer id")
    customer_id = text(value)
    return None if customer_id in (None, "0") else customer_id


def _address(a: dict[str, Any] | None) -> Address | None:
    if not a:
        return None
    name = " ".join(p for p in (text(a.get("first_name")), text(a.get("last_name"))) if p)
    address = Address(
        name=name or None,
        company=text(a.get("company")),
        line1=text(a.get("street_1")),
        line2=text(a.get("street_2")),
        city=text(a.get("city")),
        region=text(a.get("state")),
        postal_code=text(a.get("zip")),
        country_code=text(a.get("country_iso2")),
        phone=text(a.get("phone")),
    )
    return address if any(address.model_dump().values()) else None
