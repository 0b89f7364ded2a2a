"""Prometheus metrics of one service process, in a registry of its own (several services may share a process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.handled = Counter("ledgerflow_messages_handled", "Messages handled, by stage and outcome.",
                               ["stage", "outcome"], registry=r)  # fmt: skip
        self.handler_seconds = Histogram(
            "ledgerflow_handler_seconds", "Time to handle one message, database transaction included.", ["stage"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5), registry=r,
        )  # fmt: skip
        self.batch_records = Histogram(
            "ledgerflow_batch_records", "Records read and handled together, per batch (larger under load).", ["stage"],
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000), registry=r,
        )  # fmt: skip
        self.stalled = Gauge("ledgerflow_stage_stalled", "1 while a stage's batches keep failing (an outage): see its "
                             "readiness and log for the reason.", ["stage"], registry=r)  # fmt: skip
        self.dead_letters = Counter("ledgerflow_dead_letters", "Messages sent to a dead-letter topic.",
                                    ["stage", "tenant", "code"], registry=r)  # fmt: skip
        self.consumer_lag = Gauge("ledgerflow_consumer_lag", "Messages not yet consumed, per partition.",
                                  ["group", "topic", "partition"], registry=r)  # fmt: skip
        self.qbo_requests = Counter("ledgerflow_qbo_requests", "Calls to the accounting API.",
                                    ["tenant", "entity", "status"], registry=r)  # fmt: skip
        self.qbo_errors = Counter("ledgerflow_qbo_errors", "Faults from the accounting API, by code.",
                                  ["tenant", "code"], registry=r)  # fmt: skip
        self.rate_limit_wait = Counter("ledgerflow_rate_limit_wait_seconds", "Time spent waiting for a tenant's rate.",
                                       ["tenant"], registry=r)  # fmt: skip
        self.documents_posted = Counter("ledgerflow_documents_posted", "Documents posted to the books.",
                                        ["tenant", "type"], registry=r)  # fmt: skip
        self.order_to_books = Histogram(
            "ledgerflow_order_to_books_seconds",
            "From an order's arrival in ledgerflow to its documents in the books (queues and retries included).",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600, 21600), registry=r,
        )  # fmt: skip
