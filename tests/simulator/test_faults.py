"""Injected faults: latency, 5xx answers, timeouts, commit-then-drop, and documents keyed in by hand."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from tests.simulator.conftest import ADMIN, TOKEN, Qbo, SimServer, invoice_body, plain


async def test_latency_is_added_to_every_answer(qbo: Qbo, http: httpx.AsyncClient) -> None:
    await http.put("/admin/faults", json={"latency_ms": 150})
    started = time.perf_counter()
    await qbo.query("select * from Customer")
    assert time.perf_counter() - started >= 0.15


async def test_a_5xx_answer_writes_nothing(qbo: Qbo, http: httpx.AsyncClient) -> None:
    customer, item = await qbo.customer_and_item()
    await http.put("/admin/faults", json={"error_rate": 1.0})
    response = await qbo.post("invoice", invoice_body(customer, item))
    assert response.status_code == 503
    assert response.json()["Fault"]["type"] == "SystemFault"
    await http.put("/admin/faults", json={})
    assert (await qbo.books())["documents"] == []


async def test_a_timeout_holds_the_request_and_writes_nothing(qbo: Qbo, http: httpx.AsyncClient) -> None:
    customer, item = await qbo.customer_and_item()
    await http.put("/admin/faults", json={"timeout_rate": 1.0, "hang_seconds": 1.0})
    with pytest.raises(httpx.ReadTimeout):
        await http.post(f"/v3/company/{qbo.realm}/invoice", json=plain(invoice_body(customer, item)), timeout=0.3)
    await http.put("/admin/faults", json={})
    assert (await qbo.books())["documents"] == []


async def test_commit_then_drop_writes_but_never_answers(qbo: Qbo, http: httpx.AsyncClient) -> None:
    customer, item = await qbo.customer_and_item()
    await http.put("/admin/faults", json={"drop_rate": 1.0})
    with pytest.raises(httpx.RemoteProtocolError):
        await qbo.post("invoice", invoice_body(customer, item), requestid="dropped-1")
    await http.put("/admin/faults", json={})
    (invoice,) = (await qbo.books())["documents"]
    assert invoice["doc_number"] == "1001"
    # The client that retries with the same requestid gets the original answer, not a duplicate.
    retried = await qbo.create("invoice", invoice_body(customer, item), requestid="dropped-1")
    assert retried["Invoice"]["Id"] == invoice["id"]
    assert len((await qbo.books())["documents"]) == 1


async def test_a_document_keyed_in_by_hand_provokes_a_number_collision(qbo: Qbo, http: httpx.AsyncClient) -> None:
    customer, item = await qbo.customer_and_item()
    by_hand = invoice_body(customer, item, memo="typed by the bookkeeper")
    await http.post(f"/admin/realms/{qbo.realm}/entities/invoice", json=plain(by_hand), headers={"Authorization": ""})
    response = await qbo.post("invoice", invoice_body(customer, item))
    assert response.json()["Fault"]["Error"][0]["code"] == "6140"


async def test_fault_settings_are_validated(http: httpx.AsyncClient) -> None:
    assert (await http.put("/admin/faults", json={"drop_rate": 2})).status_code == 400
    assert (await http.put("/admin/faults", json={"sparkle": 1})).status_code == 400


async def test_faults_set_at_start(start_sim: Callable[..., SimServer]) -> None:
    server = start_sim("--token", TOKEN, "--limits", "off", "--faults", "error_rate=1,latency=10ms,seed=3")
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}", **ADMIN}) as client:
        response = await client.get("/v3/company/r/query", params={"query": "select * from Customer"})
        assert response.status_code == 503
        faults = (await client.get("/admin/faults")).json()
    assert (faults["error_rate"], faults["latency_ms"], faults["seed"]) == (1.0, 10.0, 3)
