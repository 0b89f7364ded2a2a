"""One trace per order version: from the publish through all four services to the accounting API call.

The four services run in this process here (the session's service processes are paused meanwhile), each
with its own tracer provider and ``service.name``, all exporting to one in-memory exporter; they talk
over the real broker and database as they do in production.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ledgerflow.cli.local_services import SERVICE_MODULES, SIM_TOKEN, LocalServices
from ledgerflow.cli.publishing import publish_envelopes
from ledgerflow.cli.watching import wait_for_outcomes
from ledgerflow.contracts import LedgerStatus
from ledgerflow.ingest.app import create_service as ingest_service
from ledgerflow.ledger_writer.app import create_service as writer_service
from ledgerflow.ledger_writer.settings import QboSettings, WriterSettings
from ledgerflow.numbering.app import create_service as numbering_service
from ledgerflow.planner.app import create_service as planner_service
from ledgerflow.runtime.service import Service
from ledgerflow.runtime.settings import DatabaseSettings, KafkaSettings, ServiceSettings
from tests.integration.pipeline import raw_order

NAMES = ("ledgerflow-ingest", "ledgerflow-planner", "ledgerflow-numbering", "ledgerflow-ledger-writer")


@pytest.fixture
def paused_processes(services: LocalServices) -> Iterator[None]:
    for name in SERVICE_MODULES:
        services.stop_service(name)
    yield
    for name in SERVICE_MODULES:
        services.start_service(name)


def _provider(name: str, exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


async def _ready(client: httpx.AsyncClient, service: Service) -> None:
    for _ in range(100):
        if (await client.get(f"http://127.0.0.1:{service.http_port}/health/ready")).status_code == 200:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{service.name} never became ready")


async def test_one_trace_spans_all_four_services_and_the_accounting_call(
    services: LocalServices, paused_processes: None, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    exporter = InMemorySpanExporter()
    settings = ServiceSettings(
        kafka=KafkaSettings(bootstrap_servers=services.stack.bootstrap_servers),
        database=DatabaseSettings(url=services.stack.database_url),
        http_host="127.0.0.1",
        http_port=0,
    )
    writer = WriterSettings(qbo=QboSettings(base_url=services.sim_url, token=SIM_TOKEN))
    running = [
        ingest_service(settings, _provider(NAMES[0], exporter)),
        planner_service(settings, _provider(NAMES[1], exporter)),
        numbering_service(settings, _provider(NAMES[2], exporter)),
        writer_service(settings, _provider(NAMES[3], exporter), writer),
    ]
    envelope = raw_order(tenant, shopify_paid)
    for service in running:
        await service.start()
    try:
        async with httpx.AsyncClient() as client:
            for service in running:
                await _ready(client, service)
            (published,) = await publish_envelopes(
                services.stack.bootstrap_servers, [envelope], _provider("ledgerflow-publisher", exporter)
            )
            outcomes = await wait_for_outcomes(
                services.stack.bootstrap_servers, {envelope.meta.correlation_id}, timeout=60
            )
            metrics = (await client.get(f"http://127.0.0.1:{running[3].http_port}/metrics")).text
    finally:
        for service in running:
            await service.stop()

    assert outcomes.events[envelope.meta.correlation_id].status is LedgerStatus.POSTED
    assert published.traceparent is not None
    trace_id = int(published.traceparent.split("-")[1], 16)
    in_trace = [s for s in exporter.get_finished_spans() if s.context is not None and s.context.trace_id == trace_id]
    by_service = {str(s.resource.attributes["service.name"]) for s in in_trace}
    assert {"ledgerflow-publisher", *NAMES} <= by_service

    calls = [s for s in in_trace if s.attributes and s.attributes.get("http.request.method") == "POST"]
    assert {s.name for s in calls} >= {"POST invoice", "POST payment"}
    assert all(s.resource.attributes["service.name"] == "ledgerflow-ledger-writer" for s in calls)
    assert any(s.attributes and s.attributes.get("ledgerflow.tenant_id") == tenant for s in in_trace)
    assert any(s.attributes and s.attributes.get("db.system") == "postgresql" for s in in_trace)
    topics = {
        str(s.attributes.get("messaging.destination.name") or s.attributes.get("messaging.destination_publish.name"))
        for s in in_trace
        if s.attributes and s.attributes.get("messaging.system") == "kafka"
    }
    assert topics >= {"orders.raw", "orders.normalized", "ledger.plans", "ledger.commands", "ledger.events"}

    assert 'ledgerflow_documents_posted_total{tenant="' + tenant + '",type="invoice"} 1.0' in metrics
    assert "ledgerflow_qbo_requests_total" in metrics
