"""Changes to documents already in QuickBooks Online: close an estimate or a purchase order, apply an unapplied
payment to invoices.

Both read the document first and send nothing when the change is already there, so a redelivery, a
lost response or QuickBooks doing it by itself (linking an invoice closes its estimate) ends the same.
A change is sent with the document's current SyncToken: a document changed meanwhile is read again.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any

from ledgerflow.contracts import derive_message_id
from ledgerflow.ledger_writer.books import AmbiguousOutcome
from ledgerflow.ledger_writer.posting.retry import backoff
from ledgerflow.ledger_writer.targets.qbo.client import QboFaultError, QuickBooksClient

STALE_OBJECT = "5010"
CLOSED = "Closed"
ATTEMPTS = 4
RESENT = ("Id", "Amount", "LinkedTxn")  # a payment line's own fields

# What to send to bring a record to the wanted state, or None when it is there already.
Change = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]


class DocumentChanges:
    def __init__(self, client: QuickBooksClient, realm: str) -> None:
        self._client = client
        self._realm = realm
        self.trace_id: str | None = None  # the intuit_tid of the change sent, when one was

    async def close_estimate(self, estimate_id: str, request_key: uuid.UUID) -> dict[str, Any]:
        async def closed(estimate: dict[str, Any]) -> dict[str, Any] | None:
            return None if estimate.get("TxnStatus") == CLOSED else {"TxnStatus": CLOSED}

        return await self._change("Estimate", estimate_id, closed, request_key)

    async def close_purchase_order(self, po_id: str, request_key: uuid.UUID) -> dict[str, Any]:
        async def closed(po: dict[str, Any]) -> dict[str, Any] | None:
            # Billed in full, QuickBooks closed it already.
            return None if po.get("POStatus") == CLOSED else {"POStatus": CLOSED}

        return await self._change("PurchaseOrder", po_id, closed, request_key)

    async def replace_lines(self, po_id: str, lines: list[dict[str, Any]], request_key: uuid.UUID) -> dict[str, Any]:
        """A purchase order changed at its source before anything was received: its lines are replaced."""

        async def replaced(po: dict[str, Any]) -> dict[str, Any] | None:
            return None if _item_lines(po.get("Line") or []) == _item_lines(lines) else {"Line": lines}

        return await self._change("PurchaseOrder", po_id, replaced, request_key)

    async def apply_payment(
        self, payment_id: str, invoice_ids: Sequence[str], request_key: uuid.UUID
    ) -> dict[str, Any]:
        async def applied(record: dict[str, Any]) -> dict[str, Any] | None:
            # Sent back as QuickBooks needs them, without the LineEx it adds to what it answers.
            lines = [{k: v for k, v in line.items() if k in RESENT} for line in record.get("Line") or []]
            linked = {
                str(link.get("TxnId"))
                for line in lines
                for link in line.get("LinkedTxn") or []
                if link.get("TxnType") == "Invoice"
            }
            unapplied = Decimal(str(record.get("UnappliedAmt", record.get("TotalAmt", 0))))
            added = []
            for invoice_id in invoice_ids:
                if invoice_id in linked or unapplied <= 0:
                    continue
                current = await self._client.read(self._realm, "Invoice", invoice_id)
                amount = min(unapplied, Decimal(str(current.get("Balance", 0))))
                if amount > 0:
                    added.append({"Amount": amount, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]})
                    unapplied -= amount
            if not added:
                return None
            return {"CustomerRef": record["CustomerRef"], "TotalAmt": record["TotalAmt"], "Line": [*lines, *added]}

        return await self._change("Payment", payment_id, applied, request_key)

    async def _change(self, entity: str, external_id: str, change: Change, request_key: uuid.UUID) -> dict[str, Any]:
        for attempt in range(1, ATTEMPTS + 1):
            record = await self._client.read(self._realm, entity, external_id)
            fields = await change(record)
            if fields is None:
                return record
            body = {"Id": record["Id"], "SyncToken": record["SyncToken"], "sparse": True, **fields}
            # The same change of the same revision is the same request, however often it is sent.
            request_id = str(derive_message_id("qbo-change", request_key, record["SyncToken"]))
            try:
                changed, self.trace_id = await self._client.create_traced(self._realm, entity, body, request_id)
                return changed
            except AmbiguousOutcome:
                await backoff(attempt)
                continue  # read again: the change may be there
            except QboFaultError as fault:
                if fault.code != STALE_OBJECT or attempt == ATTEMPTS:
                    raise
                continue  # changed meanwhile: read again
        raise AmbiguousOutcome(f"{entity} {external_id}: the change could not be confirmed")


def _item_lines(lines: Sequence[dict[str, Any]]) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """What a purchase line says, whatever the books added to it (ids, line numbers, names)."""
    said = []
    for line in lines:
        detail = line.get("ItemBasedExpenseLineDetail") or {}
        said.append((str((detail.get("ItemRef") or {}).get("value")), Decimal(str(detail.get("Qty", 1))),
                     Decimal(str(detail.get("UnitPrice", 0))), Decimal(str(line.get("Amount", 0)))))  # fmt: skip
    return said
