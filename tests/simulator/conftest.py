"""The QuickBooks Online simulator as a real HTTP server process, started by the tests."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ledgerflow.devstack.ports import free_port, wait_until_listening

TOKEN = "sim-test-token"
ADMIN_TOKEN = "sim-admin-token"
ADMIN = {"X-Ledgerflow-Admin": ADMIN_TOKEN}  # what the admin API (faults, limits, books) asks of callers


class SimServer:
    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, "-m", "ledgerflow.qbo_sim", "--port", str(self.port), "--admin-token", ADMIN_TOKEN,
                *args]  # fmt: skip
        # Never a pipe nobody reads: a full pipe would stall the server mid-test.
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_listening(self.port, 20, "simulator", alive=lambda: self.process.poll() is None)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture(scope="session")
def start_sim() -> Iterator[Callable[..., SimServer]]:
    started: list[SimServer] = []

    def start(*args: str) -> SimServer:
        server = SimServer(*args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def sim_server(start_sim: Callable[..., SimServer]) -> SimServer:
    """Limits off: the rule tests must not be throttled by each other."""
    return start_sim("--token", TOKEN, "--limits", "off")


class Qbo:
    """A thin client over the wire, so tests see status codes and envelopes exactly as sent."""

    def __init__(self, http: httpx.AsyncClient, realm: str) -> None:
        self.http = http
        self.realm = realm

    async def post(self, resource: str, body: dict[str, Any], **params: str) -> httpx.Response:
        return await self.http.post(f"/v3/company/{self.realm}/{resource}", json=plain(body),
                                    params={"minorversion": "75", **params})  # fmt: skip

    async def create(self, resource: str, body: dict[str, Any], **params: str) -> dict[str, Any]:
        response = await self.post(resource, body, **params)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def get(self, resource: str, entity_id: str) -> httpx.Response:
        return await self.http.get(f"/v3/company/{self.realm}/{resource}/{entity_id}")

    async def query(self, statement: str) -> dict[str, Any]:
        response = await self.http.get(f"/v3/company/{self.realm}/query", params={"query": statement})
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()["QueryResponse"]
        return result

    async def books(self) -> dict[str, Any]:
        body: dict[str, Any] = (await self.http.get(f"/admin/realms/{self.realm}/books")).json()
        return body

    async def income_account(self) -> dict[str, str]:
        """A new company's own income account, as an item's IncomeAccountRef (an item needs one)."""
        found = await self.query("select * from Account where AccountType = 'Income'")
        return {"value": found["Account"][0]["Id"]}

    async def item(self, name: str, item_type: str = "NonInventory", **fields: Any) -> str:
        body = {"Name": name, "Type": item_type, "IncomeAccountRef": await self.income_account(), **fields}
        return str((await self.create("item", body))["Item"]["Id"])

    async def customer_and_item(self, name: str = "Jane Cooper", item: str = "TENT-2P") -> tuple[str, str]:
        customer = (await self.create("customer", {"DisplayName": name}))["Customer"]["Id"]
        return customer, await self.item(item)


def plain(value: Any) -> Any:
    """JSON-ready: amounts as JSON numbers, as QuickBooks clients send them."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def invoice_body(customer: str, item: str, *, number: str | None = "1001", qty: int = 2, price: str = "20.00",
                 memo: str = "shopify order 1001") -> dict[str, Any]:  # fmt: skip
    body: dict[str, Any] = {
        "CustomerRef": {"value": customer},
        "PrivateNote": memo,
        "Line": [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": Decimal(price) * qty,
                "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": qty, "UnitPrice": Decimal(price)},
            }
        ],
    }
    if number is not None:
        body["DocNumber"] = number
    return body


def payment_body(customer: str, invoice_id: str, amount: float, total: float | None = None) -> dict[str, Any]:
    return {
        "CustomerRef": {"value": customer},
        "TotalAmt": total if total is not None else amount,
        "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}],
    }


@pytest.fixture
async def http(sim_server: SimServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim_server.url, headers={"Authorization": f"Bearer {TOKEN}", **ADMIN},
                                 timeout=10) as client:  # fmt: skip
        yield client
        await client.put("/admin/faults", json={})


@pytest.fixture
def qbo(http: httpx.AsyncClient) -> Qbo:
    """A company of its own for each test."""
    return Qbo(http, f"realm-{uuid.uuid4().hex[:10]}")
