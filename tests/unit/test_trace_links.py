"""Trace ids where a person looks for them: dead letters, events, span attributes, the reconcile report."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from rich.console import Console

from ledgerflow.cli.reconcile import Reconciliation
from ledgerflow.cli.reconcile_report import print_report
from ledgerflow.contracts import DeadLetter, ErrorDetail, MessageMeta, OrderNormalized
from ledgerflow.runtime.outbox import Outgoing
from ledgerflow.runtime.stage import Source, dead_letter, order_attributes
from ledgerflow.runtime.telemetry import current_trace_id, trace_id_of

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_a_traceparent_gives_its_trace_id_and_nonsense_gives_none() -> None:
    assert trace_id_of(f"00-{TRACE}-00f067aa0ba902b7-01") == TRACE
    assert trace_id_of(f"00-{TRACE.upper()}-00f067aa0ba902b7-00") == TRACE
    assert trace_id_of("00-" + "0" * 32 + "-00f067aa0ba902b7-01") is None
    assert trace_id_of("garbage") is None
    assert trace_id_of(None) is None


def _letter(outgoing: Outgoing) -> DeadLetter:
    return DeadLetter.model_validate_json(outgoing.payload)


def test_a_dead_letter_carries_the_trace_it_was_made_in() -> None:
    meta = MessageMeta(tenant_id="acme", correlation_id=uuid.uuid4())
    error = ErrorDetail(code="order.unbalanced", message="the lines do not add up", fix="check the order")
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("ingest"):
        running = current_trace_id()
        made = dead_letter("ingest", meta, Source("orders.raw", 0, 7), error, "{}")
    assert running is not None
    assert _letter(made).trace_id == running
    given = dead_letter("ingest", meta, Source("orders.raw", 0, 7), error, "{}", trace_id=TRACE)
    assert _letter(given).trace_id == TRACE
    assert _letter(dead_letter("ingest", meta, Source("orders.raw", 0, 7), error, "{}")).trace_id is None


def test_spans_name_the_order_a_message_is_about(shopify_paid: dict[str, Any]) -> None:
    from ledgerflow.contracts import Channel
    from ledgerflow.ingest.normalizers import normalize

    order = normalize(Channel.SHOPIFY, shopify_paid)
    message = OrderNormalized(
        meta=MessageMeta(tenant_id="acme", correlation_id=uuid.uuid4()),
        connection_id="shop", order_version=1, content_hash="x", order=order,
    )  # fmt: skip
    attributes = order_attributes(message)
    assert attributes["ledgerflow.order_number"] == order.order_number
    assert attributes["ledgerflow.channel_order_id"] == order.channel_order_id
    assert attributes["ledgerflow.channel"] == "shopify"


def test_every_derived_message_keeps_when_its_order_arrived() -> None:
    arrived = datetime.now(UTC) - timedelta(seconds=30)
    raw = MessageMeta(tenant_id="acme", correlation_id=uuid.uuid4(),
                      occurred_at=arrived)  # fmt: skip
    planned = raw.derive("ingest").derive("planner").derive("numbering")
    assert planned.origin_at == arrived
    assert planned.occurred_at > arrived


def test_the_reconcile_report_links_each_dead_letter_to_its_trace() -> None:
    result = Reconciliation(tenant="acme", dead_letters=1)
    result.dead_letter_traces.append(("ledger-writer", "qbo.6240", TRACE))
    out = io.StringIO()
    print_report(result, Console(file=out, width=200), trace_ui="http://127.0.0.1:16686")
    assert f"http://127.0.0.1:16686/trace/{TRACE}" in out.getvalue()
    quiet = io.StringIO()
    print_report(result, Console(file=quiet, width=200))
    assert "/trace/" not in quiet.getvalue()
