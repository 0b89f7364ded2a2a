"""A message that could not be processed, with the reason in words a bookkeeper can act on (O3)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ledgerflow.contracts.envelope import MessageMeta


class ErrorDetail(BaseModel):
    """What went wrong, why, and how to fix it."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="Stable machine code, e.g. 'order.unbalanced'.")
    message: str = Field(description="What happened and why.")
    fix: str | None = Field(default=None, description="What to do about it.")


class DeadLetter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["dead_letter"] = "dead_letter"
    meta: MessageMeta
    stage: str = Field(description="The service that gave up on the message.")
    source_topic: str
    source_partition: int | None = None
    source_offset: int | None = None
    source_message_id: uuid.UUID | None = None
    error: ErrorDetail
    payload: str = Field(description="The original message body, verbatim (truncated when oversized).")
    trace_id: str | None = Field(
        default=None,
        pattern="^[0-9a-f]{32}$",
        description="The W3C trace id of the order's trace: open it in the trace UI (``/trace/{trace_id}``).",
    )
