"""Stored, rotating OAuth credentials on the real pipeline: access tokens expire every 3 s, orders land once each."""

from __future__ import annotations

import asyncio
import copy
import json
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from ledgerflow.cli.local_services import SIM_ADMIN_TOKEN, LocalServices
from ledgerflow.cli.publishing import publish_envelopes
from ledgerflow.cli.watching import wait_for_outcomes
from ledgerflow.contracts import LedgerStatus, RawOrderEnvelope
from ledgerflow.devstack.ports import free_port, wait_until_listening
from ledgerflow.ledger_writer.targets.qbo.credentials.cipher import TokenCipher, new_key
from ledgerflow.ledger_writer.targets.qbo.credentials.endpoint import TokenEndpoint
from ledgerflow.ledger_writer.targets.qbo.credentials.provider import TokenProvider, refresh_counter
from ledgerflow.ledger_writer.targets.qbo.credentials.store import DDL as CREDENTIALS_DDL
from ledgerflow.ledger_writer.targets.qbo.credentials.store import PostgresCredentialStore, put_refresh_token
from ledgerflow.runtime.database import create_pool, migrate
from ledgerflow.runtime.settings import DatabaseSettings
from tests.integration.pipeline import raw_order

ACCESS_TOKEN_SECONDS = 3
WAVES, ORDERS_PER_WAVE = 4, 3
WAVE_PAUSE = 3.5  # longer than a token's life: every wave needs a token the previous one did not have
OAUTH_WRITER, DEFAULT_WRITER = 4, 5  # replica numbers of the two writer processes
REFRESHED = "ledgerflow_qbo_token_refreshes_total"
ADMIN = {"X-Ledgerflow-Admin": SIM_ADMIN_TOKEN}
CLIENT = {"LEDGERFLOW_QBO_CLIENT_ID": "ledgerflow-test-app", "LEDGERFLOW_QBO_CLIENT_SECRET": "test-app-secret"}


class ShortLivedTokens:
    """A simulator without a development token, whose access tokens last 3 s: only the OAuth flow gets in."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, "-m", "ledgerflow.qbo_sim", "--port", str(self.port),
                "--access-token-seconds", str(ACCESS_TOKEN_SECONDS), "--admin-token", SIM_ADMIN_TOKEN]  # fmt: skip
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_listening(self.port, 20, "simulator", alive=lambda: self.process.poll() is None)

    def connect(self, realm: str) -> str:
        """The refresh token that connecting a company in Intuit's consent flow would give."""
        answer = httpx.post(f"{self.url}/admin/realms/{realm}/connect", headers=ADMIN, timeout=5).json()
        return str(answer["refresh_token"])

    def refresh(self, refresh_token: str) -> httpx.Response:
        grant = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return httpx.post(f"{self.url}/oauth2/v1/tokens/bearer", data=grant, timeout=5)

    def books(self, realm: str) -> dict[str, Any]:
        body: dict[str, Any] = httpx.get(f"{self.url}/admin/realms/{realm}/books", headers=ADMIN, timeout=5).json()
        return body

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def short_lived_tokens() -> Iterator[ShortLivedTokens]:
    sim = ShortLivedTokens()
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def token_key() -> str:
    """One key for the module, as for a deployment: ``rekey`` re-encrypts every company stored so far."""
    return new_key()


@pytest.fixture
def oauth_writer(
    services: LocalServices, short_lived_tokens: ShortLivedTokens, token_key: str, tenant: str
) -> Iterator[None]:
    """The tenant's own writer pool, on the short-lived simulator; the default pool leaves the tenant to it."""
    pools = json.dumps({"oauth": [tenant]})
    services.stop_service("ledger-writer")
    services.start_service("ledger-writer", OAUTH_WRITER, {
        "LEDGERFLOW_WRITER_POOL": "oauth", "LEDGERFLOW_WRITER_POOLS": pools,
        "LEDGERFLOW_QBO_BASE_URL": short_lived_tokens.url, "LEDGERFLOW_TOKEN_KEY": token_key, **CLIENT,
    })  # fmt: skip
    services.start_service("ledger-writer", DEFAULT_WRITER, {"LEDGERFLOW_WRITER_POOLS": pools})
    yield
    services.stop_service("ledger-writer", OAUTH_WRITER)
    services.stop_service("ledger-writer", DEFAULT_WRITER)
    services.start_service("ledger-writer")


def _tokens_cli(services: LocalServices, token_key: str, *args: str, stdin: str = "") -> str:
    """``ledgerflow tokens ...`` as an operator runs it, with the writers' key; its standard output."""
    argv = [str(Path(sys.executable).with_name("ledgerflow")), "tokens", *args,
            "--database-url", services.stack.database_url]  # fmt: skip
    env = {**services.env(), "LEDGERFLOW_TOKEN_KEY": token_key, "COLUMNS": "200"}
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _store_with_the_cli(services: LocalServices, token_key: str, tenant: str, refresh_token: str) -> None:
    shown = _tokens_cli(services, token_key, "store", "--tenant", tenant, stdin=refresh_token)
    assert refresh_token not in shown


def _orders(tenant: str, shopify_paid: dict[str, Any]) -> list[list[RawOrderEnvelope]]:
    waves = []
    for wave in range(WAVES):
        envelopes = []
        for n in range(wave * ORDERS_PER_WAVE, (wave + 1) * ORDERS_PER_WAVE):
            payload = copy.deepcopy(shopify_paid)
            payload["order"].update(id=5400000300000 + n, order_number=30000 + n, name=f"#{30000 + n}")
            envelopes.append(raw_order(tenant, payload))
        waves.append(envelopes)
    return waves


async def _stored(services: LocalServices, token_key: str, realm: str) -> tuple[SecretStr, SecretStr]:
    pool = await create_pool(DatabaseSettings(url=services.stack.database_url, pool_max_size=2), "ledger_writer")
    try:
        credentials = await PostgresCredentialStore(lambda: pool, TokenCipher(SecretStr(token_key))).load(realm)
    finally:
        await pool.close()
    assert credentials is not None and credentials.access is not None
    return credentials.refresh_token, credentials.access.value


async def test_orders_land_once_each_across_many_token_expiries(
    services: LocalServices,
    short_lived_tokens: ShortLivedTokens,
    token_key: str,
    oauth_writer: None,
    tenant: str,
    shopify_paid: dict[str, Any],
) -> None:
    connected = short_lived_tokens.connect(tenant)  # the writer's realm for a tenant is the tenant id by default
    _store_with_the_cli(services, token_key, tenant, connected)
    waves = _orders(tenant, shopify_paid)

    for wave in waves:
        await publish_envelopes(services.stack.bootstrap_servers, wave)
        await asyncio.sleep(WAVE_PAUSE)
    wanted = {e.meta.correlation_id for wave in waves for e in wave}
    outcomes = await wait_for_outcomes(services.stack.bootstrap_servers, wanted, timeout=120)
    port = services.http_ports[("ledger-writer", OAUTH_WRITER)]
    async with httpx.AsyncClient(timeout=5) as client:
        metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    log = (services.run_dir / f"ledger-writer-{OAUTH_WRITER}.log").read_text()

    orders = WAVES * ORDERS_PER_WAVE
    assert len(outcomes.events) == orders, f"{orders - len(outcomes.events)} orders without an outcome"
    assert all(e.status is LedgerStatus.POSTED for e in outcomes.events.values()), outcomes.events
    documents = short_lived_tokens.books(tenant)["documents"]
    invoices = [d for d in documents if d["type"] == "Invoice"]
    assert Counter(d["doc_number"] for d in invoices) == Counter(str(30000 + n) for n in range(orders))
    assert all(d["balance"] == 0 for d in invoices), "a payment is missing or applied twice"
    assert len([d for d in documents if d["type"] == "Payment"]) == orders

    refreshed = f'ledgerflow_qbo_token_refreshes_total{{outcome="refreshed",tenant="{tenant}"}}'
    count = next(float(line.split()[-1]) for line in metrics.splitlines() if line.startswith(refreshed))
    assert count >= WAVES, "each wave came after the previous wave's token had expired"
    refused = short_lived_tokens.refresh(connected)
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant"), "the first token was rotated"
    refresh_token, access_token = await _stored(services, token_key, tenant)
    assert refresh_token.get_secret_value() != connected
    assert "qbo.token_refreshed" in log
    for secret in (connected, refresh_token.get_secret_value(), access_token.get_secret_value()):
        assert secret not in log and secret not in metrics


async def test_two_writers_refresh_a_company_once_through_the_row_lock(
    services: LocalServices, short_lived_tokens: ShortLivedTokens, token_key: str
) -> None:
    realm = f"r-{uuid.uuid4().hex[:10]}"
    cipher = TokenCipher(SecretStr(token_key))
    pool = await create_pool(DatabaseSettings(url=services.stack.database_url), "ledger_writer")
    await migrate(pool, "ledger_writer", CREDENTIALS_DDL)
    async with pool.acquire() as conn:
        await put_refresh_token(conn, cipher, tenant_id="acme", realm=realm,
                                refresh_token=SecretStr(short_lived_tokens.connect(realm)))  # fmt: skip
    registry = CollectorRegistry()
    refreshes = refresh_counter(registry)
    writers = []
    for _ in range(2):  # two processes' worth: each its own in-process lock, cache and endpoint client
        endpoint = TokenEndpoint(f"{short_lived_tokens.url}/oauth2/v1/tokens/bearer", SecretStr("app"),
                                 SecretStr("secret"))  # fmt: skip
        store = PostgresCredentialStore(lambda: pool, cipher)
        writers.append((TokenProvider(store, endpoint, refreshes=refreshes), endpoint))
    try:
        tokens = await asyncio.gather(*(provider.current(realm) for provider, _ in writers for _ in range(10)))
    finally:
        for _, endpoint in writers:
            await endpoint.aclose()
        await pool.close()
    assert registry.get_sample_value(REFRESHED, {"tenant": realm, "outcome": "refreshed"}) == 1
    assert registry.get_sample_value(REFRESHED, {"tenant": realm, "outcome": "refused"}) is None
    assert len({t.get_secret_value() for t in tokens if t is not None}) == 1, "every call got the one new token"


async def test_rekey_moves_every_company_to_the_new_key(services: LocalServices, token_key: str) -> None:
    realm, newer = f"r-{uuid.uuid4().hex[:10]}", new_key()
    _tokens_cli(services, token_key, "store", "--tenant", "acme", "--realm", realm, stdin="a-refresh-token")

    _tokens_cli(services, f"{newer},{token_key}", "rekey")
    listed = _tokens_cli(services, newer, "list")

    assert realm in listed and "a-refresh-token" not in listed
    pool = await create_pool(DatabaseSettings(url=services.stack.database_url, pool_max_size=2), "ledger_writer")
    try:
        credentials = await PostgresCredentialStore(lambda: pool, TokenCipher(SecretStr(newer))).load(realm)
    finally:
        await pool.close()
    assert credentials is not None and credentials.refresh_token.get_secret_value() == "a-refresh-token"
