"""Changes to documents already in the books: close a sales order, apply an unapplied payment to an invoice.

Both read the document first and do nothing when the change is already there, so a redelivery, a
lost response or QuickBooks doing it by itself (linking an invoice closes its estimate) ends the same.
A change is sent with the document's current SyncToken: a document changed meanwhile is read again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg

from ledgerflow.contracts import PlannedDocument, derive_message_id
from ledgerflow.ledger_writer import intents
from ledgerflow.ledger_writer.intents import Intent
from ledgerflow.ledger_writer.qbo.client import AmbiguousOutcome, QboFaultError, QuickBooksClient, backoff

STALE_OBJECT = "5010"
CLOSED = "Closed"
ATTEMPTS = 4


class DocumentChanges:
    def __init__(self, pool: asyncpg.Pool, client: QuickBooksClient, tenant_id: str, realm: str) -> None:
        self._pool = pool
        self._client = client
        self._tenant = tenant_id
        self._realm = realm

    async def close_sales_order(self, doc: PlannedDocument, sales_order: Intent) -> Intent:
        async def closed(estimate: dict[str, Any]) -> dict[str, Any] | None:
            if estimate.get("TxnStatus") == CLOSED:
                return None
            return {"TxnStatus": CLOSED}

        return await self._change(doc, "Estimate", str(sales_order.external_id), closed)

    async def apply_payment(self, doc: PlannedDocument, payment: Intent, invoices: list[Intent]) -> Intent:
        async def applied(record: dict[str, Any]) -> dict[str, Any] | None:
            lines = list(record.get("Line") or [])
            linked = {
                str(link.get("TxnId"))
                for line in lines
                for link in line.get("LinkedTxn") or []
                if link.get("TxnType") == "Invoice"
            }
            unapplied = Decimal(str(record.get("UnappliedAmt", record.get("TotalAmt", 0))))
            added = []
            for invoice in invoices:
                if str(invoice.external_id) in linked or unapplied <= 0:
                    continue
                current = await self._client.read(self._realm, "Invoice", str(invoice.external_id))
                amount = min(unapplied, Decimal(str(current.get("Balance", 0))))
                if amount > 0:
                    added.append(
                        {"Amount": amount, "LinkedTxn": [{"TxnId": invoice.external_id, "TxnType": "Invoice"}]}
                    )
                    unapplied -= amount
            if not added:
                return None
            return {"CustomerRef": record["CustomerRef"], "TotalAmt": record["TotalAmt"], "Line": [*lines, *added]}

        return await self._change(doc, "Payment", str(payment.external_id), applied)

    async def _change(self, doc: PlannedDocument, entity: str, external_id: str, change: Any) -> Intent:
        intent = await intents.open_intent(self._pool, self._tenant, doc.key, entity, None)
        if intent.status == "posted":
            return intent
        for attempt in range(1, ATTEMPTS + 1):
            record = await self._client.read(self._realm, entity, external_id)
            fields = await change(record)
            if fields is None:
                return await intents.mark_posted(self._pool, intent, record)
            body = {"Id": record["Id"], "SyncToken": record["SyncToken"], "sparse": True, **fields}
            # The same change of the same revision is the same request, however often it is sent.
            request_id = str(derive_message_id("qbo-change", intent.request_id, record["SyncToken"]))
            await intents.mark_sending(self._pool, intent)
            try:
                updated = await self._client.create(self._realm, entity, body, request_id)
            except AmbiguousOutcome:
                await backoff(attempt)
                continue  # read again: the change may be there
            except QboFaultError as fault:
                if fault.code != STALE_OBJECT or attempt == ATTEMPTS:
                    raise
                continue  # changed meanwhile: read again
            return await intents.mark_posted(self._pool, intent, updated)
        raise AmbiguousOutcome(f"{entity} {external_id}: the change could not be confirmed")
