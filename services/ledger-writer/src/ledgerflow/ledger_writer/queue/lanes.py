"""Which commands of a company must go one after the other: those in the same lane."""

from __future__ import annotations

from ledgerflow.contracts import LedgerCommand, NumberingMode, ReferenceSyncRequest


def command_lane(command: LedgerCommand) -> str:
    """An order's commands go in turn (sales order, invoice, then payment; a later version after an earlier);
    different orders go at once. In next-number mode a tenant's commands go in turn, so that its numbers reach
    the books in sequence (N2)."""
    tenant = command.meta.tenant_id
    if command.numbering.mode is NumberingMode.NEXT_NUMBER:
        return f"numbers/{tenant}"
    return f"order/{tenant}/{command.connection_id}/{command.channel.value}/{command.channel_order_id}"


def reference_lane(request: ReferenceSyncRequest) -> str:
    return f"reference/{request.meta.tenant_id}"
