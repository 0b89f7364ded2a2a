"""The ledger-writer's speed: documents per second through its posting path, and each company's share of its rate.

    make bench-writer      (or: .venv/bin/python bench/writer_bench.py --tenants 50 --orders 20 --seconds 60)

Documents per second: the writer's ``DocumentWriter`` on a real PostgreSQL and the real ``QuickBooksClient``
posts orders (an invoice and the payment applied to it) to the simulator with its limits off, one lane per tenant
(a tenant's orders in order, the tenants side by side). The baseline in the same run sends the same two creates
per order with the same client and no intents, no database: the ratio is the price of exactly-once bookkeeping.
Each tenant's customer and item are created before the clock starts, so both sides make the same HTTP calls.
The client's own per-company limiter is opened wide here too: this part measures the posting path, not the limits.

Rate share: the simulator with QuickBooks Online's limits (500 requests a minute and 10 in flight per company,
over a sliding minute) and 100 tenants, each with several lanes of orders, far more than its limit lets through.
After the warm-up, each company's requests are counted: the share of its allowed rate it actually used (target
90% or more) and the HTTP 429s it met (target none). The limit's window is a real minute, so the measured part
covers the moment the first full minute slides past, where a client that bursts over its rate first meets a 429.
The orders go through the writer's QuickBooks client and its per-company limiter (``--share-path client``): 100
busy companies make about 800 calls a second, more than one process posts through the whole path on two cores,
and the limiter, not the process, is what this part measures. ``--share-path writer`` posts through the whole
path; give it fewer ``--share-tenants``.

The simulator runs in its own process (a core of its own on a 2-core machine); PostgreSQL runs from the local
stack's scripts under .ledgerflow/bench.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from httpx_aiohttp import AiohttpTransport

from ledgerflow.contracts import (
    Channel,
    DocumentType,
    LedgerCommand,
    LedgerStatus,
    LineKind,
    MessageMeta,
    NumberedDocument,
    PlannedDocument,
    PlannedLine,
    TransactionMode,
)
from ledgerflow.devstack.ports import free_port, wait_until_listening
from ledgerflow.devstack.postgres import PostgresServer
from ledgerflow.ledger_writer.books import Company
from ledgerflow.ledger_writer.posting.documents import DocumentWriter
from ledgerflow.ledger_writer.posting.intents import DDL as INTENTS_DDL
from ledgerflow.ledger_writer.posting.numbering import DDL as BOOKS_NUMBERING_DDL
from ledgerflow.ledger_writer.reference_cache import DDL as REFERENCES_DDL
from ledgerflow.ledger_writer.targets.qbo import mapping
from ledgerflow.ledger_writer.targets.qbo.books import QboBooks
from ledgerflow.ledger_writer.targets.qbo.client import QboError, QuickBooksClient
from ledgerflow.ledger_writer.targets.qbo.rate_limit import CompanyLimiter
from ledgerflow.runtime.database import migrate
from ledgerflow.runtime.metrics import Metrics

HOME = Path(__file__).resolve().parents[1] / ".ledgerflow" / "bench"
RESULTS = Path(__file__).parent / "results" / "writer.json"
TOKEN = "bench-token"
WRITER_DDL = (*INTENTS_DDL, *REFERENCES_DDL, *BOOKS_NUMBERING_DDL)
CUSTOMER = "Bench Customer"
ITEM = "Widget"
QBO_REQUESTS_PER_MINUTE = 500
QBO_IN_FLIGHT = 10
SHARE_TARGET = 0.90


# ---- orders ---------------------------------------------------------------------------------------------------


def order_command(tenant: str, n: int) -> LedgerCommand:
    """A paid order: an invoice numbered like the order, and a payment applied to it."""
    number = str(1001 + n)
    key = f"{tenant}/shop/shopify/{number}"
    line = PlannedLine(kind=LineKind.ITEM, item_name=ITEM, quantity=Decimal(2), unit_price=Decimal(20),
                       amount=Decimal(40))  # fmt: skip
    invoice = planned(f"{key}/invoice", DocumentType.INVOICE, number, lines=(line,))
    payment = planned(f"{key}/payment", DocumentType.PAYMENT, number, applies_to=(invoice.key,))
    return LedgerCommand(
        meta=MessageMeta(tenant_id=tenant, correlation_id=uuid.uuid4()),
        connection_id="shop",
        channel=Channel.SHOPIFY,
        channel_order_id=number,
        order_number=number,
        order_version=1,
        mode=TransactionMode.INVOICES_WITH_PAYMENTS,
        documents=(
            NumberedDocument(document=invoice, doc_number=number, number_space="invoice"),
            NumberedDocument(document=payment, number_space="payment"),
        ),
    )


def planned(key: str, doc_type: DocumentType, number: str, **parts: Any) -> PlannedDocument:
    return PlannedDocument(key=key, type=doc_type, currency="USD", txn_date=date(2026, 11, 24),
                           customer_name=CUSTOMER, total=Decimal(40), memo=f"shopify order {number}",
                           **parts)  # fmt: skip


def commands(tenant: str, first: int, step: int) -> Iterator[LedgerCommand]:
    """Orders ``first``, ``first + step``, ... of one tenant, made as they are needed."""
    n = first
    while True:
        yield order_command(tenant, n)
        n += step


# ---- the two ways of posting an order -------------------------------------------------------------------------


class OrderFailed(Exception):
    pass


async def post_with_writer(pool: asyncpg.Pool, client: QuickBooksClient, command: LedgerCommand) -> int:
    """What the writer's handler does with one command; the number of documents posted."""
    tenant = command.meta.tenant_id
    books = QboBooks(pool, client, Company(tenant, tenant), command.matching, str(command.meta.message_id))
    outcomes = await DocumentWriter(pool, books, tenant, command).post_all()
    failed = [o for o in outcomes if o.status is not LedgerStatus.POSTED]
    if failed:
        raise OrderFailed(f"{tenant}: {failed[0].error}")
    return len(outcomes)


@dataclass(frozen=True)
class BareCompany:
    realm: str
    customer: str
    item: str


async def open_bare_company(client: QuickBooksClient, realm: str) -> BareCompany:
    customer = await client.create(realm, "Customer", {"DisplayName": CUSTOMER}, f"{realm}-customer")
    (income,) = await client.query(realm, "Account", "Name = 'Sales of Product Income'")
    body = {"Name": ITEM, "Type": "NonInventory", "IncomeAccountRef": {"value": income["Id"]}}
    item = await client.create(realm, "Item", body, f"{realm}-item")
    return BareCompany(realm, str(customer["Id"]), str(item["Id"]))


async def post_bare(client: QuickBooksClient, company: BareCompany, command: LedgerCommand) -> int:
    """The same two creates with the same bodies, without intents or references: no database at all."""
    invoice, payment = command.documents
    invoice_body = mapping.sales_form(invoice, company.customer, {ITEM: company.item})
    created = await client.create(company.realm, "Invoice", invoice_body, str(uuid.uuid4()))
    payment_body = mapping.payment(payment, company.customer, [(str(created["Id"]), "Invoice")])
    await client.create(company.realm, "Payment", payment_body, str(uuid.uuid4()))
    return 2


# ---- processes and pools --------------------------------------------------------------------------------------


@contextmanager
def simulator(limits: str, latency_ms: int = 0) -> Iterator[str]:
    port = free_port()
    argv = [sys.executable, "-m", "ledgerflow.qbo_sim", "--port", str(port), "--token", TOKEN, "--limits", limits]
    if latency_ms:
        argv += ["--faults", f"latency={latency_ms}ms"]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_listening(port, 30, "simulator", alive=lambda: process.poll() is None)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


@asynccontextmanager
async def writer_pool(database_url: str, size: int) -> AsyncIterator[asyncpg.Pool]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    pool = await asyncpg.create_pool(database_url, min_size=size, max_size=size,
                                     server_settings={"search_path": schema})  # fmt: skip
    assert pool is not None
    try:
        await migrate(pool, schema, WRITER_DDL)
        yield pool
    finally:
        await pool.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await pool.close()


@asynccontextmanager
async def quickbooks(
    url: str, limiter: CompanyLimiter, metrics: Metrics | None = None, connections: int | None = None
) -> AsyncIterator[QuickBooksClient]:
    """The writer's client; with ``connections``, on a transport with that many connections instead of its own."""
    transport = AiohttpTransport(limits=httpx.Limits(max_connections=connections)) if connections else None
    client = QuickBooksClient(url, TOKEN, limiter=limiter, metrics=metrics, transport=transport)
    try:
        yield client
    finally:
        await client.aclose()


def wide_open_limiter() -> CompanyLimiter:
    return CompanyLimiter(requests_per_minute=10**9, concurrent=10**6)


# ---- documents per second -------------------------------------------------------------------------------------


@dataclass
class Throughput:
    name: str
    documents: int
    seconds: float
    cpu_seconds: float  # this process's: whether the writer itself or what it waits for is the limit

    @property
    def per_second(self) -> float:
        return self.documents / self.seconds

    @property
    def cpu_ms_per_document(self) -> float:
        return self.cpu_seconds / self.documents * 1000


async def lanes_in_parallel(lanes: list[Callable[[], Awaitable[int]]]) -> tuple[int, float, float]:
    """Documents posted, seconds taken, and the CPU seconds this process spent on them."""
    started, cpu_started = time.perf_counter(), time.process_time()
    documents = await asyncio.gather(*(lane() for lane in lanes))
    return sum(documents), time.perf_counter() - started, time.process_time() - cpu_started


async def measure_throughput(database_url: str, tenants: int, orders: int, pool_size: int) -> list[Throughput]:
    names = [f"speed-{uuid.uuid4().hex[:6]}-{t}" for t in range(tenants)]
    with simulator("off") as url:
        async with quickbooks(url, wide_open_limiter()) as client, writer_pool(database_url, pool_size) as pool:
            return await writer_against_bare(pool, client, names, orders)


async def writer_against_bare(
    pool: asyncpg.Pool, client: QuickBooksClient, names: list[str], orders: int
) -> list[Throughput]:
    companies = [await open_bare_company(client, f"{name}-bare") for name in names]

    def writer_lane(tenant: str, first: int, count: int) -> Callable[[], Awaitable[int]]:
        async def lane() -> int:
            return sum([await post_with_writer(pool, client, order_command(tenant, first + n)) for n in range(count)])

        return lane

    def bare_lane(company: BareCompany, first: int, count: int) -> Callable[[], Awaitable[int]]:
        async def lane() -> int:
            return sum([await post_bare(client, company, order_command(company.realm, first + n))
                        for n in range(count)])  # fmt: skip

        return lane

    # The first order of each tenant creates its customer and item: not part of the figure.
    await lanes_in_parallel([writer_lane(name, 0, 1) for name in names])
    await lanes_in_parallel([bare_lane(company, 0, 1) for company in companies])
    writer = await lanes_in_parallel([writer_lane(name, 1, orders) for name in names])
    bare = await lanes_in_parallel([bare_lane(company, 1, orders) for company in companies])
    return [Throughput("writer (intents + PostgreSQL)", *writer), Throughput("bare HTTP creates", *bare)]


# ---- rate share -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """Requests per company from the client's own metrics: the figures a dashboard would show."""

    answered: Counter[str]
    throttled: Counter[str]

    @classmethod
    def read(cls, metrics: Metrics) -> Counts:
        answered: Counter[str] = Counter()
        throttled: Counter[str] = Counter()
        for family in metrics.registry.collect():
            if family.name != "ledgerflow_qbo_requests":
                continue
            for sample in family.samples:
                if not sample.name.endswith("_total"):
                    continue
                realm, status = sample.labels["tenant"], sample.labels["status"]
                (throttled if status == "429" else answered)[realm] += int(sample.value)
        return cls(answered, throttled)

    def since(self, earlier: Counts) -> Counts:
        return Counts(self.answered - earlier.answered, self.throttled - earlier.throttled)


@dataclass(frozen=True)
class ShareOptions:
    path: str
    tenants: int
    lanes: int
    warm_up: float
    seconds: float
    pool_size: int
    latency_ms: int
    connections: int | None


@dataclass
class RateShare:
    options: ShareOptions
    shares: dict[str, float]
    throttled_after_warm_up: int
    throttled_during_warm_up: int
    requests_per_second: float
    orders_failed: int

    def summary(self) -> dict[str, float]:
        values = sorted(self.shares.values())
        return {"min": values[0], "median": statistics.median(values), "max": values[-1]}

    @property
    def meets_targets(self) -> bool:
        return self.summary()["min"] >= SHARE_TARGET and self.throttled_after_warm_up == 0


Poster = Callable[[LedgerCommand], Awaitable[int]]


async def keep_posting(post: Poster, orders: Iterator[LedgerCommand], failed: Counter[str]) -> None:
    for command in orders:
        try:
            await post(command)
        except (QboError, OrderFailed):
            failed[command.meta.tenant_id] += 1  # the writer would retry the message; here the next order goes


async def count_while_posting(
    post: Poster, metrics: Metrics, lanes_of_orders: list[Iterator[LedgerCommand]], options: ShareOptions
) -> tuple[Counts, Counts, int]:
    """The counts at the end of the warm-up, those of the measured part, and the orders that failed."""
    failed: Counter[str] = Counter()
    tasks = [asyncio.create_task(keep_posting(post, orders, failed)) for orders in lanes_of_orders]
    await asyncio.sleep(options.warm_up)
    start = Counts.read(metrics)
    await asyncio.sleep(options.seconds)
    measured = Counts.read(metrics).since(start)
    for task in tasks:
        task.cancel()  # mid-order: a company paused by a 429 would otherwise hold the run for its pause
    await asyncio.gather(*tasks, return_exceptions=True)
    return start, measured, sum(failed.values())


async def poster(path: str, pool: asyncpg.Pool, client: QuickBooksClient, names: list[str]) -> Poster:
    """How each order is posted: the writer's whole posting path, or its QuickBooks client alone."""
    if path == "writer":
        return lambda command: post_with_writer(pool, client, command)
    companies = {name: await open_bare_company(client, name) for name in names}
    return lambda command: post_bare(client, companies[command.meta.tenant_id], command)


async def measure_rate_share(database_url: str, options: ShareOptions) -> RateShare:
    names = [f"share-{uuid.uuid4().hex[:6]}-{t}" for t in range(options.tenants)]
    metrics = Metrics()
    limiter = CompanyLimiter(QBO_REQUESTS_PER_MINUTE, QBO_IN_FLIGHT)  # what the writer runs with by default
    with simulator("qbo", options.latency_ms) as url:
        async with quickbooks(url, limiter, metrics, options.connections) as client, \
                writer_pool(database_url, options.pool_size) as pool:  # fmt: skip
            post = await poster(options.path, pool, client, names)
            lanes_of_orders = [commands(name, lane, options.lanes) for name in names for lane in range(options.lanes)]
            start, measured, failed = await count_while_posting(post, metrics, lanes_of_orders, options)
    allowed = QBO_REQUESTS_PER_MINUTE / 60 * options.seconds
    return RateShare(
        options=options,
        shares={name: measured.answered[name] / allowed for name in names},
        throttled_after_warm_up=sum(measured.throttled.values()),
        throttled_during_warm_up=sum(start.throttled.values()),
        requests_per_second=sum(measured.answered.values()) / options.seconds,
        orders_failed=failed,
    )


# ---- report ---------------------------------------------------------------------------------------------------


def report_throughput(figures: list[Throughput]) -> dict[str, object]:
    writer, bare = figures
    for figure in figures:
        print(f"{figure.name:>30}: {figure.per_second:7.0f} documents/s ({figure.documents} in {figure.seconds:.1f}s, "
              f"{figure.cpu_ms_per_document:.2f} ms of this process's CPU each)")  # fmt: skip
    ratio = writer.per_second / bare.per_second
    print(f"{'ratio':>30}: {ratio:.2f} of the bare creates")
    return {"per_second": {f.name: round(f.per_second, 1) for f in figures}, "ratio": round(ratio, 3),
            "figures": [asdict(f) for f in figures]}  # fmt: skip


def report_rate_share(share: RateShare) -> dict[str, object]:
    summary, options = share.summary(), share.options
    connections = f"{options.connections} connections" if options.connections else "the client's own connections"
    print(f"{'rate share':>30}: min {summary['min']:.1%}, median {summary['median']:.1%}, max {summary['max']:.1%} "
          f"of {QBO_REQUESTS_PER_MINUTE}/min, {options.seconds:.0f}s after a {options.warm_up:.0f}s warm-up "
          f"({options.path} path, {options.tenants} tenants x {options.lanes} lanes, "
          f"+{options.latency_ms} ms a call, {connections})")  # fmt: skip
    print(f"{'429s':>30}: {share.throttled_after_warm_up} after the warm-up "
          f"({share.throttled_during_warm_up} during it)")  # fmt: skip
    print(f"{'all companies':>30}: {share.requests_per_second:.0f} requests/s answered, "
          f"{share.orders_failed} orders failed")  # fmt: skip
    verdict = "met" if share.meets_targets else "MISSED"
    print(f"{'targets':>30}: {verdict} (share >= {SHARE_TARGET:.0%} for every tenant, no 429 after the warm-up)")
    return {"summary": {k: round(v, 4) for k, v in summary.items()}, "meets_targets": share.meets_targets,
            **{k: v for k, v in asdict(share).items() if k != "shares"},
            "shares": {k: round(v, 4) for k, v in share.shares.items()}}  # fmt: skip


def machine_load() -> float:
    """The 1-minute load average before the run: on a 2-core machine, anything else running skews the figures."""
    load = os.getloadavg()[0]
    print(f"{'load average before the run':>30}: {load:.2f}")
    return round(load, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=50, help="tenants posting side by side (documents/s)")
    parser.add_argument("--orders", type=int, default=20, help="orders per tenant (documents/s)")
    parser.add_argument("--share-tenants", type=int, default=100, help="tenants competing for the rate (share)")
    parser.add_argument(
        "--share-path",
        choices=("client", "writer"),
        default="client",
        help="post through the QuickBooks client alone, or the whole posting path (share)",
    )
    parser.add_argument("--lanes", type=int, default=3, help="orders in progress per tenant at once (share)")
    parser.add_argument("--warm-up", type=float, default=15.0, help="seconds before the share is counted")
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds the share is counted for")
    parser.add_argument("--latency-ms", type=int, default=0, help="added by the simulator to every call (share)")
    parser.add_argument("--connections", type=int, help="HTTP connections, instead of the client's own pool (share)")
    parser.add_argument("--pool-size", type=int, default=8, help="PostgreSQL connections, as a writer process has")
    parser.add_argument("--only", choices=("throughput", "share"), help="run one of the two parts")
    args = parser.parse_args()

    results: dict[str, object] = {"load_average_before": machine_load()}
    server = PostgresServer(HOME, free_port())
    server.start()
    try:
        if args.only != "share":
            figures = asyncio.run(measure_throughput(server.url, args.tenants, args.orders, args.pool_size))
            results["throughput"] = report_throughput(figures) | {"tenants": args.tenants, "orders": args.orders}
        if args.only != "throughput":
            options = ShareOptions(args.share_path, args.share_tenants, args.lanes, args.warm_up, args.seconds,
                                   args.pool_size, args.latency_ms, args.connections)  # fmt: skip
            share = asyncio.run(measure_rate_share(server.url, options))
            results["rate_share"] = report_rate_share(share)
    finally:
        server.stop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
