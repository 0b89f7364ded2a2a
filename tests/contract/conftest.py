"""The contract suite: the same tests against the simulator and, given credentials, a real Intuit sandbox company.

The simulator variant always runs. The sandbox variant runs when ``LEDGERFLOW_QBO_SANDBOX_REALM`` and either
``LEDGERFLOW_QBO_SANDBOX_ACCESS_TOKEN`` or ``LEDGERFLOW_QBO_SANDBOX_REFRESH_TOKEN`` with
``LEDGERFLOW_QBO_SANDBOX_CLIENT_ID``/``_CLIENT_SECRET`` are set (docs/simulator.md, "The contract suite").
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ledgerflow.devstack.ports import free_port, wait_until_listening

SIM_TOKEN = "contract-sim-token"
SANDBOX_URL = "https://sandbox-quickbooks.api.intuit.com"
TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
PREFIX = "LEDGERFLOW_QBO_SANDBOX_"


def sandbox_missing() -> str | None:
    """Why the sandbox variant cannot run, or None when it can."""
    env = os.environ
    if not env.get(f"{PREFIX}REALM"):
        return f"no Intuit sandbox: set {PREFIX}REALM and {PREFIX}ACCESS_TOKEN (or {PREFIX}REFRESH_TOKEN, " \
               f"{PREFIX}CLIENT_ID and {PREFIX}CLIENT_SECRET) to run the contract suite against it"  # fmt: skip
    if env.get(f"{PREFIX}ACCESS_TOKEN"):
        return None
    if all(env.get(f"{PREFIX}{name}") for name in ("REFRESH_TOKEN", "CLIENT_ID", "CLIENT_SECRET")):
        return None
    return f"{PREFIX}REALM is set but neither {PREFIX}ACCESS_TOKEN nor a refresh token with client id and secret"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "books" in metafunc.fixturenames:
        variants = ["simulator"] if sandbox_missing() else ["simulator", "sandbox"]
        metafunc.parametrize("books_variant", variants, scope="session")


@dataclass
class Books:
    """One company's v3 API over the wire, so that tests see statuses, headers and envelopes as sent."""

    http: httpx.AsyncClient
    realm: str
    variant: str

    async def post(self, resource: str, body: dict[str, Any], **params: str) -> httpx.Response:
        return await self.http.post(f"/v3/company/{self.realm}/{resource}", json=body,
                                    params={"minorversion": "75", **params})  # fmt: skip

    async def create(self, resource: str, body: dict[str, Any], **params: str) -> dict[str, Any]:
        response = await self.post(resource, body, **params)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def get(self, resource: str, entity_id: str) -> httpx.Response:
        return await self.http.get(f"/v3/company/{self.realm}/{resource}/{entity_id}", params={"minorversion": "75"})

    async def query(self, statement: str) -> httpx.Response:
        return await self.http.get(f"/v3/company/{self.realm}/query", params={"query": statement, "minorversion": "75"})

    async def rows(self, statement: str, entity: str) -> list[dict[str, Any]]:
        response = await self.query(statement)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["QueryResponse"].get(entity, [])
        return found

    async def income_account(self) -> dict[str, str]:
        accounts = await self.rows("select * from Account where AccountType = 'Income'", "Account")
        return {"value": str(accounts[0]["Id"])}

    async def customer(self, name: str) -> str:
        return str((await self.create("customer", {"DisplayName": name}))["Customer"]["Id"])

    async def item(self, name: str) -> str:
        body = {"Name": name, "Type": "Service", "IncomeAccountRef": await self.income_account()}
        return str((await self.create("item", body))["Item"]["Id"])


def unique(name: str) -> str:
    """Names new to the company: a sandbox keeps what earlier runs created."""
    return f"{name} {uuid.uuid4().hex[:8]}"


def invoice(customer: str, item: str, number: str | None = None, amount: str = "40.00") -> dict[str, Any]:
    body: dict[str, Any] = {
        "CustomerRef": {"value": customer},
        "PrivateNote": "ledgerflow contract suite",
        "Line": [{"DetailType": "SalesItemLineDetail", "Amount": float(amount),
                  "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": 1, "UnitPrice": float(amount)}}],
    }  # fmt: skip
    if number is not None:
        body["DocNumber"] = number
    return body


@pytest.fixture(scope="session")
def simulator() -> Iterator[str]:
    port = free_port()
    argv = [sys.executable, "-m", "ledgerflow.qbo_sim", "--port", str(port), "--token", SIM_TOKEN, "--limits", "off"]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_listening(port, 20, "simulator", alive=lambda: process.poll() is None)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


def _sandbox_token() -> str:
    env = os.environ
    if env.get(f"{PREFIX}ACCESS_TOKEN"):
        return env[f"{PREFIX}ACCESS_TOKEN"]
    response = httpx.post(
        env.get(f"{PREFIX}TOKEN_URL", TOKEN_URL),
        data={"grant_type": "refresh_token", "refresh_token": env[f"{PREFIX}REFRESH_TOKEN"]},
        auth=(env[f"{PREFIX}CLIENT_ID"], env[f"{PREFIX}CLIENT_SECRET"]),
        headers={"Accept": "application/json"},
        timeout=30,
    )
    response.raise_for_status()
    # Intuit may rotate the refresh token: say so, since the one in the environment may now be spent.
    renewed = response.json().get("refresh_token")
    if renewed and renewed != env[f"{PREFIX}REFRESH_TOKEN"]:
        print(f"\ncontract: Intuit issued a new refresh token; store it in {PREFIX}REFRESH_TOKEN")
    return str(response.json()["access_token"])


@pytest.fixture(scope="session")
def sandbox_token() -> str:
    return _sandbox_token()


@pytest.fixture
async def books(books_variant: str, request: pytest.FixtureRequest) -> AsyncIterator[Books]:
    if books_variant == "simulator":
        base, token = request.getfixturevalue("simulator"), SIM_TOKEN
        realm = f"contract-{uuid.uuid4().hex[:10]}"  # a new company per test
    else:
        base = os.environ.get(f"{PREFIX}URL", SANDBOX_URL)
        token, realm = request.getfixturevalue("sandbox_token"), os.environ[f"{PREFIX}REALM"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        yield Books(http, realm, books_variant)
