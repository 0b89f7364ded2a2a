"""The company file's request processor: what makes a whole message set fail, and how each request answers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from ledgerflow.qbd_sim.company import CompanyFile, Outcome

PATH = "C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\shop-a.qbw"
PARSE_ERROR = Outcome(
    response="", hresult="0x80040400", message="QuickBooks found an error when parsing the provided XML text stream."
)


def envelope(*requests: str, version: str = "13.0", on_error: str = "stopOnError") -> str:
    body = "".join(requests)
    return (
        f'<?xml version="1.0" encoding="utf-8"?><?qbxml version="{version}"?>'
        f'<QBXML><QBXMLMsgsRq onError="{on_error}">{body}</QBXMLMsgsRq></QBXML>'
    )


def answers(company: CompanyFile, *requests: str, **options: str) -> list[etree._Element]:
    outcome = company.process(envelope(*requests, **options))
    assert outcome.hresult == "", company.last_parse_error
    assert not company.internal_errors, company.internal_errors[-1]
    return list(etree.fromstring(outcome.response.encode())[0])


def sales_order(ref: str = "SO-1", item: str = "Widget", request_id: str = "1") -> str:
    return (
        f'<SalesOrderAddRq requestID="{request_id}"><SalesOrderAdd><CustomerRef><FullName>Ada</FullName></CustomerRef>'
        f"<RefNumber>{ref}</RefNumber><SalesOrderLineAdd><ItemRef><FullName>{item}</FullName></ItemRef>"
        "<Quantity>1</Quantity></SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>"
    )


def customer_add(name: str, request_id: str = "c") -> str:
    return f'<CustomerAddRq requestID="{request_id}"><CustomerAdd><Name>{name}</Name></CustomerAdd></CustomerAddRq>'


@pytest.fixture
def company() -> CompanyFile:
    file = CompanyFile(PATH)
    file.add_customer("Ada")
    file.add_item("Widget", price=Decimal("10.00"))
    return file


def test_a_valid_set_answers_each_request_with_its_request_id(company: CompanyFile) -> None:
    host, customer = answers(company, '<HostQueryRq requestID="h"/>', customer_add("Bea", "42"))
    assert host.tag == "HostQueryRs" and host.get("requestID") == "h"
    assert (customer.tag, customer.get("requestID"), customer.get("statusCode")) == ("CustomerAddRs", "42", "0")
    assert customer.get("statusSeverity") == "Info" and customer.get("statusMessage") == "Status OK"
    assert customer.findtext("CustomerRet/Name") == "Bea"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("no xml declaration", '<?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"/></QBXML>'),
        ("no qbxml instruction", '<?xml version="1.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"/></QBXML>'),
        ("unknown version", envelope(version="17.0")),
        ("bad version", envelope(version="thirteen")),
        (
            "wrong root",
            '<?xml version="1.0"?><?qbxml version="13.0"?><QBXMLX><QBXMLMsgsRq onError="stopOnError"/></QBXMLX>',
        ),
        ("no onError", '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq/></QBXML>'),
        ("rollbackOnError", envelope(on_error="rollbackOnError")),
        ("not well-formed", envelope("<HostQueryRq>")),
        ("unknown request", envelope("<TeleportRq/>")),
        ("unknown attribute", envelope('<HostQueryRq color="red"/>')),
        ("iterator where none exists", envelope('<AccountQueryRq iterator="Start"/>')),
        ("bad enum", envelope("<CustomerQueryRq><ActiveStatus>Sometimes</ActiveStatus></CustomerQueryRq>")),
        (
            "text in an aggregate",
            envelope("<CustomerAddRq><CustomerAdd>Bea<Name>Bea</Name></CustomerAdd></CustomerAddRq>"),
        ),
        ("namespaced element", envelope('<HostQueryRq xmlns="urn:x"/>')),
    ],
)
def test_a_broken_envelope_fails_the_whole_set(company: CompanyFile, name: str, text: str) -> None:
    assert company.process(text) == PARSE_ERROR, name
    assert company.last_parse_error


def test_a_doctype_is_refused_and_entities_are_never_expanded(company: CompanyFile) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE QBXML [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
        "<CustomerAddRq><CustomerAdd><Name>&b;</Name></CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>"
    )
    assert company.process(bomb) == PARSE_ERROR
    assert company.books()["customers"] == 1


def test_a_request_over_the_size_cap_is_refused(company: CompanyFile) -> None:
    padding = "<!--" + "x" * (10 * 1024 * 1024) + "-->"
    assert company.process(envelope(padding)) == PARSE_ERROR


def test_an_out_of_order_element_rejects_the_set_and_saves_nothing(company: CompanyFile) -> None:
    # RefNumber belongs before Memo; the customer in the same set is not saved either.
    misplaced = (
        "<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Ada</FullName></CustomerRef><Memo>m</Memo>"
        "<RefNumber>SO-1</RefNumber><SalesOrderLineAdd><ItemRef><FullName>Widget</FullName></ItemRef>"
        "</SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>"
    )
    assert company.process(envelope(customer_add("Bea"), misplaced)) == PARSE_ERROR
    assert company.books()["customers"] == 1 and company.books()["documents"] == []


@pytest.mark.parametrize(
    "misplaced",
    [
        "<ItemRef><FullName>Widget</FullName></ItemRef><Quantity>1</Quantity><Desc>late</Desc>",  # line order
        "<ItemRef><FullName>Widget</FullName><ListID>80000001-1</ListID></ItemRef>",  # ref order
        "<ItemRef><FullName>Widget</FullName></ItemRef><Colour>red</Colour>",  # unknown element
    ],
)
def test_order_is_checked_inside_lines_and_refs(company: CompanyFile, misplaced: str) -> None:
    request = (
        "<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Ada</FullName></CustomerRef>"
        f"<SalesOrderLineAdd>{misplaced}</SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>"
    )
    assert company.process(envelope(request)) == PARSE_ERROR


def test_address_order_is_addr_lines_then_city_state_postal_code_country_note(company: CompanyFile) -> None:
    def with_address(address: str) -> str:
        return (
            f"<CustomerAddRq><CustomerAdd><Name>Bea</Name><BillAddress>{address}</BillAddress></CustomerAdd>"
            "</CustomerAddRq>"
        )

    good = (
        "<Addr1>1 Main St</Addr1><Addr2>Unit 2</Addr2><City>Austin</City><State>TX</State>"
        "<PostalCode>78701</PostalCode><Country>US</Country><Note>n</Note>"
    )
    (rs,) = answers(company, with_address(good))
    assert rs.findtext("CustomerRet/BillAddress/City") == "Austin"
    assert company.process(envelope(with_address("<City>Austin</City><Addr1>1 Main St</Addr1>"))) == PARSE_ERROR


@pytest.mark.parametrize(
    ("version", "request_text"),
    [
        (
            "5.0",
            "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Ada</FullName></CustomerRef>"
            "<LinkToTxnID>1A0-1</LinkToTxnID></InvoiceAdd></InvoiceAddRq>",
        ),
        (
            "5.0",
            "<ReceivePaymentModRq><ReceivePaymentMod><TxnID>1</TxnID><EditSequence>1</EditSequence>"
            "</ReceivePaymentMod></ReceivePaymentModRq>",
        ),
        (
            "2.1",
            "<SalesOrderModRq><SalesOrderMod><TxnID>1</TxnID><EditSequence>1</EditSequence>"
            "</SalesOrderMod></SalesOrderModRq>",
        ),
        ("2.0", sales_order()),
        (
            "11.0",
            "<CustomerAddRq><CustomerAdd><Name>Bea</Name><ClassRef><FullName>X</FullName></ClassRef>"
            "</CustomerAdd></CustomerAddRq>",
        ),
    ],
)
def test_an_element_newer_than_the_declared_version_is_a_parse_error(
    company: CompanyFile, version: str, request_text: str
) -> None:
    assert company.process(envelope(request_text, version=version)) == PARSE_ERROR


def test_elements_marked_not_in_desktop_are_unknown(company: CompanyFile) -> None:
    request = (
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Ada</FullName></CustomerRef><IsTaxIncluded>true"
        "</IsTaxIncluded><InvoiceLineAdd><ItemRef><FullName>Widget</FullName></ItemRef></InvoiceLineAdd>"
        "</InvoiceAdd></InvoiceAddRq>"
    )
    assert company.process(envelope(request)) == PARSE_ERROR


def test_16_0_is_accepted_and_responses_leave_out_elements_newer_than_the_request(company: CompanyFile) -> None:
    (new,) = answers(company, sales_order("SO-1"), version="16.0")
    (old,) = answers(company, sales_order("SO-2"), version="2.1")
    assert new.find("SalesOrderRet/SalesOrderLineRet/Other1") is None  # nothing sent, nothing echoed
    assert new.find("SalesOrderRet/IsToBeEmailed") is None
    assert old.find("SalesOrderRet/TemplateRef") is None and old.findtext("SalesOrderRet/RefNumber") == "SO-2"


def test_stop_on_error_answers_3231_after_the_first_error(company: CompanyFile) -> None:
    first, failed, skipped, also_skipped = answers(
        company,
        customer_add("Bea", "1"),
        sales_order(item="Nope", request_id="2"),
        customer_add("Cy", "3"),
        '<HostQueryRq requestID="4"/>',
    )
    assert first.get("statusCode") == "0"
    assert failed.get("statusCode") == "3140" and failed.get("statusSeverity") == "Error"
    assert failed.find("SalesOrderRet") is None
    for rs in (skipped, also_skipped):
        assert (rs.get("statusCode"), rs.get("statusMessage")) == ("3231", "The request has not been processed.")
    assert skipped.get("requestID") == "3"
    assert company.books()["customers"] == 2  # Ada and Bea: nothing rolled back, Cy never added


def test_continue_on_error_runs_every_request(company: CompanyFile) -> None:
    results = answers(
        company,
        customer_add("Bea", "1"),
        sales_order(item="Nope", request_id="2"),
        customer_add("Cy", "3"),
        on_error="continueOnError",
    )
    assert [rs.get("statusCode") for rs in results] == ["0", "3140", "0"]
    assert company.books()["customers"] == 3


def test_a_request_id_over_50_characters_is_1060(company: CompanyFile) -> None:
    (rs,) = answers(company, customer_add("Bea", "x" * 51))
    assert rs.get("statusCode") == "1060" and rs.get("statusSeverity") == "Error"
    assert company.books()["customers"] == 1


def test_3070_on_a_12_character_sales_order_number_but_not_on_a_20_character_payment_number(
    company: CompanyFile,
) -> None:
    (too_long,) = answers(company, sales_order("SO-123456789"))
    assert too_long.get("statusCode") == "3070"
    assert too_long.get("statusMessage") == 'The string "SO-123456789" in the field "RefNumber" is too long.'
    payment = (
        "<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Ada</FullName></CustomerRef>"
        "<RefNumber>PAY-1234567890123456</RefNumber><TotalAmount>5.00</TotalAmount><IsAutoApply>false</IsAutoApply>"
        "</ReceivePaymentAdd></ReceivePaymentAddRq>"
    )
    (ok,) = answers(company, payment)
    assert ok.get("statusCode") == "0" and ok.findtext("ReceivePaymentRet/RefNumber") == "PAY-1234567890123456"
    assert [d["type"] for d in company.books()["documents"]] == ["ReceivePayment"]


def test_3070_covers_names_and_addresses(company: CompanyFile) -> None:
    name, city = answers(
        company,
        customer_add("N" * 42, "1"),
        f"<CustomerAddRq><CustomerAdd><Name>Bea</Name><ShipAddress><City>{'C' * 32}</City></ShipAddress>"
        "</CustomerAdd></CustomerAddRq>",
        on_error="continueOnError",
    )
    assert name.get("statusCode") == "3070" and city.get("statusCode") == "3070"
    assert 'in the field "City"' in city.get("statusMessage", "")


@pytest.mark.parametrize(
    ("date", "printed", "code"),
    [
        ("2024-13-01", "false", "3020"),
        ("01/02/2024", "false", "3020"),
        ("2024-01-02", "True", "3010"),
        ("2024-01-02", "yes", "3010"),
        ("2024-01-02", "1", "0"),
    ],
)
def test_bad_dates_and_booleans_are_format_errors(company: CompanyFile, date: str, printed: str, code: str) -> None:
    request = (
        f"<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Ada</FullName></CustomerRef><TxnDate>{date}</TxnDate>"
        f"<Memo>m</Memo><IsToBePrinted>{printed}</IsToBePrinted><SalesOrderLineAdd><ItemRef><FullName>Widget"
        "</FullName></ItemRef></SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>"
    )
    (rs,) = answers(company, request)
    assert rs.get("statusCode") == code


@pytest.mark.parametrize("amount", ["10.005", "1e3", "$10", "10,00"])
def test_an_amount_that_is_not_a_plain_two_place_decimal_is_3040(company: CompanyFile, amount: str) -> None:
    request = (
        "<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Ada</FullName></CustomerRef><SalesOrderLineAdd>"
        f"<ItemRef><FullName>Widget</FullName></ItemRef><Amount>{amount}</Amount></SalesOrderLineAdd>"
        "</SalesOrderAdd></SalesOrderAddRq>"
    )
    (rs,) = answers(company, request)
    assert rs.get("statusCode") == "3040"


def test_include_ret_element_keeps_only_the_named_elements(company: CompanyFile) -> None:
    (rs,) = answers(
        company,
        "<CustomerQueryRq><FullName>Ada</FullName><IncludeRetElement>ListID</IncludeRetElement>"
        "<IncludeRetElement>Name</IncludeRetElement></CustomerQueryRq>",
    )
    assert [child.tag for child in rs.iterfind("CustomerRet/*")] == ["ListID", "Name"]


def test_multicurrency_fields_need_the_preference(company: CompanyFile) -> None:
    request = (
        "<CustomerAddRq><CustomerAdd><Name>Bea</Name><CurrencyRef><FullName>Euro</FullName></CurrencyRef>"
        "</CustomerAdd></CustomerAddRq>"
    )
    (off,) = answers(company, request)
    assert off.get("statusCode") == "3250"
    company.switches.multicurrency = True
    (on,) = answers(company, request)
    assert on.get("statusCode") == "0" and on.findtext("CustomerRet/CurrencyRef/FullName") == "Euro"


def test_response_data_include_none_returns_status_only(company: CompanyFile) -> None:
    text = envelope(customer_add("Bea")).replace(
        'onError="stopOnError"', 'onError="stopOnError" responseData="includeNone"'
    )
    response = etree.fromstring(company.process(text).response.encode())
    (rs,) = response[0]
    assert rs.get("statusCode") == "0" and len(rs) == 0


def test_non_ascii_text_is_accepted_and_shown(company: CompanyFile) -> None:
    (rs,) = answers(company, customer_add("Zoë Café"))
    assert rs.findtext("CustomerRet/Name") == "Zoë Café"
    assert ("Name", "Zoë Café") in company.non_ascii
    latin = envelope(customer_add("Señor")).replace("utf-8", "ISO-8859-1")
    assert company.process(latin).hresult == ""
    assert company.process(envelope(customer_add("東京")).replace("utf-8", "ISO-8859-1")) == PARSE_ERROR
