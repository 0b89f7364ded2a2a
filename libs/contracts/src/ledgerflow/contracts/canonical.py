"""The canonical order: one shape for every channel's order."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ledgerflow.contracts.channels import Channel
from ledgerflow.contracts.money import CurrencyCode, quantize

ZERO = Decimal(0)


class PaymentState(StrEnum):
    """Payment state classified from the channel's own payment fields (R3), never from order status.

    ``unknown`` is for a channel value that cannot be classified (a plugin's custom status): the raw
    value stays in ``channel_status`` and nothing is treated as paid.
    """

    PAID = "paid"
    UNPAID = "unpaid"
    AUTHORIZED = "authorized"
    PARTIALLY_PAID = "partially_paid"
    ON_TERMS = "on_terms"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    VOIDED = "voided"
    FAILED = "failed"
    UNKNOWN = "unknown"


class FulfillmentState(StrEnum):
    UNFULFILLED = "unfulfilled"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Address(_Part):
    name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country_code: str | None = None
    phone: str | None = None


class Customer(_Part):
    """The buyer; ``channel_customer_id`` is None for a guest checkout."""

    channel_customer_id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    phone: str | None = None

    @property
    def display_name(self) -> str | None:
        full = " ".join(p for p in (self.first_name, self.last_name) if p)
        return full or self.company or self.email


class TaxLine(_Part):
    """Tax by jurisdiction (order level, or attached to a line)."""

    title: str
    rate: Decimal | None = None
    amount: Decimal
    channel_liable: bool = Field(
        default=False, description="Collected and remitted by the marketplace (Amazon's MarketplaceFacilitator)."
    )


class OrderLine(_Part):
    line_id: str
    sku: str | None = Field(default=None, description="May be missing: such a line goes to the fallback item.")
    title: str
    quantity: Decimal = Field(gt=0)
    unit_price: Decimal = Field(description="Unit price before discounts, as the channel shows it.")
    discount: Decimal = Field(default=ZERO, ge=0, description="Discounts allocated to this line, total.")
    tax: Decimal = Field(default=ZERO, ge=0, description="Tax on this line, total.")
    tax_lines: tuple[TaxLine, ...] = ()
    taxable: bool = True
    gift_card: bool = Field(default=False, description="Selling a gift card: a liability, not revenue.")

    @property
    def gross(self) -> Decimal:
        return self.quantity * self.unit_price

    @property
    def net(self) -> Decimal:
        return self.gross - self.discount


class ShippingLine(_Part):
    title: str
    code: str | None = None
    amount: Decimal
    discount: Decimal = ZERO
    tax: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.amount - self.discount


class FeeLine(_Part):
    title: str
    amount: Decimal
    tax: Decimal = ZERO


class OrderPayment(_Part):
    """Money received for the order; ``transaction_id`` is the processor's reference (N4).

    Gift cards and store credit redeemed at checkout are tenders like any other, not discounts.
    """

    transaction_id: str | None = None
    method: str | None = None
    tender: Literal["payment", "gift_card", "store_credit"] = "payment"
    amount: Decimal
    paid_at: datetime | None = None


class OrderRefund(_Part):
    refund_id: str
    amount: Decimal
    created_at: datetime | None = None
    note: str | None = None


class CanonicalOrder(BaseModel):
    """A channel order in ledgerflow's own terms. All amounts are in ``currency``."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    channel_order_id: str = Field(description="The channel's API id (may exceed 2^53: always a string).")
    order_number: str = Field(description="The number a person sees and searches by, without decoration.")
    ordered_at: AwareDatetime
    channel_status: str | None = None
    currency: CurrencyCode
    taxes_included: bool = False
    customer: Customer | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    lines: tuple[OrderLine, ...]
    shipping_lines: tuple[ShippingLine, ...] = ()
    fees: tuple[FeeLine, ...] = ()
    tax_lines: tuple[TaxLine, ...] = ()
    order_discount: Decimal = Field(default=ZERO, ge=0, description="Discount not allocated to any line.")
    payments: tuple[OrderPayment, ...] = ()
    payment_methods: tuple[str, ...] = ()
    payment_state: PaymentState
    fulfillment_state: FulfillmentState = FulfillmentState.UNFULFILLED
    refunds: tuple[OrderRefund, ...] = ()
    channel_total: Decimal = Field(description="The channel's own order total, for the balance check.")
    presentment_currency: CurrencyCode | None = Field(
        default=None, description="The currency the buyer saw, when not the order's (kept for the memo)."
    )
    presentment_total: Decimal | None = None
    note: str | None = None
    tags: tuple[str, ...] = Field(default=(), description="The channel's own labels on the order (Shopify tags).")
    discount_codes: tuple[str, ...] = Field(default=(), description="Coupon codes the buyer entered.")

    @property
    def total_tax(self) -> Decimal:
        return quantize(sum((t.amount for t in self.tax_lines), ZERO), self.currency)

    @property
    def amount_paid(self) -> Decimal:
        return quantize(sum((p.amount for p in self.payments), ZERO), self.currency)

    def computed_total(self) -> Decimal:
        """Total rebuilt from the parts; must equal ``channel_total`` to the minor unit."""
        total = sum((line.net for line in self.lines), ZERO)
        total += sum((s.net for s in self.shipping_lines), ZERO)
        total += sum((f.amount for f in self.fees), ZERO)
        total -= self.order_discount
        if not self.taxes_included:
            total += self.total_tax
        return quantize(total, self.currency)

    def balance_difference(self) -> Decimal:
        return quantize(self.channel_total - self.computed_total(), self.currency)
