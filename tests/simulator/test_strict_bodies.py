"""What QuickBooks Online refuses in a request body, and what it adds to what it stores (qbo-real-behaviour.md §3).

Each test names the difference of the reference's table it closes (D1...).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.simulator.conftest import Qbo, invoice_body, payment_body


def _errors(response: Any) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = response.json()["Fault"]["Error"]
    return errors


async def test_d1_an_unknown_property_is_2010_naming_it(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    response = await qbo.post("invoice", invoice_body(customer, item) | {"PrivateNotes": "typo"})
    (error,) = _errors(response)
    assert (response.status_code, error["code"], error["element"]) == (400, "2010", "PrivateNotes")
    assert "PrivateNote" in error["Detail"]  # the known properties are listed
    assert await qbo.query("select * from Invoice") == {}  # nothing was stored


async def test_d1_unknown_properties_inside_lines_and_details_are_refused_too(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    body = invoice_body(customer, item)
    body["Line"][0]["Amout"] = 1
    body["Line"][0]["SalesItemLineDetail"]["Quantity"] = 2
    errors = _errors(await qbo.post("invoice", body))
    # D26: every error of the request in one Fault
    assert [(e["code"], e["element"]) for e in errors] == [("2010", "Amout"), ("2010", "Quantity")]


async def test_d1_a_customer_with_an_unknown_property_is_refused(qbo: Qbo) -> None:
    response = await qbo.post("customer", {"DisplayName": "Jane", "BadJson": True})
    assert [(e["code"], e["element"]) for e in _errors(response)] == [("2010", "BadJson")]


async def test_d2_an_item_without_an_income_or_expense_account_is_2020(qbo: Qbo) -> None:
    for item_type in ("Service", "NonInventory"):
        response = await qbo.post("item", {"Name": f"NO-ACCOUNT-{item_type}", "Type": item_type})
        (error,) = _errors(response)
        assert error["code"] == "2020", item_type
        assert "ExpenseAccountRef or IncomeAccountRef" in error["Detail"]
    income = await qbo.income_account()
    assert (await qbo.post("item", {"Name": "WITH-INCOME", "Type": "Service", "IncomeAccountRef": income})).is_success
    cogs = (await qbo.query("select * from Account where AccountType = 'Cost of Goods Sold'"))["Account"][0]["Id"]
    expense = {"Name": "WITH-EXPENSE", "Type": "NonInventory", "ExpenseAccountRef": {"value": cogs}}
    assert (await qbo.post("item", expense)).is_success


async def test_d3_an_item_without_a_type_is_2020(qbo: Qbo) -> None:
    response = await qbo.post("item", {"Name": "UNTYPED", "IncomeAccountRef": await qbo.income_account()})
    assert [(e["code"], e["element"]) for e in _errors(response)] == [("2020", "Type")]


async def test_d14_sales_forms_carry_what_quickbooks_computes(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    invoice = (await qbo.create("invoice", invoice_body(customer, item)))["Invoice"]
    item_line, subtotal = invoice["Line"]
    assert subtotal == {"Amount": 40.0, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
    detail = item_line["SalesItemLineDetail"]
    assert detail["TaxCodeRef"] == {"value": "NON"}
    assert detail["ItemRef"] == {"value": item, "name": "TENT-2P"}
    assert detail["ItemAccountRef"]["name"] == "Sales of Product Income"
    assert invoice["CustomerRef"] == {"value": customer, "name": "Jane Cooper"}
    assert invoice["CurrencyRef"] == {"value": "USD", "name": "United States Dollar"}
    assert invoice["TxnTaxDetail"] == {"TotalTax": 0}
    assert (invoice["DueDate"], invoice["PrintStatus"], invoice["EmailStatus"]) == (
        invoice["TxnDate"],
        "NotSet",
        "NotSet",
    )
    assert invoice["ApplyTaxAfterDiscount"] is False


async def test_d14_a_form_sent_back_with_its_subtotal_line_keeps_one(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    invoice = (await qbo.create("invoice", invoice_body(customer, item)))["Invoice"]
    again = {k: invoice[k] for k in ("Id", "SyncToken", "CustomerRef", "Line")}
    updated = (await qbo.create("invoice", again))["Invoice"]
    assert [line["DetailType"] for line in updated["Line"]] == ["SalesItemLineDetail", "SubTotalLineDetail"]
    assert updated["TotalAmt"] == 40


async def test_d16_payments_carry_deposit_account_process_payment_and_line_ex(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    invoice = (await qbo.create("invoice", invoice_body(customer, item, number="1001")))["Invoice"]
    payment = (await qbo.create("payment", payment_body(customer, invoice["Id"], 40)))["Payment"]
    assert payment["DepositToAccountRef"]["name"] == "Undeposited Funds"
    assert payment["ProcessPayment"] is False
    pairs = {p["value"]["Name"]: p["value"]["Value"] for p in payment["Line"][0]["LineEx"]["any"]}
    assert pairs == {"txnId": invoice["Id"], "txnOpenBalance": "40.00", "txnReferenceNumber": "1001"}


async def test_d16_line_ex_sent_back_is_taken_by_default(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    invoice = (await qbo.create("invoice", invoice_body(customer, item)))["Invoice"]
    payment = (await qbo.create("payment", {"CustomerRef": {"value": customer}, "TotalAmt": 40}))["Payment"]
    applied = await qbo.create("payment", payment | {"Line": payment_body(customer, invoice["Id"], 40)["Line"]})
    resent = applied["Payment"]
    response = await qbo.post("payment", {"Id": resent["Id"], "SyncToken": resent["SyncToken"], "sparse": True,
                                          "Line": resent["Line"], "PrivateNote": "checked"})  # fmt: skip
    assert response.is_success


async def test_d17_sales_receipts_go_to_undeposited_funds_by_default(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    receipt = (await qbo.create("salesreceipt", invoice_body(customer, item)))["SalesReceipt"]
    assert (receipt["DepositToAccountRef"]["name"], receipt["Balance"]) == ("Undeposited Funds", 0)


async def test_d18_customers_carry_their_computed_fields(qbo: Qbo) -> None:
    customer = (await qbo.create("customer", {"DisplayName": "Jane Cooper"}))["Customer"]
    assert customer["FullyQualifiedName"] == customer["PrintOnCheckName"] == "Jane Cooper"
    assert (customer["Taxable"], customer["Job"], customer["BillWithParent"]) == (True, False, False)
    assert customer["CurrencyRef"] == {"value": "USD", "name": "United States Dollar"}


async def test_d19_lines_sent_again_keep_their_ids_and_new_lines_continue_the_sequence(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    receipt = (await qbo.create("salesreceipt", invoice_body(customer, item)))["SalesReceipt"]
    first = receipt["Line"][0]
    added = {k: v for k, v in first.items() if k not in ("Id", "LineNum")}
    updated = (await qbo.create("salesreceipt", {"Id": receipt["Id"], "SyncToken": receipt["SyncToken"],
                                                 "Line": [first, added]}))["SalesReceipt"]  # fmt: skip
    assert [line.get("Id") for line in updated["Line"]] == ["1", "2", None]  # the SubTotal line has no id


async def test_d20_an_update_that_changes_nothing_keeps_the_sync_token(qbo: Qbo) -> None:
    customer = (await qbo.create("customer", {"DisplayName": "Still Jane"}))["Customer"]
    same = await qbo.create("customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True,
                                         "DisplayName": "Still Jane"})  # fmt: skip
    assert same["Customer"]["SyncToken"] == "0"
    assert same["Customer"]["MetaData"] == customer["MetaData"]


async def test_d21_sparse_is_false_in_answers_even_to_a_sparse_update(qbo: Qbo) -> None:
    customer = (await qbo.create("customer", {"DisplayName": "Sparse Jane"}))["Customer"]
    changed = await qbo.create("customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "vip"})
    assert (changed["Customer"]["sparse"], changed["Customer"]["SyncToken"]) == (False, "1")


async def test_d33_amounts_are_written_with_their_scale(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    response = await qbo.post("invoice", invoice_body(customer, item, qty=1, price="337.5"))
    assert '"TotalAmt": 337.50' in response.text
    assert response.json(parse_float=Decimal)["Invoice"]["TotalAmt"] == Decimal("337.50")
