from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledgerflow.contracts import MatchingPolicy, NumberingPolicy, TransactionMode


class ItemNames(BaseModel):
    """Items in the books that lines without a product of their own post to."""

    fallback: str = Field(default="Sales", description="Lines without a SKU (P1).")
    shipping: str = "Shipping"
    discount: str = "Discount"
    tax: str = "Sales Tax"
    fee: str = "Fees"
    gift_card: str = "Gift Card Liability"
    refund: str = Field(default="Refunds", description="The line of a credit memo or refund receipt.")
    rounding: str = Field(default="Rounding", description="Differences up to the rounding cap ($1).")


class InvoiceWhen(StrEnum):
    """Sales orders + invoices (M5, M6): when the invoice is made from the sales order (L1)."""

    ORDER = "order"  # with the sales order
    FULFILLED = "fulfilled"  # when the channel reports the order shipped
    PAID = "paid"  # when the channel reports the order paid


class RefundMode(StrEnum):
    NONE = "none"  # refunds are not synced (the default: a bookkeeper decides)
    CREDIT_MEMO = "credit_memo"
    REFUND_RECEIPT = "refund_receipt"


class PlanOptions(BaseModel):
    """Everything besides the mode that shapes a plan; a connection's settings fill it."""

    items: ItemNames = Field(default_factory=ItemNames)
    invoice_when: InvoiceWhen = InvoiceWhen.ORDER
    refunds: RefundMode = RefundMode.NONE
    refund_account: str = "Undeposited Funds"
    rounding_cap: Decimal = Field(default=Decimal(0), ge=0, le=Decimal(1))
    creates_purchase_orders: bool = Field(
        default=False, description="The channel creates its own purchase orders (Erply, LightSpeed...): none here."
    )


class PlannerSettings(BaseSettings):
    """Defaults for tenants without connection settings of their own."""

    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_PLANNER_", env_nested_delimiter="__", extra="ignore")

    default_mode: TransactionMode = TransactionMode.INVOICES_WITH_PAYMENTS
    items: ItemNames = Field(default_factory=ItemNames)
    numbering: NumberingPolicy = Field(default_factory=NumberingPolicy)
    matching: MatchingPolicy = Field(default_factory=MatchingPolicy)
    invoice_when: InvoiceWhen = InvoiceWhen.ORDER
    refunds: RefundMode = RefundMode.NONE
