"""One QuickBooks Desktop company file's books, behind the books interface.

qbXML has no idempotency key: a document is found again by its RefNumber (or customer and date) and the
order's memo, which is how the posting core settles a write whose answer never came. Before an Add with a
number, the number is looked up: QuickBooks Desktop takes duplicates silently, so the collision policy (N3)
is applied here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from ledgerflow.contracts import (
    DocumentType,
    ErrorDetail,
    LineKind,
    MatchingPolicy,
    NumberedDocument,
    PlannedLine,
)
from ledgerflow.ledger_writer.books import BooksRecord, Company, Draft, Linked, NumberTaken, Refused
from ledgerflow.ledger_writer.targets.qbd import mapping
from ledgerflow.ledger_writer.targets.qbd.qbxml.build import add_request, query_request
from ledgerflow.ledger_writer.targets.qbd.qbxml.parse import Answer, many, parse_xml
from ledgerflow.ledger_writer.targets.qbd.references import References
from ledgerflow.ledger_writer.targets.qbd.status import NOT_FOUND, STALE_EDIT_SEQUENCE, Busy, check
from ledgerflow.ledger_writer.targets.qbd.wire import SetRejected, Wire

RECENT_NUMBERS_DAYS = 60
MOD_ATTEMPTS = 3
_VENDOR_NUMBERED = ("Bill", "ItemReceipt")


class DesktopBooks:
    def __init__(
        self, pool: asyncpg.Pool, wire: Wire, company: Company, matching: MatchingPolicy, income_account: str
    ) -> None:
        self._wire = wire
        self._company = company.company_id
        self._refs = References(pool, wire, company.tenant_id, company.company_id, matching, income_account)

    def kind(self, doc_type: DocumentType) -> str:
        return mapping.KINDS[doc_type]

    async def draft(self, numbered: NumberedDocument, linked: Sequence[Linked]) -> Draft:
        doc = numbered.document
        kind = self.kind(doc.type)
        if doc.type is DocumentType.REFUND_RECEIPT:
            raise Refused(
                ErrorDetail(
                    code="qbd.refund_receipt",
                    message="QuickBooks Desktop has no refund receipts",
                    fix="Set the connection's `refunds: credit_memo` for this QuickBooks Desktop company, then replay.",
                )
            )
        if doc.location:
            raise Refused(
                ErrorDetail(
                    code="qbd.location",
                    message=f"QuickBooks Desktop has no locations (a rule set location {doc.location!r})",
                    fix="Use a class instead of a location in a QuickBooks Desktop connection's rules, then replay.",
                )
            )
        await self._refs.items(doc)
        if doc.type is DocumentType.PURCHASE_ORDER:
            vendor = str(doc.vendor_name)
            vendor_id = await self._refs.vendor(vendor)
            return Draft(kind, add_request(f"{kind}Add", mapping.purchase_order(numbered, vendor)), vendor_id)
        if doc.type in mapping.RECEIVED:
            vendor_id = await self._refs.vendor(str(doc.vendor_name))
            lines = await self._received_lines(numbered, linked)
            return Draft(kind, add_request(f"{kind}Add", mapping.received(numbered, vendor_id, lines)), vendor_id)
        customer = await self._refs.customer(doc)
        if doc.type is DocumentType.PAYMENT:
            applied = await self._applied(doc.total, [link for link in linked if link.kind == "Invoice"])
            return Draft(kind, add_request(f"{kind}Add", mapping.payment(numbered, customer, applied)), customer)
        sales_orders = [link for link in linked if link.kind == "SalesOrder"]
        if kind == "Invoice" and sales_orders:
            fields = await self._linked_invoice(numbered, customer, sales_orders[0])
        else:
            fields = mapping.sales_form(numbered, kind, customer)
        return Draft(kind, add_request(f"{kind}Add", fields), customer)

    async def _linked_invoice(self, numbered: NumberedDocument, customer: str, sales_order: Linked) -> dict[str, Any]:
        """An invoice made from its sales order: QuickBooks copies the order's lines and closes it when all are
        invoiced. The whole order when the invoice bills it as it stands; otherwise line by line, each line that
        matches one of the order's linked to it, the others (a line added since) on their own."""
        order = await self._one("SalesOrder", sales_order.external_id, lines=True)
        if order is None:
            return mapping.sales_form(numbered, "Invoice", customer)  # deleted in QuickBooks: an invoice alone
        open_lines = [line for line in many(order, "SalesOrderLineRet") if _open(line)]
        planned = list(numbered.document.lines)
        pairs = _pair(planned, open_lines)
        if len(pairs) == len(planned) == len(open_lines):
            return mapping.sales_form(numbered, "Invoice", customer, lines=[], link_to=sales_order.external_id)
        lines = []
        for index, line in enumerate(planned):
            so_line = pairs.get(index)
            if so_line is None:
                lines.append(mapping.sales_line(line))
                continue
            lines.append(
                {
                    "Quantity": line.quantity,
                    "Amount": line.amount,
                    "LinkToTxn": {"TxnID": sales_order.external_id, "TxnLineID": so_line["TxnLineID"]},
                }
            )
        return mapping.sales_form(numbered, "Invoice", customer, lines=lines)

    async def _received_lines(self, numbered: NumberedDocument, linked: Sequence[Linked]) -> list[dict[str, Any]]:
        """Each line received linked to the purchase-order line of its item that is still open, so QuickBooks
        counts it received there (more than ordered included); a line with none open, or a purchase order
        closed or deleted in QuickBooks meanwhile, is received on its own."""
        doc = numbered.document
        if any(link.kind == "ItemReceipt" for link in linked):
            raise Refused(_bill_for_item_receipt(doc.memo))
        planned = list(doc.lines)
        orders = [link for link in linked if link.kind == "PurchaseOrder"]
        order = await self._one("PurchaseOrder", orders[0].external_id, lines=True) if orders else None
        if order is None or _true(order.get("IsManuallyClosed")):
            return [mapping.received_line(line) for line in planned]
        free = [line for line in many(order, "PurchaseOrderLineRet") if _receivable(line)]
        lines = []
        for line in planned:
            match = next((po_line for po_line in free if _item_of(po_line) == line.item_name), None)
            if match is None:
                lines.append(mapping.received_line(line))
                continue
            free.remove(match)
            lines.append(mapping.received_line(line, (str(order["TxnID"]), str(match["TxnLineID"]))))
        return lines

    async def _applied(self, total: Decimal, invoices: Sequence[Linked]) -> list[tuple[str, Decimal]]:
        """What of the payment goes to each invoice: in order, up to each one's balance."""
        if len(invoices) <= 1:
            return [(invoice.external_id, total) for invoice in invoices]
        left, applied = total, []
        for invoice in invoices:
            ret = await self._one("Invoice", invoice.external_id)
            balance = mapping.balance_of(ret) if ret is not None else None
            amount = min(left, balance) if balance is not None else left
            if amount > 0:
                applied.append((invoice.external_id, amount))
                left -= amount
        return applied

    async def create(self, draft: Draft, request_id: uuid.UUID) -> BooksRecord:
        number = _ref_number(draft)
        if number is not None and draft.kind != "ReceivePayment":
            holders = await self._query(draft.kind, {"RefNumber": number})
            if draft.kind in _VENDOR_NUMBERED:  # the supplier's own invoice number: another's may be the same
                holders = [ret for ret in holders if _entity_of(ret) == draft.customer_id]
            if holders:  # QuickBooks Desktop would take the duplicate: the core decides (ours, or N3)
                raise NumberTaken(
                    ErrorDetail(
                        code="number.collision",
                        message=f"{draft.kind} number {number} is already used in the company file",
                        fix="Set a numbering prefix for this connection, or renumber the other document, then replay.",
                    ),
                    _record(holders[0]),
                )
        answer = await self._send(draft.request)
        check(answer, f"add the {_spaced(draft.kind)}")
        return _record(answer.rets[0])

    async def _send(self, request: str) -> Answer:
        try:
            return (await self._wire.ask(self._company, [request], writes=True))[0]
        except SetRejected:
            # Shared with other orders' requests, one of which QuickBooks could not read: this one goes alone.
            try:
                return (await self._wire.ask(self._company, [request], writes=True, alone=True))[0]
            except SetRejected as alone:
                raise Refused(
                    ErrorDetail(
                        code="qbd.unreadable_request",
                        message=f"QuickBooks Desktop could not read ledgerflow's request ({alone.hresult}: "
                        f"{alone.message})",
                        fix="A ledgerflow defect: report it with the order; replay the order once fixed.",
                    )
                ) from None

    async def find_own(self, numbered: NumberedDocument, draft: Draft) -> BooksRecord | None:
        doc = numbered.document
        number = _ref_number(draft)
        if number is not None and draft.kind != "ReceivePayment":
            candidates = await self._query(draft.kind, {"RefNumber": number})
        else:
            entity = {"ListID": draft.customer_id} if draft.customer_id else None
            day = doc.txn_date
            candidates = await self._query(
                draft.kind,
                {
                    "TxnDateRangeFilter": {"FromTxnDate": day, "ToTxnDate": day},
                    "EntityFilter": entity,
                },
            )
        for ret in candidates:
            if ret.get("Memo") == doc.memo and mapping.total_of(ret) == doc.total:
                return _record(ret)
        return None

    async def exists(self, document: Linked) -> bool:
        return await self._one(document.kind, document.external_id) is not None

    async def recent_numbers(self, kind: str) -> list[str]:
        since = datetime.now(UTC) - timedelta(days=RECENT_NUMBERS_DAYS)
        found = await self._query(
            kind,
            {
                "ModifiedDateRangeFilter": {"FromModifiedDate": since},
                "IncludeRetElement": ["RefNumber"],
            },
        )
        return [str(ret["RefNumber"]) for ret in found if ret.get("RefNumber")]

    async def close_sales_order(self, sales_order: Linked, request_key: uuid.UUID) -> BooksRecord:
        """Close a sales order or a purchase order, unless QuickBooks closed it already (all invoiced, or all
        received) or someone did."""
        kind, what = sales_order.kind, _spaced(sales_order.kind)
        done = "IsFullyReceived" if kind == "PurchaseOrder" else "IsFullyInvoiced"
        for _ in range(MOD_ATTEMPTS):
            order = await self._one(kind, sales_order.external_id)
            if order is None:
                raise Refused(_gone(what, sales_order))
            if _true(order.get(done)) or _true(order.get("IsManuallyClosed")):
                return _record(order)
            mod = {"TxnID": order["TxnID"], "EditSequence": order["EditSequence"], "IsManuallyClosed": True}
            answer = await self._send(add_request(f"{kind}Mod", mod))
            if answer.ok:
                return _record(answer.rets[0])
            if answer.status_code != STALE_EDIT_SEQUENCE:  # someone changed it meanwhile: read it again
                check(answer, f"close the {what}")
        raise Busy(f"the {what} kept changing while ledgerflow closed it")

    async def update_purchase_order(
        self, purchase_order: Linked, numbered: NumberedDocument, request_key: uuid.UUID
    ) -> BooksRecord:
        """Give the purchase order the planned lines, unless it has them already (an earlier attempt whose answer
        was lost). Lines are kept by their TxnLineID where the item stays, so QuickBooks keeps their history."""
        doc = numbered.document
        await self._refs.items(doc)
        for _ in range(MOD_ATTEMPTS):
            order = await self._one("PurchaseOrder", purchase_order.external_id, lines=True)
            if order is None:
                raise Refused(_gone("purchase order", purchase_order))
            existing = many(order, "PurchaseOrderLineRet")
            if _same_lines(existing, doc.lines):
                return _record(order)
            if any(_received(line) for line in existing):
                raise Refused(_received_meanwhile(doc.memo))
            change = mapping.purchase_order_change(order, _line_ids(doc.lines, existing))
            answer = await self._send(add_request("PurchaseOrderMod", change))
            if answer.ok:
                return _record(answer.rets[0])
            if answer.status_code != STALE_EDIT_SEQUENCE:
                check(answer, "change the purchase order")
        raise Busy("the purchase order kept changing while ledgerflow changed it")

    async def apply_payment(self, payment: Linked, invoices: Sequence[Linked], request_key: uuid.UUID) -> BooksRecord:
        """Move what is unapplied of the payment (a deposit taken with the sales order) onto the invoices; the
        whole list of applications is sent, as QuickBooks may drop the ones a change leaves out."""
        for _ in range(MOD_ATTEMPTS):
            ret = await self._one("ReceivePayment", payment.external_id, lines=True)
            if ret is None:
                raise Refused(_gone("payment", payment))
            unused = Decimal(str(ret.get("UnusedPayment") or "0"))
            current = {str(a["TxnID"]): Decimal(str(a.get("Amount") or "0")) for a in many(ret, "AppliedToTxnRet")}
            targets = [invoice for invoice in invoices if invoice.external_id not in current]
            if unused <= 0 or not targets:
                return _record(ret)  # applied already
            added = await self._applied(unused, targets)
            applications = [*current.items(), *added]
            mod = {
                "TxnID": ret["TxnID"],
                "EditSequence": ret["EditSequence"],
                "AppliedToTxnMod": [{"TxnID": txn, "PaymentAmount": amount} for txn, amount in applications],
            }
            answer = await self._send(add_request("ReceivePaymentMod", mod))
            if answer.ok:
                return _record(answer.rets[0])
            if answer.status_code != 3200:
                check(answer, "apply the payment to the invoice")
        raise Busy("the payment kept changing while ledgerflow applied it")

    async def _one(self, kind: str, txn_id: str, *, lines: bool = False) -> dict[str, Any] | None:
        fields: dict[str, Any] = {"TxnID": txn_id}
        if lines:
            fields["IncludeLineItems"] = True
        found = await self._query(kind, fields)
        return found[0] if found else None

    async def _query(self, kind: str, fields: dict[str, Any]) -> list[dict[str, Any]]:
        answer = (await self._wire.ask(self._company, [query_request(f"{kind}Query", fields)], writes=False))[0]
        if answer.status_code in NOT_FOUND and not answer.rets:
            return []
        check(answer, f"look up the {_spaced(kind)}")
        return answer.rets


def _record(ret: dict[str, Any]) -> BooksRecord:
    return BooksRecord(
        external_id=str(ret["TxnID"]),
        version=str(ret.get("EditSequence", "0")),
        doc_number=str(ret["RefNumber"]) if ret.get("RefNumber") else None,
        total=mapping.total_of(ret),
        balance=mapping.balance_of(ret),
        memo=ret.get("Memo"),
    )


def _ref_number(draft: Draft) -> str | None:
    found = parse_xml(str(draft.request)).find(f"{draft.kind}Add/RefNumber")
    return None if found is None else found.text


def _open(line: dict[str, Any]) -> bool:
    ordered = Decimal(str(line.get("Quantity") or "0"))
    invoiced = Decimal(str(line.get("Invoiced") or "0"))
    return not _true(line.get("IsManuallyClosed")) and (ordered == 0 or invoiced < ordered)


def _pair(planned: list[PlannedLine], open_lines: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Invoice lines matched to the sales order's open lines by item, quantity and amount, each used once."""
    pairs: dict[int, dict[str, Any]] = {}
    free = list(open_lines)
    for index, line in enumerate(planned):
        for so_line in free:
            item = (so_line.get("ItemRef") or {}).get("FullName")
            quantity = Decimal(str(so_line.get("Quantity") or "0"))
            amount = Decimal(str(so_line.get("Amount") or "0"))
            wanted = line.amount
            same_quantity = line.kind is not LineKind.ITEM or quantity == line.quantity
            if item == line.item_name and same_quantity and amount == wanted:
                pairs[index] = so_line
                free.remove(so_line)
                break
    return pairs


def _entity_of(ret: dict[str, Any]) -> str | None:
    ref = ret.get("VendorRef") or ret.get("CustomerRef") or {}
    return str(ref["ListID"]) if ref.get("ListID") else None


def _item_of(line: dict[str, Any]) -> str | None:
    return (line.get("ItemRef") or {}).get("FullName")


def _quantity(line: dict[str, Any], key: str) -> Decimal:
    return Decimal(str(line.get(key) or "0"))


def _received(line: dict[str, Any]) -> bool:
    return _quantity(line, "ReceivedQuantity") > 0


def _receivable(line: dict[str, Any]) -> bool:
    """A purchase-order line QuickBooks still receives goods on: not closed, not all received."""
    if _true(line.get("IsManuallyClosed")):
        return False
    ordered = _quantity(line, "Quantity") if line.get("Quantity") not in (None, "") else Decimal(1)
    return _quantity(line, "ReceivedQuantity") < ordered


def _same_lines(existing: list[dict[str, Any]], planned: Sequence[PlannedLine]) -> bool:
    def quantity(value: object) -> Decimal | None:
        return None if value in (None, "") else Decimal(str(value)).normalize()

    have = [(_item_of(line), _quantity(line, "Amount")) for line in existing]
    want = [(line.item_name, line.amount) for line in planned]
    have_quantities = [quantity(line.get("Quantity")) for line in existing]
    want_quantities = [quantity(line.quantity) if line.kind is LineKind.ITEM else None for line in planned]
    return have == want and have_quantities == want_quantities


def _line_ids(planned: Sequence[PlannedLine], existing: list[dict[str, Any]]) -> list[tuple[PlannedLine, str | None]]:
    """Each planned line with the TxnLineID of an existing line of its item (each used once), or None: new."""
    free = list(existing)
    paired: list[tuple[PlannedLine, str | None]] = []
    for line in planned:
        match = next((old for old in free if _item_of(old) == line.item_name), None)
        if match is not None:
            free.remove(match)
        paired.append((line, str(match["TxnLineID"]) if match is not None else None))
    return paired


def _true(value: object) -> bool:
    return str(value).lower() == "true"


def _spaced(kind: str) -> str:
    return "".join(f" {c.lower()}" if c.isupper() else c for c in kind).strip()


def _bill_for_item_receipt(memo: str) -> ErrorDetail:
    return ErrorDetail(
        code="qbd.bill_for_item_receipt",
        message=f"{memo}: the supplier's invoice is for goods already entered as an item receipt; QuickBooks Desktop "
        "turns an item receipt into its bill only in QuickBooks itself, so ledgerflow does not post this bill",
        fix="In QuickBooks use Vendors > Enter Bill for Received Items for that item receipt; or set the connection's "
        "receipt_policy to receipt-as-bill, so that every receipt is a bill.",
    )


def _received_meanwhile(memo: str) -> ErrorDetail:
    return ErrorDetail(
        code="purchase_order.changed_after_receipt",
        message=f"{memo}: goods were received against the purchase order in QuickBooks, so ledgerflow left it as it "
        "is rather than change it to the system's new version",
        fix="Edit the purchase order in QuickBooks to match, or leave it: what was received stands.",
    )


def _gone(what: str, document: Linked) -> ErrorDetail:
    return ErrorDetail(
        code="qbd.3120",
        message=f"the {what} ({document.external_id}) is no longer in the QuickBooks Desktop company file",
        fix="Resync the order (`ledgerflow resync --delete`) to post its documents again.",
    )
