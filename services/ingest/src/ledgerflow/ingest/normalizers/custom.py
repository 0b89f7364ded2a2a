"""The custom-store format: ledgerflow's own order JSON, for any shop without a channel of its own.

Published in docs/custom-store.md with its JSON Schema (docs/schemas/custom_store_order.schema.json).
Amounts are decimal strings (or integers), never JSON numbers with a fraction: a binary float cannot hold
19.99 exactly, and a format of our own has no reason to inherit that problem.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

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
    quantize,
)
from ledgerflow.contracts.canonical import FeeLine, OrderRefund
from ledgerflow.contracts.money import CurrencyCode
from ledgerflow.ingest.normalizers.errors import NormalizationError

FORMAT: Literal["ledgerflow.custom-order/v1"] = "ledgerflow.custom-order/v1"


def _exact(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError('write amounts as decimal strings ("19.99"), not JSON numbers with a fraction')
    if isinstance(value, str) and len(value) > 40:
        raise ValueError("is not a real amount")
    return value


Amount = Annotated[Decimal, BeforeValidator(_exact), Field(allow_inf_nan=False, max_digits=18)]
Positive = Annotated[Decimal, BeforeValidator(_exact), Field(gt=0, allow_inf_nan=False, max_digits=18)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomCustomer(_Model):
    id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    phone: str | None = None


class CustomAddress(_Model):
    name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country_code: str | None = Field(default=None, min_length=2, max_length=2)
    phone: str | None = None


class CustomLine(_Model):
    id: str
    sku: str | None = Field(default=None, description="Missing for items without one: they post to the fallback item.")
    title: str = Field(min_length=1)
    quantity: Positive
    unit_price: Amount = Field(description="Before discounts; including tax when prices_include_tax.")
    discount: Amount = Field(default=Decimal(0), ge=0, description="Discount on this line, in total.")
    tax: Amount = Field(default=Decimal(0), ge=0, description="Tax on this line, in total.")
    taxable: bool = True
    gift_card: bool = Field(default=False, description="The line sells a gift card (a liability, not revenue).")


class CustomShipping(_Model):
    title: str = "Shipping"
    amount: Amount
    discount: Amount = Field(default=Decimal(0), ge=0)
    tax: Amount = Field(default=Decimal(0), ge=0)


class CustomFee(_Model):
    title: str
    amount: Amount


class CustomTax(_Model):
    title: str = Field(description="The jurisdiction, e.g. 'CA State Tax'.")
    rate: Amount | None = None
    amount: Amount
    collected_by_marketplace: bool = False


class CustomPayment(_Model):
    transaction_id: str | None = Field(default=None, description="The processor's reference; payments dedupe on it.")
    method: str | None = None
    tender: Literal["payment", "gift_card", "store_credit"] = "payment"
    amount: Positive
    paid_at: AwareDatetime | None = None


class CustomRefund(_Model):
    id: str
    amount: Positive
    created_at: AwareDatetime | None = None
    note: str | None = None


class CustomStoreOrder(_Model):
    """An order from any shop, in ledgerflow's own terms."""

    format: Literal["ledgerflow.custom-order/v1"] = FORMAT
    id: str = Field(min_length=1, description="The shop's id for the order.")
    number: str = Field(min_length=1, description="The number a person sees and searches by.")
    created_at: AwareDatetime = Field(description="With its UTC offset: the accounting date is taken from it.")
    currency: CurrencyCode
    prices_include_tax: bool = False
    customer: CustomCustomer | None = Field(default=None, description="None for a guest without details.")
    billing_address: CustomAddress | None = None
    shipping_address: CustomAddress | None = None
    lines: list[CustomLine] = Field(min_length=1)
    shipping: list[CustomShipping] = []
    fees: list[CustomFee] = []
    order_discount: Amount = Field(default=Decimal(0), ge=0, description="Discount not allocated to any line.")
    taxes: list[CustomTax] = []
    payment_status: PaymentState
    payments: list[CustomPayment] = []
    fulfillment_status: FulfillmentState = FulfillmentState.UNFULFILLED
    refunds: list[CustomRefund] = []
    total: Amount = Field(description="The order total the shop charged; the parts must add up to it.")
    note: str | None = None
    tags: list[str] = Field(default=[], description="The shop's labels on the order, for rules.")
    discount_codes: list[str] = Field(default=[], description="Coupon codes the buyer entered, for rules.")


def normalize(payload: dict[str, Any]) -> CanonicalOrder:
    try:
        order = CustomStoreOrder.model_validate(payload)
    except ValidationError as exc:
        raise NormalizationError(
            "payload.invalid_custom_order",
            "the custom-store order is not valid: " + _problems(exc),
            "See docs/custom-store.md and docs/schemas/custom_store_order.schema.json.",
        ) from None
    currency = order.currency

    def m(amount: Decimal) -> Decimal:
        return quantize(amount, currency)

    return CanonicalOrder(
        channel=Channel.CUSTOM,
        channel_order_id=order.id,
        order_number=order.number.lstrip("#"),
        ordered_at=order.created_at,
        channel_status=order.payment_status.value,
        currency=currency,
        taxes_included=order.prices_include_tax,
        customer=_customer(order.customer),
        billing_address=_address(order.billing_address),
        shipping_address=_address(order.shipping_address),
        lines=tuple(
            OrderLine(
                line_id=line.id,
                sku=line.sku or None,
                title=line.title,
                quantity=line.quantity,
                unit_price=m(line.unit_price),
                discount=m(line.discount),
                tax=m(line.tax),
                taxable=line.taxable,
                gift_card=line.gift_card,
            )
            for line in order.lines
        ),
        shipping_lines=tuple(
            ShippingLine(title=s.title, amount=m(s.amount), discount=m(s.discount), tax=m(s.tax))
            for s in order.shipping
        ),
        fees=tuple(FeeLine(title=f.title, amount=m(f.amount)) for f in order.fees),
        tax_lines=tuple(
            TaxLine(title=t.title, rate=t.rate, amount=m(t.amount), channel_liable=t.collected_by_marketplace)
            for t in order.taxes
        ),
        order_discount=m(order.order_discount),
        payments=tuple(
            OrderPayment(
                transaction_id=p.transaction_id, method=p.method, tender=p.tender, amount=m(p.amount), paid_at=p.paid_at
            )
            for p in order.payments
        ),
        payment_methods=tuple(p.method for p in order.payments if p.method),
        payment_state=order.payment_status,
        fulfillment_state=order.fulfillment_status,
        refunds=tuple(
            OrderRefund(refund_id=r.id, amount=m(r.amount), created_at=r.created_at, note=r.note) for r in order.refunds
        ),
        channel_total=m(order.total),
        note=order.note,
        tags=tuple(order.tags),
        discount_codes=tuple(order.discount_codes),
    )


def _problems(exc: ValidationError, limit: int = 6) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'order'}: {e['msg']}" for e in exc.errors()[:limit]]
    more = exc.error_count() - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _customer(c: CustomCustomer | None) -> Customer | None:
    if c is None:
        return None
    return Customer(channel_customer_id=c.id, email=c.email, first_name=c.first_name, last_name=c.last_name,
                    company=c.company, phone=c.phone)  # fmt: skip


def _address(a: CustomAddress | None) -> Address | None:
    return None if a is None else Address(**a.model_dump())


__all__ = ["FORMAT", "CustomStoreOrder", "normalize"]
