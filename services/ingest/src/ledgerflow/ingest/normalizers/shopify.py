"""Shopify REST Admin order (and the ``orders/*`` webhook body, which has the same shape)."""

from __future__ import annotations

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
from ledgerflow.contracts.canonical import ZERO, OrderRefund
from ledgerflow.ingest.normalizers.errors import NormalizationError
from ledgerflow.ingest.normalizers.fields import (
    decimal,
    money,
    optional_money,
    quantity,
    required,
    text,
    timestamp,
)

_PAYMENT_STATES = {
    "paid": PaymentState.PAID,
    "pending": PaymentState.UNPAID,
    "authorized": PaymentState.UNPAID,
    "partially_paid": PaymentState.PARTIALLY_PAID,
    "partially_refunded": PaymentState.PARTIALLY_REFUNDED,
    "refunded": PaymentState.REFUNDED,
    "voided": PaymentState.VOIDED,
    "expired": PaymentState.VOIDED,
}

# Gateways that mean "the buyer pays later": a pending order on one of them is on terms, not unpaid.
_TERMS_GATEWAYS = ("bank deposit", "cash on delivery", "cod", "money order", "purchase order", "net ")

_FULFILLMENT_STATES = {
    None: FulfillmentState.UNFULFILLED,
    "unfulfilled": FulfillmentState.UNFULFILLED,
    "partial": FulfillmentState.PARTIALLY_FULFILLED,
    "fulfilled": FulfillmentState.FULFILLED,
    "restocked": FulfillmentState.CANCELLED,
}


def normalize(payload: dict[str, Any]) -> CanonicalOrder:
    order = payload.get("order", payload)
    if not isinstance(order, dict) or "line_items" not in order:
        raise NormalizationError(
            "payload.not_an_order",
            "the Shopify payload has no order: expected an Order object or {'order': {...}} with line_items",
            "Publish the body of GET /admin/api/<version>/orders/<id>.json or of an orders/* webhook.",
        )
    currency = str(required(order, "currency", "order")).upper()
    lines = tuple(_line(li, currency, i) for i, li in enumerate(order["line_items"]))
    if not lines:
        raise NormalizationError("payload.no_lines", f"Shopify order {order.get('name')} has no line items")
    shipping = tuple(
        _shipping(s, currency, i) for i, s in enumerate(order.get("shipping_lines") or []) if not s.get("is_removed")
    )
    total = money(required(order, "total_price", "order"), currency, "order.total_price")
    payment_state = _payment_state(order)
    return CanonicalOrder(
        channel=Channel.SHOPIFY,
        channel_order_id=str(required(order, "id", "order")),
        order_number=_order_number(order),
        ordered_at=timestamp(order.get("processed_at") or required(order, "created_at", "order"), "order.processed_at"),
        channel_status=text(order.get("financial_status")),
        currency=currency,
        taxes_included=bool(order.get("taxes_included")),
        customer=_customer(order),
        billing_address=_address(order.get("billing_address")),
        shipping_address=_address(order.get("shipping_address")),
        lines=lines,
        shipping_lines=shipping,
        tax_lines=_tax_lines(order, lines, shipping, currency),
        order_discount=_unallocated_discount(order, lines, shipping, currency),
        payments=_payments(order, payment_state, total, currency),
        payment_methods=tuple(g for g in order.get("payment_gateway_names") or [] if g),
        payment_state=payment_state,
        fulfillment_state=_fulfillment_state(order),
        refunds=_refunds(order, currency),
        channel_total=total,
        note=text(order.get("note")),
        tags=_tags(order.get("tags")),
        discount_codes=_discount_codes(order.get("discount_codes")),
        **_presentment(order, currency),
    )


def _tags(tags: Any) -> tuple[str, ...]:
    """Shopify keeps an order's tags as one comma-separated string."""
    return tuple(tag.strip() for tag in str(tags or "").split(",") if tag.strip())


def _discount_codes(codes: Any) -> tuple[str, ...]:
    found = (text(c.get("code")) for c in codes or [] if isinstance(c, dict))
    return tuple(code for code in found if code)


def _presentment(order: dict[str, Any], currency: str) -> dict[str, Any]:
    """The buyer's currency when it is not the shop's: the books use shop money, the memo keeps this."""
    presentment = text(order.get("presentment_currency"))
    if presentment is None or presentment.upper() == currency:
        return {}
    money_set = (order.get("total_price_set") or {}).get("presentment_money") or {}
    amount = optional_money(money_set.get("amount"), presentment.upper(), "order.total_price_set.presentment_money")
    return {"presentment_currency": presentment.upper(), "presentment_total": amount}


def _order_number(order: dict[str, Any]) -> str:
    number = order.get("order_number") or order.get("number")
    if number is not None:
        return str(number)
    name = text(order.get("name"))
    if name is None:
        raise NormalizationError("payload.missing_field", "order has neither order_number nor name")
    return name.lstrip("#")


def _line(li: dict[str, Any], currency: str, index: int) -> OrderLine:
    where = f"line_items[{index}]"
    allocations = li.get("discount_allocations") or []
    if allocations:
        discount = sum((money(a["amount"], currency, f"{where}.discount_allocations") for a in allocations), ZERO)
    else:
        discount = money(li.get("total_discount") or "0", currency, f"{where}.total_discount")
    tax_lines = tuple(_tax_line(t, currency, f"{where}.tax_lines") for t in li.get("tax_lines") or [])
    return OrderLine(
        line_id=str(li.get("id", index)),
        sku=text(li.get("sku")),
        title=text(li.get("name")) or text(li.get("title")) or f"line {index + 1}",
        quantity=quantity(required(li, "quantity", where), f"{where}.quantity"),
        unit_price=money(required(li, "price", where), currency, f"{where}.price"),
        discount=discount,
        tax=sum((t.amount for t in tax_lines), ZERO),
        tax_lines=tax_lines,
        taxable=bool(li.get("taxable", True)),
        gift_card=bool(li.get("gift_card", False)),
    )


def _shipping(s: dict[str, Any], currency: str, index: int) -> ShippingLine:
    where = f"shipping_lines[{index}]"
    discount = sum(
        (money(a["amount"], currency, f"{where}.discount_allocations") for a in s.get("discount_allocations") or []),
        ZERO,
    )
    tax = sum((money(t["price"], currency, f"{where}.tax_lines") for t in s.get("tax_lines") or []), ZERO)
    return ShippingLine(
        title=text(s.get("title")) or "Shipping",
        code=text(s.get("code")),
        amount=money(required(s, "price", where), currency, f"{where}.price"),
        discount=discount,
        tax=tax,
    )


def _tax_line(t: dict[str, Any], currency: str, where: str) -> TaxLine:
    rate = t.get("rate")
    return TaxLine(
        title=text(t.get("title")) or "Tax",
        rate=None if rate is None else decimal(rate, f"{where}.rate"),
        amount=money(t.get("price", "0"), currency, f"{where}.price"),
    )


def _tax_lines(
    order: dict[str, Any], lines: tuple[OrderLine, ...], shipping: tuple[ShippingLine, ...], currency: str
) -> tuple[TaxLine, ...]:
    if order.get("tax_lines"):
        return tuple(_tax_line(t, currency, "order.tax_lines") for t in order["tax_lines"])
    # Some payloads carry tax only on the lines; the order's tax is then their sum.
    line_tax = sum((line.tax for line in lines), ZERO) + sum((s.tax for s in shipping), ZERO)
    return (TaxLine(title="Tax", amount=line_tax),) if line_tax else ()


def _unallocated_discount(
    order: dict[str, Any], lines: tuple[OrderLine, ...], shipping: tuple[ShippingLine, ...], currency: str
) -> Decimal:
    total = optional_money(order.get("total_discounts"), currency, "order.total_discounts") or ZERO
    allocated = sum((line.discount for line in lines), ZERO) + sum((s.discount for s in shipping), ZERO)
    return max(total - allocated, ZERO)


def _payment_state(order: dict[str, Any]) -> PaymentState:
    status = order.get("financial_status")
    state = _PAYMENT_STATES.get(status) if isinstance(status, str) else None
    if state is None:
        raise NormalizationError(
            "payload.unknown_payment_state",
            f"financial_status {status!r} is not a Shopify financial status ledgerflow knows",
            "Expected one of: " + ", ".join(sorted(_PAYMENT_STATES)),
        )
    if state is PaymentState.UNPAID and _on_terms(order):
        return PaymentState.ON_TERMS
    return state


def _on_terms(order: dict[str, Any]) -> bool:
    if order.get("payment_terms"):
        return True
    gateways = " ".join(g.lower() for g in order.get("payment_gateway_names") or [] if isinstance(g, str))
    return any(marker in gateways for marker in _TERMS_GATEWAYS)


def _payments(order: dict[str, Any], state: PaymentState, total: Decimal, currency: str) -> tuple[OrderPayment, ...]:
    if state in (PaymentState.PAID, PaymentState.REFUNDED, PaymentState.PARTIALLY_REFUNDED):
        received = total
    elif state is PaymentState.PARTIALLY_PAID:
        outstanding = optional_money(order.get("total_outstanding"), currency, "order.total_outstanding")
        if outstanding is None:
            raise NormalizationError(
                "payload.missing_field",
                "a partially paid Shopify order needs total_outstanding to know how much was paid",
            )
        received = total - outstanding
    else:
        return ()
    gateways = [g for g in order.get("payment_gateway_names") or [] if g]
    # Paid by gift card alone: a tender (the card's liability is released), never a discount.
    tender: Literal["payment", "gift_card"] = "gift_card" if gateways == ["gift_card"] else "payment"
    return (
        OrderPayment(
            transaction_id=None,  # transactions are not in the order body; see /orders/{id}/transactions
            method=gateways[0] if gateways else None,
            tender=tender,
            amount=received,
            paid_at=timestamp(order.get("processed_at") or order["created_at"], "order.processed_at"),
        ),
    )


def _fulfillment_state(order: dict[str, Any]) -> FulfillmentState:
    if order.get("cancelled_at"):
        return FulfillmentState.CANCELLED
    return _FULFILLMENT_STATES.get(order.get("fulfillment_status"), FulfillmentState.UNFULFILLED)


def _refunds(order: dict[str, Any], currency: str) -> tuple[OrderRefund, ...]:
    refunds = []
    for i, refund in enumerate(order.get("refunds") or []):
        amount = sum(
            (
                money(t["amount"], currency, f"refunds[{i}].transactions")
                for t in refund.get("transactions") or []
                if t.get("kind") == "refund" and t.get("status", "success") == "success"
            ),
            ZERO,
        )
        refunds.append(
            OrderRefund(
                refund_id=str(refund.get("id", i)),
                amount=amount,
                created_at=timestamp(refund["created_at"], f"refunds[{i}].created_at")
                if refund.get("created_at")
                else None,
                note=text(refund.get("note")),
            )
        )
    return tuple(refunds)


def _customer(order: dict[str, Any]) -> Customer | None:
    c = order.get("customer") or {}
    email = text(c.get("email")) or text(order.get("email")) or text(order.get("contact_email"))
    billing = order.get("billing_address") or {}
    first = text(c.get("first_name")) or text(billing.get("first_name"))
    last = text(c.get("last_name")) or text(billing.get("last_name"))
    company = text(billing.get("company"))
    if not any((email, first, last, company, c.get("id"))):
        return None
    return Customer(
        channel_customer_id=text(c.get("id")),
        email=email,
        first_name=first,
        last_name=last,
        company=company,
        phone=text(c.get("phone")) or text(order.get("phone")),
    )


def _address(a: dict[str, Any] | None) -> Address | None:
    if not a:
        return None
    name = text(a.get("name")) or " ".join(p for p in (text(a.get("first_name")), text(a.get("last_name"))) if p)
    return Address(
        name=name or None,
        company=text(a.get("company")),
        line1=text(a.get("address1")),
        line2=text(a.get("address2")),
        city=text(a.get("city")),
        region=text(a.get("province_code")) or text(a.get("province")),
        postal_code=text(a.get("zip")),
        country_code=text(a.get("country_code")),
        phone=text(a.get("phone")),
    )
