"""A changed settings or rules file tried on a tenant's recent orders before it is applied: which orders would now
post as something else. Planned as the planner plans (its rules, its modes), without storing anything."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ledgerflow.cli.preview import BOOKS_DOCUMENTS
from ledgerflow.contracts import OrderNormalized
from ledgerflow.planner import connections
from ledgerflow.planner.connections import ConnectionSettings, SettingsFile
from ledgerflow.planner.modes import plan
from ledgerflow.planner.rules import store as rule_store
from ledgerflow.planner.rules.compiled import CompiledRules, compile_rules
from ledgerflow.planner.rules.evaluate import evaluate
from ledgerflow.planner.settings import PlannerSettings
from ledgerflow.runtime.database import DbConnection
from ledgerflow.runtime.errors import StageError

RECENT_ORDERS = 200


@dataclass(frozen=True)
class Change:
    connection: str
    order_number: str
    before: str
    after: str


@dataclass
class DryRun:
    tenant: str
    orders: int = 0
    changes: list[Change] = field(default_factory=list)
    connections: list[str] = field(default_factory=list)
    rules: int | None = None  # rules in the new rule set, when the file has one for the tenant


class ForeignSettings(ValueError):
    """The file names another tenant: a tenant's page changes that tenant only."""


def parse(text: str) -> SettingsFile:
    """Validated as ``ledgerflow config apply`` validates a file (``ConfigError`` lists every problem)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "settings.yaml"
        path.write_text(text)
        return connections.load_settings(path)


def check_tenant(settings: SettingsFile, tenant: str) -> None:
    others = {c.tenant for c in settings.connections} | {r.tenant for r in settings.rule_sets}
    if others - {tenant}:
        raise ForeignSettings(f"the file names other tenants ({', '.join(sorted(others - {tenant}))}); "
                              f"this page changes {tenant} only")  # fmt: skip


def outcome(message: OrderNormalized, connection: ConnectionSettings, rules: CompiledRules | None) -> str:
    """What the order would become: its documents, or why it would post nothing."""
    order = message.order
    ruled = None
    if rules is not None:
        ruled = evaluate(rules, order, connection.connection)
        if ruled.skipped:
            return f"left out by a rule ({ruled.effects.skip})"
        order = ruled.order
        connection = connection.model_copy(update=ruled.effects.settings_update(connection))
    state = connection.payment_state(order)
    if not connection.syncs(state):
        return f"not synced ({state.value})"
    mode = connection.mode_for(state)
    try:
        planned = plan(order, mode, key_prefix="dry-run", options=connection.options())
        if ruled is not None:
            planned = ruled.on_plan(planned)
    except StageError as refused:
        return f"refused: {refused.detail.message}"
    names = BOOKS_DOCUMENTS[connection.target]
    documents = ", ".join(f"{names.get(d.type, d.type.value)} {d.total} {order.currency}" for d in planned.documents)
    return f"{mode.value}: {documents}" if documents else f"{mode.value}: no document"


async def dry_run(conn: DbConnection, tenant: str, changed: SettingsFile) -> DryRun:
    """``conn`` reads the planner's tables (its schema on the search path), in a read-only transaction."""
    result = DryRun(tenant, connections=[c.connection for c in changed.connections])
    new_settings = {c.connection: c for c in changed.connections}
    new_rules = next((r for r in changed.rule_sets if r.tenant == tenant), None)
    version = await rule_store.current_version(conn, tenant)
    current_rules = await rule_store.compiled(conn, tenant, version) if version else None
    rules_after = compile_rules(new_rules, version + 1) if new_rules is not None else current_rules
    if new_rules is not None:
        result.rules = len(new_rules.rules)
    recent = await conn.fetch(
        """SELECT connection_id, latest::text AS latest FROM orders WHERE tenant_id = $1
           ORDER BY ordered_on DESC, updated_at DESC LIMIT $2""",
        tenant,
        RECENT_ORDERS,
    )
    defaults = PlannerSettings()
    for row in recent:
        message = OrderNormalized.model_validate_json(row["latest"])
        current = await connections.current(conn, tenant, row["connection_id"]) or ConnectionSettings.defaults(
            tenant, row["connection_id"], message.order.channel, defaults
        )
        after_settings = new_settings.get(row["connection_id"], current)
        if after_settings is current and new_rules is None:
            continue  # nothing in the file touches this order
        result.orders += 1
        before = outcome(message, current, current_rules)
        after = outcome(message, after_settings, rules_after)
        if before != after:
            result.changes.append(Change(row["connection_id"], message.order.order_number, before, after))
    return result
