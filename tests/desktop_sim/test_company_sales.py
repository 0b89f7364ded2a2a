"""Sales orders, invoices and the other forms: editions, linking, edits, numbering, tax, deletes, macros, queries."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from lxml import etree

from ledgerflow.qbd_sim.company import CompanyFile, Edition, Switches

PATH = "C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\shop-a.qbw"


def envelope(*requests: str, version: str = "13.0", on_error: str = "stopOnError") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><?qbxml version="{version}"?>'
        f'<QBXML><QBXMLMsgsRq onError="{on_error}">{"".join(requests)}</QBXMLMsgsRq></QBXML>'
    )


def answers(company: CompanyFile, *requests: str, **options: str) -> list[etree._Element]:
    outcome = company.process(envelope(*requests, **options))
    assert outcome.hresult == "", company.last_parse_error
    assert not company.internal_errors, company.internal_errors[-1]
    return list(etree.fromstring(outcome.response.encode())[0])


def one(company: CompanyFile, request: str, **options: str) -> etree._Element:
    (rs,) = answers(company, request, **options)
    return rs


def ret(rs: etree._Element) -> etree._Element:
    assert rs.get("statusCode") in ("0", "570"), rs.get("statusMessage")
    found = rs[0]
    assert str(found.tag).endswith("Ret")
    return found


def line(
    item: str, quantity: str | None = None, rate: str | None = None, extra: str = "", kind: str = "SalesOrder"
) -> str:
    qty = f"<Quantity>{quantity}</Quantity>" if quantity else ""
    price = f"<Rate>{rate}</Rate>" if rate else ""
    return f"<{kind}LineAdd><ItemRef><FullName>{item}</FullName></ItemRef>{qty}{price}{extra}</{kind}LineAdd>"


def so_add(
    *lines: str, ref: str | None = "SO-1", macro: str = "", customer: str = "Ada", header: str = "", after: str = ""
) -> str:
    """``header`` goes before RefNumber (TxnDate), ``after`` after it (ItemSalesTaxRef, Memo, …)."""
    number = f"<RefNumber>{ref}</RefNumber>" if ref is not None else ""
    define = f' defMacro="{macro}"' if macro else ""
    return (
        f"<SalesOrderAddRq><SalesOrderAdd{define}><CustomerRef><FullName>{customer}</FullName></CustomerRef>"
        f"{header}{number}{after}{''.join(lines)}</SalesOrderAdd></SalesOrderAddRq>"
    )


def invoice_add(body: str, ref: str | None = "INV-1", macro: str = "") -> str:
    number = f"<RefNumber>{ref}</RefNumber>" if ref is not None else ""
    define = f' defMacro="{macro}"' if macro else ""
    return (
        f"<InvoiceAddRq><InvoiceAdd{define}><CustomerRef><FullName>Ada</FullName></CustomerRef>{number}"
        f"{body}</InvoiceAdd></InvoiceAddRq>"
    )


def so_query(txn_id: str) -> str:
    return (
        f"<SalesOrderQueryRq><TxnID>{txn_id}</TxnID><IncludeLineItems>true</IncludeLineItems>"
        "<IncludeLinkedTxns>true</IncludeLinkedTxns></SalesOrderQueryRq>"
    )


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make(clock: Clock, **kwargs: object) -> CompanyFile:
    company = CompanyFile(PATH, clock=clock, **kwargs)  # type: ignore[arg-type]
    company.add_customer("Ada")
    company.add_customer("Bea")
    company.add_item("Tent", price=Decimal("100.00"))
    company.add_item("Stove", price=Decimal("25.00"))
    return company


@pytest.fixture
def company(clock: Clock) -> CompanyFile:
    return make(clock)


# -- editions -----------------------------------------------------------------------------------------------------


def test_sales_order_add_on_pro_is_3250_but_query_works(clock: Clock) -> None:
    pro = make(clock, edition=Edition.PRO)
    rs = one(pro, so_add(line("Tent", "1")))
    assert rs.get("statusCode") == "3250" and rs.get("statusSeverity") == "Error"
    assert "not available" in rs.get("statusMessage", "")
    assert one(pro, "<SalesOrderQueryRq/>").get("statusCode") == "1"
    assert pro.books()["documents"] == []


def test_the_pro_status_code_and_the_sales_order_preference_are_switches(clock: Clock) -> None:
    pro = make(clock, edition=Edition.PRO, switches=Switches(pro_sales_order_code=1030))
    assert one(pro, so_add(line("Tent", "1"))).get("statusCode") == "1030"
    premier = make(clock, edition=Edition.PREMIER, switches=Switches(sales_orders_enabled=False))
    assert one(premier, so_add(line("Tent", "1"))).get("statusCode") == "3250"
    assert one(make(clock, edition=Edition.PREMIER), so_add(line("Tent", "1"))).get("statusCode") == "0"


# -- sales order to invoice -----------------------------------------------------------------------------------------


def test_link_to_txn_id_copies_the_open_lines_and_closes_the_order(company: CompanyFile) -> None:
    order = ret(one(company, so_add(line("Tent", "2"), line("Stove", "1", "20.00"))))
    so_id = order.findtext("TxnID") or ""
    assert re.fullmatch(r"[0-9A-F]+-\d{10}", so_id)
    assert order.findtext("IsFullyInvoiced") == "false"
    invoice = ret(one(company, invoice_add(f"<LinkToTxnID>{so_id}</LinkToTxnID>")))
    lines = invoice.findall("InvoiceLineRet")
    assert [(ln.findtext("ItemRef/FullName"), ln.findtext("Quantity"), ln.findtext("Amount")) for ln in lines] == [
        ("Tent", "2", "200.00"),
        ("Stove", "1", "20.00"),
    ]
    assert invoice.findtext("Subtotal") == "220.00" and invoice.findtext("BalanceRemaining") == "220.00"
    link = invoice.find("LinkedTxn")
    assert link is not None and (link.findtext("TxnID"), link.findtext("TxnType"), link.findtext("LinkType")) == (
        so_id,
        "SalesOrder",
        "QUANTYPE",
    )
    order = ret(one(company, so_query(so_id)))
    assert order.findtext("IsFullyInvoiced") == "true"
    assert [ln.findtext("Invoiced") for ln in order.findall("SalesOrderLineRet")] == ["2", "1"]
    assert order.findtext("LinkedTxn/TxnID") == invoice.findtext("TxnID")
    assert order.findtext("LinkedTxn/TxnType") == "Invoice"


def test_a_partial_line_link_leaves_the_order_open_until_the_rest_is_billed(company: CompanyFile) -> None:
    order = ret(one(company, so_add(line("Tent", "3"), line("Stove", "1"))))
    so_id = order.findtext("TxnID")
    tent, stove = (ln.findtext("TxnLineID") for ln in order.findall("SalesOrderLineRet"))
    partial = (
        f"<InvoiceLineAdd><Quantity>1</Quantity><LinkToTxn><TxnID>{so_id}</TxnID><TxnLineID>{tent}</TxnLineID>"
        "</LinkToTxn></InvoiceLineAdd>"
    )
    first = ret(one(company, invoice_add(partial)))
    assert first.findtext("InvoiceLineRet/ItemRef/FullName") == "Tent"
    assert first.findtext("InvoiceLineRet/Amount") == "100.00"
    order = ret(one(company, so_query(so_id or "")))
    assert order.findtext("IsFullyInvoiced") == "false"
    assert [ln.findtext("Invoiced") for ln in order.findall("SalesOrderLineRet")] == ["1", "0"]
    rest = ret(one(company, invoice_add(f"<LinkToTxnID>{so_id}</LinkToTxnID>", ref="INV-2")))
    assert [(ln.findtext("ItemRef/FullName"), ln.findtext("Quantity")) for ln in rest.findall("InvoiceLineRet")] == [
        ("Tent", "2"),
        ("Stove", "1"),
    ]
    assert ret(one(company, so_query(so_id or ""))).findtext("IsFullyInvoiced") == "true"
    assert stove


def test_linking_a_closed_order_warns_570_and_an_empty_invoice_fails(company: CompanyFile) -> None:
    so_id = ret(one(company, so_add(line("Tent", "1")))).findtext("TxnID")
    ret(one(company, invoice_add(f"<LinkToTxnID>{so_id}</LinkToTxnID>")))
    with_other_line = one(
        company, invoice_add(f"<LinkToTxnID>{so_id}</LinkToTxnID>" + line("Stove", "1", kind="Invoice"), ref="INV-2")
    )
    assert with_other_line.get("statusCode") == "570" and with_other_line.get("statusSeverity") == "Warn"
    assert f'"{so_id}"' in with_other_line.get("statusMessage", "")
    assert [ln.findtext("ItemRef/FullName") for ln in ret(with_other_line).findall("InvoiceLineRet")] == ["Stove"]
    empty = one(company, invoice_add(f"<LinkToTxnID>{so_id}</LinkToTxnID>", ref="INV-3"))
    assert empty.get("statusSeverity") == "Error" and empty.find("InvoiceRet") is None
    assert [d["doc_number"] for d in company.books()["documents"] if d["type"] == "Invoice"] == ["INV-1", "INV-2"]


def test_a_manually_closed_order_cannot_be_linked(company: CompanyFile) -> None:
    order = ret(one(company, so_add(line("Tent", "1"))))
    closed = one(
        company,
        f"<SalesOrderModRq><SalesOrderMod><TxnID>{order.findtext('TxnID')}</TxnID><EditSequence>"
        f"{order.findtext('EditSequence')}</EditSequence><IsManuallyClosed>true</IsManuallyClosed></SalesOrderMod>"
        "</SalesOrderModRq>",
    )
    assert ret(closed).findtext("IsManuallyClosed") == "true"
    assert company.books()["documents"][0]["status"] == "closed"
    assert (
        one(company, invoice_add(f"<LinkToTxnID>{order.findtext('TxnID')}</LinkToTxnID>")).get("statusCode") == "3180"
    )


@pytest.mark.parametrize(
    ("link", "code"),
    [
        ("<LinkToTxnID>FFF-1700000000</LinkToTxnID>", "3120"),
        ("<LinkToTxnID>{estimate}</LinkToTxnID>", "3140"),
        ("<LinkToTxnID>{other}</LinkToTxnID>", "3180"),  # another customer's order
        (
            "<LinkToTxnID>{so}</LinkToTxnID><InvoiceLineAdd><LinkToTxn><TxnID>{so}</TxnID><TxnLineID>{line}</TxnLineID>"
            "</LinkToTxn></InvoiceLineAdd>",
            "3180",
        ),  # both forms for one order
        (
            "<InvoiceLineAdd><ItemRef><FullName>Tent</FullName></ItemRef><LinkToTxn><TxnID>{so}</TxnID><TxnLineID>"
            "{line}</TxnLineID></LinkToTxn></InvoiceLineAdd>",
            "3180",
        ),  # an item on a linked line
        (
            "<InvoiceLineAdd><LinkToTxn><TxnID>{so}</TxnID><TxnLineID>FFF-1</TxnLineID></LinkToTxn></InvoiceLineAdd>",
            "3120",
        ),
    ],
)
def test_bad_links_are_refused(company: CompanyFile, link: str, code: str) -> None:
    order = ret(one(company, so_add(line("Tent", "1"))))
    other = ret(one(company, so_add(line("Tent", "1"), customer="Bea", ref="SO-2")))
    estimate = ret(
        one(
            company,
            "<EstimateAddRq><EstimateAdd><CustomerRef><FullName>Ada</FullName></CustomerRef>"
            f"{line('Tent', '1', kind='Estimate')}</EstimateAdd></EstimateAddRq>",
        )
    )
    body = link.format(
        so=order.findtext("TxnID"),
        line=order.findtext("SalesOrderLineRet/TxnLineID"),
        other=other.findtext("TxnID"),
        estimate=estimate.findtext("TxnID"),
    )
    assert one(company, invoice_add(body)).get("statusCode") == code


def test_linking_in_invoice_mod_is_a_parse_error(company: CompanyFile) -> None:
    order = ret(one(company, so_add(line("Tent", "1"))))
    invoice = ret(one(company, invoice_add(line("Stove", "1", kind="Invoice"))))
    mod = (
        f"<InvoiceModRq><InvoiceMod><TxnID>{invoice.findtext('TxnID')}</TxnID><EditSequence>"
        f"{invoice.findtext('EditSequence')}</EditSequence><LinkToTxnID>{order.findtext('TxnID')}</LinkToTxnID>"
        "</InvoiceMod></InvoiceModRq>"
    )
    assert company.process(envelope(mod)).hresult == "0x80040400"


# -- edits ----------------------------------------------------------------------------------------------------------


def mod(order: etree._Element, body: str, edit_sequence: str | None = None) -> str:
    sequence = edit_sequence or order.findtext("EditSequence")
    return (
        f"<SalesOrderModRq><SalesOrderMod><TxnID>{order.findtext('TxnID')}</TxnID><EditSequence>{sequence}"
        f"</EditSequence>{body}</SalesOrderMod></SalesOrderModRq>"
    )


def test_a_mod_with_a_stale_edit_sequence_is_3200_and_each_mod_moves_it(company: CompanyFile) -> None:
    order = ret(one(company, so_add(line("Tent", "1"))))
    changed = ret(one(company, mod(order, "<Memo>first</Memo>")))
    assert changed.findtext("EditSequence") != order.findtext("EditSequence")
    assert changed.findtext("TxnNumber") == order.findtext("TxnNumber")
    stale = one(company, mod(order, "<Memo>second</Memo>"))
    assert stale.get("statusCode") == "3200"
    assert (
        stale.get("statusMessage") == f'The provided edit sequence "{order.findtext("EditSequence")}" is out-of-date.'
    )
    assert company.books()["documents"][0]["memo"] == "first"


def test_a_mod_of_an_unknown_txn_is_3120(company: CompanyFile) -> None:
    order = ret(one(company, so_add(line("Tent", "1"))))
    unknown = mod(order, "<Memo>x</Memo>").replace(order.findtext("TxnID") or "", "FFF-1700000000")
    rs = one(company, unknown)
    assert rs.get("statusCode") == "3120" and '"FFF-1700000000"' in rs.get("statusMessage", "")


def test_line_mods_replace_the_line_list_unless_the_switch_keeps_unlisted_lines(clock: Clock) -> None:
    for delete_unlisted, expected in ((True, ["Tent", "Stove"]), (False, ["Tent", "Stove", "Stove"])):
        company = make(clock, switches=Switches(so_line_mods_delete_unlisted=delete_unlisted))
        order = ret(one(company, so_add(line("Tent", "1"), line("Stove", "1"))))
        tent = order.findtext("SalesOrderLineRet/TxnLineID")
        body = (
            f"<SalesOrderLineMod><TxnLineID>{tent}</TxnLineID><Quantity>3</Quantity></SalesOrderLineMod>"
            "<SalesOrderLineMod><TxnLineID>-1</TxnLineID><ItemRef><FullName>Stove</FullName></ItemRef>"
            "</SalesOrderLineMod>"
        )
        changed = ret(one(company, mod(order, body)))
        lines = changed.findall("SalesOrderLineRet")
        assert [ln.findtext("ItemRef/FullName") for ln in lines] == expected
        assert lines[0].findtext("Amount") == "300.00"


def test_a_mod_without_line_mods_leaves_the_lines_alone(company: CompanyFile) -> None:
    order = ret(one(company, so_add(line("Tent", "1"), line("Stove", "1"))))
    changed = ret(one(company, mod(order, "<Memo>m</Memo>")))
    assert len(changed.findall("SalesOrderLineRet")) == 2


# -- numbering ------------------------------------------------------------------------------------------------------


def test_auto_numbering_continues_from_the_last_number_entered_per_type(company: CompanyFile) -> None:
    ret(one(company, so_add(line("Tent", "1"), ref="SH-10457")))
    auto = ret(one(company, so_add(line("Tent", "1"), ref=None)))
    assert auto.findtext("RefNumber") == "SH-10458"
    invoice = ret(one(company, invoice_add(line("Tent", "1", kind="Invoice"), ref=None)))
    assert invoice.findtext("RefNumber") == "1"  # invoices have their own sequence
    keyed = company.key_by_hand("SalesOrder", customer="Ada", amount=Decimal("5.00"))
    assert keyed["doc_number"] == "SH-10459"
    assert ret(one(company, so_add(line("Tent", "1"), ref="0099"))).findtext("RefNumber") == "0099"
    assert ret(one(company, so_add(line("Tent", "1"), ref=None))).findtext("RefNumber") == "0100"


def test_without_auto_numbering_an_omitted_number_stays_blank(clock: Clock) -> None:
    company = make(clock, switches=Switches(auto_number=False))
    order = ret(one(company, so_add(line("Tent", "1"), ref=None)))
    assert order.find("RefNumber") is None
    assert company.books()["documents"][0]["doc_number"] is None


def test_ref_numbers_are_never_unique(company: CompanyFile) -> None:
    first, second = answers(company, so_add(line("Tent", "1"), ref="DUP"), so_add(line("Tent", "1"), ref="DUP"))
    assert ret(first).findtext("TxnID") != ret(second).findtext("TxnID")
    found = one(company, "<SalesOrderQueryRq><RefNumber>dup</RefNumber></SalesOrderQueryRq>")
    assert len(found) == 2


# -- amounts and tax ------------------------------------------------------------------------------------------------


def test_totals_come_from_lines_rounded_half_up_and_tax_applies_to_taxable_lines(company: CompanyFile) -> None:
    company.add_item("CA Tax", kind="SalesTax", price=Decimal("8.25"))
    non = "<SalesTaxCodeRef><FullName>Non</FullName></SalesTaxCodeRef>"
    order = ret(
        one(
            company,
            so_add(
                line("Tent", "3", "0.335"),  # 1.005 -> 1.01
                line("Stove", extra="<Amount>10.00</Amount>"),
                line("Stove", "1", extra=non),
                after="<ItemSalesTaxRef><FullName>CA Tax</FullName></ItemSalesTaxRef>",
            ),
        )
    )
    amounts = [ln.findtext("Amount") for ln in order.findall("SalesOrderLineRet")]
    assert amounts == ["1.01", "10.00", "25.00"]
    assert order.findtext("Subtotal") == "36.01"
    assert order.findtext("SalesTaxPercentage") == "8.25"
    assert order.findtext("SalesTaxTotal") == "0.91"  # 8.25% of 11.01 = 0.908
    assert order.findtext("TotalAmount") == "36.92"


def test_a_transaction_on_or_before_the_closing_date_is_3171(company: CompanyFile) -> None:
    order = ret(one(company, so_add(line("Tent", "1"), header="<TxnDate>2024-01-15</TxnDate>")))
    company.closing_date = date(2024, 1, 31)
    assert one(company, so_add(line("Tent", "1"), header="<TxnDate>2024-01-31</TxnDate>")).get("statusCode") == "3171"
    assert one(company, so_add(line("Tent", "1"), header="<TxnDate>2024-02-01</TxnDate>")).get("statusCode") == "0"
    assert one(company, mod(order, "<Memo>late edit</Memo>")).get("statusCode") == "3171"
    delete = f"<TxnDelRq><TxnDelType>SalesOrder</TxnDelType><TxnID>{order.findtext('TxnID')}</TxnID></TxnDelRq>"
    assert one(company, delete).get("statusCode") == "3171"


# -- deletes ----------------------------------------------------------------------------------------------------------


def test_txn_del_then_query_is_status_1_and_a_second_delete_is_3120(company: CompanyFile) -> None:
    order = ret(one(company, so_add(line("Tent", "1"))))
    so_id = order.findtext("TxnID") or ""
    deleted = one(company, f"<TxnDelRq><TxnDelType>SalesOrder</TxnDelType><TxnID>{so_id}</TxnID></TxnDelRq>")
    assert deleted.get("statusCode") == "0"
    assert (deleted.findtext("TxnDelType"), deleted.findtext("TxnID"), deleted.findtext("RefNumber")) == (
        "SalesOrder",
        so_id,
        "SO-1",
    )
    assert one(company, so_query(so_id)).get("statusCode") == "1"
    again = one(company, f"<TxnDelRq><TxnDelType>SalesOrder</TxnDelType><TxnID>{so_id}</TxnID></TxnDelRq>")
    assert again.get("statusCode") == "3120"


def test_txn_del_needs_the_right_type(company: CompanyFile) -> None:
    so_id = ret(one(company, so_add(line("Tent", "1")))).findtext("TxnID")
    wrong = one(company, f"<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>{so_id}</TxnID></TxnDelRq>")
    assert wrong.get("statusCode") == "3120"
    assert company.process(envelope(f"<TxnDelRq><TxnID>{so_id}</TxnID></TxnDelRq>")).hresult == "0x80040400"


@pytest.mark.parametrize(("reopens", "fully_invoiced"), [(True, "false"), (False, "true")])
def test_deleting_an_invoice_gives_the_quantities_back_to_the_order_per_switch(
    clock: Clock, reopens: bool, fully_invoiced: str
) -> None:
    company = make(clock, switches=Switches(delete_invoice_reopens_sales_order=reopens))
    so_id = ret(one(company, so_add(line("Tent", "2")))).findtext("TxnID") or ""
    invoice_id = ret(one(company, invoice_add(f"<LinkToTxnID>{so_id}</LinkToTxnID>"))).findtext("TxnID")
    one(company, f"<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>{invoice_id}</TxnID></TxnDelRq>")
    order = ret(one(company, so_query(so_id)))
    assert order.findtext("IsFullyInvoiced") == fully_invoiced
    assert order.find("LinkedTxn") is None


# -- macros -----------------------------------------------------------------------------------------------------------


def test_macros_link_an_order_invoice_and_payment_in_one_set(company: CompanyFile) -> None:
    payment = (
        "<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Ada</FullName></CustomerRef><TotalAmount>"
        '100.00</TotalAmount><AppliedToTxnAdd><TxnID useMacro="TxnID:INV"/><PaymentAmount>100.00</PaymentAmount>'
        "</AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>"
    )
    order, invoice, paid = answers(
        company,
        so_add(line("Tent", "1"), macro="TxnID:SO"),
        invoice_add('<LinkToTxnID useMacro="TxnID:SO"/>', macro="TxnID:INV"),
        payment,
    )
    assert ret(invoice).findtext("LinkedTxn/TxnID") == ret(order).findtext("TxnID")
    assert ret(paid).findtext("AppliedToTxnRet/TxnID") == ret(invoice).findtext("TxnID")
    assert ret(paid).findtext("AppliedToTxnRet/BalanceRemaining") == "0.00"
    documents = company.books()["documents"]
    assert [(d["type"], d["status"]) for d in documents] == [
        ("SalesOrder", "fully_invoiced"),
        ("Invoice", "paid"),
        ("ReceivePayment", "applied"),
    ]


def test_macro_errors_are_in_the_9100_range(company: CompanyFile) -> None:
    unknown, redefined_first, redefined, failed, after_failed, bad_name = answers(
        company,
        invoice_add('<LinkToTxnID useMacro="TxnID:NOPE"/>'),
        so_add(line("Tent", "1"), macro="TxnID:SO"),
        so_add(line("Tent", "1"), macro="TxnID:SO", ref="SO-2"),
        so_add(line("Nope", "1"), macro="TxnID:FAILED", ref="SO-3"),
        invoice_add('<LinkToTxnID useMacro="TxnID:FAILED"/>', ref="INV-2"),
        so_add(line("Tent", "1"), macro="Order1", ref="SO-4"),
        on_error="continueOnError",
    )
    assert unknown.get("statusCode") == "9100" and redefined_first.get("statusCode") == "0"
    assert redefined.get("statusCode") == "9101"
    assert failed.get("statusCode") == "3140" and after_failed.get("statusCode") == "9100"
    assert bad_name.get("statusCode") == "9102"
    assert len(company.books()["documents"]) == 1


def test_macros_do_not_outlive_their_message_set(company: CompanyFile) -> None:
    one(company, so_add(line("Tent", "1"), macro="TxnID:SO"))
    assert one(company, invoice_add('<LinkToTxnID useMacro="TxnID:SO"/>')).get("statusCode") == "9100"


def test_a_macro_in_link_to_txn_id_can_be_switched_off(clock: Clock) -> None:
    company = make(clock, switches=Switches(macro_in_link_to_txn_id=False))
    _, linked = answers(
        company,
        so_add(line("Tent", "1"), macro="TxnID:SO"),
        invoice_add('<LinkToTxnID useMacro="TxnID:SO"/>'),
        on_error="continueOnError",
    )
    assert linked.get("statusCode") == "9102"


def test_use_macro_where_the_schema_has_no_macro_is_a_parse_error(company: CompanyFile) -> None:
    request = '<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID useMacro="TxnID:X"/></TxnDelRq>'
    assert company.process(envelope(request)).hresult == "0x80040400"


# -- queries ----------------------------------------------------------------------------------------------------------


def test_ref_number_queries_ignore_case_unless_case_sensitive(company: CompanyFile) -> None:
    ret(one(company, so_add(line("Tent", "1"), ref="Web-1001")))
    assert len(one(company, "<SalesOrderQueryRq><RefNumber>WEB-1001</RefNumber></SalesOrderQueryRq>")) == 1
    exact = one(
        company, "<SalesOrderQueryRq><RefNumberCaseSensitive>WEB-1001</RefNumberCaseSensitive></SalesOrderQueryRq>"
    )
    assert exact.get("statusCode") == "1"
    assert (
        company.process(
            envelope(
                "<SalesOrderQueryRq><RefNumberCaseSensitive>x</RefNumberCaseSensitive></SalesOrderQueryRq>",
                version="3.0",
            )
        ).hresult
        == "0x80040400"
    )


def test_query_filters_and_line_items(company: CompanyFile, clock: Clock) -> None:
    ret(one(company, so_add(line("Tent", "1"), ref="WEB-1", header="<TxnDate>2024-02-01</TxnDate>")))
    clock.now += timedelta(hours=2)
    ret(one(company, so_add(line("Tent", "1"), ref="SHOP-2", customer="Bea", header="<TxnDate>2024-02-10</TxnDate>")))
    ret(one(company, so_add(line("Tent", "1"), ref="WEB-3", header="<TxnDate>2024-02-20</TxnDate>")))

    def refs(body: str) -> list[str | None]:
        rs = one(company, f"<SalesOrderQueryRq>{body}</SalesOrderQueryRq>")
        return [r.findtext("RefNumber") for r in rs]

    assert refs("<TxnDateRangeFilter><FromTxnDate>2024-02-05</FromTxnDate></TxnDateRangeFilter>") == ["SHOP-2", "WEB-3"]
    assert refs("<EntityFilter><FullName>Ada</FullName></EntityFilter>") == ["WEB-1", "WEB-3"]
    assert refs(
        "<RefNumberFilter><MatchCriterion>Contains</MatchCriterion><RefNumber>eb</RefNumber></RefNumberFilter>"
    ) == ["WEB-1", "WEB-3"]
    assert refs(
        "<RefNumberFilter><MatchCriterion>EndsWith</MatchCriterion><RefNumber>-2</RefNumber></RefNumberFilter>"
    ) == ["SHOP-2"]
    assert refs(
        "<ModifiedDateRangeFilter><FromModifiedDate>2024-03-01T10:00:00+00:00</FromModifiedDate>"
        "</ModifiedDateRangeFilter>"
    ) == ["SHOP-2", "WEB-3"]
    assert refs("<MaxReturned>2</MaxReturned>") == ["WEB-1", "SHOP-2"]
    plain = one(company, "<SalesOrderQueryRq><RefNumber>WEB-1</RefNumber></SalesOrderQueryRq>")
    assert plain.find("SalesOrderRet/SalesOrderLineRet") is None
    bad_range = one(
        company,
        "<SalesOrderQueryRq><TxnDateRangeFilter><FromTxnDate>2024-03-01</FromTxnDate>"
        "<ToTxnDate>2024-02-01</ToTxnDate></TxnDateRangeFilter></SalesOrderQueryRq>",
    )
    assert bad_range.get("statusCode") == "3030"


def test_other_forms_add_and_query(company: CompanyFile) -> None:
    company.add_vendor("Acme Supply")
    receipt = ret(
        one(
            company,
            "<SalesReceiptAddRq><SalesReceiptAdd><CustomerRef><FullName>Ada</FullName>"
            "</CustomerRef><RefNumber>SR-1</RefNumber><CheckNumber>1234</CheckNumber>"
            f"{line('Tent', '1', kind='SalesReceipt')}</SalesReceiptAdd></SalesReceiptAddRq>",
        )
    )
    assert receipt.findtext("TotalAmount") == "100.00" and receipt.findtext("CheckNumber") == "1234"
    no_vendor = one(
        company,
        f"<PurchaseOrderAddRq><PurchaseOrderAdd>{line('Tent', '1', kind='PurchaseOrder')}"
        "</PurchaseOrderAdd></PurchaseOrderAddRq>",
    )
    assert no_vendor.get("statusCode") == "3150"
    order = ret(
        one(
            company,
            "<PurchaseOrderAddRq><PurchaseOrderAdd><VendorRef><FullName>Acme Supply</FullName>"
            "</VendorRef><ShipToEntityRef><FullName>Ada</FullName></ShipToEntityRef>"
            f"{line('Tent', '2', '60.00', kind='PurchaseOrder')}</PurchaseOrderAdd>"
            "</PurchaseOrderAddRq>",
        )
    )
    assert (order.findtext("TotalAmount"), order.findtext("IsFullyReceived"), order.findtext("IsManuallyClosed")) == (
        "120.00",
        "false",
        "false",
    )
    assert order.findtext("ShipToEntityRef/FullName") == "Ada"
    assert len(one(company, "<PurchaseOrderQueryRq/>")) == 1 and len(one(company, "<SalesReceiptQueryRq/>")) == 1
    documents = company.books()["documents"]
    assert [(d["type"], d["customer"], d["vendor"], d["reference"]) for d in documents] == [
        ("SalesReceipt", "Ada", None, "1234"),
        ("PurchaseOrder", None, "Acme Supply", None),
    ]


def test_a_line_group_names_an_item_group_that_does_not_exist(company: CompanyFile) -> None:
    group = "<SalesOrderLineGroupAdd><ItemGroupRef><FullName>Kit</FullName></ItemGroupRef></SalesOrderLineGroupAdd>"
    rs = one(company, so_add(group))
    assert rs.get("statusCode") == "3140"
    assert rs.get("statusMessage") == 'There is an invalid reference to QuickBooks Item "Kit" in the SalesOrder line.'


def test_a_tax_line_keeps_the_order_open_when_the_connex_quirk_is_on(clock: Clock) -> None:
    for quirk, expected in ((False, "true"), (True, "false")):
        company = make(clock, switches=Switches(tax_line_keeps_sales_order_open=quirk))
        company.add_item("Tax Line", kind="SalesTax", price=Decimal("5"))
        order = ret(one(company, so_add(line("Tent", "1"), line("Tax Line", extra="<Amount>5.00</Amount>"))))
        so_id = order.findtext("TxnID") or ""
        invoice = ret(one(company, invoice_add(f"<LinkToTxnID>{so_id}</LinkToTxnID>")))
        assert len(invoice.findall("InvoiceLineRet")) == (1 if quirk else 2)
        assert ret(one(company, so_query(so_id))).findtext("IsFullyInvoiced") == expected


def test_transaction_queries_iterate_too(company: CompanyFile) -> None:
    for number in range(3):
        ret(one(company, so_add(line("Tent", "1"), ref=f"SO-{number}")))
    start = one(company, '<SalesOrderQueryRq iterator="Start"><MaxReturned>2</MaxReturned></SalesOrderQueryRq>')
    assert (len(start), start.get("iteratorRemainingCount")) == (2, "1")
    rest = one(
        company,
        f'<SalesOrderQueryRq iterator="Continue" iteratorID="{start.get("iteratorID")}"><MaxReturned>2</MaxReturned>'
        "</SalesOrderQueryRq>",
    )
    assert [r.findtext("RefNumber") for r in [*start, *rest]] == ["SO-0", "SO-1", "SO-2"]
    assert rest.get("iteratorRemainingCount") == "0"
