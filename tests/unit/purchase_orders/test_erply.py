"""Erply purchase documents (payloads of our own, built on the getPurchaseDocuments skeleton)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledgerflow.contracts import PurchaseOrderStatus, PurchaseOrderSystem, ReceiptKind

from .helpers import edited, erply_waybill_then_invoice, load, normalized, refused

ERPLY = PurchaseOrderSystem.ERPLY
PO: list[str | int] = ["records", 0]
INVOICE: list[str | int] = ["records", 1]


def _po() -> dict[str, Any]:
    return load("erply-partial-eur.json")


def test_purchase_order_with_an_invoice_made_from_it() -> None:
    po = normalized(ERPLY, _po())
    assert (po.po_number, po.currency, po.vendor.source_id, po.vendor.name) == ("4410", "EUR", "77", "Bright Wax OU")
    assert (str(po.ordered_on), str(po.expected_on)) == ("2026-11-03", "2026-11-20")
    assert [(line.sku, line.quantity, line.unit_cost, line.received) for line in po.lines] == [
        ("CANDLE-L", Decimal(20), Decimal("10"), Decimal(20)),
        ("CANDLE-S", Decimal(10), Decimal("5"), Decimal(0)),
    ]
    (bill,) = po.receipts
    assert (bill.receipt_id, bill.kind, bill.supplier_invoice) == ("9050", ReceiptKind.GOODS_AND_INVOICE, "BW-2026-311")
    assert (str(bill.invoice_date), str(bill.due_date)) == ("2026-11-09", "2026-11-23")
    assert po.status is PurchaseOrderStatus.PARTIALLY_RECEIVED


def test_loosely_typed_numbers_are_taken_as_numbers_or_numeric_strings() -> None:
    # amount "20" and price "10.00" are strings, amount 10 and price 6.25 numbers, discount "20" a string.
    po = normalized(ERPLY, _po())
    assert po.net_total() == po.source_total == Decimal(250)


def test_discount_percent_reduces_the_net_unit_cost() -> None:
    assert normalized(ERPLY, _po()).lines[1].unit_cost == Decimal("5.00")  # 6.25 less 20 %


def test_status_is_advisory_the_linked_invoices_decide() -> None:
    # Marked RECEIVED by hand with one row still to come: a short-close, not a receipt of everything.
    assert normalized(ERPLY, edited(_po(), [*PO, "status"], "RECEIVED")).status is PurchaseOrderStatus.CLOSED
    # Marked READY although its invoice brought every row: received.
    payload = edited(_po(), [*PO, "status"], "READY")
    payload["records"][1]["rows"].append(
        {"productID": 502, "code": "CANDLE-S", "amount": 10, "price": 6.25, "discount": 20}
    )
    assert normalized(ERPLY, payload).status is PurchaseOrderStatus.RECEIVED


def test_currency_rate_direction_is_checked_against_the_accounting_totals() -> None:
    assert normalized(ERPLY, _po()).exchange_rate == Decimal("1.08")  # 270 / 250
    inverse = edited(_po(), [*PO, "currencyRate"], "0.925925925")
    assert normalized(ERPLY, inverse).exchange_rate == Decimal("1.08000")
    detail = refused(ERPLY, edited(_po(), [*PO, "currencyRate"], "1.5"))
    assert detail.code == "purchase_order.rate_unclear" and "270" in detail.message


def test_date_is_a_local_calendar_date_taken_as_it_is() -> None:
    assert str(normalized(ERPLY, edited(_po(), [*PO, "time"], "23:59:59")).ordered_on) == "2026-11-03"


def test_missing_rows_is_headers_only_not_an_empty_order() -> None:
    payload = _po()
    del payload["records"][0]["rows"]
    detail = refused(ERPLY, payload)
    assert detail.code == "purchase_order.headers_only" and "getRowsForAllInvoices=1" in (detail.fix or "")


def test_invoice_link_is_never_carried_into_the_order() -> None:
    po = normalized(ERPLY, edited(_po(), [*PO, "invoiceLink"], "https://example.invalid/expires-in-24h"))
    assert "expires-in-24h" not in po.model_dump_json()


def test_unconfirmed_order_is_a_draft() -> None:
    assert normalized(ERPLY, edited(_po(), [*PO, "confirmed"], 0)).status is PurchaseOrderStatus.DRAFT
    assert normalized(ERPLY, edited(_po(), [*PO, "status"], "PENDING")).status is PurchaseOrderStatus.DRAFT


def test_waybill_is_goods_and_its_invoice_only_links_to_it() -> None:
    payload = erply_waybill_then_invoice()
    po = normalized(ERPLY, payload)
    waybill, invoice = po.receipts
    assert (waybill.kind, waybill.supplier_invoice) == (ReceiptKind.GOODS, None)
    assert (invoice.kind, invoice.links_to, invoice.supplier_invoice) == (
        ReceiptKind.INVOICE_ONLY,
        "9050",
        "BW-2026-340",
    )
    assert po.lines[0].received == 20  # the invoice for waybilled goods brings no more goods


def test_documents_not_made_from_the_order_are_left_out() -> None:
    payload = edited(_po(), [*INVOICE, "baseDocuments"], [{"id": 1234, "type": "PRCORDER"}])
    assert normalized(ERPLY, payload).receipts == ()


def test_return_to_supplier_is_not_posted_and_said_so() -> None:
    po = normalized(ERPLY, edited(_po(), [*INVOICE, "type"], "PRCRETURN"))
    assert po.receipts == () and po.warnings == (
        "PRCRETURN INV-5521 is not posted (returns to suppliers are not supported yet)",
    )


def test_error_response_is_refused_with_its_code() -> None:
    detail = refused(ERPLY, {"status": {"responseStatus": "error", "errorCode": 1054, "errorField": ""}, "records": []})
    assert detail.code == "purchase_order.api_error" and "1054" in detail.message


def test_a_response_without_a_purchase_order_is_refused() -> None:
    payload = edited(_po(), [*PO, "type"], "PRCINVOICE")
    assert refused(ERPLY, payload).code == "purchase_order.not_one_order"


def test_negative_row_is_refused_pointing_to_returns() -> None:
    detail = refused(ERPLY, edited(_po(), [*PO, "rows", 0, "amount"], -2))
    assert detail.code == "purchase_order.bad_field" and "PRCRETURN" in (detail.fix or "")
