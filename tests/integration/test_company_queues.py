"""The writer's company queues on the real pipeline: a backlog holds up nobody, a killed writer's companies are
taken over, a company whose credentials are refused waits paused until an operator resumes it."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from ledgerflow.cli.arrivals import Arrivals
from ledgerflow.cli.credentials import store_refresh_token
from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.publishing import partition_of, publish_envelopes
from ledgerflow.contracts import LedgerStatus, RawOrderEnvelope
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient
from ledgerflow.ledger_writer.targets.qbo.credentials.cipher import TokenCipher, new_key
from tests.integration.pipeline import raw_order

WRITER = "ledger-writer"


def tenants_on(partition: int, partitions: int, count: int, *, same: bool, prefix: str) -> list[str]:
    found: list[str] = []
    while len(found) < count:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        if (partition_of(name, partitions) == partition) == same:
            found.append(name)
    return found


def orders(tenant: str, template: dict[str, Any], count: int, first: int) -> list[RawOrderEnvelope]:
    envelopes = []
    for n in range(count):
        payload = copy.deepcopy(template)
        payload["order"].update(id=5400000900000 + first + n, order_number=first + n, name=f"#{first + n}")
        envelopes.append(raw_order(tenant, payload))
    return envelopes


@pytest.fixture
def writers(services: LocalServices) -> Iterator[list[int]]:
    """The session's writer stopped; a test starts its own (replica numbers it returns are stopped after)."""
    started: list[int] = []
    services.stop_service(WRITER)
    yield started
    for replica in started:
        services.stop_service(WRITER, replica)
    services.start_service(WRITER)


def start_writer(services: LocalServices, started: list[int], replica: int, env: dict[str, str]) -> None:
    services.start_service(WRITER, replica, env)
    started.append(replica)
    deadline = time.monotonic() + 60
    while not services.is_ready(WRITER, replica):
        assert time.monotonic() < deadline, services.log_tail(WRITER, replica=replica)
        time.sleep(0.3)


@pytest.fixture
async def writer_db(services: LocalServices) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(services.stack.database_url, server_settings={"search_path": "ledger_writer"})
    yield conn
    await conn.close()


async def _until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def test_small_tenants_post_within_seconds_while_one_tenant_drains_a_backlog_at_its_rate(
    services: LocalServices, writers: list[int], tenant: str, shopify_paid: dict[str, Any]
) -> None:
    # 120 calls a minute per company (QuickBooks allows 500): a 20-order backlog then takes about 20 s.
    start_writer(services, writers, 6, {"LEDGERFLOW_QBO_REQUESTS_PER_MINUTE": "120"})
    partitions = services.stack.partitions
    busy_partition = partition_of(tenant, partitions)
    neighbours = tenants_on(busy_partition, partitions, 2, same=True, prefix="near")
    others = tenants_on(busy_partition, partitions, 2, same=False, prefix="far")
    backlog = orders(tenant, shopify_paid, 20, first=70000)
    small = [order for name in (*neighbours, *others) for order in orders(name, shopify_paid, 1, first=71000)]

    arrivals = Arrivals(services.stack.bootstrap_servers)
    await arrivals.start()
    try:
        await publish_envelopes(services.stack.bootstrap_servers, backlog)
        await asyncio.sleep(2.0)
        published = {e.meta.correlation_id: time.time() for e in small}
        await publish_envelopes(services.stack.bootstrap_servers, small)
        assert not await arrivals.wait_for(published, timeout=30)
        busy_posted_then = sum(1 for e in backlog if e.meta.correlation_id in arrivals.first)
        assert not await arrivals.wait_for({e.meta.correlation_id for e in backlog}, timeout=90)
    finally:
        await arrivals.stop()

    waits = {c: arrivals.first[c].at - at for c, at in published.items()}
    assert all(arrivals.first[c].outcome == "posted" for c in [*published, *(e.meta.correlation_id for e in backlog)])
    assert max(waits.values()) < 5.0, f"small tenants waited {sorted(round(w, 1) for w in waits.values())} s"
    assert busy_posted_then < 15, "the backlog was nearly done before the small tenants came: nothing was proven"
    async with httpx.AsyncClient(base_url=services.sim_url, headers=services.admin_headers) as client:
        traffic = (await client.get(f"/admin/realms/{tenant}/traffic")).json()
    assert traffic["throttled"] == 0, "the writer stayed within the company's limit"


async def test_a_killed_writers_companies_are_taken_over_and_every_order_is_posted_once(
    services: LocalServices,
    writers: list[int],
    writer_db: asyncpg.Connection,
    books: QuickBooksClient,
    tenant: str,
    shopify_paid: dict[str, Any],
) -> None:
    # Two calls in flight a company and a slow simulator: the backlog takes long enough to kill its writer mid-way.
    env = {"LEDGERFLOW_WRITER_LEASE_SECONDS": "3", "LEDGERFLOW_QBO_CONCURRENT": "2"}
    for replica in (7, 8):
        start_writer(services, writers, replica, env)
    await _faults(services, {"latency_ms": 250})
    envelopes = orders(tenant, shopify_paid, 24, first=72000)
    arrivals = Arrivals(services.stack.bootstrap_servers)
    await arrivals.start()
    try:
        await publish_envelopes(services.stack.bootstrap_servers, envelopes)
        wanted = {e.meta.correlation_id for e in envelopes}

        async def some_posted() -> bool:
            return len(wanted & arrivals.first.keys()) >= 4

        await _until(some_posted, 60, "the first orders to be posted")
        owner = await writer_db.fetchval("SELECT owner FROM companies WHERE company_id = $1", tenant)
        pids = {services.pid(WRITER, replica): replica for replica in (7, 8)}
        victim = next(replica for pid, replica in pids.items() if pid is not None and f"-{pid}-" in str(owner))
        survivor = 8 if victim == 7 else 7
        posted_before = len(wanted & arrivals.first.keys())
        services.kill_service(WRITER, victim)
        killed_at = time.time()

        async def taken_over() -> bool:
            now_owner = await writer_db.fetchval("SELECT owner FROM companies WHERE company_id = $1", tenant)
            return f"-{services.pid(WRITER, survivor)}-" in str(now_owner)

        await _until(taken_over, 20, "the surviving writer to take the company over")
        taken_over_after = time.time() - killed_at
        assert not await arrivals.wait_for(wanted, timeout=120)
    finally:
        await arrivals.stop()
        await _faults(services, {})

    assert posted_before < len(envelopes), "everything was posted before the kill: nothing was proven"
    assert taken_over_after < 3 + 5, f"taken over {taken_over_after:.1f}s after the kill (lease: 3 s)"
    assert all(arrivals.first[c].outcome == "posted" for c in wanted)
    invoices = await books.query(tenant, "Invoice", "TotalAmt > '0' MAXRESULTS 1000")
    numbers = Counter(i["DocNumber"] for i in invoices)
    assert sorted(numbers) == sorted(str(72000 + n) for n in range(24)) and max(numbers.values()) == 1
    payments = await books.query(tenant, "Payment", "TotalAmt > '0' MAXRESULTS 1000")
    assert len(payments) == 24, "a payment was lost or posted twice"
    port = services.http_ports[(WRITER, survivor)]
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(f"http://127.0.0.1:{port}/metrics", timeout=5)).text
    assert 'ledgerflow_writer_lease_takeovers_total{pool="default"} 1.0' in metrics


async def test_a_company_whose_refresh_token_is_refused_waits_paused_until_resumed(
    services: LocalServices,
    writers: list[int],
    writer_db: asyncpg.Connection,
    books: QuickBooksClient,
    tenant: str,
    shopify_paid: dict[str, Any],
) -> None:
    key = new_key()
    oauth = {"LEDGERFLOW_TOKEN_KEY": key, "LEDGERFLOW_QBO_CLIENT_ID": "app", "LEDGERFLOW_QBO_CLIENT_SECRET": "secret"}
    start_writer(services, writers, 9, oauth)
    url = services.stack.database_url
    other = f"{tenant}-open"
    locked, open_order = raw_order(tenant, shopify_paid), raw_order(other, shopify_paid)
    arrivals = Arrivals(services.stack.bootstrap_servers)
    await arrivals.start()
    try:
        refused = SecretStr("a refresh token the books no longer take")
        await store_refresh_token(
            url, TokenCipher(SecretStr(key)), tenant_id=tenant, realm=tenant, refresh_token=refused
        )
        await publish_envelopes(services.stack.bootstrap_servers, [locked, open_order])
        assert not await arrivals.wait_for({open_order.meta.correlation_id}, timeout=60), "the other tenant waited"

        async def paused() -> bool:
            return await writer_db.fetchval("SELECT paused FROM companies WHERE company_id = $1", tenant) is not None

        await _until(paused, 30, "the company to be paused")
        listed = _ledgerflow(services, "queues", "--tenant", tenant, "--json")
        assert locked.meta.correlation_id not in arrivals.first, "a paused company's order neither posts nor fails"

        async with httpx.AsyncClient(base_url=services.sim_url, headers=services.admin_headers) as client:
            token = (await client.post(f"/admin/realms/{tenant}/connect", timeout=5)).json()["refresh_token"]
        await store_refresh_token(
            url, TokenCipher(SecretStr(key)), tenant_id=tenant, realm=tenant, refresh_token=SecretStr(token)
        )
        resumed = _ledgerflow(services, "queues", "resume", "--tenant", tenant)
        assert not await arrivals.wait_for({locked.meta.correlation_id}, timeout=60)
    finally:
        await arrivals.stop()
        # Stored under a key of this test's own: other tests rotate the session's key over every stored company.
        await writer_db.execute("DELETE FROM qbo_credentials WHERE realm = $1", tenant)

    (queue,) = json.loads(listed)
    assert queue["queued"] == 1 and queue["paused"]["code"] == "qbo.invalid_grant", queue
    assert "ledgerflow tokens store --tenant" in queue["paused"]["fix"]
    assert f"ledgerflow queues resume --tenant {tenant}" in queue["paused"]["fix"]
    assert f"{tenant}: resumed {tenant}" in resumed
    assert arrivals.first[locked.meta.correlation_id].outcome == LedgerStatus.POSTED
    invoices = await books.query(tenant, "Invoice", "TotalAmt > '0' MAXRESULTS 10")
    assert len(invoices) == 1


async def _faults(services: LocalServices, faults: dict[str, int]) -> None:
    async with httpx.AsyncClient(base_url=services.sim_url, headers=services.admin_headers) as client:
        (await client.put("/admin/faults", json=faults, timeout=5)).raise_for_status()


def _ledgerflow(services: LocalServices, *args: str) -> str:
    env = {**os.environ, "LEDGERFLOW_DATABASE_URL": services.stack.database_url}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ledgerflow"), *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
