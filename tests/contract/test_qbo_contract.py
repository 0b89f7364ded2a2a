"""What ledgerflow relies on QuickBooks Online doing, checked the same way on the simulator and on a sandbox company.

A test that passes on the simulator and fails on the sandbox is a difference to close in the simulator.
"""

from __future__ import annotations

import re

import pytest

from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient
from tests.contract.conftest import Books, invoice, sandbox_missing, unique


def _codes(response: object) -> list[str]:
    body = response.json()  # type: ignore[attr-defined]
    return [str(error["code"]) for error in body["Fault"]["Error"]]


def test_sandbox_credentials() -> None:
    """The sandbox variant's one line: why it did not run."""
    reason = sandbox_missing()
    if reason is not None:
        pytest.skip(reason)


async def test_every_answer_carries_an_intuit_tid(books: Books) -> None:
    created = await books.post("customer", {"DisplayName": unique("Tid")})
    refused = await books.post("customer", {"DisplayName": unique("Tid"), "NoSuchField": 1})
    assert (created.status_code, refused.status_code) == (200, 400)
    assert created.headers.get("intuit_tid") and refused.headers.get("intuit_tid")


async def test_an_unknown_property_is_2010_naming_it(books: Books) -> None:
    response = await books.post("customer", {"DisplayName": unique("Typo"), "PrivateNotes": "x"})
    assert response.status_code == 400 and _codes(response)[0] == "2010"
    assert "PrivateNotes" in response.text


async def test_an_item_needs_an_income_or_expense_account(books: Books) -> None:
    response = await books.post("item", {"Name": unique("NO-ACCOUNT"), "Type": "Service"})
    assert response.status_code == 400 and _codes(response)[0] == "2020"
    assert await books.item(unique("WITH-ACCOUNT"))


async def test_a_missing_reference_is_2500(books: Books) -> None:
    item = await books.item(unique("REF"))
    response = await books.post("invoice", invoice("987654321", item))
    assert response.status_code == 400 and _codes(response)[0] == "2500"


async def test_a_doc_number_over_21_characters_is_2050(books: Books) -> None:
    customer, item = await books.customer(unique("Long Number")), await books.item(unique("LONG"))
    response = await books.post("invoice", invoice(customer, item, number="L" * 22))
    assert response.status_code == 400 and "2050" in _codes(response)


async def test_a_duplicate_doc_number_is_6140_naming_the_holder(books: Books) -> None:
    customer, item = await books.customer(unique("Dup")), await books.item(unique("DUP"))
    number = f"C{unique('')[1:]}"[:21]
    first = (await books.create("invoice", invoice(customer, item, number=number)))["Invoice"]
    response = await books.post("invoice", invoice(customer, item, number=number))
    assert _codes(response) == ["6140"]
    assert re.search(rf"TxnId={first['Id']}\b", response.json()["Fault"]["Error"][0]["Detail"])


async def test_a_sales_form_answers_a_subtotal_line_and_tax_detail(books: Books) -> None:
    name = unique("Computed")
    customer, item = await books.customer(name), await books.item(unique("COMPUTED"))
    created = (await books.create("invoice", invoice(customer, item)))["Invoice"]
    assert created["Line"][-1]["DetailType"] == "SubTotalLineDetail"
    assert "TxnTaxDetail" in created and created["CustomerRef"]["name"] == name
    assert created["CurrencyRef"]["value"] == "USD"


async def test_an_applied_payment_line_carries_line_ex(books: Books) -> None:
    customer, item = await books.customer(unique("Payer")), await books.item(unique("PAID"))
    created = (await books.create("invoice", invoice(customer, item)))["Invoice"]
    payment = {"CustomerRef": {"value": customer}, "TotalAmt": 40.0,
               "Line": [{"Amount": 40.0, "LinkedTxn": [{"TxnId": created["Id"], "TxnType": "Invoice"}]}]}  # fmt: skip
    paid = (await books.create("payment", payment))["Payment"]
    assert "LineEx" in paid["Line"][0] and "DepositToAccountRef" in paid
    reread = (await books.get("invoice", created["Id"])).json()["Invoice"]
    assert reread["Balance"] == 0


async def test_a_deactivated_customer_is_renamed_and_left_out_of_plain_queries(books: Books) -> None:
    name = unique("Leaving")
    customer_id = await books.customer(name)
    current = (await books.get("customer", customer_id)).json()["Customer"]
    gone = await books.create("customer", {"Id": customer_id, "SyncToken": current["SyncToken"], "sparse": True,
                                           "Active": False})  # fmt: skip
    assert gone["Customer"]["DisplayName"].startswith(f"{name} (deleted")
    assert await books.rows(f"select * from Customer where DisplayName = '{name}'", "Customer") == []
    assert await books.customer(name) != customer_id  # the name is free again


@pytest.mark.parametrize(
    "statement", ["select * from NoSuchEntity", "select * from Customer STARTPOSITION 0 MAXRESULTS 1"]
)
async def test_invalid_queries_are_4001(books: Books, statement: str) -> None:
    response = await books.query(statement)
    assert response.status_code == 400 and _codes(response) == ["4001"]


async def test_maxresults_may_come_before_startposition(books: Books) -> None:
    response = await books.query("select * from Account MAXRESULTS 2 STARTPOSITION 1")
    assert response.status_code == 200 and len(response.json()["QueryResponse"]["Account"]) == 2


async def test_an_unknown_path_is_a_400_fault(books: Books) -> None:
    response = await books.http.post(f"/v3/company/{books.realm}/nosuchresource", json={})
    assert response.status_code == 400 and _codes(response) == ["500"]


async def test_the_writers_client_gets_the_tid_of_what_it_creates(books: Books) -> None:
    token = books.http.headers["Authorization"].removeprefix("Bearer ")
    client = QuickBooksClient(str(books.http.base_url), token)
    try:
        record, tid = await client.create_traced(books.realm, "Customer", {"DisplayName": unique("Client")},
                                                 unique("contract").replace(" ", "-"))  # fmt: skip
    finally:
        await client.aclose()
    assert record["Id"] and tid
