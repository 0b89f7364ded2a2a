"""Erply: the response of ``getPurchaseDocuments`` (``{"status": ..., "records": [...]}``) holding one purchase order
(``PRCORDER``) with its rows, and the purchase documents made from it: invoices (``PRCINVOICE``,
``CASHPRCINVOICE``), waybills (``PRCWAYBILL``) and invoices for waybilled goods (``PRCINVOICEONLY``), which are
the receipt events. Read them with ``getRowsForAllInvoices=1``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from ledgerflow.contracts import (
    CanonicalPurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    PurchaseOrderSystem,
    PurchaseReceipt,
    ReceiptKind,
    ReceiptLine,
    VendorRef,
)
from ledgerflow.ingest.normalizers.purchase_orders.common import (
    ZERO,
    day,
    joined,
    many,
    non_negative,
    number,
    optional_number,
    refuse,
    required,
    required_day,
    text,
    truthy,
    unit,
)

SYSTEM = PurchaseOrderSystem.ERPLY
RECEIPT_KINDS = {
    "PRCINVOICE": ReceiptKind.GOODS_AND_INVOICE,
    "CASHPRCINVOICE": ReceiptKind.GOODS_AND_INVOICE,
    "PRCWAYBILL": ReceiptKind.GOODS,
    "PRCINVOICEONLY": ReceiptKind.INVOICE_ONLY,
}
HUNDRED = Decimal(100)
# How far netTotalForAccounting / netTotal may be from currencyRate (both are rounded to the cent).
RATE_TOLERANCE = Decimal("0.005")
BUNDLE = (
    "Publish the getPurchaseDocuments response for the purchase order and the documents made from it "
    "(ids=<PO id>,<invoice ids>, getRowsForAllInvoices=1): see docs/purchase-orders.md."
)


def normalize(payload: dict[str, Any]) -> CanonicalPurchaseOrder:
    status = payload.get("status")
    if isinstance(status, dict) and status.get("responseStatus") == "error":
        raise refuse(
            SYSTEM,
            "api_error",
            f"the response is Erply's error {status.get('errorCode')} (field {status.get('errorField')!r}), "
            "not purchase documents",
            "Fix the request (1054/1055: sign in again; 1002: wait for the next hour's quota) and publish "
            "the response once it succeeds.",
        )
    records = many(payload.get("records"), "records", SYSTEM)
    orders = [r for r in records if r.get("type") == "PRCORDER"]
    if len(orders) != 1:
        raise refuse(
            SYSTEM,
            "not_one_order",
            f"the response holds {len(orders)} purchase orders (type PRCORDER); a message carries one",
            BUNDLE,
        )
    order = orders[0]
    po_id = str(required(order, "id", "PRCORDER"))
    number_ = text(order.get("number"))
    if number_ is None:
        raise refuse(
            SYSTEM,
            "missing_number",
            f"purchase order {po_id} has no number",
            "Confirm the purchase order in Erply (that numbers it), then publish it again.",
        )
    supplier_id = order.get("supplierID")
    supplier_name = text(order.get("supplierName"))
    if not supplier_id and supplier_name is None:
        raise refuse(
            SYSTEM,
            "no_supplier",
            f"purchase order {number_} has neither a supplierID nor a supplierName",
            "Choose the supplier on the purchase order in Erply, then publish it again.",
        )
    if "rows" not in order:
        raise refuse(
            SYSTEM,
            "headers_only",
            f"purchase order {number_} comes without rows: a list call returns headers only",
            "Read it again with getRowsForAllInvoices=1 (or by its id) and publish that response.",
        )
    lines = _lines(order, number_)
    receipts, ignored = _receipts(records, order, lines, po_id)
    received: dict[str, Decimal] = defaultdict(Decimal)
    for receipt in receipts:
        if receipt.kind is not ReceiptKind.INVOICE_ONLY:  # an invoice for waybilled goods brings no goods
            for rline in receipt.lines:
                received[rline.line_id] += rline.quantity
    lines = tuple(line.model_copy(update={"received": max(received[line.line_id], ZERO)}) for line in lines)
    currency = text(order.get("currencyCode"))
    return CanonicalPurchaseOrder(
        system=SYSTEM,
        source_po_id=po_id,
        po_number=number_,
        vendor=VendorRef(source_id=str(supplier_id) if supplier_id else None, name=supplier_name),
        vendor_reference=text(order.get("referenceNumber")) or text(order.get("regnumber")),
        # date is a local calendar date without zone: it is the books' date as it is.
        ordered_on=required_day(order.get("date"), "PRCORDER.date", SYSTEM),
        expected_on=day(order.get("shipDate"), "PRCORDER.shipDate"),
        currency=currency,
        exchange_rate=_rate(order, number_) if currency else None,
        status=_status(order, lines),
        source_status=f"{order.get('status')}{'' if truthy(order.get('confirmed')) else ' (unconfirmed)'}",
        ship_to=joined(text(order.get("warehouseName")), text(order.get("address")), sep=" / "),
        memo=text(order.get("notes")),
        private_note=f"Erply purchase order {number_} ({po_id})",
        lines=lines,
        receipts=receipts,
        source_total=optional_number(order.get("netTotal"), "PRCORDER.netTotal"),
        warnings=tuple(
            f"{kind} {doc} is not posted (returns to suppliers are not supported yet)" for kind, doc in ignored
        ),
    )


def _net_price(row: dict[str, Any], where: str) -> Decimal:
    """price is the net unit price before the row's discount (a percent)."""
    price = non_negative(row.get("price") or 0, f"{where}.price")
    discount = number(row.get("discount") or 0, f"{where}.discount")
    if not ZERO <= discount <= HUNDRED:
        raise refuse(SYSTEM, "bad_field", f"{where}.discount is {row.get('discount')!r}, not a percent", BUNDLE)
    return unit(price * (HUNDRED - discount) / HUNDRED)


def _lines(order: dict[str, Any], number_: str) -> tuple[PurchaseOrderLine, ...]:
    lines = []
    for i, row in enumerate(many(order.get("rows"), f"purchase order {number_} rows", SYSTEM)):
        where = f"PRCORDER.rows[{i}]"
        quantity = number(row.get("amount") or 0, f"{where}.amount")
        if quantity < 0:
            raise refuse(
                SYSTEM,
                "bad_field",
                f"{where}.amount is {quantity}: a purchase order orders, never returns",
                "Enter returns to the supplier as a PRCRETURN document, not as a negative row.",
            )
        product = row.get("productID") or row.get("serviceID")
        lines.append(
            PurchaseOrderLine(
                line_id=str(i + 1),  # rows carry no id of their own
                sku=text(row.get("code")) or text(row.get("code2")),
                product_id=str(product) if product else None,
                title=text(row.get("itemName")),
                quantity=quantity,
                unit_cost=_net_price(row, where),
                cancelled=quantity == 0,
            )
        )
    return tuple(lines)


def _rate(order: dict[str, Any], number_: str) -> Decimal | None:
    """currencyRate's direction varies by account: the accounting totals say which it is."""
    rate = optional_number(order.get("currencyRate"), "PRCORDER.currencyRate")
    if not rate:
        return None
    net = optional_number(order.get("netTotal"), "PRCORDER.netTotal")
    home = optional_number(order.get("netTotalForAccounting"), "PRCORDER.netTotalForAccounting")
    if not net or not home:
        return rate
    implied = home / net
    if abs(implied - rate) <= RATE_TOLERANCE * max(rate, Decimal(1)):
        return rate
    if abs(implied - 1 / rate) <= RATE_TOLERANCE * max(1 / rate, Decimal(1)):
        return unit(1 / rate)  # the account writes foreign units per home unit: QuickBooks wants the inverse
    raise refuse(
        SYSTEM,
        "rate_unclear",
        f"purchase order {number_}: currencyRate {rate} agrees neither way with netTotal {net} and "
        f"netTotalForAccounting {home}",
        "Check the purchase order's currency rate in Erply, then publish it again.",
    )


def _status(order: dict[str, Any], lines: tuple[PurchaseOrderLine, ...]) -> PurchaseOrderStatus:
    """status on a purchase order is advisory (set by hand too): the linked documents' quantities decide."""
    value = order.get("status")
    if value == "PENDING" or not truthy(order.get("confirmed")):
        return PurchaseOrderStatus.DRAFT
    active = [line for line in lines if not line.cancelled]
    complete = all(line.received >= line.quantity for line in active)
    if complete:
        return PurchaseOrderStatus.RECEIVED
    if value == "RECEIVED":
        return PurchaseOrderStatus.CLOSED
    return (
        PurchaseOrderStatus.PARTIALLY_RECEIVED
        if any(line.received > 0 for line in active)
        else (PurchaseOrderStatus.OPEN)
    )


def _receipts(
    records: list[dict[str, Any]], order: dict[str, Any], lines: tuple[PurchaseOrderLine, ...], po_id: str
) -> tuple[tuple[PurchaseReceipt, ...], list[tuple[str, str]]]:
    by_product: dict[str, str] = {}
    for line in lines:
        for key in (line.product_id, line.sku):
            if key:
                by_product.setdefault(key, line.line_id)
    linked = {po_id}
    receipts: list[PurchaseReceipt] = []
    ignored: list[tuple[str, str]] = []
    # Waybills first: an invoice for waybilled goods names the waybill, not the purchase order.
    ordered = sorted((r for r in records if r is not order), key=lambda r: r.get("type") == "PRCINVOICEONLY")
    for record in ordered:
        kind = record.get("type")
        bases = {str(b.get("id")): b for b in many(record.get("baseDocuments"), "baseDocuments", SYSTEM)}
        if not linked & set(bases):
            continue  # not made from this purchase order
        doc_id = str(required(record, "id", str(kind)))
        if kind == "PRCRETURN":
            ignored.append((kind, text(record.get("number")) or doc_id))
            continue
        if kind not in RECEIPT_KINDS:
            continue
        if not truthy(record.get("confirmed", 1)):
            continue  # an unconfirmed invoice is a draft
        linked.add(doc_id)
        where = f"{kind} {text(record.get('number')) or doc_id}"
        if "rows" not in record:
            raise refuse(
                SYSTEM,
                "headers_only",
                f"{where} comes without rows",
                "Read the documents with getRowsForAllInvoices=1 and publish that response.",
            )
        received = []
        for i, row in enumerate(many(record.get("rows"), f"{where} rows", SYSTEM)):
            product = str(row.get("productID") or row.get("serviceID") or "") or None
            key = product if product in by_product else text(row.get("code"))
            if key not in by_product:
                raise refuse(
                    SYSTEM,
                    "unknown_line",
                    f"{where} row {i + 1} ({row.get('code')}) is for a product not on the purchase order",
                    "Publish the purchase order as Erply has it now (a row may have been added).",
                )
            quantity = number(row.get("amount") or 0, f"{where} row {i + 1} amount")
            if quantity:
                received.append(
                    ReceiptLine(
                        line_id=by_product[str(key)],
                        quantity=quantity,
                        unit_cost=_net_price(row, f"{where} row {i + 1}"),
                    )
                )
        on = required_day(record.get("date"), f"{where}.date", SYSTEM)
        days = int(number(record.get("paymentDays") or 0, f"{where}.paymentDays"))
        receipt_kind = RECEIPT_KINDS[kind]
        waybill = next((b for b, d in bases.items() if d.get("type") == "PRCWAYBILL"), None)
        receipts.append(
            PurchaseReceipt(
                receipt_id=doc_id,
                kind=receipt_kind,
                received_on=on,
                lines=tuple(received),
                # Which of number and regnumber holds the supplier's invoice number varies by account; regnumber
                # is the registration number of the supplier's document where it is used.
                supplier_invoice=None
                if receipt_kind is ReceiptKind.GOODS
                else (text(record.get("regnumber")) or text(record.get("number"))),
                invoice_date=None if receipt_kind is ReceiptKind.GOODS else on,
                due_date=on + timedelta(days=days) if days and receipt_kind is not ReceiptKind.GOODS else None,
                total=optional_number(record.get("netTotal"), f"{where}.netTotal"),
                links_to=waybill if receipt_kind is ReceiptKind.INVOICE_ONLY else None,
            )
        )
    return tuple(r for r in receipts if r.lines), ignored
