"""The writer's OAuth tokens against the simulator's token endpoint: renewed ahead of expiry, rotated, single-flight."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr

from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient
from ledgerflow.ledger_writer.targets.qbo.credentials.endpoint import TokenEndpoint
from ledgerflow.ledger_writer.targets.qbo.credentials.provider import TokenProvider, refresh_counter
from ledgerflow.runtime.metrics import Metrics
from tests.memory_credentials import MemoryCredentialStore
from tests.simulator.conftest import ADMIN, SimServer

ALL_CUSTOMERS = "Active = true"


@dataclass
class Writer:
    """What one writer process holds: its client, its token provider and its metrics."""

    client: QuickBooksClient
    endpoint: TokenEndpoint
    metrics: Metrics

    def refreshes(self, realm: str) -> float:
        sample = ("ledgerflow_qbo_token_refreshes_total", {"tenant": realm, "outcome": "refreshed"})
        return self.metrics.registry.get_sample_value(*sample) or 0.0

    def faults(self, realm: str, code: str) -> float:
        sample = ("ledgerflow_qbo_errors_total", {"tenant": realm, "code": code})
        return self.metrics.registry.get_sample_value(*sample) or 0.0

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.endpoint.aclose()


def _now() -> datetime:
    return datetime.now(UTC)


def _writer(sim: SimServer, store: MemoryCredentialStore, clock: Callable[[], datetime] = _now) -> Writer:
    metrics = Metrics()
    endpoint = TokenEndpoint(f"{sim.url}/oauth2/v1/tokens/bearer", SecretStr("app-id"), SecretStr("app-secret"))
    tokens = TokenProvider(store, endpoint, clock=clock, refreshes=refresh_counter(metrics.registry))
    # No development token on these simulators: a call succeeds only with the company's own access token.
    client = QuickBooksClient(sim.url, "not-a-token", metrics=metrics, tokens=tokens)
    return Writer(client, endpoint, metrics)


async def _connect(sim: SimServer, realm: str) -> str:
    async with httpx.AsyncClient(base_url=sim.url, headers=ADMIN) as http:
        answer = (await http.post(f"/admin/realms/{realm}/connect")).json()
    return str(answer["refresh_token"])


async def _refresh(sim: SimServer, refresh_token: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=sim.url, headers=ADMIN) as http:
        return await http.post("/oauth2/v1/tokens/bearer", data={"grant_type": "refresh_token",
                                                                  "refresh_token": refresh_token})  # fmt: skip


async def _accepts(sim: SimServer, realm: str, access_token: SecretStr) -> bool:
    async with httpx.AsyncClient(base_url=sim.url, headers=ADMIN) as http:
        response = await http.get(f"/v3/company/{realm}/query", params={"query": "select * from Customer"},
                                  headers={"Authorization": f"Bearer {access_token.get_secret_value()}"})  # fmt: skip
    return response.status_code == 200


@pytest.fixture
def realm() -> str:
    return f"realm-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def four_second_tokens(start_sim: Callable[..., SimServer]) -> SimServer:
    return start_sim("--limits", "off", "--access-token-seconds", "4")


@pytest.fixture
async def connected(four_second_tokens: SimServer, realm: str) -> tuple[MemoryCredentialStore, str]:
    store = MemoryCredentialStore()
    refresh_token = await _connect(four_second_tokens, realm)
    store.put("acme", realm, refresh_token)
    return store, refresh_token


async def test_the_access_token_is_renewed_before_it_expires(
    four_second_tokens: SimServer, connected: tuple[MemoryCredentialStore, str], realm: str
) -> None:
    store, _ = connected
    writer = _writer(four_second_tokens, store)
    await writer.client.query(realm, "Customer", ALL_CUSTOMERS)
    first = store.rows[realm].access
    assert first is not None and writer.refreshes(realm) == 1
    # The default margin (5 minutes) is longer than this token's life: it is renewed at half of it.
    assert (first.expires_at - first.renew_at).total_seconds() == 2

    await asyncio.sleep(2.3)
    await writer.client.query(realm, "Customer", ALL_CUSTOMERS)
    assert writer.refreshes(realm) == 2
    assert await _accepts(four_second_tokens, realm, first.value), "renewed while the old token still worked"
    assert writer.faults(realm, "3200") == 0, "no call went out with an expired token"
    await writer.aclose()


async def test_refresh_tokens_rotate_and_the_new_one_is_stored(
    four_second_tokens: SimServer, connected: tuple[MemoryCredentialStore, str], realm: str
) -> None:
    store, original = connected
    writer = _writer(four_second_tokens, store)
    await writer.client.query(realm, "Customer", ALL_CUSTOMERS)
    await writer.aclose()

    stored = store.rows[realm].refresh_token.get_secret_value()
    assert stored != original
    refused = await _refresh(four_second_tokens, original)
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
    assert (await _refresh(four_second_tokens, stored)).status_code == 200, "the stored token is the live one"


async def test_a_token_expired_mid_run_is_recovered_by_one_refresh(
    start_sim: Callable[..., SimServer], realm: str
) -> None:
    sim = start_sim("--limits", "off", "--access-token-seconds", "1")
    store = MemoryCredentialStore()
    store.put("acme", realm, await _connect(sim, realm))
    frozen = datetime.now(UTC)  # this writer's clock stands still: it believes its token is fresh
    writer = _writer(sim, store, clock=lambda: frozen)
    await writer.client.query(realm, "Customer", ALL_CUSTOMERS)
    await asyncio.sleep(1.3)

    created = await writer.client.create(realm, "Customer", {"DisplayName": "Jane Cooper"}, str(uuid.uuid4()))

    assert writer.faults(realm, "3200") == 1, "QuickBooks answered 401 Token expired once"
    assert writer.refreshes(realm) == 2, "one refresh for the 401, then the request again"
    customers = await writer.client.query(realm, "Customer", ALL_CUSTOMERS)
    assert [c["Id"] for c in customers] == [created["Id"]]
    await writer.aclose()


async def test_concurrent_requests_cause_exactly_one_refresh(
    four_second_tokens: SimServer, connected: tuple[MemoryCredentialStore, str], realm: str
) -> None:
    store, _ = connected
    writer = _writer(four_second_tokens, store)
    await asyncio.gather(*(writer.client.query(realm, "Customer", ALL_CUSTOMERS) for _ in range(20)))
    assert writer.refreshes(realm) == 1
    await writer.aclose()


async def test_two_replicas_share_one_refresh_and_never_send_a_rotated_token(
    four_second_tokens: SimServer, connected: tuple[MemoryCredentialStore, str], realm: str
) -> None:
    store, _ = connected
    replicas = [_writer(four_second_tokens, store), _writer(four_second_tokens, store)]
    calls = [w.client.query(realm, "Customer", ALL_CUSTOMERS) for w in replicas for _ in range(10)]
    await asyncio.gather(*calls)  # a refresh token sent twice would be refused: invalid_grant
    assert sum(w.refreshes(realm) for w in replicas) == 1
    for replica in replicas:
        await replica.aclose()
