"""The real local stack (Kafka broker in KRaft mode, PostgreSQL), started once for the session."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ledgerflow.cli.desktop_setup import ConnectedFile, connect_company_file
from ledgerflow.cli.local_services import SIM_TOKEN, LocalServices
from ledgerflow.devstack.stack import Stack, StackState
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient

BASE = Path(__file__).resolve().parents[2] / ".ledgerflow"
CACHE = BASE / "cache"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def stack_state() -> Iterator[StackState]:
    stack = Stack(BASE / "test-stack", CACHE)
    state = stack.up(fresh=True)
    yield state
    stack.down()


@pytest.fixture(scope="session")
def services(stack_state: StackState) -> Iterator[LocalServices]:
    # Short client timeouts and 429 pauses, so that the fault tests run in seconds rather than minutes.
    # A Web Connector session that dies silently is over after 6 s rather than minutes.
    fast_faults = {"LEDGERFLOW_QBO_TIMEOUT_SECONDS": "3", "LEDGERFLOW_QBO_THROTTLE_PAUSE_SECONDS": "2",
                   "LEDGERFLOW_QBD_SESSION_TTL_SECONDS": "6"}  # fmt: skip
    local = LocalServices(home=BASE / "test-stack", stack=stack_state, extra_env=fast_faults)
    local.start()
    yield local
    local.stop()


@pytest.fixture
def tenant() -> str:
    """A tenant of its own per test: its own partition key, its own company in the simulator."""
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def books(services: LocalServices) -> AsyncIterator[QuickBooksClient]:
    client = QuickBooksClient(services.sim_url, SIM_TOKEN)
    yield client
    await client.aclose()


Connect = Callable[..., Awaitable[ConnectedFile]]


@pytest.fixture
async def connect(services: LocalServices, tenant: str) -> AsyncIterator[Connect]:
    """The test's company file in the Desktop simulator, connected; removed from the Web Connector after the
    test, so that nothing of it polls (and meets the next test's faults) later."""
    connected: list[ConnectedFile] = []

    async def connected_file(**kwargs: Any) -> ConnectedFile:
        company = await connect_company_file(
            services.stack.database_url, services.desktop_sim_url, tenant, services.qbwc_url, **kwargs
        )
        connected.append(company)
        return company

    yield connected_file
    for company in connected:
        await company.disconnect()
