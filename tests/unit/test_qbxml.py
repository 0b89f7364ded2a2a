"""qbXML built in the schema's order, whatever order the mapping gives its fields; answers read safely."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from ledgerflow.ledger_writer.targets.qbd.qbxml.build import UnknownField, add_request, message_set, query_request
from ledgerflow.ledger_writer.targets.qbd.qbxml.order import ORDER
from ledgerflow.ledger_writer.targets.qbd.qbxml.parse import Unreadable, answers


def _children(xml: str, path: str) -> list[str]:
    node = etree.fromstring(xml).find(path)
    assert node is not None
    return [str(child.tag) for child in node]


def test_fields_come_out_in_the_schemas_order_whatever_order_they_are_given() -> None:
    request = add_request(
        "InvoiceAdd",
        {
            "InvoiceLineAdd": [{"Amount": Decimal("5.00"), "ItemRef": {"FullName": "Tee"}, "Quantity": Decimal(1)}],
            "Memo": "order 1001",
            "LinkToTxnID": "1A-1700000000",
            "RefNumber": "1001",
            "CustomerRef": {"ListID": "80000001-1700000000"},
        },
    )
    assert _children(request, "InvoiceAdd") == ["CustomerRef", "RefNumber", "Memo", "LinkToTxnID", "InvoiceLineAdd"]
    assert _children(request, "InvoiceAdd/InvoiceLineAdd") == ["ItemRef", "Quantity", "Amount"]
    order = ORDER["InvoiceAdd"]
    assert order.index("LinkToTxnID") < order.index("InvoiceLineAdd")  # the order QuickBooks rejects otherwise


def test_a_field_the_element_does_not_have_is_a_bug_caught_before_sending() -> None:
    with pytest.raises(UnknownField, match="SalesOrderAdd has no field LinkToTxnID"):
        add_request("SalesOrderAdd", {"CustomerRef": {"ListID": "1"}, "LinkToTxnID": "2"})


def test_values_are_escaped_and_non_ascii_travels_as_character_references() -> None:
    request = add_request("SalesOrderAdd", {"CustomerRef": {"FullName": "Zoë & <Co>"}, "Memo": "ünïcode",
                                            "SalesOrderLineAdd": [{"Amount": Decimal("1.50")}]})  # fmt: skip
    document = message_set([("17", request)])
    assert document.isascii()
    assert "Zo&#235; &amp; &lt;Co&gt;" in document
    root = etree.fromstring(document.split("\n", 2)[2].encode())
    rq = root.find("QBXMLMsgsRq/SalesOrderAddRq")
    assert rq is not None and rq.get("requestID") == "17"
    assert root.findtext("QBXMLMsgsRq/SalesOrderAddRq/SalesOrderAdd/CustomerRef/FullName") == "Zoë & <Co>"
    assert document.startswith('<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>')


def test_queries_carry_their_fields_directly() -> None:
    request = query_request("InvoiceQuery", {"IncludeLineItems": True, "RefNumber": ["1001", "1002"]})
    assert _children(request, ".") == ["RefNumber", "RefNumber", "IncludeLineItems"]


def test_answers_are_read_with_their_status_and_records() -> None:
    found = answers(
        '<?xml version="1.0"?><QBXML><QBXMLMsgsRs>'
        '<InvoiceQueryRs requestID="4" statusCode="1" statusSeverity="Info" statusMessage="none"/>'
        '<InvoiceAddRs requestID="5" statusCode="3070" statusSeverity="Error" statusMessage="too long"/>'
        '<CustomerQueryRs requestID="6" statusCode="0" statusSeverity="Info" statusMessage="ok">'
        "<CustomerRet><ListID>8-1</ListID><Name>A</Name></CustomerRet>"
        "<CustomerRet><ListID>8-2</ListID><Name>B</Name></CustomerRet></CustomerQueryRs>"
        "</QBXMLMsgsRs></QBXML>"
    )
    assert [(a.request_id, a.status_code, a.ok) for a in found] == [("4", 1, True), ("5", 3070, False), ("6", 0, True)]
    assert [ret["ListID"] for ret in found[2].rets] == ["8-1", "8-2"]


def test_a_response_with_a_doctype_or_entities_is_refused() -> None:
    hostile = (
        '<?xml version="1.0"?><!DOCTYPE QBXML [<!ENTITY x "boom">]>'
        "<QBXML><QBXMLMsgsRs><CustomerQueryRs requestID='1' statusCode='0' statusSeverity='Info' "
        "statusMessage='ok'><CustomerRet><Name>&x;</Name></CustomerRet></CustomerQueryRs></QBXMLMsgsRs></QBXML>"
    )
    with pytest.raises(Unreadable, match="DOCTYPE"):
        answers(hostile)
    with pytest.raises(Unreadable, match="not well-formed"):
        answers("<QBXML><QBXMLMsgsRs>")
