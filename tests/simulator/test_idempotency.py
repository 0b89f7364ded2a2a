"""``requestid``: the same id returns the original response instead of writing again."""

from __future__ import annotations

import httpx

from tests.simulator.conftest import Qbo, invoice_body


async def test_the_same_requestid_returns_the_original_response(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    first = await qbo.create("invoice", invoice_body(customer, item), requestid="req-1")
    again = await qbo.create("invoice", invoice_body(customer, item), requestid="req-1")
    assert first == again
    assert len((await qbo.query("select * from Invoice"))["Invoice"]) == 1


async def test_a_refused_request_replays_its_refusal(qbo: Qbo) -> None:
    first = await qbo.post("customer", {}, requestid="req-bad")
    customer_now_valid = await qbo.post("customer", {"DisplayName": "Later"}, requestid="req-bad")
    assert customer_now_valid.json()["Fault"] == first.json()["Fault"]


async def test_a_requestid_longer_than_50_characters_is_refused(qbo: Qbo) -> None:
    response = await qbo.post("customer", {"DisplayName": "Long Id"}, requestid="x" * 51)
    assert response.status_code == 400
    assert response.json()["Fault"]["Error"][0]["code"] == "2010"


async def test_requestids_are_per_company(qbo: Qbo, http: httpx.AsyncClient) -> None:
    await qbo.create("customer", {"DisplayName": "Here"}, requestid="shared-id")
    elsewhere = Qbo(http, qbo.realm + "-other")
    created = await elsewhere.create("customer", {"DisplayName": "There"}, requestid="shared-id")
    assert created["Customer"]["DisplayName"] == "There"


async def test_requestid_ignored_setting_models_an_unreliable_service(qbo: Qbo, http: httpx.AsyncClient) -> None:
    await http.put("/admin/faults", json={"requestid": "ignored"})
    customer, _ = await qbo.customer_and_item()
    payment = {"CustomerRef": {"value": customer}, "TotalAmt": 10}
    await qbo.create("payment", payment, requestid="pay-1")
    await qbo.create("payment", payment, requestid="pay-1")
    assert len((await qbo.query("select * from Payment"))["Payment"]) == 2
