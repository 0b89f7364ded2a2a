"""The company queues on /metrics: depth and age per company, rate used against the limit, throttles, pauses.

Depth, age and pauses are read from the database by every writer of a pool (the same figures from each:
dashboards take the ``max``). Rate and throttles come from the writer that drains the company, which alone
calls it; a company it gives up loses those series here and gains them at its next owner.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ledgerflow.ledger_writer.books import Company, RateState
from ledgerflow.ledger_writer.queue.store import CompanyQueue

log = structlog.get_logger(__name__)

_COMPANY = ["pool", "tenant", "company"]


class QueueMetrics:
    def __init__(self, registry: CollectorRegistry, writer_pool: str, warn_depth: int) -> None:
        self._pool = writer_pool
        self._warn_depth = warn_depth
        r = registry
        self.depth = Gauge("ledgerflow_writer_queue_depth", "Commands queued for a company, not yet done.",
                           _COMPANY, registry=r)  # fmt: skip
        self.oldest = Gauge("ledgerflow_writer_queue_oldest_seconds", "Age of a company's oldest queued command.",
                            _COMPANY, registry=r)  # fmt: skip
        self.retrying = Gauge("ledgerflow_writer_queue_retrying", "A company's queued commands waiting to be "
                              "tried again.", _COMPANY, registry=r)  # fmt: skip
        self.paused = Gauge("ledgerflow_writer_queue_paused", "1 while a company is paused (its books refuse "
                            "every call, or an operator paused it).", _COMPANY, registry=r)  # fmt: skip
        self.over_limit = Gauge("ledgerflow_writer_queue_over_limit", "1 while a company has more commands queued "
                                "than LEDGERFLOW_WRITER_QUEUE_WARN_DEPTH (they are kept).", _COMPANY,
                                registry=r)  # fmt: skip
        self.requests = Gauge("ledgerflow_writer_company_requests_last_minute", "Calls to a company's books in the "
                              "last minute, by the writer draining it.", _COMPANY, registry=r)  # fmt: skip
        self.limit = Gauge("ledgerflow_writer_company_requests_limit", "Calls a minute a company's books allow.",
                           _COMPANY, registry=r)  # fmt: skip
        self.throttled = Counter("ledgerflow_writer_company_throttled", "Times a company's books throttled it "
                                 "(HTTP 429).", _COMPANY, registry=r)  # fmt: skip
        self.wait = Histogram(
            "ledgerflow_writer_queue_wait_seconds", "Time a command waited in its company's queue.", ["pool"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600), registry=r,
        )  # fmt: skip
        self.retries = Counter("ledgerflow_writer_queue_retries", "Commands put back to be tried again later.",
                               ["pool", "tenant"], registry=r)  # fmt: skip
        self.leased = Gauge("ledgerflow_writer_companies_leased", "Companies this writer drains now.", ["pool"],
                            registry=r)  # fmt: skip
        self.takeovers = Counter("ledgerflow_writer_lease_takeovers", "Companies taken over from a writer whose "
                                 "lease ran out (it stopped or stalled).", ["pool"], registry=r)  # fmt: skip
        self._reported: set[tuple[str, str, str]] = set()
        self._over: set[str] = set()
        self._rated: set[tuple[str, str, str]] = set()

    def _labels(self, company: Company) -> tuple[str, str, str]:
        return (self._pool, company.tenant_id, company.company_id)

    def observe_wait(self, company: Company, seconds: float) -> None:
        self.wait.labels(self._pool).observe(max(0.0, seconds))

    def retried(self, company: Company) -> None:
        self.retries.labels(self._pool, company.tenant_id).inc()

    def rate(self, company: Company, state: RateState, throttled: int) -> None:
        labels = self._labels(company)
        self._rated.add(labels)
        self.requests.labels(*labels).set(state.used_last_minute)
        self.limit.labels(*labels).set(state.limit_per_minute)
        if throttled > 0:
            self.throttled.labels(*labels).inc(throttled)

    def released(self, company: Company) -> None:
        labels = self._labels(company)
        if labels in self._rated:
            self._rated.discard(labels)
            self.requests.remove(*labels)
            self.limit.remove(*labels)

    def queues(self, queues: Sequence[CompanyQueue]) -> None:
        """The pool's queues as just read; companies no longer listed (empty, not paused) leave the gauges."""
        seen = set()
        for queue in queues:
            labels = (self._pool, queue.tenant_id, queue.company_id)
            seen.add(labels)
            self.depth.labels(*labels).set(queue.depth)
            self.oldest.labels(*labels).set(queue.oldest_seconds or 0.0)
            self.retrying.labels(*labels).set(queue.retrying)
            self.paused.labels(*labels).set(1 if queue.paused else 0)
            over = queue.depth > self._warn_depth
            self.over_limit.labels(*labels).set(1 if over else 0)
            if over and queue.company_id not in self._over:
                log.warning("queue.over_limit", tenant=queue.tenant_id, company=queue.company_id,
                            depth=queue.depth, limit=self._warn_depth,
                            hint="the commands are kept; the company's books pace them")  # fmt: skip
            (self._over.add if over else self._over.discard)(queue.company_id)
        for labels in self._reported - seen:
            for gauge in (self.depth, self.oldest, self.retrying, self.paused, self.over_limit):
                gauge.remove(*labels)
        self._reported = seen
