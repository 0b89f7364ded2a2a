"""The tenant's reference data as the books hold it, synced by the writer and offered to the planner."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ledgerflow.contracts.envelope import MessageMeta


class ReferenceItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    sku: str | None = None
    type: str = "NonInventory"
    vendor_name: str | None = Field(default=None, description="The item's preferred vendor (PrefVendorRef).")
    purchase_cost: Decimal | None = None
    active: bool = True


class ReferenceData(BaseModel):
    """Items and vendors of one tenant's books. ``complete``: a full snapshot, else only what changed."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["reference_data"] = "reference_data"
    meta: MessageMeta
    complete: bool
    synced_at: datetime
    items: tuple[ReferenceItem, ...] = ()
    vendors: tuple[str, ...] = ()
