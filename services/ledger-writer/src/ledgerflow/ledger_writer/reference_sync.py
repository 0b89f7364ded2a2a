"""A company's items and vendors, read from its books and offered to the planner (M6 purchase orders)."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog

from ledgerflow.contracts import ReferenceData, ReferenceSyncRequest, Topic
from ledgerflow.ledger_writer.books import ReferenceSnapshot
from ledgerflow.runtime.outbox import Outgoing

STAGE = "ledger-writer-reference"
ITEMS_PER_MESSAGE = 2000  # keeps a message well under Kafka's default 1 MB limit
log = structlog.get_logger(__name__)


def reference_messages(request: ReferenceSyncRequest, snapshot: ReferenceSnapshot) -> list[Outgoing]:
    """The snapshot in parts: the first replaces what the planner had, the others add to it."""
    items = list(snapshot.items)
    log.info("reference.read", tenant=request.meta.tenant_id, items=len(items), vendors=len(snapshot.vendors))
    synced_at = datetime.now(UTC)
    chunks = [items[i : i + ITEMS_PER_MESSAGE] for i in range(0, len(items), ITEMS_PER_MESSAGE)] or [[]]
    return [
        Outgoing.of(
            Topic.REFERENCE,
            ReferenceData(
                meta=request.meta.derive(STAGE, index),
                complete=index == 0,
                synced_at=synced_at,
                items=tuple(chunk),
                vendors=tuple(snapshot.vendors) if index == 0 else (),
            ),
        )
        for index, chunk in enumerate(chunks)
    ]
