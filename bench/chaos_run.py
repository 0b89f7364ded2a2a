"""Chaos: nothing lost, nothing posted twice, while everything that can fail does.

    make chaos            (or: .venv/bin/python bench/chaos_run.py --orders 5000)

1. One Kafka node: N orders for 20 tenants published over a few minutes while each service is SIGKILLed
   and restarted at random moments (twice each), the broker and PostgreSQL crash and come back (twice
   each), and the QuickBooks simulator answers with 5xx, timeouts and commit-then-drop throughout, with
   two 429 storms.
2. Three Kafka nodes: a fifth as many orders while one broker of the three crashes and comes back, and
   the writer is killed once, faults on.

Then every tenant is reconciled. Prints one JSON line per cluster and, last, the total:
{"orders", "expected_documents", "posted", "duplicates", "missing", "wrong_amounts", "dead_letters",
"dead_letters_without_reason"}; writes bench/results/chaos.json and exits non-zero unless duplicates, missing,
documents of a wrong amount and dead letters without a reason are all 0. Everything runs on loopback and stops
by itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from ledgerflow.cli.chaos import ChaosPlan, ChaosResult, run_chaos

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".ledgerflow" / "cache"
RESULTS = Path(__file__).parent / "results" / "chaos.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--publish-seconds", type=float, default=150.0, help="how long the orders take to go out")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    single = ChaosPlan(
        orders=args.orders,
        tenants=20,
        kafka_nodes=1,
        publish_seconds=args.publish_seconds,
        kills_per_service=2,
        broker_restarts=2,
        postgres_restarts=2,
        storms=2,
        seed=args.seed,
        desktop_tenants=1,
    )
    cluster = ChaosPlan(orders=max(50, args.orders // 5), tenants=10, kafka_nodes=3, partitions=3,
                        publish_seconds=max(20.0, args.publish_seconds / 4), killed=("ledger-writer",),
                        broker_restarts=1, postgres_restarts=0, storms=0, seed=args.seed + 1)  # fmt: skip
    total = ChaosResult()
    phases = {}
    for name, plan in (("one-node", single), ("three-nodes", cluster)):
        result = run_chaos(ROOT / ".ledgerflow" / f"chaos-stack-{name}", CACHE, plan)
        print(f"{name}: {result.line()}  ({result.seconds:.0f}s)")
        for problem in result.problems[:20]:
            print(f"  {problem}")
        phases[name] = asdict(result)
        total.add(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"total": asdict(total), **phases}, indent=2) + "\n")
    print(total.line())
    sys.exit(0 if total.ok else 1)


if __name__ == "__main__":
    main()
