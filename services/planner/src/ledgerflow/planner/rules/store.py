"""Rule sets in the planner's tables: one version per change, kept for ever (orders pin the version they were
first planned under), and a record of the rules that fired for each order version (the audit trail)."""

from __future__ import annotations

import json
from collections import OrderedDict

from ledgerflow.planner.rules.compiled import CompiledRules, compile_rules
from ledgerflow.planner.rules.evaluate import Outcome
from ledgerflow.planner.rules.model import RuleSet
from ledgerflow.planner.state import OrderRef
from ledgerflow.runtime.database import DbConnection

DDL = (
    """
    CREATE TABLE IF NOT EXISTS rule_sets (
        tenant_id  text        NOT NULL,
        version    integer     NOT NULL,
        rules      jsonb       NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, version)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS rule_pins (
        tenant_id        text        NOT NULL,
        connection_id    text        NOT NULL,
        channel          text        NOT NULL,
        channel_order_id text        NOT NULL,
        rule_set_version integer     NOT NULL,
        pinned_at        timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, connection_id, channel, channel_order_id)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS rule_runs (
        id               bigserial   PRIMARY KEY,
        tenant_id        text        NOT NULL,
        connection_id    text        NOT NULL,
        channel          text        NOT NULL,
        channel_order_id text        NOT NULL,
        order_version    integer     NOT NULL,
        rule_set_version integer     NOT NULL,
        skipped          boolean     NOT NULL,
        fired            jsonb       NOT NULL,
        ran_at           timestamptz NOT NULL DEFAULT now()
    )
    """,
    "CREATE INDEX IF NOT EXISTS rule_runs_by_order ON rule_runs (tenant_id, connection_id, channel, channel_order_id)",
)

_CACHE_SIZE = 256
_compiled: OrderedDict[tuple[str, int], CompiledRules] = OrderedDict()


async def apply(conn: DbConnection, rule_set: RuleSet) -> int:
    """Store ``rule_set`` as the tenant's next version when it differs from the current one; returns the version."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"rules/{rule_set.tenant}")
    current = await conn.fetchrow(
        "SELECT version, rules::text AS body FROM rule_sets WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1",
        rule_set.tenant,
    )
    if current is not None and RuleSet.model_validate_json(current["body"]) == rule_set:
        return int(current["version"])
    version = 1 if current is None else int(current["version"]) + 1
    await conn.execute(
        "INSERT INTO rule_sets (tenant_id, version, rules) VALUES ($1, $2, $3::jsonb)",
        rule_set.tenant,
        version,
        rule_set.stored_json(),
    )
    return version


async def current_version(conn: DbConnection, tenant: str) -> int:
    version = await conn.fetchval("SELECT max(version) FROM rule_sets WHERE tenant_id = $1", tenant)
    return int(version or 0)


async def compiled(conn: DbConnection, tenant: str, version: int) -> CompiledRules:
    """A version never changes once stored, so each is read and compiled once per process."""
    if version == 0:
        return CompiledRules.none(tenant)
    key = (tenant, version)
    found = _compiled.get(key)
    if found is not None:
        _compiled.move_to_end(key)
        return found
    body = await conn.fetchval("SELECT rules::text FROM rule_sets WHERE tenant_id = $1 AND version = $2", *key)
    rules = compile_rules(RuleSet.model_validate_json(body), version) if body else CompiledRules.none(tenant)
    _compiled[key] = rules
    if len(_compiled) > _CACHE_SIZE:
        _compiled.popitem(last=False)
    return rules


async def pinned_version(conn: DbConnection, ref: OrderRef) -> int:
    version = await conn.fetchval(
        """SELECT rule_set_version FROM rule_pins WHERE tenant_id = $1 AND connection_id = $2 AND channel = $3
           AND channel_order_id = $4""",
        ref.tenant_id,
        ref.connection_id,
        ref.channel,
        ref.channel_order_id,
    )
    return int(version or 0)


async def pin(conn: DbConnection, ref: OrderRef, version: int) -> None:
    await conn.execute(
        """INSERT INTO rule_pins (tenant_id, connection_id, channel, channel_order_id, rule_set_version)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (tenant_id, connection_id, channel, channel_order_id) DO UPDATE
           SET rule_set_version = excluded.rule_set_version, pinned_at = now()
           WHERE rule_pins.rule_set_version <> excluded.rule_set_version""",
        ref.tenant_id,
        ref.connection_id,
        ref.channel,
        ref.channel_order_id,
        version,
    )


async def record_run(conn: DbConnection, ref: OrderRef, order_version: int, outcome: Outcome) -> None:
    fired = [
        {"index": rule.index, "rule": rule.name, "changes": [str(change) for change in rule.changes]}
        for rule in outcome.fired
    ]
    await conn.execute(
        """INSERT INTO rule_runs (tenant_id, connection_id, channel, channel_order_id, order_version,
                                  rule_set_version, skipped, fired)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)""",
        ref.tenant_id,
        ref.connection_id,
        ref.channel,
        ref.channel_order_id,
        order_version,
        outcome.version,
        outcome.skipped,
        json.dumps(fired),
    )
