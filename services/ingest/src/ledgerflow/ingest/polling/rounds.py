"""One polling round: what changed since the position, and every purchase order still open, read and published."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from ledgerflow.ingest.polling.positions import Position


@dataclass(frozen=True)
class Changes:
    """The purchase orders changed since a cursor, and the cursor the next round starts from."""

    ids: list[str]
    cursor: str


class PurchaseOrderSource(Protocol):
    async def changes(self, cursor: str | None, today: date) -> Changes:
        """What changed since ``cursor`` (the system's own marker: a date, a version, a time stamp)."""
        ...

    async def read(self, purchase_id: str) -> dict[str, Any]: ...

    @staticmethod
    def still_open(payload: dict[str, Any]) -> bool: ...


class DatedSource:
    """A system searched by date: the cursor is the day of the last round."""

    async def changed_since(self, since: date | None, today: date) -> list[str]:
        raise NotImplementedError

    async def changes(self, cursor: str | None, today: date) -> Changes:
        since = date.fromisoformat(cursor) if cursor else None
        return Changes(await self.changed_since(since, today), today.isoformat())


Publish = Callable[[Sequence[dict[str, Any]]], Awaitable[None]]


@dataclass(frozen=True)
class Round:
    read: int
    still_open: int
    position: Position


async def poll_round(source: PurchaseOrderSource, position: Position, publish: Publish, today: date) -> Round:
    """Read, publish, then return the position to keep: it moves only once everything read was published, so a
    crash in between reads the same again (ingest drops what has not changed)."""
    changes = await source.changes(position.cursor, today)
    wanted = list(dict.fromkeys([*position.open_ids, *changes.ids]))
    payloads = [await source.read(purchase_id) for purchase_id in wanted]
    await publish(payloads)
    still_open = tuple(pid for pid, payload in zip(wanted, payloads, strict=True) if source.still_open(payload))
    return Round(len(payloads), len(still_open), Position(changes.cursor, still_open))
