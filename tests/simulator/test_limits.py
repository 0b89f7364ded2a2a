"""Per-company throttling: 10 in flight and 500 a minute, then HTTP 429; other companies carry on."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from tests.simulator.conftest import ADMIN, TOKEN, SimServer


@pytest.fixture(scope="module")
def limited(start_sim: Callable[..., SimServer]) -> SimServer:
    return start_sim("--token", TOKEN, "--limits", "qbo", "--retry-after", "7")


@pytest.fixture
async def client(limited: SimServer) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
    async with httpx.AsyncClient(base_url=limited.url, headers={"Authorization": f"Bearer {TOKEN}", **ADMIN},
                                 limits=limits, timeout=20) as http:  # fmt: skip
        yield http
        await http.put("/admin/faults", json={})
        await http.put("/admin/limits", json={})


async def _query(client: httpx.AsyncClient, realm: str) -> httpx.Response:
    return await client.get(f"/v3/company/{realm}/query", params={"query": "select * from Customer"})


async def test_the_eleventh_concurrent_request_gets_429(client: httpx.AsyncClient) -> None:
    await client.put("/admin/faults", json={"latency_ms": 400})
    responses = await asyncio.gather(*(_query(client, "busy") for _ in range(16)))
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 10, 429: 6}
    throttled = next(r for r in responses if r.status_code == 429)
    assert throttled.json()["Fault"]["Error"][0]["code"] == "3001"
    assert "ThrottleExceeded" in throttled.json()["Fault"]["Error"][0]["Message"]
    # D30: QuickBooks types it SERVICE, with its own words
    assert throttled.json()["Fault"]["type"] == "SERVICE"
    assert throttled.json()["Fault"]["Error"][0]["Detail"] == "The request limit was reached.  Try again later"
    assert throttled.headers["Retry-After"] == "7"


async def test_requests_per_minute_limit(client: httpx.AsyncClient) -> None:
    await client.put("/admin/limits", json={"requests_per_minute": 5})
    statuses = [(await _query(client, "chatty")).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2


async def test_a_throttled_company_does_not_slow_the_others(client: httpx.AsyncClient) -> None:
    await client.put("/admin/limits", json={"requests_per_minute": 3})
    for _ in range(4):
        await _query(client, "noisy")
    assert (await _query(client, "noisy")).status_code == 429
    assert (await _query(client, "quiet")).status_code == 200


async def test_batch_requests_have_their_own_minute_limit(client: httpx.AsyncClient) -> None:
    await client.put("/admin/limits", json={"batch_per_minute": 2})
    batch = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Customer"}]}
    statuses = [(await client.post("/v3/company/batchy/batch", json=batch)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert (await _query(client, "batchy")).status_code == 200
