"""Fields every message carries, whatever its topic."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

TenantId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"),
]
# A connection's name: the same alphabet, as it appears in URLs (webhooks), keys and logs.
ConnectionId = TenantId

# Fixed namespace so that a message derived from another always gets the same id, which is
# what lets every consumer drop a redelivered or re-derived copy.
_LEDGERFLOW_NAMESPACE = uuid.UUID("4f0c5c4e-9a56-4d8e-a9a5-1f6c2b7e0d11")


def derive_message_id(*parts: object) -> uuid.UUID:
    """A deterministic message id from the parts that identify it (stage, input id, index...)."""
    return uuid.uuid5(_LEDGERFLOW_NAMESPACE, "/".join(str(p) for p in parts))


def _now() -> datetime:
    return datetime.now(UTC)


class MessageMeta(BaseModel):
    """Identity and lineage of a message.

    ``correlation_id`` stays the same from the raw order to the ledger event;
    ``causation_id`` is the id of the message this one was derived from.
    """

    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(default=1, ge=1)
    message_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    tenant_id: TenantId
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    occurred_at: datetime = Field(default_factory=_now)
    origin_at: datetime | None = Field(
        default=None,
        description="When the order (or request) this message comes from entered ledgerflow; carried by every "
        "message derived from it, so that the time from an order's arrival to its documents is measured.",
    )

    def derive(self, stage: str, index: int = 0) -> MessageMeta:
        """Meta for a message produced from this one by ``stage``: same tenant, correlation and origin."""
        return MessageMeta(
            tenant_id=self.tenant_id,
            message_id=derive_message_id(stage, self.message_id, index),
            correlation_id=self.correlation_id,
            causation_id=self.message_id,
            origin_at=self.origin_at or self.occurred_at,
        )
