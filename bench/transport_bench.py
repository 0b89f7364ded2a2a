"""Requests per second of the writer's QuickBooks client on httpx's own transport and on httpx-aiohttp's.

    make bench-transport     (or: .venv/bin/python bench/transport_bench.py --requests 3000 --concurrency 10,100)

Both runs use the writer's ``QuickBooksClient`` (the same httpx API, the same calls), so the transport is the only
difference. The simulator runs in a process of its own with limits off, so the client and the server each have a
core on a 2-core machine; the client's per-company limiter is opened wide so that it never waits. Each transport
gets companies of its own and the same number of invoice creates, then the same number of queries by number, so
both meet books of the same size. The runs alternate between the transports to spread any drift evenly.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from httpx_aiohttp import AiohttpTransport

from ledgerflow.devstack.ports import free_port, wait_until_listening
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient, equals
from ledgerflow.ledger_writer.targets.qbo.rate_limit import CompanyLimiter

TOKEN = "bench-token"
RESULTS = Path(__file__).parent / "results" / "transport.json"
TRANSPORTS: dict[str, Callable[[], httpx.AsyncBaseTransport]] = {
    "httpx": httpx.AsyncHTTPTransport,  # what httpx.AsyncClient builds when given no transport
    # httpx keeps only 20 idle connections by default: this one shows whether that alone is the cost.
    "httpx, 100 kept": lambda: httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=100)),
    "httpx-aiohttp": AiohttpTransport,
}


@dataclass
class Figure:
    transport: str
    operation: str
    concurrency: int
    requests: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


@dataclass(frozen=True)
class Company:
    realm: str
    customer: str
    item: str


def start_simulator(port: int) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "ledgerflow.qbo_sim", "--port", str(port), "--token", TOKEN, "--limits", "off"]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_listening(port, 30, "simulator", alive=lambda: process.poll() is None)
    return process


def wide_open_limiter() -> CompanyLimiter:
    """The simulator's limits are off; the client's must not be what is measured either."""
    return CompanyLimiter(requests_per_minute=10**9, concurrent=10**6)


def invoice(company: Company, number: str) -> dict[str, object]:
    line = {"DetailType": "SalesItemLineDetail", "Amount": 40,
            "SalesItemLineDetail": {"ItemRef": {"value": company.item}, "Qty": 2, "UnitPrice": 20}}  # fmt: skip
    return {"CustomerRef": {"value": company.customer}, "DocNumber": number, "PrivateNote": f"order {number}",
            "Line": [line]}  # fmt: skip


async def open_company(client: QuickBooksClient, realm: str) -> Company:
    customer = await client.create(realm, "Customer", {"DisplayName": "Bench"}, f"{realm}-customer")
    (income,) = await client.query(realm, "Account", "Name = 'Sales of Product Income'")
    body = {"Name": "BENCH", "Type": "Service", "IncomeAccountRef": {"value": income["Id"]}}
    item = await client.create(realm, "Item", body, f"{realm}-item")
    return Company(realm, str(customer["Id"]), str(item["Id"]))


async def timed(calls: int, concurrency: int, call: Callable[[int], Awaitable[object]]) -> float:
    """Seconds for ``calls`` calls made by ``concurrency`` workers that each take the next one when done."""
    numbers = iter(range(calls))

    async def worker() -> None:
        for n in numbers:
            await call(n)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def measure(url: str, transport: str, concurrency: int, requests: int, realms: int) -> list[Figure]:
    client = QuickBooksClient(url, TOKEN, transport=TRANSPORTS[transport](), limiter=wide_open_limiter())
    try:
        run = uuid.uuid4().hex[:8]
        companies = [await open_company(client, f"bench-{run}-{r}") for r in range(realms)]

        def number(n: int) -> str:
            return f"T{n}"

        async def create(n: int) -> object:
            company = companies[n % realms]
            return await client.create(company.realm, "Invoice", invoice(company, number(n)), f"{run}-{n}")

        async def query(n: int) -> object:
            return await client.query(companies[n % realms].realm, "Invoice", equals("DocNumber", number(n)))

        await timed(min(500, requests), concurrency, lambda n: client.query(companies[0].realm, "Item", "Id > '0'"))
        create_seconds = await timed(requests, concurrency, create)
        query_seconds = await timed(requests, concurrency, query)
    finally:
        await client.aclose()
    return [
        Figure(transport, "create", concurrency, requests, create_seconds),
        Figure(transport, "query", concurrency, requests, query_seconds),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="creates, then as many queries, per run")
    parser.add_argument("--concurrency", default="10,100", help="requests in flight, comma-separated")
    parser.add_argument("--realms", type=int, default=10, help="companies the requests are spread over")
    parser.add_argument("--rounds", type=int, default=1, help="runs per transport and concurrency (best kept)")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]

    load = os.getloadavg()[0]  # anything else running on a 2-core machine skews the figures
    print(f"load average before the run: {load:.2f}")
    port = free_port()
    simulator = start_simulator(port)
    try:
        url = f"http://127.0.0.1:{port}"
        figures = [
            figure
            for _, level, transport in itertools.product(range(args.rounds), levels, TRANSPORTS)
            for figure in asyncio.run(measure(url, transport, level, args.requests, args.realms))
        ]
    finally:
        simulator.terminate()
        simulator.wait(10)
    report(best_of_rounds(figures), args, load)


def best_of_rounds(figures: list[Figure]) -> list[Figure]:
    best: dict[tuple[str, str, int], Figure] = {}
    for figure in figures:
        key = (figure.transport, figure.operation, figure.concurrency)
        if key not in best or figure.per_second > best[key].per_second:
            best[key] = figure
    return sorted(best.values(), key=lambda f: (f.concurrency, f.operation, f.transport))


def report(figures: list[Figure], args: argparse.Namespace, load: float) -> None:
    by_key = {(f.transport, f.operation, f.concurrency): f for f in figures}
    ratios = {}
    for figure in figures:
        print(f"{figure.transport:>16} {figure.operation:<6} {figure.concurrency:>4} in flight: "
              f"{figure.per_second:7.0f} requests/s ({figure.requests} in {figure.seconds:.2f}s)")  # fmt: skip
        if figure.transport == "httpx-aiohttp":
            base = by_key[("httpx", figure.operation, figure.concurrency)]
            key = f"{figure.operation}, {figure.concurrency} in flight"
            ratios[key] = round(figure.per_second / base.per_second, 2)
    for key, ratio in ratios.items():
        print(f"{'httpx-aiohttp / httpx':>26}, {key}: {ratio:.2f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "requests": args.requests, "realms": args.realms, "rounds": args.rounds, "load_average_before": round(load, 2),
        "figures": [asdict(f) | {"per_second": round(f.per_second, 1)} for f in figures],
        "aiohttp_over_httpx": ratios,
    }, indent=2) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
