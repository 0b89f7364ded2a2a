"""A short chaos run on a stack of its own: every service killed once, the broker and PostgreSQL crashed and
restarted, the books unreliable and throttled (a QuickBooks Desktop company file among them, its Web Connector
losing answers); every expected document ends in the books exactly once.

`make chaos` runs the long version (5,000 orders, and a three-node cluster losing a broker).
"""

from __future__ import annotations

import uuid

from ledgerflow.cli.chaos import ChaosPlan, run_chaos
from tests.integration.conftest import BASE, CACHE


def test_nothing_lost_and_nothing_posted_twice_while_everything_fails() -> None:
    plan = ChaosPlan(orders=200, tenants=4, publish_seconds=20, kills_per_service=1, broker_restarts=1,
                     postgres_restarts=1, storms=1, faults=True, outcome_timeout=150, desktop_tenants=1)  # fmt: skip
    home = BASE / f"chaos-{uuid.uuid4().hex[:6]}"

    result = run_chaos(home, CACHE, plan, say=lambda line: None)

    assert len(result.disruptions) == 4 + 1 + 1 + 1, result.disruptions
    assert result.orders_without_outcome == 0
    assert result.expected_documents > plan.orders  # several modes: many orders make two or three documents
    assert (result.duplicates, result.missing, result.wrong_amounts, result.dead_letters_without_reason) == (
        0,
        0,
        0,
        0,
    ), result.problems
    assert result.posted == result.expected_documents, result.problems
    assert result.dead_letters == 0, result.problems  # the samples are all valid in their connection's mode
