"""Rule evaluation: orders per second on one core with 100 rules per tenant, against planning without rules.

    make bench-rules     (or: .venv/bin/python bench/rules_bench.py --orders 20000 --rules 100)

The orders are the bundled samples of every channel, renumbered and given varied SKUs, tags, totals and
payment methods. The rule set is a realistic mix: SKU remaps (line conditions), prefixes per channel, deposit
accounts by payment method, receivable accounts by currency, classes by tag, patterns on e-mail addresses,
ranges on totals and dates; a few fire on each order, most do not. Three figures, measured in this run on one
core: the rules alone, planning alone (the baseline: normalized order -> documents, as the planner does it),
and rules then planning. A 5,000-rule set (Connex Commerce's limit) is measured too.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledgerflow.cli.samples import sample_orders
from ledgerflow.contracts import CanonicalOrder, Channel, TransactionMode
from ledgerflow.ingest.normalizers import normalize
from ledgerflow.planner.modes import plan
from ledgerflow.planner.rules import CompiledRules, compile_rules, evaluate, load_rule_set
from ledgerflow.planner.settings import PlanOptions

RESULTS = Path(__file__).parent / "results" / "rules.json"
TENANT = "bench"
CHANNELS = [c.value for c in Channel]


@dataclass
class Figure:
    name: str
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds


def rule_entries(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` rules of the kinds merchants write, most of them about SKUs (Connex's commonest rule)."""
    chance = random.Random(seed)  # noqa: S311  (a repeatable benchmark, not a secret)
    makers: list[Callable[[int], dict[str, Any]]] = [
        lambda i: {"when": {"field": "line.sku", "op": "eq", "value": f"SKU-{i}"},
                   "then": [{"action": "remap_sku", "from": f"SKU-{i}", "to": f"ITEM-{i}"}]},
        lambda i: {"when": {"all": [{"field": "order.channel", "op": "eq", "value": CHANNELS[i % len(CHANNELS)]},
                                    {"field": "order.channel_total", "op": "ge", "value": str(10 * (i % 50))}]},
                   "then": [{"action": "order_number_prefix", "prefix": f"C{i % 90}-"}]},
        lambda i: {"when": {"field": "order.payment_methods", "op": "in", "value": [f"gateway-{i}", "stripe"]},
                   "then": [{"action": "deposit_account", "account": f"Clearing {i}"}]},
        lambda i: {"when": {"field": "order.currency", "op": "eq", "value": ["EUR", "GBP", "JPY", "CAD"][i % 4]},
                   "then": [{"action": "receivable_account", "account": f"A/R {i}"}]},
        lambda i: {"when": {"any": [{"field": "order.tags", "op": "eq", "value": f"tag-{i}"},
                                    {"field": "order.discount_codes", "op": "starts_with", "value": f"PROMO{i}"}]},
                   "then": [{"action": "set_class", "name": f"Class {i}"}]},
        lambda i: {"when": {"field": "order.customer.email", "op": "matches", "value": f"@(shop|store){i}\\.example$"},
                   "then": [{"action": "single_customer", "name": f"Wholesale {i}"}]},
        lambda i: {"when": {"all": [{"field": "line.unit_price", "op": "between", "value": [str(i), str(i + 20)]},
                                    {"field": "line.sku", "op": "starts_with", "value": f"S{i % 10}"}]},
                   "then": [{"action": "set_line_class", "name": f"Band {i}"}]},
        lambda i: {"when": {"field": "order.ordered_on", "op": "lt", "value": f"20{10 + i % 15}-01-01"},
                   "then": [{"action": "set_tax_code", "lines": "shipping", "code": "NON"}]},
    ]  # fmt: skip
    weights = [40, 10, 10, 10, 10, 6, 10, 4]
    return [{"name": f"rule {i}", **chance.choices(makers, weights)[0](i)} for i in range(count)]


def rule_set(count: int) -> CompiledRules:
    loaded, problems = load_rule_set(TENANT, rule_entries(count))
    if loaded is None:
        raise SystemExit("the benchmark's rules do not load:\n" + "\n".join(problems[:10]))
    return compile_rules(loaded, 1)


def orders(count: int, rules: int, seed: int = 11) -> list[CanonicalOrder]:
    chance = random.Random(seed)  # noqa: S311
    samples = [normalize(Channel(s.channel), s.payload()) for s in sample_orders()]
    made = []
    for n in range(count):
        order = samples[n % len(samples)]
        lines = tuple(
            line.model_copy(update={"sku": f"SKU-{chance.randrange(rules * 4)}" if chance.random() < 0.5 else line.sku})
            for line in order.lines
        )
        tags = tuple(f"tag-{chance.randrange(rules * 2)}" for _ in range(chance.randrange(3)))
        made.append(order.model_copy(update={"order_number": str(100000 + n), "lines": lines, "tags": tags}))
    return made


Work = tuple[str, Callable[[CanonicalOrder], object], list[CanonicalOrder]]


def measure(works: list[Work], rounds: int) -> list[Figure]:
    """The best of ``rounds`` passes of each, taken in turn: the least disturbed by whatever else runs."""
    best = {name: float("inf") for name, _, _ in works}
    for _ in range(rounds):
        for name, work, batch in works:
            started = time.perf_counter()
            for order in batch:
                work(order)
            best[name] = min(best[name], time.perf_counter() - started)
    return [Figure(name, len(batch), best[name]) for name, _, batch in works]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--rules", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core: the figure is per core
    rules, connex_limit = rule_set(args.rules), rule_set(5000)
    batch = orders(args.orders, args.rules)
    # The planner holds one order at a time; the collector should not walk this batch of 20,000 on every pass.
    gc.collect()
    gc.freeze()
    options = PlanOptions()
    mode = TransactionMode.INVOICES_WITH_PAYMENTS

    def plan_only(order: CanonicalOrder) -> object:
        return plan(order, mode, key_prefix="bench/shop/x/1", options=options)

    def rules_only(order: CanonicalOrder) -> object:
        return evaluate(rules, order, "shop")

    def rules_then_plan(order: CanonicalOrder) -> object:
        """As the planner does it: the rules, this order's items, the plan, the plan's documents as ruled."""
        outcome = evaluate(rules, order, "shop")
        items = outcome.effects.items(options.items)
        planned_options = options if items is options.items else options.model_copy(update={"items": items})
        return outcome.on_plan(plan(outcome.order, mode, key_prefix="bench/shop/x/1", options=planned_options))

    measure([("warm-up", rules_then_plan, batch[:500])], 1)
    figures = measure(
        [
            (f"rules only ({args.rules} rules)", rules_only, batch),
            ("planning only (baseline)", plan_only, batch),
            (f"rules + planning ({args.rules} rules)", rules_then_plan, batch),
            ("rules only (5,000 rules)", lambda o: evaluate(connex_limit, o, "shop"), batch[:2000]),
        ],
        args.rounds,
    )
    fired = sum(len(evaluate(rules, order, "shop").fired) for order in batch) / len(batch)
    rules_rate, base, both = (f.per_second for f in figures[:3])
    overhead = base / both - 1
    for figure in figures:
        print(f"{figure.name:>34}: {figure.per_second:9.0f} orders/s per core "
              f"({figure.count} in {figure.seconds:.2f}s)")  # fmt: skip
    print(f"{'rules fired per order':>34}: {fired:9.2f}")
    print(f"{'cost of the rules':>34}: {1e6 / rules_rate:9.1f} µs per order, planning takes {overhead:.0%} longer")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "orders": args.orders, "rules_per_tenant": args.rules, "rounds": args.rounds, "cores": 1,
        "orders_per_second_per_core": {f.name: round(f.per_second) for f in figures},
        "rules_fired_per_order": round(fired, 2), "microseconds_per_order_for_rules": round(1e6 / rules_rate, 1),
        "planning_slowdown": round(overhead, 3),
        "python": sys.version.split()[0], "machine": platform.machine(), "processor": platform.processor(),
    }, indent=2) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
