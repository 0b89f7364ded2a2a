"""Headers and envelopes as QuickBooks Online sends them (qbo-real-behaviour.md D24-D31)."""

from __future__ import annotations

import re

import httpx

from tests.simulator.conftest import ADMIN, Qbo, SimServer

TID = re.compile(r"^1-[0-9a-f]{8}-[0-9a-f]{24}$")


async def test_d27_every_answer_carries_an_intuit_tid(qbo: Qbo, sim_server: SimServer) -> None:
    created = await qbo.post("customer", {"DisplayName": "Tid"})
    refused = await qbo.post("customer", {"DisplayName": "Tid"})
    queried = await qbo.http.get(f"/v3/company/{qbo.realm}/query", params={"query": "select * from Customer"})
    async with httpx.AsyncClient(base_url=sim_server.url) as anonymous:
        unauthorized = await anonymous.get(f"/v3/company/{qbo.realm}/customer/1")
        token = await anonymous.post("/oauth2/v1/tokens/bearer", data={"grant_type": "refresh_token",
                                                                      "refresh_token": "unknown"})  # fmt: skip
    answers = (created, refused, queried, unauthorized, token)
    assert [r.status_code for r in answers] == [200, 400, 200, 401, 400]
    tids = [r.headers.get("intuit_tid", "") for r in answers]
    assert all(TID.match(t) for t in tids), tids
    assert len(set(tids)) == len(tids)  # one per request


async def test_d28_success_says_its_charset_and_faults_do_not(qbo: Qbo) -> None:
    created = await qbo.post("customer", {"DisplayName": "Charset"})
    refused = await qbo.post("customer", {"DisplayName": "Charset"})
    assert created.headers["content-type"] == "application/json;charset=utf-8"
    assert refused.headers["content-type"] == "application/json"


async def test_d24_an_unknown_path_is_a_400_fault_500(qbo: Qbo) -> None:
    response = await qbo.http.post(f"/v3/company/{qbo.realm}/invoices", json={})
    error = response.json()["Fault"]["Error"][0]
    assert (response.status_code, error["code"], error["Message"]) == (400, "500", "Unsupported Operation")
    assert "Could not find resource for relative" in error["Detail"]
    nowhere = await qbo.http.get(f"/v3/company/{qbo.realm}/customer/1/extra")
    assert (nowhere.status_code, nowhere.json()["Fault"]["Error"][0]["code"]) == (400, "500")


async def test_d25_a_malformed_id_in_a_read_path_is_2030_without_a_time(qbo: Qbo) -> None:
    response = await qbo.get("invoice", "1.5")
    assert response.status_code == 400
    assert response.json()["Fault"]["Error"][0] | {"Detail": ""} == {
        "Message": "Invalid ID", "Detail": "", "code": "2030", "element": "Id",
    }  # fmt: skip
    assert "time" not in response.json()
    assert (await qbo.get("invoice", "999")).json()["Fault"]["Error"][0]["code"] == "610"


async def test_d29_a_401_says_www_authenticate_and_has_the_recorded_keys(sim_server: SimServer) -> None:
    async with httpx.AsyncClient(base_url=sim_server.url) as client:
        response = await client.get("/v3/company/r/customer/1", headers={"Authorization": "Bearer wrong"})
    body = response.json()
    assert response.headers["www-authenticate"] == 'Bearer realm="Intuit", error="invalid_token"'
    assert isinstance(body["time"], int)  # epoch milliseconds
    assert (body["intuitObject"], body["batchItemResponse"], body["cdcresponse"]) == (None, [], [])
    assert body["fault"]["type"] == "AUTHENTICATION"


async def test_d31_the_token_endpoint_does_not_answer_a_realm(sim_server: SimServer) -> None:
    async with httpx.AsyncClient(base_url=sim_server.url, headers=ADMIN) as client:
        connected = (await client.post("/admin/realms/d31/connect")).json()
        grant = {"grant_type": "refresh_token", "refresh_token": connected["refresh_token"]}
        refreshed = await client.post("/oauth2/v1/tokens/bearer", data=grant)
    assert set(refreshed.json()) == {"token_type", "access_token", "expires_in", "refresh_token",
                                     "x_refresh_token_expires_in"}  # fmt: skip
