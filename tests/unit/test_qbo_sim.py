"""The QuickBooks Online simulator over its HTTP interface (in-process ASGI transport)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ledgerflow.ledger_writer.qbo.client import QboFaultError, QuickBooksClient, equals
from ledgerflow.qbo_sim.app import create_app

REALM = "9130350000000001"
TOKEN = "t0ken"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(token=TOKEN)),
                                 base_url="http://sim") as client:  # fmt: skip
        yield client


@pytest.fixture
async def qbo() -> AsyncIterator[QuickBooksClient]:
    client = QuickBooksClient("http://sim", TOKEN, transport=httpx.ASGITransport(app=create_app(token=TOKEN)))
    yield client
    await client.aclose()


async def _customer_and_item(qbo: QuickBooksClient) -> tuple[str, str]:
    customer = await qbo.create(REALM, "Customer", {"DisplayName": "Jane Cooper"}, "r-c")
    item = await qbo.create(REALM, "Item", {"Name": "TENT-2P", "Type": "NonInventory"}, "r-i")
    return customer["Id"], item["Id"]


def _invoice(customer: str, item: str, number: str = "1001", amount: str = "40.00") -> dict[str, Any]:
    return {
        "CustomerRef": {"value": customer},
        "DocNumber": number,
        "PrivateNote": "shopify order 1001",
        "Line": [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": Decimal(amount),
                "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": 2, "UnitPrice": Decimal(amount) / 2},
            }
        ],
    }


async def test_invoice_create_read_and_query(qbo: QuickBooksClient) -> None:
    customer, item = await _customer_and_item(qbo)
    created = await qbo.create(REALM, "Invoice", _invoice(customer, item), "r-1")
    assert created["TotalAmt"] == created["Balance"] == Decimal(40)
    assert created["SyncToken"] == "0"
    assert (await qbo.read(REALM, "Invoice", created["Id"]))["DocNumber"] == "1001"
    found = await qbo.query(REALM, "Invoice", equals("DocNumber", "1001"))
    assert [r["Id"] for r in found] == [created["Id"]]
    assert await qbo.query(REALM, "Invoice", equals("DocNumber", "9999")) == []


async def test_payment_applied_to_an_invoice_brings_its_balance_to_zero(qbo: QuickBooksClient) -> None:
    customer, item = await _customer_and_item(qbo)
    invoice = await qbo.create(REALM, "Invoice", _invoice(customer, item), "r-1")
    body = {
        "CustomerRef": {"value": customer},
        "TotalAmt": Decimal(40),
        "Line": [{"Amount": Decimal(40), "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
    }
    payment = await qbo.create(REALM, "Payment", body, "r-2")
    assert payment["UnappliedAmt"] == 0
    after = await qbo.read(REALM, "Invoice", invoice["Id"])
    assert after["Balance"] == 0
    assert {"TxnId": payment["Id"], "TxnType": "Payment"} in after["LinkedTxn"]


async def test_same_requestid_returns_the_original_response_without_a_second_document(qbo: QuickBooksClient) -> None:
    customer, item = await _customer_and_item(qbo)
    first = await qbo.create(REALM, "Invoice", _invoice(customer, item), "same-request")
    again = await qbo.create(REALM, "Invoice", _invoice(customer, item), "same-request")
    assert first == again
    assert len(await qbo.query(REALM, "Invoice", equals("DocNumber", "1001"))) == 1


async def test_duplicate_doc_number_is_refused_with_6140_naming_the_existing_document(qbo: QuickBooksClient) -> None:
    customer, item = await _customer_and_item(qbo)
    first = await qbo.create(REALM, "Invoice", _invoice(customer, item), "r-1")
    with pytest.raises(QboFaultError) as caught:
        await qbo.create(REALM, "Invoice", _invoice(customer, item), "r-2")
    assert caught.value.code == "6140"
    assert f"TxnId={first['Id']}" in caught.value.detail
    assert "TxnType=Invoice" in caught.value.detail


async def test_doc_number_longer_than_21_characters_is_refused(qbo: QuickBooksClient) -> None:
    customer, item = await _customer_and_item(qbo)
    with pytest.raises(QboFaultError) as caught:
        await qbo.create(REALM, "Invoice", _invoice(customer, item, number="X" * 22), "r-1")
    assert caught.value.code == "6000"
    assert "Max:21" in caught.value.detail


async def test_amount_must_equal_quantity_times_unit_price(qbo: QuickBooksClient) -> None:
    customer, item = await _customer_and_item(qbo)
    body = _invoice(customer, item)
    body["Line"][0]["Amount"] = Decimal("41.00")
    with pytest.raises(QboFaultError) as caught:
        await qbo.create(REALM, "Invoice", body, "r-1")
    assert caught.value.code == "6070"


async def test_missing_customer_reference_is_2020_and_unknown_one_is_610(qbo: QuickBooksClient) -> None:
    _, item = await _customer_and_item(qbo)
    body = _invoice("1", item)
    del body["CustomerRef"]
    with pytest.raises(QboFaultError) as missing:
        await qbo.create(REALM, "Invoice", body, "r-1")
    assert (missing.value.code, missing.value.errors[0]["element"]) == ("2020", "CustomerRef")
    with pytest.raises(QboFaultError) as unknown:
        await qbo.create(REALM, "Invoice", _invoice("999", item), "r-2")
    assert unknown.value.code == "610"


async def test_display_names_are_unique_across_customers_and_vendors(qbo: QuickBooksClient) -> None:
    await qbo.create(REALM, "Vendor", {"DisplayName": "Rivera Trading"}, "r-v")
    with pytest.raises(QboFaultError) as caught:
        await qbo.create(REALM, "Customer", {"DisplayName": "Rivera Trading"}, "r-c")
    assert caught.value.code == "6240"


async def test_each_realm_is_a_separate_company(qbo: QuickBooksClient) -> None:
    await qbo.create(REALM, "Customer", {"DisplayName": "Jane Cooper"}, "r-1")
    assert await qbo.query("other-realm", "Customer", equals("DisplayName", "Jane Cooper")) == []


async def test_wrong_token_gets_the_401_authentication_envelope(http: httpx.AsyncClient) -> None:
    response = await http.get(f"/v3/company/{REALM}/query", params={"query": "select * from Customer"},
                              headers={"Authorization": "Bearer wrong"})  # fmt: skip
    assert response.status_code == 401
    assert response.json()["fault"]["error"][0]["code"] == "3200"


async def test_query_by_post_with_application_text_and_count(http: httpx.AsyncClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    await http.post(f"/v3/company/{REALM}/customer", json={"DisplayName": "O'Brien"}, headers=auth)
    response = await http.post(f"/v3/company/{REALM}/query", content="select count(*) from Customer",
                               headers={**auth, "Content-Type": "application/text"})  # fmt: skip
    assert response.json()["QueryResponse"]["totalCount"] == 1
    escaped = await http.get(f"/v3/company/{REALM}/query", headers=auth,
                             params={"query": "select * from Customer where DisplayName = 'O\\'Brien'"})  # fmt: skip
    assert escaped.json()["QueryResponse"]["Customer"][0]["DisplayName"] == "O'Brien"


async def test_unparseable_query_is_4000(http: httpx.AsyncClient) -> None:
    response = await http.get(f"/v3/company/{REALM}/query", params={"query": "select nonsense"},
                              headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert response.status_code == 400
    assert response.json()["Fault"]["Error"][0]["code"] == "4000"


async def test_unknown_resource_is_unsupported_operation(http: httpx.AsyncClient) -> None:
    response = await http.post(f"/v3/company/{REALM}/salesorder", json={}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.json()["Fault"]["Error"][0]["code"] == "500"


async def test_batch_is_limited_to_30_items(http: httpx.AsyncClient) -> None:
    items = [{"bId": f"b{i}", "Query": "select * from Customer"} for i in range(31)]
    response = await http.post(f"/v3/company/{REALM}/batch", json={"BatchItemRequest": items},
                               headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert response.json()["Fault"]["Error"][0]["code"] == "1040"
