"""Rules for one order in the planner: which version of the tenant's rules applies, the run, and its record.

Rules apply to orders not yet posted. An order whose documents were planned keeps the rule set it was first
planned under, so a later version (a payment, a shipment) is planned as its first one was and a rule change
never alters what is already in the books. An order with nothing planned, all of it failed, or forgotten by a
delete-and-resync takes the current rules: that is how a rule fixes an order that failed, and how a changed
rule reaches an order already posted ("delete the sale and resync").
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from ledgerflow.contracts import OrderNormalized
from ledgerflow.planner.context import RuleVersions
from ledgerflow.planner.rules import store
from ledgerflow.planner.rules.evaluate import Outcome, evaluate
from ledgerflow.planner.state import KnownDocument, OrderRef
from ledgerflow.runtime.database import DbConnection

log = structlog.get_logger(__name__)


async def run_rules(
    conn: DbConnection,
    ref: OrderRef,
    message: OrderNormalized,
    known: Mapping[str, KnownDocument],
    versions: RuleVersions | None = None,
) -> Outcome:
    """``versions``: the tenant's current and the order's pinned rule set, when the caller read them already."""
    order = message.order
    planned = any(doc.status != "failed" for doc in known.values())
    if planned:
        version = versions.pinned if versions else await store.pinned_version(conn, ref)
    else:
        version = versions.current if versions else await store.current_version(conn, ref.tenant_id)
        if version and (versions is None or versions.pinned != version):
            await store.pin(conn, ref, version)
    if not version:
        return Outcome(order, order)
    rules = await store.compiled(conn, ref.tenant_id, version)
    # "Do not import" is for orders not yet in the books: one whose documents were planned moves on (L1).
    outcome = evaluate(rules, order, ref.connection_id, may_skip=not planned)
    if outcome.fired:
        await store.record_run(conn, ref, message.order_version, outcome)
        log.info(
            "order.rules_fired",
            order=order.order_number,
            rules=[rule.name for rule in outcome.fired],
            skipped=outcome.skipped,
            rule_set_version=version,
        )
    return outcome
