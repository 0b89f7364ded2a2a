"""The numbered ledger command: a plan whose documents carry their final numbers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ledgerflow.contracts.channels import Channel
from ledgerflow.contracts.envelope import MessageMeta
from ledgerflow.contracts.matching import MatchingPolicy
from ledgerflow.contracts.numbering import NumberingPolicy
from ledgerflow.contracts.plans import PlannedDocument, TransactionMode
from ledgerflow.contracts.purchase_orders import PurchaseOrderSystem
from ledgerflow.contracts.targets import BooksTarget


class NumberedDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: PlannedDocument
    doc_number: str | None = Field(
        default=None,
        description="DocNumber to post (payments have none: their number is the payment reference).",
    )
    number_space: str = Field(description="The books' numbering sequence this number belongs to.")


class LedgerCommand(BaseModel):
    """Post these documents, in this order, to the tenant's books."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["ledger_command"] = "ledger_command"
    meta: MessageMeta
    connection_id: str
    channel: Channel | PurchaseOrderSystem = Field(description="The sales channel, or the purchase-order system.")
    channel_order_id: str
    order_number: str
    order_version: int = Field(ge=1)
    mode: TransactionMode
    target: BooksTarget = Field(default=BooksTarget.QUICKBOOKS_ONLINE, description="The books the documents go to.")
    numbering: NumberingPolicy = Field(default_factory=NumberingPolicy)
    matching: MatchingPolicy = Field(default_factory=MatchingPolicy)
    verify_posted: bool = Field(
        default=False, description="A resync: documents posted earlier are looked up, and posted again if deleted."
    )
    documents: tuple[NumberedDocument, ...]
