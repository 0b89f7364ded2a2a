"""What the writer sends for a system's purchase order on QuickBooks Online, and how its bills are numbered."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any, cast

from ledgerflow.contracts import (
    BooksTarget,
    Channel,
    DocumentPlan,
    DocumentType,
    LineKind,
    MessageMeta,
    NumberedDocument,
    NumberingPolicy,
    PlannedDocument,
    PlannedLine,
    PurchaseOrderSystem,
    TransactionMode,
)
from ledgerflow.ledger_writer.targets.qbo import mapping
from ledgerflow.numbering.allocation import number_document
from ledgerflow.runtime.database import DbConnection

META = MessageMeta(tenant_id="acme", correlation_id=uuid.uuid4())


def _bill(doc_number: str | None = "BW-2026-311") -> PlannedDocument:
    line = PlannedLine(
        kind=LineKind.ITEM,
        item_name="CANDLE-L",
        description="Pillar candle",
        quantity=Decimal(20),
        unit_price=Decimal("10.00"),
        amount=Decimal("200.00"),
        line_id="1",
    )
    return PlannedDocument(
        key="acme/c/erply/9001/bill/9050",
        type=DocumentType.BILL,
        currency="EUR",
        txn_date=date(2026, 11, 9),
        vendor_name="Bright Wax",
        lines=(line,),
        total=Decimal("200.00"),
        memo="Erply purchase order 4410 · receipt 9050",
        applies_to=("acme/c/erply/9001/purchase_order",),
        doc_number=doc_number,
    )


def test_a_bill_links_each_line_to_the_purchase_order_it_bills() -> None:
    body = mapping.bill(
        NumberedDocument(document=_bill(), doc_number="BW-2026-311", number_space="bill"),
        "56",
        {"CANDLE-L": "7"},
        ["131"],
    )
    assert mapping.ENTITIES[DocumentType.BILL] == "Bill"
    assert (body["VendorRef"], body["DocNumber"], body["CurrencyRef"], body["TxnDate"]) == (
        {"value": "56"},
        "BW-2026-311",
        {"value": "EUR"},
        "2026-11-09",
    )
    (line,) = body["Line"]
    assert line["LinkedTxn"] == [{"TxnId": "131", "TxnType": "PurchaseOrder"}]
    assert (line["ItemBasedExpenseLineDetail"]["Qty"], line["Amount"]) == (Decimal(20), Decimal("200.00"))
    assert body["PrivateNote"] == "Erply purchase order 4410 · receipt 9050"


def _plan(doc: PlannedDocument, target: BooksTarget = BooksTarget.QUICKBOOKS_ONLINE) -> DocumentPlan:
    return DocumentPlan(
        meta=META,
        connection_id="c",
        channel=PurchaseOrderSystem.ERPLY,
        channel_order_id="9001",
        order_number="4410",
        order_version=1,
        mode=TransactionMode.INVOICES,
        target=target,
        documents=(doc,),
    )


async def test_a_bill_takes_the_suppliers_invoice_number_fitted_to_the_books_never_a_sequence() -> None:
    nowhere = cast("DbConnection", None)  # a source-numbered document needs no allocation
    online = _plan(_bill())
    assert await number_document(nowhere, "acme", online, online.documents[0], NumberingPolicy()) == "BW-2026-311"
    long = "SUPPLIER-INV-2026-0311"  # 22 characters: Online takes 21, Desktop's bills 20
    online_long = _plan(_bill(long))
    assert await number_document(nowhere, "acme", online_long, online_long.documents[0], NumberingPolicy()) == (
        "UPPLIER-INV-2026-0311"
    )
    desktop = _plan(_bill(long), BooksTarget.QUICKBOOKS_DESKTOP)
    assert await number_document(nowhere, "acme", desktop, desktop.documents[0], NumberingPolicy()) == (
        "PPLIER-INV-2026-0311"
    )
    unnumbered = _plan(_bill(None))
    assert await number_document(nowhere, "acme", unnumbered, unnumbered.documents[0], NumberingPolicy()) is None


def test_plans_commands_and_events_name_a_channel_or_a_system() -> None:
    plan = _plan(_bill())
    again: Any = DocumentPlan.model_validate_json(plan.model_dump_json())
    assert again.channel is PurchaseOrderSystem.ERPLY
    sale = plan.model_copy(update={"channel": Channel.SHOPIFY})
    assert DocumentPlan.model_validate_json(sale.model_dump_json()).channel is Channel.SHOPIFY
