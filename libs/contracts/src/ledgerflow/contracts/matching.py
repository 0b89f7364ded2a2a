"""How a plan's customers, items and tax meet the books (C1, P1): the planner stamps it, the writer applies it."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class CustomerMatch(StrEnum):
    DISPLAY_NAME = "display_name"
    EMAIL = "email"
    NAME_AND_EMAIL = "name_and_email"
    SINGLE = "single"  # every order to one customer ("Web Store")


class ItemMatch(StrEnum):
    NAME = "name"  # the channel SKU is the item's name in the books
    SKU = "sku"  # the channel SKU is the item's SKU field in the books


class WhenMissing(StrEnum):
    CREATE = "create"
    STOP = "stop"  # stop the order with an error that names what is missing


class CurrencyCustomers(StrEnum):
    SUFFIX = "suffix"  # an order in another currency than the books' goes to "Name (EUR)", a customer in that currency
    SAME_NAME = "same_name"  # the customer of the name, whose currency must be the order's


class SalesTax(StrEnum):
    PLAN = "plan"  # the order's tax line is what the books get; QuickBooks is told to add none of its own
    BOOKS = "books"  # QuickBooks computes the tax on the taxable lines; payments pay what the books then say


class MatchingPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    customers: CustomerMatch = CustomerMatch.DISPLAY_NAME
    single_customer: str = Field(default="Web Store", min_length=1, max_length=100)
    missing_customer: WhenMissing = WhenMissing.CREATE
    items: ItemMatch = ItemMatch.NAME
    missing_item: WhenMissing = Field(
        default=WhenMissing.CREATE,
        description="create makes a non-inventory item; inventory items are never created.",
    )
    item_income_account: str | None = Field(
        default=None,
        max_length=100,
        description="The income account items created in the books are given (by name); none: the company's own "
        "default income account.",
    )
    currency_customers: CurrencyCustomers = Field(
        default=CurrencyCustomers.SUFFIX,
        description="An order in a currency other than the books' home currency: suffix posts it to 'Name (EUR)'.",
    )
    sales_tax: SalesTax = Field(
        default=SalesTax.PLAN,
        description="plan: the order's tax is sent as it is; books: QuickBooks' automated sales tax computes it.",
    )
