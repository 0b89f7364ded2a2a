"""Everything planning an order reads, in one round trip: its documents so far, its connection's settings and the
versions of the tenant's rules. Each of these tables keeps its own module; this is only their common read, since
four statements per order cost four round trips where one does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from ledgerflow.contracts import DocumentAction, DocumentType
from ledgerflow.planner.state import KnownDocument, OrderRef
from ledgerflow.runtime.database import DbConnection


@dataclass(frozen=True)
class RuleVersions:
    current: int  # the tenant's latest rule set (0: none)
    pinned: int  # the one the order was first planned under (0: none)


@dataclass(frozen=True)
class PlanningContext:
    known: dict[str, KnownDocument]
    settings: str | None  # the connection's stored settings, as stored (None: not configured)
    rules: RuleVersions


PLANNING_CONTEXT = """
    SELECT
        (SELECT coalesce(json_agg(json_build_object(
                    'key', document_key, 'type', type, 'action', action, 'status', status, 'total', total::text,
                    'fingerprint', fingerprint, 'links', links, 'target', target, 'external_id', external_id)), '[]')
         FROM order_documents
         WHERE tenant_id = $1 AND connection_id = $2 AND channel = $3 AND channel_order_id = $4)::text AS documents,
        (SELECT settings::text FROM connection_settings WHERE tenant_id = $1 AND connection_id = $2
         ORDER BY version DESC LIMIT 1) AS settings,
        (SELECT coalesce(max(version), 0) FROM rule_sets WHERE tenant_id = $1) AS current_rules,
        (SELECT coalesce(max(rule_set_version), 0) FROM rule_pins
         WHERE tenant_id = $1 AND connection_id = $2 AND channel = $3 AND channel_order_id = $4) AS pinned_rules"""


async def planning_context(conn: DbConnection, ref: OrderRef) -> PlanningContext:
    row = await conn.fetchrow(PLANNING_CONTEXT, ref.tenant_id, ref.connection_id, ref.channel, ref.channel_order_id)
    assert row is not None  # a SELECT without FROM always answers one row
    known = {
        doc["key"]: KnownDocument(
            key=doc["key"],
            type=DocumentType(doc["type"]),
            action=DocumentAction(doc["action"]),
            status=doc["status"],
            total=Decimal(doc["total"]),
            fingerprint=doc["fingerprint"],
            links=tuple(doc["links"]),
            target=doc["target"],
            external_id=doc["external_id"],
        )
        for doc in json.loads(row["documents"])
    }
    return PlanningContext(known, row["settings"], RuleVersions(row["current_rules"], row["pinned_rules"]))
