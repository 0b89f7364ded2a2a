"""Business rules, each answered with the error code QuickBooks Online gives for it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.simulator.conftest import Qbo, invoice_body, payment_body


def _code(response: Any) -> str:
    return str(response.json()["Fault"]["Error"][0]["code"])


async def test_doc_number_longer_than_21_characters_is_2050(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    response = await qbo.post("invoice", invoice_body(customer, item, number="X" * 22))
    assert (response.status_code, _code(response)) == (400, "2050")
    error = response.json()["Fault"]["Error"][0]
    assert ("Max:21" in error["Detail"], error["element"]) == (True, "DocNumber")
    assert (await qbo.post("invoice", invoice_body(customer, item, number="X" * 21))).status_code == 200


async def test_duplicate_doc_number_is_6140_naming_the_existing_transaction(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    first = (await qbo.create("invoice", invoice_body(customer, item)))["Invoice"]
    response = await qbo.post("invoice", invoice_body(customer, item))
    assert _code(response) == "6140"
    detail = response.json()["Fault"]["Error"][0]["Detail"]
    assert f"DocNumber=1001 is assigned to TxnType=Invoice with TxnId={first['Id']}" in detail


async def test_allowduplicatedocnum_lets_a_duplicate_through(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    await qbo.create("invoice", invoice_body(customer, item))
    await qbo.create("invoice", invoice_body(customer, item), include="allowduplicatedocnum")
    assert len((await qbo.query("select * from Invoice where DocNumber = '1001'"))["Invoice"]) == 2


async def test_with_custom_numbers_off_numbers_continue_from_the_last_used_prefix_included(qbo: Qbo) -> None:
    prefs = (await qbo.http.get(f"/v3/company/{qbo.realm}/preferences")).json()["Preferences"]
    assert prefs["SalesFormsPrefs"]["CustomTxnNumbers"] is True
    await qbo.create("preferences", {"SyncToken": prefs["SyncToken"], "sparse": True,
                                      "SalesFormsPrefs": {"CustomTxnNumbers": False}})  # fmt: skip
    customer, item = await qbo.customer_and_item()
    await qbo.create("invoice", invoice_body(customer, item, number="App_1000"))
    auto = (await qbo.create("invoice", invoice_body(customer, item, number=None)))["Invoice"]
    assert auto["DocNumber"] == "App_1001"


async def test_with_custom_numbers_on_a_document_sent_without_number_has_none(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    invoice = (await qbo.create("invoice", invoice_body(customer, item, number=None)))["Invoice"]
    assert "DocNumber" not in invoice


async def test_purchase_orders_follow_their_own_numbering_preference(qbo: Qbo) -> None:
    prefs = (await qbo.http.get(f"/v3/company/{qbo.realm}/preferences")).json()["Preferences"]
    off = {"Name": "VendorAndPurchasesPrefs.UseCustomTxnNumbers", "Value": "false"}
    await qbo.create("preferences", {"SyncToken": prefs["SyncToken"], "OtherPrefs": {"NameValue": [off]}})
    vendor, item, ap = await _vendor_item_ap(qbo)
    po = (await qbo.create("purchaseorder", _po(vendor, item, ap)))["PurchaseOrder"]
    assert po["DocNumber"] == "1001"
    customer, sales_item = await qbo.customer_and_item()
    invoice = (await qbo.create("invoice", invoice_body(customer, sales_item, number=None)))["Invoice"]
    assert "DocNumber" not in invoice  # sales forms still use custom numbers


async def test_preferences_update_with_a_stale_sync_token_is_5010(qbo: Qbo) -> None:
    response = await qbo.post("preferences", {"SyncToken": "7", "SalesFormsPrefs": {"CustomTxnNumbers": False}})
    assert _code(response) == "5010"


async def test_payment_brings_the_invoice_balance_to_zero_and_links_both_ways(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    invoice = (await qbo.create("invoice", invoice_body(customer, item)))["Invoice"]
    payment = (await qbo.create("payment", payment_body(customer, invoice["Id"], 40)))["Payment"]
    assert payment["UnappliedAmt"] == 0
    after = (await qbo.get("invoice", invoice["Id"])).json()["Invoice"]
    assert after["Balance"] == 0
    assert {"TxnId": payment["Id"], "TxnType": "Payment"} in after["LinkedTxn"]


async def test_partial_payments_leave_the_rest_due(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    invoice = (await qbo.create("invoice", invoice_body(customer, item)))["Invoice"]
    await qbo.create("payment", payment_body(customer, invoice["Id"], 15))
    await qbo.create("payment", payment_body(customer, invoice["Id"], 5))
    assert (await qbo.get("invoice", invoice["Id"])).json()["Invoice"]["Balance"] == 20


async def test_no_payment_above_the_amount_due(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    invoice = (await qbo.create("invoice", invoice_body(customer, item)))["Invoice"]
    response = await qbo.post("payment", payment_body(customer, invoice["Id"], 40.01))
    assert _code(response) == "6000"
    assert (await qbo.get("invoice", invoice["Id"])).json()["Invoice"]["Balance"] == 40


async def test_unapplied_payment_is_a_credit_applied_later_by_sparse_update(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    credit = (await qbo.create("payment", {"CustomerRef": {"value": customer}, "TotalAmt": 40}))["Payment"]
    assert credit["UnappliedAmt"] == 40
    invoice = (await qbo.create("invoice", invoice_body(customer, item)))["Invoice"]
    lines = payment_body(customer, invoice["Id"], 40)["Line"]
    applied = await qbo.create("payment", {"Id": credit["Id"], "SyncToken": "0", "sparse": True, "Line": lines})
    assert applied["Payment"]["UnappliedAmt"] == 0
    assert (await qbo.get("invoice", invoice["Id"])).json()["Invoice"]["Balance"] == 0


async def test_a_payment_cannot_pay_another_customers_invoice(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    other = (await qbo.create("customer", {"DisplayName": "Someone Else"}))["Customer"]["Id"]
    invoice = (await qbo.create("invoice", invoice_body(customer, item)))["Invoice"]
    assert _code(await qbo.post("payment", payment_body(other, invoice["Id"], 10))) == "620"


@pytest.mark.parametrize(
    ("resource", "body", "element"),
    [
        ("invoice", {"Line": []}, "CustomerRef"),
        ("payment", {"CustomerRef": {"value": "CUSTOMER"}}, "TotalAmt"),
        ("item", {"Type": "Service"}, "Name"),
        ("account", {"Name": "Bank Two"}, "AccountType"),
    ],
)
async def test_required_fields_are_2020_naming_the_element(
    qbo: Qbo, resource: str, body: dict[str, Any], element: str
) -> None:
    customer, _ = await qbo.customer_and_item()
    if body.get("CustomerRef"):
        body = {**body, "CustomerRef": {"value": customer}}
    response = await qbo.post(resource, body)
    assert _code(response) == "2020"
    assert response.json()["Fault"]["Error"][0]["element"] == element


async def test_invoice_without_lines_is_2020(qbo: Qbo) -> None:
    customer, _ = await qbo.customer_and_item()
    response = await qbo.post("invoice", {"CustomerRef": {"value": customer}, "Line": []})
    assert response.json()["Fault"]["Error"][0]["element"] == "Line"


async def test_reference_to_an_object_that_does_not_exist_is_2500(qbo: Qbo) -> None:
    _, item = await qbo.customer_and_item()
    response = await qbo.post("invoice", invoice_body("999", item))
    assert _code(response) == "2500"
    assert response.json()["Fault"]["Error"][0]["Detail"] == "Invalid Reference Id : Names element id 999 not found"
    customer, _ = await qbo.customer_and_item("Other", "OTHER-ITEM")
    assert _code(await qbo.post("invoice", invoice_body(customer, "998"))) == "2500"


async def test_reference_to_an_inactive_object_is_610(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    record = (await qbo.get("customer", customer)).json()["Customer"]
    await qbo.create("customer", {"Id": customer, "SyncToken": record["SyncToken"], "sparse": True, "Active": False})
    response = await qbo.post("invoice", invoice_body(customer, item))
    assert (_code(response), "made inactive" in response.json()["Fault"]["Error"][0]["Detail"]) == ("610", True)


async def test_display_names_are_unique_across_customers_and_vendors_6240(qbo: Qbo) -> None:
    await qbo.create("vendor", {"DisplayName": "Rivera Trading"})
    assert _code(await qbo.post("customer", {"DisplayName": "Rivera Trading"})) == "6240"


async def test_line_amount_must_equal_quantity_times_unit_price_6070(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    body = invoice_body(customer, item)
    body["Line"][0]["Amount"] = 41
    assert _code(await qbo.post("invoice", body)) == "6070"


async def test_amounts_are_rounded_to_the_currency_exponent(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    yen_customer = await qbo.create("customer", {"DisplayName": "Jane (JPY)", "CurrencyRef": {"value": "JPY"}})
    yen = invoice_body(yen_customer["Customer"]["Id"], item, qty=1, price="100.4", number="JP-1") | {
        "CurrencyRef": {"value": "JPY"}
    }
    assert (await qbo.create("invoice", yen))["Invoice"]["TotalAmt"] == 100
    usd = invoice_body(customer, item, qty=1, price="10.005", number="US-1")
    assert (await qbo.create("invoice", usd))["Invoice"]["TotalAmt"] == 10.01


async def test_line_tax_code_must_be_tax_or_non_6100(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    body = invoice_body(customer, item)
    body["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] = {"value": "GST"}
    assert _code(await qbo.post("invoice", body)) == "6100"
    body["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] = {"value": "TAX"}
    assert (await qbo.post("invoice", body)).status_code == 200


async def test_items_carry_purchase_cost_and_preferred_vendor(qbo: Qbo) -> None:
    vendor = (await qbo.create("vendor", {"DisplayName": "Tent Makers"}))["Vendor"]["Id"]
    item_id = await qbo.item("TENT-4P", PurchaseCost=120.5, PrefVendorRef={"value": vendor})
    item = (await qbo.get("item", item_id)).json()["Item"]
    assert (item["PurchaseCost"], item["PrefVendorRef"]["value"]) == (120.5, vendor)
    missing = {"Name": "TENT-6P", "Type": "NonInventory", "IncomeAccountRef": await qbo.income_account(),
               "PrefVendorRef": {"value": "404"}}  # fmt: skip
    assert _code(await qbo.post("item", missing)) == "2500"


async def test_inventory_items_need_quantity_and_accounts(qbo: Qbo) -> None:
    response = await qbo.post("item", {"Name": "STOVE", "Type": "Inventory", "TrackQtyOnHand": True})
    assert _code(response) == "2020"
    assert response.json()["Fault"]["Error"][0]["element"] == "QtyOnHand"


async def test_an_invoice_linked_to_an_estimate_closes_it(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    estimate = (await qbo.create("estimate", invoice_body(customer, item)))["Estimate"]
    assert estimate["TxnStatus"] == "Pending"
    linked = invoice_body(customer, item) | {"LinkedTxn": [{"TxnId": estimate["Id"], "TxnType": "Estimate"}]}
    invoice = (await qbo.create("invoice", linked))["Invoice"]
    closed = (await qbo.get("estimate", estimate["Id"])).json()["Estimate"]
    assert closed["TxnStatus"] == "Closed"
    assert closed["LinkedTxn"] == [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]


async def test_only_one_invoice_can_link_an_estimate_620(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    estimate = (await qbo.create("estimate", invoice_body(customer, item)))["Estimate"]
    link = {"LinkedTxn": [{"TxnId": estimate["Id"], "TxnType": "Estimate"}]}
    await qbo.create("invoice", invoice_body(customer, item, number="A-1") | link)
    assert _code(await qbo.post("invoice", invoice_body(customer, item, number="A-2") | link)) == "620"


async def test_purchase_order_needs_a_vendor_and_a_payable_account(qbo: Qbo) -> None:
    vendor, item, ap = await _vendor_item_ap(qbo)
    body = _po(vendor, item, ap)
    assert _code(await qbo.post("purchaseorder", {k: v for k, v in body.items() if k != "VendorRef"})) == "2020"
    assert _code(await qbo.post("purchaseorder", {k: v for k, v in body.items() if k != "APAccountRef"})) == "2020"
    po = (await qbo.create("purchaseorder", body | {"DocNumber": "PO-1"}))["PurchaseOrder"]
    assert (po["TotalAmt"], po["POStatus"]) == (25, "Open")


async def test_credit_memo_and_refund_receipt(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    memo = (await qbo.create("creditmemo", invoice_body(customer, item, number="1001-R")))["CreditMemo"]
    assert memo["RemainingCredit"] == 40
    accounts = await qbo.query("select * from Account where AccountType = 'Bank'")
    refund = invoice_body(customer, item, number="1001-R2") | {
        "DepositToAccountRef": {"value": accounts["Account"][0]["Id"]}
    }
    assert (await qbo.create("refundreceipt", refund))["RefundReceipt"]["TotalAmt"] == 40
    assert _code(await qbo.post("refundreceipt", invoice_body(customer, item, number="1001-R3"))) == "2020"


async def _vendor_item_ap(qbo: Qbo) -> tuple[str, str, str]:
    vendor = (await qbo.create("vendor", {"DisplayName": "Stove Supply"}))["Vendor"]["Id"]
    item = await qbo.item("STOVE-MINI")
    ap = (await qbo.query("select * from Account where AccountType = 'Accounts Payable'"))["Account"][0]["Id"]
    return vendor, item, ap


def _po(vendor: str, item: str, ap: str) -> dict[str, Any]:
    return {
        "VendorRef": {"value": vendor},
        "APAccountRef": {"value": ap},
        "Line": [
            {
                "DetailType": "ItemBasedExpenseLineDetail",
                "Amount": 25,
                "ItemBasedExpenseLineDetail": {"ItemRef": {"value": item}, "Qty": 5, "UnitPrice": 5},
            }
        ],
    }
