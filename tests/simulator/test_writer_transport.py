"""The writer's QuickBooks client on its own transport (aiohttp under httpx's API), over a real socket.

The writer's exactly-once rules rest on how the transport reports trouble: a dropped connection or a
time-out must reach the client as httpx's transport errors, so that a write whose outcome is unknown
is looked up before it is sent again, and a read is simply retried.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from ledgerflow.ledger_writer.books import AmbiguousOutcome
from ledgerflow.ledger_writer.targets.qbo.client import QboFaultError, QuickBooksClient, equals
from tests.simulator.conftest import TOKEN, SimServer, invoice_body, plain


@pytest.fixture
async def client(sim_server: SimServer, http: httpx.AsyncClient) -> AsyncIterator[QuickBooksClient]:
    quickbooks = QuickBooksClient(sim_server.url, TOKEN, timeout=0.5, attempts=2)
    yield quickbooks
    await quickbooks.aclose()


@pytest.fixture
def realm() -> str:
    return f"realm-{uuid.uuid4().hex[:10]}"


async def customer_and_item(client: QuickBooksClient, realm: str) -> tuple[str, str]:
    customer = await client.create(realm, "Customer", {"DisplayName": "Jane Cooper"}, f"{realm}-c")
    income = (await client.query(realm, "Account", "AccountType = 'Income'"))[0]["Id"]
    body = {"Name": "TENT-2P", "Type": "NonInventory", "IncomeAccountRef": {"value": income}}
    item = await client.create(realm, "Item", body, f"{realm}-i")
    return str(customer["Id"]), str(item["Id"])


async def test_creates_reads_and_queries_go_through(client: QuickBooksClient, realm: str) -> None:
    customer, item = await customer_and_item(client, realm)
    invoice = await client.create(realm, "Invoice", plain(invoice_body(customer, item)), "r-1")
    assert (await client.read(realm, "Invoice", str(invoice["Id"])))["DocNumber"] == "1001"
    assert [i["Id"] for i in await client.query(realm, "Invoice", equals("DocNumber", "1001"))] == [invoice["Id"]]


async def test_a_refusal_is_a_fault_with_its_code(client: QuickBooksClient, realm: str) -> None:
    customer, item = await customer_and_item(client, realm)
    await client.create(realm, "Invoice", plain(invoice_body(customer, item)), "r-1")
    with pytest.raises(QboFaultError) as refused:
        await client.create(realm, "Invoice", plain(invoice_body(customer, item)), "r-2")
    assert refused.value.code == "6140"


async def test_a_dropped_connection_after_the_write_is_an_unknown_outcome(
    client: QuickBooksClient, realm: str, http: httpx.AsyncClient
) -> None:
    customer, item = await customer_and_item(client, realm)
    await http.put("/admin/faults", json={"drop_rate": 1.0})
    with pytest.raises(AmbiguousOutcome):
        await client.create(realm, "Invoice", plain(invoice_body(customer, item)), "dropped-1")
    await http.put("/admin/faults", json={})
    assert len(await client.query(realm, "Invoice", equals("DocNumber", "1001"))) == 1  # it was written


async def test_a_write_that_times_out_is_an_unknown_outcome(
    client: QuickBooksClient, realm: str, http: httpx.AsyncClient
) -> None:
    customer, item = await customer_and_item(client, realm)
    await http.put("/admin/faults", json={"timeout_rate": 1.0, "hang_seconds": 2.0})
    started = time.perf_counter()
    with pytest.raises(AmbiguousOutcome):
        await client.create(realm, "Invoice", plain(invoice_body(customer, item)), "hung-1")
    assert time.perf_counter() - started < 1.5  # the client's own timeout, not the server's hang


async def test_a_read_that_keeps_timing_out_fails_after_its_tries(
    client: QuickBooksClient, realm: str, http: httpx.AsyncClient
) -> None:
    await http.put("/admin/faults", json={"timeout_rate": 1.0, "hang_seconds": 2.0})
    with pytest.raises(AmbiguousOutcome, match="connection failed"):
        await client.query(realm, "Customer", "Id > '0'")
    await http.put("/admin/faults", json={})
    assert await client.query(realm, "Customer", "Id > '0'") == []
