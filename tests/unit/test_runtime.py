"""Service plumbing: Kafka security from settings, the health and metrics endpoint, logs with trace ids."""

from __future__ import annotations

import asyncio

import pytest
from faststream.security import BaseSecurity, SASLScram256, SASLScram512
from opentelemetry import propagate
from opentelemetry.sdk.trace import TracerProvider

from ledgerflow.runtime.health import HealthServer
from ledgerflow.runtime.logs import add_trace_context
from ledgerflow.runtime.metrics import Metrics
from ledgerflow.runtime.service import security
from ledgerflow.runtime.settings import KafkaSettings
from ledgerflow.runtime.telemetry import tracer_provider


def test_plaintext_needs_no_security() -> None:
    assert security(KafkaSettings()) is None


def test_tls_only() -> None:
    assert type(security(KafkaSettings(security_protocol="SSL"))) is BaseSecurity


@pytest.mark.parametrize(("mechanism", "kind"), [("SCRAM-SHA-256", SASLScram256), ("SCRAM-SHA-512", SASLScram512)])
def test_sasl_scram_over_tls(mechanism: str, kind: type) -> None:
    settings = KafkaSettings(security_protocol="SASL_SSL", sasl_mechanism=mechanism,
                             sasl_username="ledgerflow", sasl_password="s3cret")  # fmt: skip
    chosen = security(settings)
    assert isinstance(chosen, kind)
    assert "s3cret" not in repr(settings)  # secrets never reach logs


def test_sasl_without_credentials_is_refused_with_the_variables_to_set() -> None:
    with pytest.raises(ValueError, match="LEDGERFLOW_KAFKA_SASL_USERNAME"):
        security(KafkaSettings(security_protocol="SASL_PLAINTEXT"))


async def _get(port: int, path: str) -> tuple[str, str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    raw = (await reader.read()).decode()
    writer.close()
    head, _, body = raw.partition("\r\n\r\n")
    return head.splitlines()[0], body


async def test_health_endpoints_and_metrics() -> None:
    metrics = Metrics()
    metrics.dead_letters.labels("ingest", "acme", "order.unbalanced").inc()
    reason: list[str | None] = ["no partitions assigned yet"]

    async def readiness() -> str | None:
        return reason[0]

    server = HealthServer("127.0.0.1", 0, metrics.registry, readiness)
    await server.start()
    try:
        assert (await _get(server.port, "/health/live"))[0] == "HTTP/1.1 200 OK"
        status, body = await _get(server.port, "/health/ready")
        assert (status, body) == ("HTTP/1.1 503 Service Unavailable", "not ready: no partitions assigned yet\n")
        reason[0] = None
        assert (await _get(server.port, "/health/ready"))[0] == "HTTP/1.1 200 OK"
        status, body = await _get(server.port, "/metrics")
        assert 'ledgerflow_dead_letters_total{code="order.unbalanced",stage="ingest",tenant="acme"} 1.0' in body
        assert (await _get(server.port, "/nowhere"))[0] == "HTTP/1.1 404 Not Found"
    finally:
        await server.stop()


def test_log_lines_carry_the_trace_they_were_written_in() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        event = add_trace_context(None, "info", {"event": "order.posted"})
    assert event["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert add_trace_context(None, "info", {"event": "outside"}) == {"event": "outside"}


def test_without_an_exporter_spans_are_not_recorded_but_the_trace_still_travels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    tracer = tracer_provider("ledgerflow-test").get_tracer("test")
    upstream = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with tracer.start_as_current_span("process", context=propagate.extract({"traceparent": upstream})) as span:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
    assert not span.is_recording()
    assert carrier["traceparent"].split("-")[1] == "0af7651916cd43dd8448eb211c80319c"


def test_with_an_exporter_spans_are_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    provider = tracer_provider("ledgerflow-test")
    try:
        span = provider.get_tracer("test").start_span("process")  # never ended: nothing to send at shutdown
        assert span.is_recording()
    finally:
        provider.shutdown()
