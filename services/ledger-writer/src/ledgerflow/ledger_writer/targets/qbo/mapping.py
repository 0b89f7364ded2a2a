"""Planned documents -> QuickBooks Online entities (estimates stand for sales orders)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ledgerflow.contracts import DocumentType, LineKind, NumberedDocument, PlannedDocument, PlannedLine, SalesTax

ENTITIES: dict[DocumentType, str] = {
    DocumentType.INVOICE: "Invoice",
    DocumentType.PAYMENT: "Payment",
    DocumentType.SALES_RECEIPT: "SalesReceipt",
    DocumentType.SALES_ORDER: "Estimate",
    DocumentType.ESTIMATE: "Estimate",
    DocumentType.PURCHASE_ORDER: "PurchaseOrder",
    DocumentType.CREDIT_MEMO: "CreditMemo",
    DocumentType.REFUND_RECEIPT: "RefundReceipt",
    DocumentType.BILL: "Bill",
}

PAYMENT_REF_LIMIT = 21
TAXABLE = "TAX"  # the code a US company's automated sales tax taxes
# (entity, name) -> id in the books: the classes, locations (departments), accounts and tax codes rules name.
RefIds = Mapping[tuple[str, str], str]
_RECEIVABLE = (DocumentType.INVOICE, DocumentType.PAYMENT, DocumentType.CREDIT_MEMO)
_DEPOSITED = (DocumentType.SALES_RECEIPT, DocumentType.PAYMENT)


def sales_line(
    line: PlannedLine, item_ids: dict[str, str], refs: RefIds | None = None, tax: SalesTax = SalesTax.PLAN
) -> dict[str, Any]:
    if line.kind is LineKind.DISCOUNT:
        return {
            "DetailType": "DiscountLineDetail",
            "Amount": -line.amount,
            "Description": line.description,
            "DiscountLineDetail": {"PercentBased": False, **_line_refs(line, refs or {})},
        }
    detail: dict[str, Any] = {
        "ItemRef": {"value": item_ids[line.item_name], "name": line.item_name},
        "Qty": line.quantity,
        "UnitPrice": line.unit_price,
        **_line_refs(line, refs or {}),
    }
    if tax is SalesTax.BOOKS and line.taxable and "TaxCodeRef" not in detail:
        detail["TaxCodeRef"] = {"value": TAXABLE}
    return {"DetailType": "SalesItemLineDetail", "Amount": line.amount, "Description": line.description,
            "SalesItemLineDetail": detail}  # fmt: skip


def taxed_lines(doc: PlannedDocument, tax: SalesTax) -> tuple[PlannedLine, ...]:
    """The lines sent: with the books computing the tax, the order's own tax line is left out."""
    if tax is SalesTax.BOOKS:
        return tuple(line for line in doc.lines if line.kind is not LineKind.TAX)
    return doc.lines


def _line_refs(line: PlannedLine, refs: RefIds) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if line.class_name:
        found["ClassRef"] = {"value": refs[("Class", line.class_name)]}
    if line.tax_code:
        found["TaxCodeRef"] = {"value": refs[("TaxCode", line.tax_code)]}
    return found


def ref_names(doc: PlannedDocument) -> list[tuple[str, str]]:
    """The (entity, name) pairs a document's body refers to besides its customer, items and vendor."""
    names = [("Class", doc.class_name), ("Department", doc.location)]
    if doc.type in _RECEIVABLE:
        names.append(("Account", doc.receivable_account))
    if doc.type in _DEPOSITED:
        names.append(("Account", doc.deposit_account))
    for line in doc.lines:
        names += [("Class", line.class_name), ("TaxCode", line.tax_code)]
    return list(dict.fromkeys((entity, name) for entity, name in names if name))


def document_refs(doc: PlannedDocument, refs: RefIds) -> dict[str, Any]:
    """The document's class, location (a department), receivable and deposit accounts, when set (rules)."""
    body: dict[str, Any] = {}
    if doc.class_name:
        body["ClassRef"] = {"value": refs[("Class", doc.class_name)]}
    if doc.location:
        body["DepartmentRef"] = {"value": refs[("Department", doc.location)]}
    if doc.receivable_account and doc.type in _RECEIVABLE:
        body["ARAccountRef"] = {"value": refs[("Account", doc.receivable_account)]}
    if doc.deposit_account and doc.type in _DEPOSITED:
        body["DepositToAccountRef"] = {"value": refs[("Account", doc.deposit_account)]}
    return body


def sales_form(
    numbered: NumberedDocument,
    customer_id: str,
    item_ids: dict[str, str],
    linked: Sequence[tuple[str, str]] = (),
    refs: RefIds | None = None,
    tax: SalesTax = SalesTax.PLAN,
) -> dict[str, Any]:
    """An invoice linked to its estimate (the sales order) closes the estimate in QuickBooks Online."""
    doc = numbered.document
    lines = [sales_line(line, item_ids, refs, tax) for line in taxed_lines(doc, tax)]
    body: dict[str, Any] = {
        "CustomerRef": {"value": customer_id},
        "TxnDate": doc.txn_date.isoformat(),
        "PrivateNote": doc.memo,
        "CurrencyRef": {"value": doc.currency},
        "Line": lines,
        **document_refs(doc, refs or {}),
    }
    coded = any("TaxCodeRef" in (line.get("SalesItemLineDetail") or {}) for line in lines)
    if tax is SalesTax.PLAN and coded:
        # The order's tax is already a line: QuickBooks' automated sales tax must not add its own on top.
        body["TxnTaxDetail"] = {"TotalTax": 0}
    if numbered.doc_number is not None:
        body["DocNumber"] = numbered.doc_number
    if linked:
        body["LinkedTxn"] = [{"TxnId": txn_id, "TxnType": entity} for txn_id, entity in linked]
    if doc.payment_reference and doc.type is DocumentType.SALES_RECEIPT:
        body["PaymentRefNum"] = doc.payment_reference[:PAYMENT_REF_LIMIT]
    return body


def payment(
    numbered: NumberedDocument, customer_id: str, linked: list[tuple[str, str]], refs: RefIds | None = None
) -> dict[str, Any]:
    """A payment applied to the documents it pays (``linked`` = [(txn id, entity)])."""
    doc = numbered.document
    body: dict[str, Any] = {
        "CustomerRef": {"value": customer_id},
        "TotalAmt": doc.total,
        "TxnDate": doc.txn_date.isoformat(),
        "PrivateNote": doc.memo,
        "CurrencyRef": {"value": doc.currency},
        "Line": [
            {"Amount": doc.total, "LinkedTxn": [{"TxnId": txn_id, "TxnType": entity}]} for txn_id, entity in linked
        ],
        **document_refs(doc, refs or {}),
    }
    if doc.payment_reference:
        body["PaymentRefNum"] = doc.payment_reference[:PAYMENT_REF_LIMIT]
    return body


def purchase_order(
    numbered: NumberedDocument, vendor_id: str, payable_account_id: str, item_ids: dict[str, str]
) -> dict[str, Any]:
    doc = numbered.document
    body: dict[str, Any] = {
        "VendorRef": {"value": vendor_id},
        "APAccountRef": {"value": payable_account_id},
        "TxnDate": doc.txn_date.isoformat(),
        "PrivateNote": doc.memo,
        "CurrencyRef": {"value": doc.currency},
        "Line": [
            {
                "DetailType": "ItemBasedExpenseLineDetail",
                "Amount": line.amount,
                "Description": line.description,
                "ItemBasedExpenseLineDetail": {
                    "ItemRef": {"value": item_ids[line.item_name], "name": line.item_name},
                    "Qty": line.quantity,
                    "UnitPrice": line.unit_price,
                },
            }
            for line in doc.lines
        ],
    }
    if numbered.doc_number is not None:
        body["DocNumber"] = numbered.doc_number
    return body


def bill(
    numbered: NumberedDocument, vendor_id: str, item_ids: dict[str, str], purchase_order_ids: Sequence[str]
) -> dict[str, Any]:
    """A supplier's bill for goods received; each line links the purchase order it bills (QuickBooks Online has
    no item receipts: goods reach the books through the bill)."""
    doc = numbered.document
    links = [{"TxnId": po_id, "TxnType": "PurchaseOrder"} for po_id in purchase_order_ids]
    body: dict[str, Any] = {
        "VendorRef": {"value": vendor_id},
        "TxnDate": doc.txn_date.isoformat(),
        "PrivateNote": doc.memo,
        "CurrencyRef": {"value": doc.currency},
        "Line": [
            {
                "DetailType": "ItemBasedExpenseLineDetail",
                "Amount": line.amount,
                "Description": line.description,
                "ItemBasedExpenseLineDetail": {
                    "ItemRef": {"value": item_ids[line.item_name], "name": line.item_name},
                    "Qty": line.quantity,
                    "UnitPrice": line.unit_price,
                },
                **({"LinkedTxn": links} if links else {}),
            }
            for line in doc.lines
        ],
    }
    if numbered.doc_number is not None:
        body["DocNumber"] = numbered.doc_number
    return body
