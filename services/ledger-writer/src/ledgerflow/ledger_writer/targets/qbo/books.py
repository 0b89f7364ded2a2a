"""One QuickBooks Online company's books, behind the books interface: requests built, faults translated."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import asyncpg

from ledgerflow.contracts import DocumentType, ErrorDetail, MatchingPolicy, NumberedDocument, SalesTax
from ledgerflow.ledger_writer.books import (
    BooksRecord,
    Company,
    CompanyUnavailable,
    Draft,
    Linked,
    NumberTaken,
    Refused,
)
from ledgerflow.ledger_writer.targets.qbo import mapping
from ledgerflow.ledger_writer.targets.qbo.batching import CreateBatcher
from ledgerflow.ledger_writer.targets.qbo.changes import DocumentChanges
from ledgerflow.ledger_writer.targets.qbo.client import QboFaultError, QuickBooksClient, equals
from ledgerflow.ledger_writer.targets.qbo.references import References

DUPLICATE_DOC_NUMBER = "6140"
OBJECT_NOT_FOUND = "610"
_EXISTING_TXN = re.compile(r"TxnId=(\d+)")
# Refusals that no document of the company can get past: the credentials, or the app's access to the company.
_UNAUTHORIZED = (401, 403)


class QboBooks:
    def __init__(
        self,
        pool: asyncpg.Pool,
        client: QuickBooksClient,
        company: Company,
        matching: MatchingPolicy,
        attempt: str,
        *,
        creates: CreateBatcher | None = None,
    ) -> None:
        self._pool = pool
        self._client = client
        self._creates = creates
        self._company = company
        self._realm = company.company_id
        self._refs = References(pool, client, company.tenant_id, self._realm, attempt, matching)
        self._tax = matching.sales_tax

    def kind(self, doc_type: DocumentType) -> str:
        return mapping.ENTITIES[doc_type]

    async def draft(self, numbered: NumberedDocument, linked: Sequence[Linked]) -> Draft:
        doc = numbered.document
        kind = self.kind(doc.type)
        with self._translated(kind):
            links = [(link.external_id, link.kind) for link in linked]
            refs = await self._refs.named(mapping.ref_names(doc))
            if doc.type is DocumentType.PURCHASE_ORDER:
                vendor = await self._refs.vendor(str(doc.vendor_name))
                payable = await self._refs.payable_account()
                body = mapping.purchase_order(numbered, vendor, payable, await self._refs.items(doc))
                return Draft(kind, body)
            if doc.type is DocumentType.BILL:
                vendor = await self._refs.vendor(str(doc.vendor_name))
                orders = [external_id for external_id, linked_kind in links if linked_kind == "PurchaseOrder"]
                return Draft(kind, mapping.bill(numbered, vendor, await self._refs.items(doc), orders))
            customer_id = await self._refs.customer(doc)
            if doc.type is DocumentType.PAYMENT:
                body = mapping.payment(numbered, customer_id, links, refs)
                if self._tax is SalesTax.BOOKS:
                    await self._pay_what_the_books_say(body)
                return Draft(kind, body, customer_id)
            estimates = [link for link in links if link[1] == "Estimate"]
            body = mapping.sales_form(numbered, customer_id, await self._refs.items(doc), estimates, refs, self._tax)
            if doc.type is DocumentType.REFUND_RECEIPT:
                account = await self._refs.account(doc.deposit_account or "Undeposited Funds")
                body["DepositToAccountRef"] = {"value": account}
            return Draft(kind, body, customer_id)

    async def _pay_what_the_books_say(self, body: dict[str, Any]) -> None:
        """QuickBooks may have added tax to the invoices: the payment pays their balance as the books hold it."""
        total = Decimal(0)
        for line in body["Line"]:
            (link,) = line["LinkedTxn"]
            invoice = await self._client.read(self._realm, link["TxnType"], link["TxnId"])
            line["Amount"] = Decimal(str(invoice.get("Balance", invoice.get("TotalAmt", 0))))
            total += line["Amount"]
        if body["Line"]:
            body["TotalAmt"] = total

    async def create(self, draft: Draft, request_id: uuid.UUID) -> BooksRecord:
        try:
            with self._translated(draft.kind, keep_duplicates=True, keep_inactive=True):
                send = self._creates.create if self._creates is not None else self._client.create_traced
                record, tid = await send(self._realm, draft.kind, draft.request, str(request_id))
                return _record(record, tid)
        except QboFaultError as fault:
            if fault.code == OBJECT_NOT_FOUND:
                raise await self._inactive_reference(draft, fault) from fault
            # a number in use: who holds it decides what happens next
            holder_id = _EXISTING_TXN.search(fault.detail)
            assert holder_id is not None
            with self._translated(draft.kind):
                holder = await self._client.read(self._realm, draft.kind, holder_id.group(1))
            raise NumberTaken(_refusal(draft.kind, fault), _record(holder)) from None

    async def _inactive_reference(self, draft: Draft, fault: QboFaultError) -> Refused:
        """A customer or item made inactive in QuickBooks after it was found: its id is forgotten, so that the
        replayed order finds an active one or creates a fresh one (QuickBooks renamed the inactive one)."""
        forgotten = await self._refs.forget(_referenced_ids(draft.request))
        error = _refusal(draft.kind, fault)
        if forgotten:
            error = ErrorDetail(
                code=error.code,
                message=f"QuickBooks refused the {draft.kind.lower()}: {', '.join(forgotten)} was made inactive in "
                "QuickBooks.",
                fix="Make it active again in QuickBooks, or replay the order: ledgerflow then uses an active "
                "record of that name, or creates a new one.",
            )
        return Refused(error, fault.intuit_tid)

    async def find_own(self, numbered: NumberedDocument, draft: Draft) -> BooksRecord | None:
        doc = numbered.document
        if numbered.doc_number is not None:
            where = equals("DocNumber", numbered.doc_number)
        elif draft.customer_id is None:  # a vendor's document: its date, then its memo and total below
            where = equals("TxnDate", doc.txn_date.isoformat())
        else:
            where = f"{equals('CustomerRef', str(draft.customer_id))} AND {equals('TxnDate', doc.txn_date.isoformat())}"
        with self._translated(draft.kind):
            candidates = await self._client.query(self._realm, draft.kind, where)
        # Never by total: QuickBooks may add tax to it. The order's memo marks its documents; where one order
        # has several of a kind for a customer and date, the lines tell them apart.
        own = [record for record in candidates if record.get("PrivateNote") == doc.memo]
        if own:
            # The order's other documents of the kind share its memo, and without a number (the payments of a split
            # tender) its customer and date too: one that is already another document's is never this one.
            others = await self._pool.fetch(
                """SELECT external_id FROM document_intents WHERE tenant_id = $1 AND entity = $2
                   AND external_id = ANY($3::text[]) AND document_key <> $4""",
                self._company.tenant_id,
                draft.kind,
                [str(record["Id"]) for record in own],
                doc.key,
            )
            taken = {row["external_id"] for row in others}
            own = [record for record in own if str(record["Id"]) not in taken]
        if len(own) > 1:
            own = [record for record in own if _same_lines(record, draft.request)] or own
        return _record(own[0]) if own else None

    async def exists(self, document: Linked) -> bool:
        try:
            with self._translated(document.kind, keep_missing=True):
                await self._client.read(self._realm, document.kind, document.external_id)
        except QboFaultError:
            return False
        return True

    async def recent_numbers(self, kind: str) -> list[str]:
        with self._translated(kind):
            recent = await self._client.latest(self._realm, kind)
        return [str(r["DocNumber"]) for r in recent if r.get("DocNumber")]

    async def close_sales_order(self, sales_order: Linked, request_key: uuid.UUID) -> BooksRecord:
        """Close an estimate (the sales order on QuickBooks Online) or a purchase order."""
        with self._translated(sales_order.kind):
            changes = DocumentChanges(self._client, self._realm)
            if sales_order.kind == "PurchaseOrder":
                closed = await changes.close_purchase_order(sales_order.external_id, request_key)
            else:
                closed = await changes.close_estimate(sales_order.external_id, request_key)
            return _record(closed, changes.trace_id)

    async def apply_payment(self, payment: Linked, invoices: Sequence[Linked], request_key: uuid.UUID) -> BooksRecord:
        with self._translated(payment.kind):
            changes = DocumentChanges(self._client, self._realm)
            ids = [invoice.external_id for invoice in invoices]
            applied = await changes.apply_payment(payment.external_id, ids, request_key)
            return _record(applied, changes.trace_id)

    async def update_purchase_order(
        self, purchase_order: Linked, numbered: NumberedDocument, request_key: uuid.UUID
    ) -> BooksRecord:
        doc = numbered.document
        with self._translated(purchase_order.kind):
            vendor = await self._refs.vendor(str(doc.vendor_name))
            payable = await self._refs.payable_account()
            body = mapping.purchase_order(numbered, vendor, payable, await self._refs.items(doc))
            changes = DocumentChanges(self._client, self._realm)
            replaced = await changes.replace_lines(purchase_order.external_id, body["Line"], request_key)
            return _record(replaced, changes.trace_id)

    def _translated(
        self, kind: str, *, keep_duplicates: bool = False, keep_missing: bool = False, keep_inactive: bool = False
    ) -> Any:
        return translated(self._company, kind, keep_duplicates=keep_duplicates,
                          keep_missing=keep_missing or keep_inactive)  # fmt: skip


@contextmanager
def translated(
    company: Company, kind: str, *, keep_duplicates: bool = False, keep_missing: bool = False
) -> Iterator[None]:
    """QuickBooks' faults as the books interface's errors; the two a caller handles itself pass through."""
    try:
        yield
    except QboFaultError as fault:
        if fault.status in _UNAUTHORIZED:
            raise CompanyUnavailable(_unauthorized(company, fault)) from fault
        if keep_duplicates and fault.code == DUPLICATE_DOC_NUMBER and _EXISTING_TXN.search(fault.detail):
            raise
        if keep_missing and fault.code == OBJECT_NOT_FOUND:
            raise
        raise Refused(_refusal(kind, fault), fault.intuit_tid) from fault


def _referenced_ids(request: dict[str, Any]) -> list[tuple[str, str]]:
    """The (entity, id) of the customer and items a request names."""
    ids = [("Customer", str(request["CustomerRef"]["value"]))] if request.get("CustomerRef") else []
    for line in request.get("Line") or []:
        detail = line.get("SalesItemLineDetail") or line.get("ItemBasedExpenseLineDetail") or {}
        if detail.get("ItemRef"):
            ids.append(("Item", str(detail["ItemRef"]["value"])))
    return ids


def _same_lines(record: dict[str, Any], request: dict[str, Any]) -> bool:
    """The same items (or, on a payment, the same invoices) for the same amounts."""

    def lines(body: dict[str, Any]) -> list[tuple[str, Decimal]]:
        found = []
        for line in body.get("Line") or []:
            detail = line.get("SalesItemLineDetail") or line.get("ItemBasedExpenseLineDetail")
            if detail is not None:
                what = f"item {(detail.get('ItemRef') or {}).get('value')}"
            elif line.get("LinkedTxn"):
                what = "paid " + ",".join(sorted(str(link.get("TxnId")) for link in line["LinkedTxn"]))
            else:
                continue  # subtotals, discounts and descriptions: QuickBooks' own or derived from the rest
            found.append((what, Decimal(str(line.get("Amount", 0)))))
        return sorted(found)

    return lines(record) == lines(request)


def _record(record: dict[str, Any], trace_id: str | None = None) -> BooksRecord:
    total, balance = record.get("TotalAmt"), record.get("Balance")
    return BooksRecord(
        external_id=str(record["Id"]),
        version=str(record.get("SyncToken", "0")),
        doc_number=str(record["DocNumber"]) if record.get("DocNumber") else None,
        total=None if total is None else Decimal(str(total)),
        balance=None if balance is None else Decimal(str(balance)),
        memo=record.get("PrivateNote"),
        trace_id=trace_id,
    )


def _refusal(kind: str, fault: QboFaultError) -> ErrorDetail:
    cite = f" (QuickBooks request {fault.intuit_tid})" if fault.intuit_tid else ""
    return ErrorDetail(
        code=f"qbo.{fault.code or fault.status}",
        message=f"QuickBooks refused the {kind.lower()}: {fault.message}. {fault.detail}{cite}".strip(),
        fix="Correct the order or the connection settings as the message says, then replay the order.",
    )


def _unauthorized(company: Company, fault: QboFaultError) -> ErrorDetail:
    tenant, realm = company.tenant_id, company.company_id
    resume = f"then `ledgerflow queues resume --tenant {tenant}`"
    # A refused refresh token already says how to connect the company again.
    fix = (
        fault.detail
        if "ledgerflow tokens store" in fault.detail
        else (
            f"Connect company {realm} again and store its tokens (`ledgerflow tokens store --tenant {tenant} "
            f"--realm {realm}`), or map the tenant to the company its token opens (LEDGERFLOW_QBO_REALMS)"
        )
    )
    return ErrorDetail(
        code=f"qbo.{fault.code or fault.status}",
        message=f"QuickBooks Online refused access to company {realm}: {fault.message}"
        + (f" ({fault.detail})" if fault.detail and fault.detail != fix else ""),
        fix=f"{fix.rstrip('.')}, {resume}.",
    )
