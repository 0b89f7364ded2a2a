"""Bills in the simulator, as strict as QuickBooks Online: a bill's lines link the purchase order they bill, which
must be open, the same vendor's and in the same currency; the purchase order lists its bills and closes once every
item line is billed in full, or when it is closed by a sparse update of POStatus."""

from __future__ import annotations

from typing import Any

from tests.simulator.conftest import Qbo


def _code(response: Any) -> str:
    return str(response.json()["Fault"]["Error"][0]["code"])


async def _vendor_item_ap(qbo: Qbo, vendor: str = "Stove Supply") -> tuple[str, str, str]:
    vendor_id = (await qbo.create("vendor", {"DisplayName": vendor}))["Vendor"]["Id"]
    item = await qbo.item(f"STOVE-{vendor[:4]}")
    ap = (await qbo.query("select * from Account where AccountType = 'Accounts Payable'"))["Account"][0]["Id"]
    return vendor_id, item, ap


def _line(item: str, qty: int, price: int, po: str | None = None) -> dict[str, Any]:
    line: dict[str, Any] = {
        "DetailType": "ItemBasedExpenseLineDetail",
        "Amount": qty * price,
        "ItemBasedExpenseLineDetail": {"ItemRef": {"value": item}, "Qty": qty, "UnitPrice": price},
    }
    return line | ({"LinkedTxn": [{"TxnId": po, "TxnType": "PurchaseOrder"}]} if po else {})


async def _purchase_order(qbo: Qbo, vendor: str, item: str, ap: str, qty: int = 10) -> dict[str, Any]:
    body = {"VendorRef": {"value": vendor}, "APAccountRef": {"value": ap}, "Line": [_line(item, qty, 5)]}
    po: dict[str, Any] = (await qbo.create("purchaseorder", body))["PurchaseOrder"]
    return po


async def test_bills_linked_to_a_purchase_order_close_it_once_it_is_billed_in_full(qbo: Qbo) -> None:
    vendor, item, ap = await _vendor_item_ap(qbo)
    po = await _purchase_order(qbo, vendor, item, ap)
    first = (
        await qbo.create(
            "bill", {"VendorRef": {"value": vendor}, "DocNumber": "SUP-1", "Line": [_line(item, 6, 5, po["Id"])]}
        )
    )["Bill"]
    assert (first["TotalAmt"], first["Balance"], first["DocNumber"]) == (30, 30, "SUP-1")
    assert first["LinkedTxn"] == [{"TxnId": po["Id"], "TxnType": "PurchaseOrder"}]
    after_first = (await qbo.get("purchaseorder", po["Id"])).json()["PurchaseOrder"]
    assert after_first["POStatus"] == "Open"
    assert after_first["LinkedTxn"] == [{"TxnId": first["Id"], "TxnType": "Bill"}]
    second = (await qbo.create("bill", {"VendorRef": {"value": vendor}, "Line": [_line(item, 4, 5, po["Id"])]}))["Bill"]
    closed = (await qbo.get("purchaseorder", po["Id"])).json()["PurchaseOrder"]
    assert closed["POStatus"] == "Closed"
    assert [link["TxnId"] for link in closed["LinkedTxn"]] == [first["Id"], second["Id"]]


async def test_a_bill_needs_its_vendor_and_links_only_an_open_purchase_order_of_that_vendor(qbo: Qbo) -> None:
    vendor, item, ap = await _vendor_item_ap(qbo)
    other, _, _ = await _vendor_item_ap(qbo, "Oven Supply")
    po = await _purchase_order(qbo, vendor, item, ap)
    assert _code(await qbo.post("bill", {"Line": [_line(item, 1, 5, po["Id"])]})) == "2020"
    assert _code(await qbo.post("bill", {"VendorRef": {"value": other}, "Line": [_line(item, 1, 5, po["Id"])]})) == (
        "620"
    )
    assert _code(await qbo.post("bill", {"VendorRef": {"value": vendor}, "Line": [_line(item, 1, 5, "9999")]})) == (
        "610"
    )
    euros = {"VendorRef": {"value": vendor}, "CurrencyRef": {"value": "EUR"}, "Line": [_line(item, 1, 5, po["Id"])]}
    assert _code(await qbo.post("bill", euros)) == "620"


async def test_a_purchase_order_closed_by_a_sparse_update_takes_no_more_bills(qbo: Qbo) -> None:
    vendor, item, ap = await _vendor_item_ap(qbo)
    po = await _purchase_order(qbo, vendor, item, ap)
    closed = (
        await qbo.create(
            "purchaseorder", {"Id": po["Id"], "SyncToken": po["SyncToken"], "sparse": True, "POStatus": "Closed"}
        )
    )["PurchaseOrder"]
    assert (closed["POStatus"], closed["TotalAmt"]) == ("Closed", 50)
    response = await qbo.post("bill", {"VendorRef": {"value": vendor}, "Line": [_line(item, 1, 5, po["Id"])]})
    assert _code(response) == "620" and "closed" in response.text


async def test_bill_lines_are_checked_like_any_purchase_line(qbo: Qbo) -> None:
    vendor, item, _ = await _vendor_item_ap(qbo)
    wrong = _line(item, 2, 5) | {"Amount": 11}
    assert _code(await qbo.post("bill", {"VendorRef": {"value": vendor}, "Line": [wrong]})) == "6070"
    assert _code(await qbo.post("bill", {"VendorRef": {"value": vendor}, "Line": []})) == "2020"
    linked_to_invoice = _line(item, 1, 5) | {"LinkedTxn": [{"TxnId": "1", "TxnType": "Invoice"}]}
    assert _code(await qbo.post("bill", {"VendorRef": {"value": vendor}, "Line": [linked_to_invoice]})) == "2170"


async def test_bills_are_in_the_books_dump(qbo: Qbo) -> None:
    vendor, item, ap = await _vendor_item_ap(qbo)
    po = await _purchase_order(qbo, vendor, item, ap)
    bill = (
        await qbo.create(
            "bill", {"VendorRef": {"value": vendor}, "DocNumber": "SUP-9", "Line": [_line(item, 10, 5, po["Id"])]}
        )
    )["Bill"]
    documents = {d["type"]: d for d in (await qbo.books())["documents"]}
    assert (documents["Bill"]["doc_number"], documents["Bill"]["linked"]) == ("SUP-9", [f"PurchaseOrder:{po['Id']}"])
    assert documents["PurchaseOrder"]["status"] == "Closed" and documents["PurchaseOrder"]["linked"] == [
        f"Bill:{bill['Id']}"
    ]
