"""Requests from people and tools: resync orders (L3), refresh the reference data from the books."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ledgerflow.contracts.envelope import MessageMeta
from ledgerflow.contracts.targets import BooksTarget


class ResyncRequest(BaseModel):
    """Plan orders again from their latest version: what is missing in the books is added, nothing twice.

    ``delete`` forgets what was planned for the order (its documents were deleted in the books), so
    every document is planned afresh.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["resync_request"] = "resync_request"
    meta: MessageMeta
    connection_id: str | None = Field(default=None, description="None: every connection of the tenant.")
    order_number: str | None = None
    ordered_from: date | None = None
    ordered_to: date | None = None
    delete: bool = False
    requested_by: str | None = None

    @model_validator(mode="after")
    def _one_selection(self) -> ResyncRequest:
        by_date = self.ordered_from is not None or self.ordered_to is not None
        if (self.order_number is None) == (not by_date):
            raise ValueError("name one order (order_number) or a date range (ordered_from, ordered_to), not both")
        if by_date and (self.ordered_from is None or self.ordered_to is None):
            raise ValueError("a date range needs both ordered_from and ordered_to")
        if self.ordered_from and self.ordered_to and self.ordered_from > self.ordered_to:
            raise ValueError("ordered_from is after ordered_to")
        if self.delete and self.order_number is None:
            raise ValueError("delete-and-resync works on one order: give order_number")
        return self


class ReferenceSyncRequest(BaseModel):
    """Read the tenant's items and vendors from the books again and publish them."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["reference_sync_request"] = "reference_sync_request"
    meta: MessageMeta
    target: BooksTarget = Field(default=BooksTarget.QUICKBOOKS_ONLINE, description="The books to read.")
