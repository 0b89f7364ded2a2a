"""Dead letters as a person reads them: which order each is about, grouped by cause, and how each is replayed."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ledgerflow.cli.dead_letters import read_dead_letters
from ledgerflow.console.reads import FailedDocument
from ledgerflow.contracts import DeadLetter, Topic

# A dead letter of these topics holds the channel's order itself: a replay publishes it again. Later stages hold a
# stage's input; their order is planned again from its latest version instead (a resync), as the CLI would.
RAW_TOPICS = (Topic.RAW_ORDERS.value, Topic.RAW_PURCHASE_ORDERS.value)
NO_CODE = "(no code)"


@dataclass(frozen=True)
class Letter:
    letter: DeadLetter
    order_number: str | None
    channel: str

    @property
    def id(self) -> str:
        return str(self.letter.meta.message_id)

    @property
    def republishes(self) -> bool:
        """True when a replay publishes the original order again; False when it asks for a resync."""
        return self.letter.source_topic in RAW_TOPICS


def _search(data: Any, key: str) -> Any:
    """The first value under ``key``, breadth first: the order number sits at different depths in each format."""
    level = [data]
    while level:
        following: list[Any] = []
        for node in level:
            if isinstance(node, dict):
                if node.get(key) not in (None, ""):
                    return node[key]
                following.extend(node.values())
            elif isinstance(node, list):
                following.extend(node)
        level = following
    return None


def _parsed(payload: str) -> Any:
    try:
        return json.loads(payload)
    except (ValueError, RecursionError):  # a dead letter's payload is whatever arrived, nested however deep
        return None


def read(letter: DeadLetter) -> Letter:
    data = _parsed(letter.payload)
    number = _search(data, "order_number")
    if number is None:
        number = _search(data, "source_po_id")  # a purchase order of a system that makes its own
    channel = _search(data, "channel") or _search(data, "system") or ""
    return Letter(letter, None if number is None else str(number), str(channel))


def by_order(letters: Iterable[Letter]) -> dict[str, tuple[str, str]]:
    """Order number -> (stage, channel) of its latest dead letter."""
    return {x.order_number: (x.letter.stage, x.channel) for x in letters if x.order_number}


@dataclass
class Cause:
    """Everything that failed for one reason (an error code): dead letters and documents the books refused."""

    letters: list[Letter] = field(default_factory=list)
    documents: list[FailedDocument] = field(default_factory=list)


def by_cause(letters: Iterable[Letter], documents: Iterable[FailedDocument] = ()) -> dict[str, Cause]:
    """Grouped by error code, the most frequent cause first."""
    grouped: dict[str, Cause] = {}
    for x in letters:
        grouped.setdefault(x.letter.error.code or NO_CODE, Cause()).letters.append(x)
    for doc in documents:
        grouped.setdefault(doc.code or NO_CODE, Cause()).documents.append(doc)
    return dict(sorted(grouped.items(), key=lambda item: (-len(item[1].letters) - len(item[1].documents), item[0])))


@dataclass
class Recent:
    """Every tenant's dead letters, read from their topics at most once per ``ttl`` seconds: each page that shows
    them would otherwise read every dead-letter topic from its start."""

    bootstrap: str
    ttl: float = 5.0
    _letters: list[DeadLetter] = field(default_factory=list)
    _read_at: float | None = None
    _reading: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def of(self, tenant: str) -> list[Letter]:
        """The tenant's, newest first."""
        async with self._reading:  # one read at a time: the pages waiting share its answer
            if self._read_at is None or time.monotonic() - self._read_at > self.ttl:
                self._letters = await read_dead_letters(self.bootstrap)
                self._read_at = time.monotonic()
        return [read(x) for x in reversed(self._letters) if x.meta.tenant_id == tenant]
