"""The writer's Desktop purchasing requests, run against the strict simulated company file: the purchase order,
its change by line id, and goods received against its lines, each taken as QuickBooks would take it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ledgerflow.contracts import DocumentType, LineKind, NumberedDocument, PlannedDocument, PlannedLine
from ledgerflow.ledger_writer.targets.qbd import mapping
from ledgerflow.ledger_writer.targets.qbd.qbxml.build import add_request, message_set
from ledgerflow.ledger_writer.targets.qbd.qbxml.parse import Answer, answers, many
from ledgerflow.qbd_sim.company import CompanyFile
from tests.desktop_sim.test_company_sales import PATH, Clock


def _company() -> CompanyFile:
    company = CompanyFile(PATH, clock=Clock())
    company.add_vendor("Northwind Ceramics")
    company.add_item("MUG-BLK", cost=Decimal("3.50"))
    company.add_item("MUG-WHT", cost=Decimal("3.25"))
    company.add_item("Freight", kind="OtherCharge")
    return company


def _run(company: CompanyFile, kind: str, fields: dict[str, Any]) -> Answer:
    outcome = company.process(message_set([("1", add_request(kind, fields))]))
    assert outcome.hresult == "", company.last_parse_error
    (answer,) = answers(outcome.response)
    assert answer.status_code == 0, answer.message
    return answer


def _item(sku: str, quantity: str, cost: str) -> PlannedLine:
    amount = Decimal(quantity) * Decimal(cost)
    return PlannedLine(kind=LineKind.ITEM, item_name=sku, quantity=Decimal(quantity), unit_price=Decimal(cost),
                       amount=amount.quantize(Decimal("0.01")), line_id=sku)  # fmt: skip


FREIGHT = PlannedLine(kind=LineKind.SHIPPING, item_name="Freight", unit_price=Decimal(15), amount=Decimal(15))


def _numbered(doc_type: DocumentType, lines: list[PlannedLine], number: str | None) -> NumberedDocument:
    document = PlannedDocument(
        key=f"k/{doc_type.value}",
        type=doc_type,
        currency="USD",
        txn_date=date(2026, 11, 10),
        vendor_name="Northwind Ceramics",
        lines=tuple(lines),
        total=sum((line.amount for line in lines), Decimal(0)),
        memo="Linnworks purchase order PO-2041 · receipt 501",
    )
    return NumberedDocument(document=document, doc_number=number, number_space=doc_type.value)


def test_a_purchase_order_changed_by_line_id_then_received_against_its_lines() -> None:
    company = _company()
    ordered = [_item("MUG-BLK", "24", "3.50"), _item("MUG-WHT", "12", "3.25"), FREIGHT]
    numbered = _numbered(DocumentType.PURCHASE_ORDER, ordered, "PO-2041")
    po = _run(company, "PurchaseOrderAdd", mapping.purchase_order(numbered, "Northwind Ceramics"))
    ret = po.rets[0]
    assert ret["TotalAmount"] == "138.00"
    po_lines = many(ret, "PurchaseOrderLineRet")

    # 18 white mugs now: the black and freight lines keep their ids, the white line its id with a new quantity.
    changed = [ordered[0], _item("MUG-WHT", "18", "3.25"), FREIGHT]
    paired = [(line, str(old["TxnLineID"])) for line, old in zip(changed, po_lines, strict=True)]
    mod = _run(company, "PurchaseOrderMod", mapping.purchase_order_change(ret, paired)).rets[0]
    assert mod["TotalAmount"] == "157.50"
    assert [line["TxnLineID"] for line in many(mod, "PurchaseOrderLineRet")] == [ln["TxnLineID"] for ln in po_lines]

    # Goods received against the black mugs' line, and one more than ordered of it; a line of no order on its own.
    black = (str(ret["TxnID"]), str(po_lines[0]["TxnLineID"]))
    lines = [
        mapping.received_line(_item("MUG-BLK", "25", "3.50"), black),
        mapping.received_line(_item("MUG-WHT", "1", "3.25")),
    ]
    receipt = _numbered(DocumentType.ITEM_RECEIPT, [], None)
    answer = _run(company, "ItemReceiptAdd", mapping.received(receipt, str(_vendor_id(company)), lines))
    assert answer.rets[0]["TotalAmount"] == "90.75" and mapping.total_of(answer.rets[0]) == Decimal("90.75")
    books = company.books()["documents"]
    assert (books[0]["status"], books[1]["linked"]) == ("partially_received", [f"PurchaseOrder:{ret['TxnID']}"])


def test_a_bill_is_read_back_by_its_amount_due() -> None:
    company = _company()
    bill = _numbered(DocumentType.BILL, [_item("MUG-BLK", "2", "3.50")], "INV-77120")
    fields = mapping.received(bill, _vendor_id(company), [mapping.received_line(line) for line in bill.document.lines])
    ret = _run(company, "BillAdd", fields).rets[0]
    assert (ret["RefNumber"], mapping.total_of(ret), mapping.balance_of(ret)) == (
        "INV-77120",
        Decimal("7.00"),
        Decimal("7.00"),
    )


def _vendor_id(company: CompanyFile) -> str:
    outcome = company.process(
        message_set([("1", "<VendorQueryRq><FullName>Northwind Ceramics</FullName></VendorQueryRq>")])
    )
    (answer,) = answers(outcome.response)
    return str(answer.rets[0]["ListID"])
