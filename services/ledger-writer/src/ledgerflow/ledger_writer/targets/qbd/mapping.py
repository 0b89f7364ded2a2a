"""Planned documents -> qbXML Add requests (QuickBooks Desktop has real sales orders and no refund receipts)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ledgerflow.contracts import LIMITS, BooksTarget, DocumentType, LineKind, NumberedDocument, PlannedLine

KINDS: dict[DocumentType, str] = {
    DocumentType.INVOICE: "Invoice",
    DocumentType.PAYMENT: "ReceivePayment",
    DocumentType.SALES_RECEIPT: "SalesReceipt",
    DocumentType.SALES_ORDER: "SalesOrder",
    DocumentType.ESTIMATE: "Estimate",
    DocumentType.PURCHASE_ORDER: "PurchaseOrder",
    DocumentType.CREDIT_MEMO: "CreditMemo",
    DocumentType.REFUND_RECEIPT: "RefundReceipt",  # not in QuickBooks Desktop: refused when drafted
    DocumentType.BILL: "Bill",
    DocumentType.ITEM_RECEIPT: "ItemReceipt",
}
# Documents of goods received against a purchase order (and the supplier's bill for them).
RECEIVED = (DocumentType.BILL, DocumentType.ITEM_RECEIPT)
# Sales tax comes from the order's own tax line: QuickBooks adds none of its own to any line.
NON_TAXABLE = {"FullName": "Non"}
PAYMENT_REFERENCE_LIMIT = LIMITS[BooksTarget.QUICKBOOKS_DESKTOP].payment_reference


def sales_line(line: PlannedLine) -> dict[str, Any]:
    """A product line carries quantity and rate; shipping, fees, tax and discounts are amounts of their items
    (a discount is planned as a negative amount, which is how a Desktop line subtracts)."""
    fields: dict[str, Any] = {
        "ItemRef": {"FullName": line.item_name},
        "Desc": line.description,
        "ClassRef": {"FullName": line.class_name} if line.class_name else None,
        "SalesTaxCodeRef": NON_TAXABLE,
    }
    if line.kind is LineKind.ITEM:
        return {**fields, "Quantity": line.quantity, "Rate": line.unit_price, "Amount": line.amount}
    return {**fields, "Amount": line.amount}


def sales_form(
    numbered: NumberedDocument,
    kind: str,
    customer_id: str,
    *,
    lines: Sequence[dict[str, Any]] | None = None,
    link_to: str | None = None,
) -> dict[str, Any]:
    doc = numbered.document
    fields: dict[str, Any] = {
        "CustomerRef": {"ListID": customer_id},
        "ClassRef": {"FullName": doc.class_name} if doc.class_name else None,
        "TxnDate": doc.txn_date,
        "RefNumber": numbered.doc_number,
        "Memo": doc.memo,
        f"{kind}LineAdd": list(lines) if lines is not None else [sales_line(line) for line in doc.lines],
    }
    if kind in ("Invoice", "CreditMemo") and doc.receivable_account:
        fields["ARAccountRef"] = {"FullName": doc.receivable_account}
    if kind == "SalesReceipt" and doc.deposit_account:
        fields["DepositToAccountRef"] = {"FullName": doc.deposit_account}
    if link_to is not None:
        fields["LinkToTxnID"] = link_to
    return fields


def payment(numbered: NumberedDocument, customer_id: str, applied: Sequence[tuple[str, Decimal]]) -> dict[str, Any]:
    """Applied to the invoices it pays; with none (a deposit taken with a sales order), left unapplied: QuickBooks
    keeps it as the customer's credit until it is applied to the invoice."""
    doc = numbered.document
    reference = doc.payment_reference[-PAYMENT_REFERENCE_LIMIT:] if doc.payment_reference else None
    fields: dict[str, Any] = {
        "CustomerRef": {"ListID": customer_id},
        "ARAccountRef": {"FullName": doc.receivable_account} if doc.receivable_account else None,
        "TxnDate": doc.txn_date,
        "RefNumber": reference,
        "TotalAmount": doc.total,
        "Memo": doc.memo,
        "DepositToAccountRef": {"FullName": doc.deposit_account} if doc.deposit_account else None,
    }
    if applied:
        fields["AppliedToTxnAdd"] = [{"TxnID": txn_id, "PaymentAmount": amount} for txn_id, amount in applied]
    else:
        fields["IsAutoApply"] = False  # never let QuickBooks pick the invoice
    return fields


def purchase_line(line: PlannedLine) -> dict[str, Any]:
    """A line as a purchase order's (or its change's new line): charges are amounts of their items."""
    fields: dict[str, Any] = {"ItemRef": {"FullName": line.item_name}, "Desc": line.description, "Amount": line.amount}
    if line.kind is LineKind.ITEM:
        fields.update(Quantity=line.quantity, Rate=line.unit_price)
    return fields


def purchase_order(numbered: NumberedDocument, vendor: str) -> dict[str, Any]:
    doc = numbered.document
    return {
        "VendorRef": {"FullName": vendor},
        "ClassRef": {"FullName": doc.class_name} if doc.class_name else None,
        "TxnDate": doc.txn_date,
        "RefNumber": numbered.doc_number,
        "Memo": doc.memo,
        "PurchaseOrderLineAdd": [purchase_line(line) for line in doc.lines],
    }


def purchase_order_change(ret: dict[str, Any], lines: Sequence[tuple[PlannedLine, str | None]]) -> dict[str, Any]:
    """A PurchaseOrderMod of the order as read (``ret``): each line changed by its TxnLineID, a new one as -1.
    QuickBooks drops the lines a Mod leaves out, so every line that is to stay is listed."""
    return {
        "TxnID": ret["TxnID"],
        "EditSequence": ret["EditSequence"],
        "PurchaseOrderLineMod": [{"TxnLineID": line_id or "-1", **purchase_line(line)} for line, line_id in lines],
    }


def received_line(line: PlannedLine, link: tuple[str, str] | None = None) -> dict[str, Any]:
    """A line of goods received (or billed); linked to the purchase-order line it receives, it names no item:
    QuickBooks takes the item from that line."""
    fields: dict[str, Any] = {"Desc": line.description, "Quantity": line.quantity, "Amount": line.amount}
    if line.kind is LineKind.ITEM:
        fields["Cost"] = line.unit_price
    if link is None:
        return {"ItemRef": {"FullName": line.item_name}, **fields}
    return {**fields, "LinkToTxn": {"TxnID": link[0], "TxnLineID": link[1]}}


def received(numbered: NumberedDocument, vendor_id: str, lines: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """An ItemReceiptAdd or BillAdd: dated the receipt (or the supplier's invoice), numbered by that invoice."""
    doc = numbered.document
    return {
        "VendorRef": {"ListID": vendor_id},
        "TxnDate": doc.txn_date,
        "RefNumber": numbered.doc_number,
        "Memo": doc.memo,
        "ItemLineAdd": list(lines),
    }


def total_of(ret: dict[str, Any]) -> Decimal | None:
    """A transaction's total as QuickBooks returns it (an invoice has no TotalAmount: subtotal plus tax)."""
    for key in ("TotalAmount", "AmountDue"):  # a bill's total is what it makes due
        if ret.get(key) not in (None, ""):
            return Decimal(str(ret[key]))
    if ret.get("Subtotal") not in (None, ""):
        return Decimal(str(ret["Subtotal"])) + Decimal(str(ret.get("SalesTaxTotal") or "0"))
    return None


def balance_of(ret: dict[str, Any]) -> Decimal | None:
    for key in ("BalanceRemaining", "UnusedPayment", "CreditRemaining", "OpenAmount"):
        if ret.get(key) not in (None, ""):
            return Decimal(str(ret[key]))
    return None
