"""Payments, credits and balances, the books dump, and what a person does at the keyboard."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lxml import etree

from ledgerflow.qbd_sim.company import CompanyFile, Edition, Switches

PATH = "C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\shop-a.qbw"


def envelope(*requests: str, on_error: str = "stopOnError") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?>'
        f'<QBXML><QBXMLMsgsRq onError="{on_error}">{"".join(requests)}</QBXMLMsgsRq></QBXML>'
    )


def one(company: CompanyFile, request: str) -> etree._Element:
    outcome = company.process(envelope(request))
    assert outcome.hresult == "", company.last_parse_error
    assert not company.internal_errors, company.internal_errors[-1]
    (rs,) = etree.fromstring(outcome.response.encode())[0]
    return rs


def ret(rs: etree._Element) -> etree._Element:
    assert rs.get("statusCode") == "0", rs.get("statusMessage")
    return rs[0]


def invoice(company: CompanyFile, amount: str, ref: str = "INV-1", customer: str = "Ada", day: str = "") -> str:
    txn_date = f"<TxnDate>{day}</TxnDate>" if day else ""
    rs = one(
        company,
        f"<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>{customer}</FullName></CustomerRef>{txn_date}<RefNumber>"
        f"{ref}</RefNumber><InvoiceLineAdd><ItemRef><FullName>Tent</FullName></ItemRef><Amount>{amount}</Amount>"
        "</InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>",
    )
    return ret(rs).findtext("TxnID") or ""


def payment_add(total: str, tail: str, customer: str = "Ada", ref: str = "") -> str:
    number = f"<RefNumber>{ref}</RefNumber>" if ref else ""
    return (
        f"<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>{customer}</FullName></CustomerRef>{number}"
        f"<TotalAmount>{total}</TotalAmount>{tail}</ReceivePaymentAdd></ReceivePaymentAddRq>"
    )


def applied(txn_id: str, amount: str) -> str:
    return f"<AppliedToTxnAdd><TxnID>{txn_id}</TxnID><PaymentAmount>{amount}</PaymentAmount></AppliedToTxnAdd>"


def payment_mod(payment: etree._Element, body: str) -> str:
    return (
        f"<ReceivePaymentModRq><ReceivePaymentMod><TxnID>{payment.findtext('TxnID')}</TxnID><EditSequence>"
        f"{payment.findtext('EditSequence')}</EditSequence>{body}</ReceivePaymentMod></ReceivePaymentModRq>"
    )


def apply_mod(txn_id: str, amount: str) -> str:
    return f"<AppliedToTxnMod><TxnID>{txn_id}</TxnID><PaymentAmount>{amount}</PaymentAmount></AppliedToTxnMod>"


def invoice_ret(company: CompanyFile, txn_id: str) -> etree._Element:
    return ret(
        one(
            company,
            f"<InvoiceQueryRq><TxnID>{txn_id}</TxnID><IncludeLinkedTxns>true</IncludeLinkedTxns></InvoiceQueryRq>",
        )
    )


def balance(company: CompanyFile, customer: str = "Ada") -> str | None:
    return ret(one(company, f"<CustomerQueryRq><FullName>{customer}</FullName></CustomerQueryRq>")).findtext("Balance")


def make(**kwargs: object) -> CompanyFile:
    company = CompanyFile(PATH, clock=lambda: datetime(2024, 3, 1, 9, 0, tzinfo=UTC), **kwargs)  # type: ignore[arg-type]
    company.add_customer("Ada")
    company.add_customer("Bea")
    company.add_item("Tent", price=Decimal("100.00"))
    return company


@pytest.fixture
def company() -> CompanyFile:
    return make()


def test_an_unapplied_payment_is_applied_later_by_mod(company: CompanyFile) -> None:
    payment = ret(one(company, payment_add("100.00", "<IsAutoApply>false</IsAutoApply>")))
    assert payment.findtext("UnusedPayment") == "100.00" and payment.find("AppliedToTxnRet") is None
    invoice_id = invoice(company, "100.00")
    assert balance(company) == "0.00"  # owed 100, prepaid 100
    moved = ret(one(company, payment_mod(payment, apply_mod(invoice_id, "100.00"))))
    assert moved.findtext("UnusedPayment") == "0.00"
    assert moved.findtext("AppliedToTxnRet/TxnID") == invoice_id
    assert moved.findtext("AppliedToTxnRet/Amount") == "100.00"
    assert moved.findtext("EditSequence") != payment.findtext("EditSequence")
    paid = invoice_ret(company, invoice_id)
    assert (paid.findtext("AppliedAmount"), paid.findtext("BalanceRemaining"), paid.findtext("IsPaid")) == (
        "-100.00",
        "0.00",
        "true",
    )
    assert paid.findtext("LinkedTxn/TxnType") == "ReceivePayment"
    assert paid.findtext("LinkedTxn/LinkType") == "AMTTYPE"
    assert balance(company) == "0.00"


def test_overpaying_an_invoice_is_3210_on_add_and_on_mod(company: CompanyFile) -> None:
    invoice_id = invoice(company, "50.00")
    over = one(company, payment_add("60.00", applied(invoice_id, "60.00")))
    assert over.get("statusCode") == "3210"
    assert "You cannot pay more than the amount due." in over.get("statusMessage", "")
    payment = ret(one(company, payment_add("60.00", "<IsAutoApply>false</IsAutoApply>")))
    assert one(company, payment_mod(payment, apply_mod(invoice_id, "50.01"))).get("statusCode") == "3210"
    assert invoice_ret(company, invoice_id).findtext("BalanceRemaining") == "50.00"
    assert ret(one(company, payment_mod(payment, apply_mod(invoice_id, "50.00")))).findtext("UnusedPayment") == "10.00"


def test_applications_cannot_exceed_the_payment(company: CompanyFile) -> None:
    first, second = invoice(company, "50.00"), invoice(company, "50.00", "INV-2")
    rs = one(company, payment_add("60.00", applied(first, "50.00") + applied(second, "20.00")))
    assert rs.get("statusCode") == "3210"


def test_a_payment_mod_with_a_stale_edit_sequence_is_3200(company: CompanyFile) -> None:
    invoice_id = invoice(company, "50.00")
    payment = ret(one(company, payment_add("50.00", "<IsAutoApply>false</IsAutoApply>")))
    ret(one(company, payment_mod(payment, "<Memo>edited</Memo>")))
    assert one(company, payment_mod(payment, apply_mod(invoice_id, "50.00"))).get("statusCode") == "3200"


def test_receive_payment_add_needs_auto_apply_or_applications(company: CompanyFile) -> None:
    outcome = company.process(envelope(payment_add("5.00", "")))
    assert outcome.hresult == "0x80040400"


@pytest.mark.parametrize(("keep", "expected"), [(False, ["INV-2"]), (True, ["INV-1", "INV-2"])])
def test_unlisted_applications_on_mod_follow_the_switch(keep: bool, expected: list[str]) -> None:
    company = make(switches=Switches(payment_mod_keeps_unlisted=keep))
    first, second = invoice(company, "30.00"), invoice(company, "30.00", "INV-2")
    payment = ret(one(company, payment_add("60.00", applied(first, "30.00"))))
    moved = ret(one(company, payment_mod(payment, apply_mod(second, "30.00"))))
    assert [a.findtext("RefNumber") for a in moved.findall("AppliedToTxnRet")] == expected
    assert invoice_ret(company, first).findtext("BalanceRemaining") == ("0.00" if keep else "30.00")


def test_auto_apply_prefers_an_exact_match_then_the_oldest(company: CompanyFile) -> None:
    oldest = invoice(company, "40.00", "INV-1", day="2024-01-01")
    exact = invoice(company, "25.00", "INV-2", day="2024-02-01")
    newest = invoice(company, "40.00", "INV-3", day="2024-02-15")
    matched = ret(one(company, payment_add("25.00", "<IsAutoApply>true</IsAutoApply>")))
    assert [a.findtext("TxnID") for a in matched.findall("AppliedToTxnRet")] == [exact]
    spread = ret(one(company, payment_add("50.00", "<IsAutoApply>true</IsAutoApply>")))
    assert [(a.findtext("TxnID"), a.findtext("Amount")) for a in spread.findall("AppliedToTxnRet")] == [
        (oldest, "40.00"),
        (newest, "10.00"),
    ]


def test_a_payment_applies_only_to_the_customers_own_invoices(company: CompanyFile) -> None:
    theirs = invoice(company, "50.00", customer="Bea")
    assert one(company, payment_add("50.00", applied(theirs, "50.00"))).get("statusCode") == "3120"


def test_credit_memos_are_applied_with_set_credit(company: CompanyFile) -> None:
    credit = ret(
        one(
            company,
            "<CreditMemoAddRq><CreditMemoAdd><CustomerRef><FullName>Ada</FullName></CustomerRef>"
            "<RefNumber>CM-1</RefNumber><CreditMemoLineAdd><ItemRef><FullName>Tent</FullName>"
            "</ItemRef><Amount>30.00</Amount></CreditMemoLineAdd></CreditMemoAdd></CreditMemoAddRq>",
        )
    )
    assert credit.findtext("CreditRemaining") == "30.00"
    invoice_id = invoice(company, "100.00")
    assert balance(company) == "70.00"
    with_credit = (
        f"<AppliedToTxnAdd><TxnID>{invoice_id}</TxnID><PaymentAmount>70.00</PaymentAmount><SetCredit><CreditTxnID>"
        f"{credit.findtext('TxnID')}</CreditTxnID><AppliedAmount>30.00</AppliedAmount></SetCredit></AppliedToTxnAdd>"
    )
    payment = ret(one(company, payment_add("70.00", with_credit)))
    assert payment.findtext("AppliedToTxnRet/LinkedTxn/TxnType") == "CreditMemo"
    assert invoice_ret(company, invoice_id).findtext("BalanceRemaining") == "0.00"
    query = f"<CreditMemoQueryRq><TxnID>{credit.findtext('TxnID')}</TxnID></CreditMemoQueryRq>"
    assert ret(one(company, query)).findtext("CreditRemaining") == "0.00"
    assert balance(company) == "0.00"
    reuse = with_credit.replace("70.00", "0.00")
    assert one(company, payment_add("0.00", reuse)).get("statusCode") == "3210"


def test_deleting_a_payment_reopens_the_invoice(company: CompanyFile) -> None:
    invoice_id = invoice(company, "80.00")
    payment = ret(one(company, payment_add("80.00", applied(invoice_id, "80.00"))))
    assert invoice_ret(company, invoice_id).findtext("IsPaid") == "true"
    company.delete_by_hand("ReceivePayment", payment.findtext("TxnID") or "")
    assert invoice_ret(company, invoice_id).findtext("BalanceRemaining") == "80.00"
    with pytest.raises(KeyError):
        company.delete_by_hand("ReceivePayment", payment.findtext("TxnID") or "")


def test_deleting_an_invoice_leaves_its_payment_unused(company: CompanyFile) -> None:
    invoice_id = invoice(company, "80.00")
    payment = ret(one(company, payment_add("80.00", applied(invoice_id, "80.00"))))
    one(company, f"<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>{invoice_id}</TxnID></TxnDelRq>")
    query = f"<ReceivePaymentQueryRq><TxnID>{payment.findtext('TxnID')}</TxnID></ReceivePaymentQueryRq>"
    assert ret(one(company, query)).findtext("UnusedPayment") == "80.00"
    assert balance(company) == "-80.00"


def test_books_rows_follow_the_online_simulators_shape() -> None:
    company = make(edition=Edition.PREMIER)
    company.add_vendor("Acme Supply")
    order = company.key_by_hand(
        "SalesOrder",
        customer="Ada",
        amount=Decimal("12.50"),
        ref_number="SO-9",
        txn_date=date(2024, 2, 2),
        memo="typed",
    )
    invoice_id = invoice(company, "40.00")
    payment = company.key_by_hand("ReceivePayment", customer="Ada", amount=Decimal("15.00"), ref_number="CHK-77")
    books = company.books()
    assert {k: books[k] for k in ("company", "edition", "customers", "vendors", "items")} == {
        "company": PATH,
        "edition": "premier",
        "customers": 2,
        "vendors": 1,
        "items": 1,
    }
    assert order["TxnID"] == order["id"] and order["EditSequence"]
    assert (
        books["documents"][0]
        == {k: v for k, v in order.items() if k not in ("TxnID", "TxnNumber", "EditSequence")}
        == {
            "type": "SalesOrder",
            "id": order["id"],
            "doc_number": "SO-9",
            "date": "2024-02-02",
            "customer": "Ada",
            "vendor": None,
            "currency": "USD",
            "total": "12.50",
            "balance": None,
            "status": "open",
            "memo": "typed",
            "reference": None,
            "linked": [],
        }
    )
    assert [d["id"] for d in books["documents"]] == [order["id"], invoice_id, payment["id"]]
    row = books["documents"][1]
    assert (row["type"], row["total"], row["balance"], row["status"]) == ("Invoice", "40.00", "40.00", "open")
    assert (payment["balance"], payment["status"], payment["reference"]) == ("15.00", "unapplied", "CHK-77")


def test_keyed_documents_share_the_number_sequence_and_deletes_by_hand_undo_them() -> None:
    company = make()
    typed = company.key_by_hand("Invoice", customer="Ada", amount=Decimal("5.00"), ref_number="A-100")
    auto = company.key_by_hand("Invoice", customer="Ada", amount=Decimal("5.00"))
    assert auto["doc_number"] == "A-101"
    company.delete_by_hand("Invoice", typed["id"])
    assert [d["id"] for d in company.books()["documents"]] == [auto["id"]]
    with pytest.raises(ValueError, match="no Customer"):
        company.key_by_hand("Invoice", customer="Nobody", amount=Decimal("1"))
    pro = make(edition=Edition.PRO)
    with pytest.raises(ValueError, match="Pro"):
        pro.key_by_hand("SalesOrder", customer="Ada", amount=Decimal("1"))


def test_error_recovery_replays_a_stored_message_set_when_switched_on() -> None:
    company = make(switches=Switches(error_recovery=True))
    text = envelope(payment_add("5.00", "<IsAutoApply>false</IsAutoApply>"))
    first = company.process(text.replace("<QBXMLMsgsRq ", '<QBXMLMsgsRq newMessageSetID="set-1" '))
    replay = company.process(text.replace("<QBXMLMsgsRq ", '<QBXMLMsgsRq oldMessageSetID="set-1" '))
    stored = etree.fromstring(replay.response.encode())[0]
    assert stored.get("messageSetStatusCode") == "0"
    assert stored.findtext("ReceivePaymentAddRs/ReceivePaymentRet/TxnID") == etree.fromstring(
        first.response.encode()
    ).findtext("QBXMLMsgsRs/ReceivePaymentAddRs/ReceivePaymentRet/TxnID")
    assert len(company.books()["documents"]) == 1  # the replay did not post a second payment
    off = make()
    off.process(text.replace("<QBXMLMsgsRq ", '<QBXMLMsgsRq newMessageSetID="set-1" '))
    off.process(text.replace("<QBXMLMsgsRq ", '<QBXMLMsgsRq oldMessageSetID="set-1" '))
    assert len(off.books()["documents"]) == 2


def test_requests_run_one_at_a_time(company: CompanyFile) -> None:
    def post() -> None:
        for _ in range(20):
            one(company, payment_add("1.00", "<IsAutoApply>false</IsAutoApply>"))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [d["id"] for d in company.books()["documents"]]
    assert len(ids) == len(set(ids)) == 80


def test_an_edit_by_hand_between_read_and_mod_gives_3200() -> None:
    company = make()
    order = company.key_by_hand("SalesOrder", customer="Ada", amount=Decimal("10.00"), ref_number="SO-1")
    read = ret(one(company, f"<SalesOrderQueryRq><TxnID>{order['TxnID']}</TxnID></SalesOrderQueryRq>"))
    assert read.findtext("EditSequence") == order["EditSequence"]
    edited = company.edit_by_hand("SalesOrder", order["TxnID"], memo="called the customer", manually_closed=True)
    assert edited["EditSequence"] != order["EditSequence"] and edited["status"] == "closed"
    late = one(
        company,
        f"<SalesOrderModRq><SalesOrderMod><TxnID>{order['TxnID']}</TxnID><EditSequence>{order['EditSequence']}"
        "</EditSequence><Memo>ours</Memo></SalesOrderMod></SalesOrderModRq>",
    )
    assert late.get("statusCode") == "3200"
    assert company.books()["documents"][0]["memo"] == "called the customer"


def test_invoice_add_can_take_a_credit_memo_with_set_credit(company: CompanyFile) -> None:
    credit_id = ret(
        one(
            company,
            '<CreditMemoAddRq><CreditMemoAdd defMacro="TxnID:CM"><CustomerRef><FullName>Ada</FullName></CustomerRef>'
            "<CreditMemoLineAdd><ItemRef><FullName>Tent</FullName></ItemRef><Amount>15.00</Amount></CreditMemoLineAdd>"
            "</CreditMemoAdd></CreditMemoAddRq>",
        )
    ).findtext("TxnID")
    rs = one(
        company,
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Ada</FullName></CustomerRef><SetCredit><CreditTxnID>"
        f"{credit_id}</CreditTxnID><AppliedAmount>15.00</AppliedAmount></SetCredit><InvoiceLineAdd><ItemRef>"
        "<FullName>Tent</FullName></ItemRef><Amount>40.00</Amount></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>",
    )
    invoice = ret(rs)
    assert (invoice.findtext("AppliedAmount"), invoice.findtext("BalanceRemaining")) == ("-15.00", "25.00")
    assert invoice.findtext("LinkedTxn/TxnType") == "CreditMemo"
    assert balance(company) == "25.00"
    credit = one(company, f"<CreditMemoQueryRq><TxnID>{credit_id}</TxnID></CreditMemoQueryRq>")
    assert ret(credit).findtext("CreditRemaining") == "0.00"
