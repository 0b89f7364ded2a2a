"""One polling round: what changed since the position, and every purchase order still open, read and published."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from ledgerflow.ingest.polling.positions import Position


class PurchaseOrderSource(Protocol):
    async def changed_since(self, since: date | None, today: date) -> list[str]: ...

    async def read(self, purchase_id: str) -> dict[str, Any]: ...

    @staticmethod
    def still_open(payload: dict[str, Any]) -> bool: ...


Publish = Callable[[Sequence[dict[str, Any]]], Awaitable[None]]


@dataclass(frozen=True)
class Round:
    read: int
    still_open: int
    position: Position


async def poll_round(source: PurchaseOrderSource, position: Position, publish: Publish, today: date) -> Round:
    """Read, publish, then return the position to keep: it moves only once everything read was published, so a
    crash in between reads the same again (ingest drops what has not changed)."""
    since = date.fromisoformat(position.cursor) if position.cursor else None
    wanted = list(dict.fromkeys([*position.open_ids, *await source.changed_since(since, today)]))
    payloads = [await source.read(purchase_id) for purchase_id in wanted]
    await publish(payloads)
    still_open = tuple(pid for pid, payload in zip(wanted, payloads, strict=True) if source.still_open(payload))
    return Round(len(payloads), len(still_open), Position(today.isoformat(), still_open))
