"""How documents are numbered (N1-N3), and the writer's word back when the books refuse a number."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ledgerflow.contracts.envelope import MessageMeta


class NumberingMode(StrEnum):
    ORDER_NUMBER = "order_number"  # N1: the channel's order number, with a prefix
    NEXT_NUMBER = "next_number"  # N2: the books' next number in each number space


class CollisionPolicy(StrEnum):
    """What to do when a number is already held by an unrelated document in the books (N3)."""

    STOP = "stop"  # stop the order with an error that says which document holds the number
    NEXT_FREE = "next_free"  # take the next free number


class TooLongPolicy(StrEnum):
    """What to do with an order number longer than the books take (QuickBooks Desktop: 11 characters)."""

    KEEP_TAIL = "keep_tail"  # keep the prefix and the last characters; the full number stays in the memo
    STOP = "stop"  # stop the order with an error naming the setting to change


class NumberingPolicy(BaseModel):
    """A connection's numbering settings; the planner stamps them on every plan."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: NumberingMode = NumberingMode.ORDER_NUMBER
    prefix: str = Field(default="", max_length=10)
    channel_prefixes: dict[str, str] = Field(default_factory=dict, description="Per channel, over `prefix`.")
    max_length: int = Field(
        default=21, ge=5, le=21, description="At most this long; the target's own limit (Online 21, Desktop 11) wins."
    )
    too_long: TooLongPolicy = TooLongPolicy.KEEP_TAIL
    on_collision: CollisionPolicy = CollisionPolicy.STOP
    start: int = Field(default=1001, ge=1, description="First number in next-number mode when the books have none.")

    def prefix_for(self, channel: str) -> str:
        return self.channel_prefixes.get(channel, self.prefix)


class NumberRejected(BaseModel):
    """The books will not take a document's number: it is taken, or the books' sequence is already past it."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["number_rejected"] = "number_rejected"
    meta: MessageMeta
    connection_id: str
    command_message_id: uuid.UUID
    document_key: str
    number_space: str
    doc_number: str
    reason: Literal["taken", "behind_books"]
    books_last_number: str | None = Field(default=None, description="The last number the books used in this space.")
    held_by: str | None = Field(default=None, description="The books' document that holds the number.")
