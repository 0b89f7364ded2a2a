"""The company queues on /metrics: gauges per company, the over-limit warning once per crossing, empty ones gone."""

from __future__ import annotations

from typing import Any

import pytest
import structlog
from prometheus_client import CollectorRegistry

from ledgerflow.contracts import ErrorDetail
from ledgerflow.ledger_writer.books import Company, RateState
from ledgerflow.ledger_writer.queue.metrics import QueueMetrics
from ledgerflow.ledger_writer.queue.store import CompanyQueue


def queue(company: str, depth: int, paused: ErrorDetail | None = None) -> CompanyQueue:
    return CompanyQueue(
        company_id=company, tenant_id=f"t-{company}", writer_pool="default", depth=depth, retrying=0,
        oldest_seconds=12.5 if depth else None, owner=None, paused=paused, paused_at=None, used_last_minute=0,
        limit_per_minute=0, throttled=0, done=0, last_error=None,
    )  # fmt: skip


def value(registry: CollectorRegistry, name: str, company: str) -> float | None:
    labels = {"pool": "default", "tenant": f"t-{company}", "company": company}
    return registry.get_sample_value(name, labels)


@pytest.fixture
def logs() -> Any:
    with structlog.testing.capture_logs() as captured:
        yield captured


def test_depth_age_and_pauses_are_reported_per_company_and_an_emptied_queue_leaves(logs: Any) -> None:
    registry = CollectorRegistry()
    metrics = QueueMetrics(registry, "default", warn_depth=100)
    refused = ErrorDetail(code="qbo.3200", message="refused", fix="connect again")
    metrics.queues([queue("busy", 40), queue("locked", 2, paused=refused)])

    assert value(registry, "ledgerflow_writer_queue_depth", "busy") == 40
    assert value(registry, "ledgerflow_writer_queue_oldest_seconds", "busy") == 12.5
    assert value(registry, "ledgerflow_writer_queue_paused", "locked") == 1
    assert value(registry, "ledgerflow_writer_queue_paused", "busy") == 0

    metrics.queues([queue("locked", 2, paused=refused)])
    assert value(registry, "ledgerflow_writer_queue_depth", "busy") is None, "its series goes with its work"


def test_a_company_over_the_warning_depth_is_told_once_and_its_commands_are_kept(logs: Any) -> None:
    registry = CollectorRegistry()
    metrics = QueueMetrics(registry, "default", warn_depth=100)
    for depth in (150, 180):
        metrics.queues([queue("import", depth)])
    assert value(registry, "ledgerflow_writer_queue_over_limit", "import") == 1
    assert value(registry, "ledgerflow_writer_queue_depth", "import") == 180
    warnings = [entry for entry in logs if entry["event"] == "queue.over_limit"]
    assert len(warnings) == 1 and warnings[0]["depth"] == 150 and warnings[0]["limit"] == 100

    metrics.queues([queue("import", 20)])
    metrics.queues([queue("import", 120)])
    assert len([entry for entry in logs if entry["event"] == "queue.over_limit"]) == 2, "told again on a new crossing"


def test_the_rate_of_a_company_is_reported_by_its_writer_until_it_lets_the_company_go() -> None:
    registry = CollectorRegistry()
    metrics = QueueMetrics(registry, "default", warn_depth=100)
    company = Company("t-busy", "busy")
    metrics.rate(company, RateState(used_last_minute=480, limit_per_minute=500), throttled=2)
    assert value(registry, "ledgerflow_writer_company_requests_last_minute", "busy") == 480
    assert value(registry, "ledgerflow_writer_company_requests_limit", "busy") == 500
    assert value(registry, "ledgerflow_writer_company_throttled_total", "busy") == 2
    metrics.released(company)
    assert value(registry, "ledgerflow_writer_company_requests_last_minute", "busy") is None
