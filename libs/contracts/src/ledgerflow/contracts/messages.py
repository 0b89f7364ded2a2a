"""Messages of the ingest side, and the registry of every message model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ledgerflow.contracts.canonical import CanonicalOrder
from ledgerflow.contracts.channels import Channel
from ledgerflow.contracts.commands import LedgerCommand
from ledgerflow.contracts.dead_letter import DeadLetter
from ledgerflow.contracts.envelope import ConnectionId, MessageMeta
from ledgerflow.contracts.events import LedgerEvent
from ledgerflow.contracts.numbering import NumberRejected
from ledgerflow.contracts.plans import DocumentPlan
from ledgerflow.contracts.purchase_orders import PurchaseOrderNormalized, RawPurchaseOrderEnvelope
from ledgerflow.contracts.reference import ReferenceData
from ledgerflow.contracts.requests import ReferenceSyncRequest, ResyncRequest


def _now() -> datetime:
    return datetime.now(UTC)


class RawOrderEnvelope(BaseModel):
    """A channel's order exactly as the channel sent it, with who it belongs to (O1)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["raw_order"] = "raw_order"
    meta: MessageMeta
    connection_id: ConnectionId
    channel: Channel
    source: Literal["publish", "webhook", "poller", "replay"] = Field(
        default="publish", description="'replay' sends an order again after a fix, even when it has not changed."
    )
    received_at: datetime = Field(default_factory=_now)
    payload: dict[str, Any] = Field(description="The channel's own JSON, untouched.")


class OrderNormalized(BaseModel):
    """A version of a canonical order; later versions of the same order carry higher numbers."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["order_normalized"] = "order_normalized"
    meta: MessageMeta
    connection_id: str
    order_version: int = Field(ge=1)
    content_hash: str
    order: CanonicalOrder


MESSAGE_MODELS: dict[str, type[BaseModel]] = {
    "raw_order_envelope": RawOrderEnvelope,
    "order_normalized": OrderNormalized,
    "document_plan": DocumentPlan,
    "ledger_command": LedgerCommand,
    "ledger_event": LedgerEvent,
    "dead_letter": DeadLetter,
    "number_rejected": NumberRejected,
    "resync_request": ResyncRequest,
    "reference_sync_request": ReferenceSyncRequest,
    "reference_data": ReferenceData,
    "raw_purchase_order_envelope": RawPurchaseOrderEnvelope,
    "purchase_order_normalized": PurchaseOrderNormalized,
}
