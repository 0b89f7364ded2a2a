"""Commands off Kafka into their companies' queues: a batch filed in one transaction with its inbox records.

Filing never waits on a company's pace, so the topic's offsets move on as fast as the database takes the
rows, whatever any company's books are doing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ledgerflow.contracts import LedgerCommand, ReferenceSyncRequest
from ledgerflow.ledger_writer.books import Target
from ledgerflow.ledger_writer.queue import store
from ledgerflow.ledger_writer.queue.lanes import command_lane, reference_lane
from ledgerflow.ledger_writer.queue.store import COMMAND, REFERENCE_SYNC, FiledCommand, NewCommand
from ledgerflow.runtime.database import DbConnection
from ledgerflow.runtime.stage import Filed, Filer


def make_filer(target: Target, writer_pool: str, remember: Callable[[Sequence[Filed]], None]) -> Filer:
    """Files a batch; keeps its commands parsed for the drains (so they need not parse them again)."""

    async def file_commands(conn: DbConnection, filed: Sequence[Filed]) -> list[FiledCommand]:
        remember(filed)
        return await store.file(conn, writer_pool, [queued(target, f) for f in filed])

    return file_commands


def kind_and_lane(message: object) -> tuple[str, str]:
    if isinstance(message, LedgerCommand):
        return COMMAND, command_lane(message)
    if isinstance(message, ReferenceSyncRequest):
        return REFERENCE_SYNC, reference_lane(message)
    raise TypeError(f"cannot queue a {type(message).__name__}")  # pragma: no cover (the stages file only these)


def queued(target: Target, filed: Filed) -> NewCommand:
    message = filed.message
    tenant = message.meta.tenant_id
    kind, lane = kind_and_lane(message)
    company = target.company_of(tenant, message.target)
    return NewCommand(
        company_id=company.company_id,
        calls_in=target.calls_in(company),
        tenant_id=tenant,
        kind=kind,
        message_id=message.meta.message_id,
        lane=lane,
        payload=filed.body,
        traceparent=filed.traceparent,
        source=filed.source,
    )
