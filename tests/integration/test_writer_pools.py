"""Writer pools: a large tenant gets writers of its own; every other tenant stays with the default pool."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.contracts import LedgerStatus
from tests.integration.pipeline import publish_and_wait, raw_order

LARGE, DEFAULT = 2, 3  # replica numbers of the two writer processes


@pytest.fixture
def pooled_writers(services: LocalServices, tenant: str) -> Iterator[str]:
    large_tenant = f"{tenant}-large"
    pools = json.dumps({"large": [large_tenant]})
    services.stop_service("ledger-writer")
    services.start_service(
        "ledger-writer", LARGE, {"LEDGERFLOW_WRITER_POOL": "large", "LEDGERFLOW_WRITER_POOLS": pools}
    )
    services.start_service("ledger-writer", DEFAULT, {"LEDGERFLOW_WRITER_POOLS": pools})
    yield large_tenant
    services.stop_service("ledger-writer", LARGE)
    services.stop_service("ledger-writer", DEFAULT)
    services.start_service("ledger-writer")


def _posted(services: LocalServices, replica: int) -> str:
    port = services.http_ports[("ledger-writer", replica)]
    return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text


async def test_each_pool_posts_only_its_own_tenants(
    services: LocalServices, pooled_writers: str, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    large, small = raw_order(pooled_writers, shopify_paid), raw_order(tenant, shopify_paid)
    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, large, small)
    assert outcomes.events[large.meta.correlation_id].status is LedgerStatus.POSTED
    assert outcomes.events[small.meta.correlation_id].status is LedgerStatus.POSTED
    large_metrics, default_metrics = _posted(services, LARGE), _posted(services, DEFAULT)
    assert f'tenant="{pooled_writers}"' in large_metrics and f'tenant="{tenant}",' not in large_metrics
    assert f'tenant="{tenant}",' in default_metrics and f'tenant="{pooled_writers}"' not in default_metrics
