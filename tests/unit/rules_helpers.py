"""Rules from YAML text, run on the sample orders: shared by the rules tests."""

from __future__ import annotations

from typing import Any

import yaml

from ledgerflow.cli.samples import sample_named
from ledgerflow.contracts import CanonicalOrder, Channel, TransactionMode
from ledgerflow.ingest.normalizers import normalize
from ledgerflow.planner.modes import Plan, plan
from ledgerflow.planner.rules import Outcome, RuleSet, compile_rules, evaluate, load_rule_set
from ledgerflow.planner.settings import PlanOptions

TENANT = "acme"
PAID = "acme-1001-paid-tax-shipping-discount"  # TENT-2P and 2 STOVE-MINI, Ground shipping 12.00, 340.11 paid


def sample(name: str = PAID, **changes: Any) -> CanonicalOrder:
    found = sample_named(name)
    assert found is not None
    order = normalize(Channel(found.channel), found.payload())
    return order.model_copy(update=changes) if changes else order


def rule_set(text: str) -> RuleSet:
    loaded, problems = load_rule_set(TENANT, yaml.safe_load(text))
    assert loaded is not None and not problems, problems
    return loaded


def problems(text: str) -> list[str]:
    loaded, found = load_rule_set(TENANT, yaml.safe_load(text))
    assert loaded is None and found
    return found


def run(text: str, order: CanonicalOrder | None = None, connection: str = "shop") -> Outcome:
    return evaluate(compile_rules(rule_set(text), 1), order or sample(), connection)


def fired(text: str, order: CanonicalOrder | None = None, connection: str = "shop") -> list[str]:
    return [rule.name for rule in run(text, order, connection).fired]


def planned(outcome: Outcome, mode: TransactionMode = TransactionMode.INVOICES_WITH_PAYMENTS) -> Plan:
    options = PlanOptions(items=outcome.effects.items(PlanOptions().items))
    return outcome.on_plan(plan(outcome.order, mode, key_prefix="acme/shop/shopify/1", options=options))
