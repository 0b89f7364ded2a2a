"""How a plan's customers and items are found in the books (C1, P1): the planner stamps it, the writer applies it."""

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
