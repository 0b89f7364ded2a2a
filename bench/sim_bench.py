"""Requests per second the QuickBooks Online simulator serves, against a bare ASGI baseline in the same run.

    make bench-sim            (or: .venv/bin/python bench/sim_bench.py --seconds 10 --concurrency 64)

The load generator is aiohttp in this process, the server a separate uvicorn process, so each has a core
of its own on a 2-core machine. The baseline is a uvicorn + Starlette endpoint that parses the same JSON
body and answers a small JSON object: what the server stack costs before any QuickBooks logic. The
simulator is measured with limits off on a mix of creates (invoices with a requestid and a number) and
queries (by number), half and half.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import textwrap
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp

from ledgerflow.devstack.ports import free_port, wait_until_listening

TOKEN = "bench-token"
REALM = "bench"
RESULTS = Path(__file__).parent / "results" / "sim.json"

BASELINE_APP = textwrap.dedent(
    """
    import json, sys, uvicorn
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def echo(request):
        body = json.loads(await request.body() or b"{}")
        return Response(json.dumps({"ok": True, "keys": len(body)}), media_type="application/json")

    app = Starlette(routes=[Route("/v3/company/{realm}/{resource}", echo, methods=["GET", "POST"])])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
    """
)


@dataclass
class Figure:
    name: str
    requests: int
    errors: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def start_server(argv: list[str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_listening(port, 30, argv[-1], alive=lambda: process.poll() is None)
    return process


async def load(url: str, seconds: float, concurrency: int, item_id: str, customer_id: str) -> tuple[int, int]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    counts = {"ok": 0, "errors": 0}
    deadline = time.perf_counter() + seconds

    async def worker(index: int, session: aiohttp.ClientSession) -> None:
        n = 0
        while time.perf_counter() < deadline:
            n += 1
            number = f"B{index}-{n}"
            if n % 2:
                body = {
                    "CustomerRef": {"value": customer_id},
                    "DocNumber": number,
                    "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 40,
                              "SalesItemLineDetail": {"ItemRef": {"value": item_id}, "Qty": 2, "UnitPrice": 20}}],
                }  # fmt: skip
                request = session.post(f"{url}/v3/company/{REALM}/invoice",
                                       params={"requestid": f"{index}-{n}"}, data=json.dumps(body))  # fmt: skip
            else:
                query = f"select * from Invoice where DocNumber = 'B{index}-{n - 1}'"
                request = session.get(f"{url}/v3/company/{REALM}/query", params={"query": query})
            async with request as response:
                await response.read()
                counts["ok" if response.status == 200 else "errors"] += 1

    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        await asyncio.gather(*(worker(i, session) for i in range(concurrency)))
    return counts["ok"], counts["errors"]


async def seed(url: str) -> tuple[str, str]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.post(f"{url}/v3/company/{REALM}/customer", json={"DisplayName": "Bench"}) as r:
            customer = (await r.json())["Customer"]["Id"]
        query = {"query": "select * from Account where AccountType = 'Income'"}
        async with session.get(f"{url}/v3/company/{REALM}/query", params=query) as r:
            income = (await r.json())["QueryResponse"]["Account"][0]["Id"]
        body = {"Name": "BENCH", "Type": "Service", "IncomeAccountRef": {"value": income}}
        async with session.post(f"{url}/v3/company/{REALM}/item", json=body) as r:
            item = (await r.json())["Item"]["Id"]
    return customer, item


def measure(name: str, argv: list[str], port: int, seconds: float, concurrency: int, real_sim: bool) -> Figure:
    server = start_server(argv, port)
    try:
        url = f"http://127.0.0.1:{port}"
        customer, item = asyncio.run(seed(url)) if real_sim else ("1", "1")
        asyncio.run(load(url, 1.0, concurrency, item, customer))  # warm-up
        started = time.perf_counter()
        ok, errors = asyncio.run(load(url, seconds, concurrency, item, customer))
        return Figure(name, ok, errors, time.perf_counter() - started)
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()

    port = free_port()
    baseline = measure("baseline", [sys.executable, "-c", BASELINE_APP, str(port)], port, args.seconds,
                       args.concurrency, real_sim=False)  # fmt: skip
    port = free_port()
    sim_argv = [sys.executable, "-m", "ledgerflow.qbo_sim", "--port", str(port), "--token", TOKEN, "--limits", "off"]
    simulator = measure("simulator", sim_argv, port, args.seconds, args.concurrency, real_sim=True)

    ratio = simulator.per_second / baseline.per_second
    for figure in (baseline, simulator):
        print(f"{figure.name:>10}: {figure.per_second:8.0f} requests/s ({figure.requests} ok, {figure.errors} errors "
              f"in {figure.seconds:.1f}s, {args.concurrency} in flight)")  # fmt: skip
    print(f"{'ratio':>10}: {ratio:.2f} of the bare server stack")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "baseline_requests_per_s": round(baseline.per_second, 1),
        "simulator_requests_per_s": round(simulator.per_second, 1),
        "ratio": round(ratio, 3),
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "figures": [asdict(f) for f in (baseline, simulator)],
    }, indent=2) + "\n")  # fmt: skip
    if simulator.errors:
        sys.exit(f"{simulator.errors} requests failed")


if __name__ == "__main__":
    main()
