"""Next-number allocations per second, for one hot tenant and for many, against a baseline in the same run.

    make bench-numbering     (or: .venv/bin/python bench/numbering_bench.py --allocations 4000)

Each allocation is what the numbering service does per document: one transaction holding the inbox
record, the counter-row allocation (with its per-document lock and the books' held numbers) and an
outbox row. The baseline is the same transaction without the allocation, so the ratio is the price of
gap-free numbering. One hot tenant serialises on its counter row; many tenants spread over many rows.
PostgreSQL runs from the local stack's scripts under .ledgerflow/bench.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import asyncpg

from ledgerflow.contracts import (
    Channel,
    DocumentPlan,
    DocumentType,
    MessageMeta,
    NumberingMode,
    NumberingPolicy,
    PlannedDocument,
    TransactionMode,
)
from ledgerflow.devstack.ports import free_port
from ledgerflow.devstack.postgres import PostgresServer
from ledgerflow.numbering.allocation import DDL, number_document
from ledgerflow.runtime.database import migrate

HOME = Path(__file__).resolve().parents[1] / ".ledgerflow" / "bench"
RESULTS = Path(__file__).parent / "results" / "numbering.json"
POLICY = NumberingPolicy(mode=NumberingMode.NEXT_NUMBER)


@dataclass
class Figure:
    name: str
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds


def work(tenants: int, allocations: int) -> list[tuple[str, DocumentPlan, PlannedDocument]]:
    jobs = []
    for n in range(allocations):
        tenant = f"bench-{n % tenants}"
        doc = PlannedDocument(key=f"{tenant}/shop/shopify/{n}/invoice", type=DocumentType.INVOICE, currency="USD",
                              txn_date=date(2026, 11, 24), total=Decimal(1), memo=f"shopify order {n}")  # fmt: skip
        plan = DocumentPlan(meta=MessageMeta(tenant_id=tenant, correlation_id=uuid.uuid4()), connection_id="shop",
                            channel=Channel.SHOPIFY, channel_order_id=str(n), order_number=str(n), order_version=1,
                            mode=TransactionMode.INVOICES, numbering=POLICY, documents=(doc,))  # fmt: skip
        jobs.append((tenant, plan, doc))
    return jobs


async def run(pool: asyncpg.Pool, jobs: list[tuple[str, DocumentPlan, PlannedDocument]], number: bool,
              concurrency: int) -> float:  # fmt: skip
    queue: asyncio.Queue[tuple[str, DocumentPlan, PlannedDocument]] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def worker() -> None:
        while not queue.empty():
            tenant, plan, doc = queue.get_nowait()
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute(
                    "INSERT INTO inbox (consumer, message_id) VALUES ('bench', $1)", plan.meta.message_id
                )
                if number:
                    await number_document(conn, tenant, plan, doc, POLICY)
                await conn.execute(
                    "INSERT INTO outbox (topic, message_key, message_id, correlation_id, payload) "
                    "VALUES ('ledger.commands', $1, $2, $2, $3)",
                    tenant.encode(), plan.meta.message_id, b"{}",
                )  # fmt: skip

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def measure(url: str, allocations: int, concurrency: int) -> list[Figure]:
    figures = []
    await _measured(url, "warm-up", 1, 500, concurrency, number=True)
    for tenants in (1, 100):
        for name, number in (("baseline", False), ("numbering", True)):
            label = f"{name}, {tenants} tenant{'s' if tenants > 1 else ''}"
            figures.append(await _measured(url, label, tenants, allocations, concurrency, number=number))
    return figures


async def _measured(url: str, label: str, tenants: int, allocations: int, concurrency: int, *, number: bool) -> Figure:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    pool = await asyncpg.create_pool(url, min_size=concurrency, max_size=concurrency,
                                     server_settings={"search_path": schema})  # fmt: skip
    assert pool is not None
    try:
        await migrate(pool, schema, DDL)
        seconds = await run(pool, work(tenants, allocations), number, concurrency)
        return Figure(label, allocations, seconds)
    finally:
        await pool.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--allocations", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    server = PostgresServer(HOME, free_port())
    server.start()
    try:
        figures = asyncio.run(measure(server.url, args.allocations, args.concurrency))
    finally:
        server.stop()
    for figure in figures:
        print(f"{figure.name:>26}: {figure.per_second:8.0f} transactions/s ({figure.count} in {figure.seconds:.1f}s)")
    ratios = {}
    for tenants in ("1 tenant", "100 tenants"):
        base = next(f for f in figures if f.name == f"baseline, {tenants}")
        numbered = next(f for f in figures if f.name == f"numbering, {tenants}")
        ratios[tenants] = round(numbered.per_second / base.per_second, 3)
        print(f"{'ratio, ' + tenants:>26}: {ratios[tenants]:.2f} of the baseline")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "allocations": args.allocations, "concurrency": args.concurrency,
        "per_second": {f.name: round(f.per_second, 1) for f in figures}, "ratio": ratios,
    }, indent=2) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
