"""Planned documents -> QuickBooks Online entities (estimates stand for sales orders)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledgerflow.contracts import DocumentType, LineKind, NumberedDocument, PlannedLine

ENTITIES: dict[DocumentType, str] = {
    DocumentType.INVOICE: "Invoice",
    DocumentType.PAYMENT: "Payment",
    DocumentType.SALES_RECEIPT: "SalesReceipt",
    DocumentType.SALES_ORDER: "Estimate",
    DocumentType.ESTIMATE: "Estimate",
    DocumentType.PURCHASE_ORDER: "PurchaseOrder",
    DocumentType.CREDIT_MEMO: "CreditMemo",
    DocumentType.REFUND_RECEIPT: "RefundReceipt",
}

PAYMENT_REF_LIMIT = 21


def sales_line(line: PlannedLine, item_ids: dict[str, str]) -> dict[str, Any]:
    if line.kind is LineKind.DISCOUNT:
        return {
            "DetailType": "DiscountLineDetail",
            "Amount": -line.amount,
            "Description": line.description,
            "DiscountLineDetail": {"PercentBased": False},
        }
    return {
        "DetailType": "SalesItemLineDetail",
        "Amount": line.amount,
        "Description": line.description,
        "SalesItemLineDetail": {
            "ItemRef": {"value": item_ids[line.item_name], "name": line.item_name},
            "Qty": line.quantity,
            "UnitPrice": line.unit_price,
        },
    }


def sales_form(
    numbered: NumberedDocument, customer_id: str, item_ids: dict[str, str], linked: Sequence[tuple[str, str]] = ()
) -> dict[str, Any]:
    """An invoice linked to its estimate (the sales order) closes the estimate in QuickBooks Online."""
    doc = numbered.document
    body: dict[str, Any] = {
        "CustomerRef": {"value": customer_id},
        "TxnDate": doc.txn_date.isoformat(),
        "PrivateNote": doc.memo,
        "CurrencyRef": {"value": doc.currency},
        "Line": [sales_line(line, item_ids) for line in doc.lines],
    }
    if numbered.doc_number is not None:
        body["DocNumber"] = numbered.doc_number
    if linked:
        body["LinkedTxn"] = [{"TxnId": txn_id, "TxnType": entity} for txn_id, entity in linked]
    if doc.payment_reference and doc.type is DocumentType.SALES_RECEIPT:
        body["PaymentRefNum"] = doc.payment_reference[:PAYMENT_REF_LIMIT]
    return body


def payment(numbered: NumberedDocument, customer_id: str, linked: list[tuple[str, str]]) -> dict[str, Any]:
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
