from __future__ import annotations

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledgerflow.contracts import NumberingPolicy, TransactionMode


class ItemNames(BaseModel):
    """Items in the books that lines without a product of their own post to."""

    fallback: str = Field(default="Sales", description="Lines without a SKU (P1).")
    shipping: str = "Shipping"
    discount: str = "Discount"
    tax: str = "Sales Tax"
    fee: str = "Fees"
    gift_card: str = "Gift Card Liability"


class PlannerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_PLANNER_", env_nested_delimiter="__", extra="ignore")

    default_mode: TransactionMode = TransactionMode.INVOICES_WITH_PAYMENTS
    items: ItemNames = Field(default_factory=ItemNames)
    numbering: NumberingPolicy = Field(default_factory=NumberingPolicy)
