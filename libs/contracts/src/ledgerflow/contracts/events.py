"""What the ledger-writer reports after posting."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ledgerflow.contracts.channels import Channel
from ledgerflow.contracts.dead_letter import ErrorDetail
from ledgerflow.contracts.envelope import MessageMeta
from ledgerflow.contracts.money import CurrencyCode
from ledgerflow.contracts.plans import DocumentAction, DocumentType
from ledgerflow.contracts.purchase_orders import PurchaseOrderSystem


class LedgerStatus(StrEnum):
    POSTED = "posted"
    FAILED = "failed"


class DocumentOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    type: DocumentType
    action: DocumentAction = Field(
        default=DocumentAction.CREATE, description="close: the sales order was closed; apply: the payment applied."
    )
    status: LedgerStatus
    doc_number: str | None = None
    external_id: str | None = Field(default=None, description="Id of the document in the books.")
    sync_token: str | None = None
    currency: CurrencyCode
    total: Decimal
    balance: Decimal | None = None
    error: ErrorDetail | None = None


class LedgerEvent(BaseModel):
    """The outcome of one ledger command; a posted event closes the loop for the order version."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["ledger_event"] = "ledger_event"
    meta: MessageMeta
    connection_id: str
    channel: Channel | PurchaseOrderSystem = Field(description="The sales channel, or the purchase-order system.")
    channel_order_id: str
    order_number: str
    order_version: int
    status: LedgerStatus
    documents: tuple[DocumentOutcome, ...]
    trace_id: str | None = Field(
        default=None,
        pattern="^[0-9a-f]{32}$",
        description="The W3C trace id of the order's trace: open it in the trace UI (``/trace/{trace_id}``).",
    )
