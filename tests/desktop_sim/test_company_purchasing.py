"""Purchase orders, their changes and closing, and the item receipts and bills received against them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from ledgerflow.qbd_sim.company import CompanyFile
from tests.desktop_sim.test_company_sales import Clock, answers, make, one, ret

VENDOR = "<VendorRef><FullName>Acme Supply</FullName></VendorRef>"


@pytest.fixture
def company() -> CompanyFile:
    company = make(Clock())
    company.add_vendor("Acme Supply")
    company.add_vendor("Other Supply")
    company.add_item("Mug", cost=Decimal("3.50"))
    return company


def po_line(item: str, quantity: str, rate: str) -> str:
    return (
        f"<PurchaseOrderLineAdd><ItemRef><FullName>{item}</FullName></ItemRef><Quantity>{quantity}</Quantity>"
        f"<Rate>{rate}</Rate></PurchaseOrderLineAdd>"
    )


def po_add(*lines: str, ref: str = "PO-1", vendor: str = VENDOR) -> str:
    return (
        f"<PurchaseOrderAddRq><PurchaseOrderAdd>{vendor}<RefNumber>{ref}</RefNumber><Memo>ours</Memo>"
        f"{''.join(lines)}</PurchaseOrderAdd></PurchaseOrderAddRq>"
    )


def linked(txn_id: str, line_id: str, quantity: str, cost: str = "") -> str:
    price = f"<Cost>{cost}</Cost>" if cost else ""
    return (
        f"<ItemLineAdd><Quantity>{quantity}</Quantity>{price}<LinkToTxn><TxnID>{txn_id}</TxnID>"
        f"<TxnLineID>{line_id}</TxnLineID></LinkToTxn></ItemLineAdd>"
    )


def receive(kind: str, *lines: str, ref: str = "", link_whole: str = "", vendor: str = VENDOR) -> str:
    number = f"<RefNumber>{ref}</RefNumber>" if ref else ""
    whole = f"<LinkToTxnID>{link_whole}</LinkToTxnID>" if link_whole else ""
    return (
        f"<{kind}AddRq><{kind}Add>{vendor}<TxnDate>2024-03-02</TxnDate>{number}<Memo>receipt 1</Memo>{whole}"
        f"{''.join(lines)}</{kind}Add></{kind}AddRq>"
    )


def _po(company: CompanyFile) -> etree._Element:
    return ret(one(company, po_add(po_line("Tent", "10", "60.00"), po_line("Stove", "4", "12.50"))))


def _read(company: CompanyFile, txn_id: str) -> etree._Element:
    return ret(
        one(
            company,
            f"<PurchaseOrderQueryRq><TxnID>{txn_id}</TxnID><IncludeLineItems>true</IncludeLineItems>"
            "<IncludeLinkedTxns>true</IncludeLinkedTxns></PurchaseOrderQueryRq>",
        )
    )


def test_item_receipt_by_line_tracks_received_quantities_and_links_both_ways(company: CompanyFile) -> None:
    order = _po(company)
    po_id = order.findtext("TxnID") or ""
    tent, stove = (line.findtext("TxnLineID") or "" for line in order.findall("PurchaseOrderLineRet"))
    receipt = ret(one(company, receive("ItemReceipt", linked(po_id, tent, "6"))))
    assert receipt.findtext("TotalAmount") == "360.00"
    assert receipt.findtext("ItemLineRet/ItemRef/FullName") == "Tent"
    assert receipt.findtext("ItemLineRet/Cost") == "60.00"
    assert receipt.findtext("LinkedTxn/TxnID") == po_id
    again = _read(company, po_id)
    lines = again.findall("PurchaseOrderLineRet")
    assert [line.findtext("ReceivedQuantity") for line in lines] == ["6", "0"]
    assert again.findtext("IsFullyReceived") == "false"
    assert again.findtext("LinkedTxn/TxnType") == "ItemReceipt"

    # More than ordered is taken on a linked line, and the purchase order shows it.
    ret(one(company, receive("ItemReceipt", linked(po_id, tent, "5"), linked(po_id, stove, "4"))))
    done = _read(company, po_id)
    assert [line.findtext("ReceivedQuantity") for line in done.findall("PurchaseOrderLineRet")] == ["11", "4"]
    assert done.findtext("IsFullyReceived") == "true"
    # Every line is received: the purchase order takes nothing more.
    refused = one(company, receive("ItemReceipt", linked(po_id, tent, "1")))
    assert refused.get("statusCode") == "3180" and "closed" in (refused.get("statusMessage") or "")


def test_bill_linked_whole_takes_every_open_line_and_bills_them(company: CompanyFile) -> None:
    po_id = _po(company).findtext("TxnID") or ""
    bill = ret(one(company, receive("Bill", ref="INV-20240302-000001", link_whole=po_id)))
    assert (bill.findtext("AmountDue"), bill.findtext("RefNumber"), bill.findtext("IsPaid")) == (
        "650.00",
        "INV-20240302-000001",
        "false",
    )
    order = _read(company, po_id)
    assert [line.findtext("IsBilled") for line in order.findall("PurchaseOrderLineRet")] == ["true", "true"]
    assert order.findtext("IsFullyReceived") == "true"
    found = answers(
        company,
        "<BillQueryRq><RefNumber>inv-20240302-000001</RefNumber><IncludeLineItems>true</IncludeLineItems></BillQueryRq>",
        "<ItemReceiptQueryRq><EntityFilter><FullName>Acme Supply</FullName></EntityFilter></ItemReceiptQueryRq>",
    )
    assert [rs.get("statusCode") for rs in found] == ["0", "1"]
    assert found[0][0].findtext("ItemLineRet/LinkedTxn") is None and found[0][0].findtext("Memo") == "receipt 1"


def test_links_to_a_missing_closed_or_other_vendors_purchase_order_are_refused(company: CompanyFile) -> None:
    order = _po(company)
    po_id = order.findtext("TxnID") or ""
    tent = order.findtext("PurchaseOrderLineRet/TxnLineID") or ""
    assert one(company, receive("ItemReceipt", linked("1F-1709283600", tent, "1"))).get("statusCode") == "3120"
    other = "<VendorRef><FullName>Other Supply</FullName></VendorRef>"
    assert one(company, receive("Bill", linked(po_id, tent, "1"), vendor=other)).get("statusCode") == "3180"
    named = (
        f"<ItemLineAdd><ItemRef><FullName>Tent</FullName></ItemRef><LinkToTxn><TxnID>{po_id}</TxnID>"
        f"<TxnLineID>{tent}</TxnLineID></LinkToTxn></ItemLineAdd>"
    )
    assert one(company, receive("Bill", named)).get("statusCode") == "3180"
    edit = order.findtext("EditSequence")
    closing = (
        f"<PurchaseOrderModRq><PurchaseOrderMod><TxnID>{po_id}</TxnID><EditSequence>{edit}</EditSequence>"
        "<IsManuallyClosed>true</IsManuallyClosed></PurchaseOrderMod></PurchaseOrderModRq>"
    )
    closed = ret(one(company, closing))
    assert closed.findtext("IsManuallyClosed") == "true"
    assert one(company, receive("ItemReceipt", link_whole=po_id)).get("statusCode") == "3180"
    # The same Mod again carries an EditSequence that is no longer current.
    assert one(company, closing).get("statusCode") == "3200"
    assert company.books()["documents"][0]["status"] == "closed"


def test_purchase_order_mod_changes_lines_by_id_adds_new_ones_and_drops_the_unlisted(company: CompanyFile) -> None:
    order = _po(company)
    po_id, edit = order.findtext("TxnID"), order.findtext("EditSequence")
    tent = order.findtext("PurchaseOrderLineRet/TxnLineID")
    changed = ret(
        one(
            company,
            f"<PurchaseOrderModRq><PurchaseOrderMod><TxnID>{po_id}</TxnID><EditSequence>{edit}</EditSequence>"
            f"<PurchaseOrderLineMod><TxnLineID>{tent}</TxnLineID><Quantity>12</Quantity><Rate>60.00</Rate>"
            "<Amount>720.00</Amount></PurchaseOrderLineMod>"
            "<PurchaseOrderLineMod><TxnLineID>-1</TxnLineID><ItemRef><FullName>Mug</FullName></ItemRef>"
            "<Quantity>24</Quantity></PurchaseOrderLineMod></PurchaseOrderMod></PurchaseOrderModRq>",
        )
    )
    lines = changed.findall("PurchaseOrderLineRet")
    assert [(ln.findtext("ItemRef/FullName"), ln.findtext("Quantity"), ln.findtext("Amount")) for ln in lines] == [
        ("Tent", "12", "720.00"),
        ("Mug", "24", "84.00"),
    ]
    assert changed.findtext("EditSequence") != edit and changed.findtext("TotalAmount") == "804.00"


@pytest.mark.parametrize(
    ("request_xml", "why"),
    [
        (receive("ItemReceipt", ref="R" * 21), "RefNumber over 20"),
        (po_add(po_line("Tent", "1", "1.00"), ref="PO-123456789"), "RefNumber over 11"),
    ],
)
def test_numbers_longer_than_the_schema_allows_are_3070(company: CompanyFile, request_xml: str, why: str) -> None:
    assert one(company, request_xml).get("statusCode") == "3070", why


def test_elements_out_of_order_or_without_a_vendor_fail_the_whole_message_set(company: CompanyFile) -> None:
    out_of_order = (
        f"<ItemReceiptAddRq><ItemReceiptAdd><TxnDate>2024-03-02</TxnDate>{VENDOR}</ItemReceiptAdd></ItemReceiptAddRq>"
    )
    no_vendor = "<BillAddRq><BillAdd><TxnDate>2024-03-02</TxnDate></BillAdd></BillAddRq>"
    for request in (out_of_order, no_vendor):
        outcome = company.process(
            f'<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">{request}'
            "</QBXMLMsgsRq></QBXML>"
        )
        assert outcome.hresult == "0x80040400"
