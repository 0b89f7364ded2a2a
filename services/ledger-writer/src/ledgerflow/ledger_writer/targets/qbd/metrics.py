"""What the Web Connector endpoint tells Prometheus: sessions by how they began and ended, requests answered."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REFUSED_USER = "(unknown)"  # a refused user name is not a tenant: never a label of its own


class DesktopMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.sessions = Counter(
            "ledgerflow_qbd_sessions", "Web Connector logins, by tenant and answer (started, none, busy, nvu).",
            ["tenant", "answer"], registry=registry,
        )  # fmt: skip
        self.session_errors = Counter(
            "ledgerflow_qbd_session_errors", "Web Connector sessions ended by an error, by tenant and reason.",
            ["tenant", "reason"], registry=registry,
        )  # fmt: skip
        self.answered = Counter(
            "ledgerflow_qbd_requests_answered", "qbXML requests QuickBooks Desktop answered.", ["tenant"],
            registry=registry,
        )  # fmt: skip
        self.message_set = Histogram(
            "ledgerflow_qbd_message_set_requests", "Requests in one qbXML message set sent to a company file.",
            buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000), registry=registry,
        )  # fmt: skip
