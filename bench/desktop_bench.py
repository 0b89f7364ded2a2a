"""QuickBooks Desktop: how many orders one Web Connector run posts to one company file in two minutes.

    make bench-desktop   (or: .venv/bin/python bench/desktop_bench.py --orders 8000 --window 120)

The real stack (Kafka in KRaft mode, PostgreSQL), the four services as processes and the Desktop simulator,
whose Web Connector runs only when asked, as a bookkeeper's "Update Selected". Every order is a copy of the paid
Shopify sample (``invoices_with_payments``: an invoice and its payment) with an id and a number of its own.

1. Warm-up: one order and one run (the company file's customer and items get created).
2. ``--orders`` orders are published while the Web Connector is away: the writer files them in the company's
   queue, where they wait (the company is leased only while its Web Connector is connected).
3. One run: the Web Connector connects, the file is checked, and the queue is drained one message set per round
   trip. Orders posted (``ledger.events``) are counted as they come; the figure is how many within ``--window``
   seconds of the run's start.

Baseline, measured in the same run: the simulated QuickBooks alone. The same documents (an InvoiceAdd and a
ReceivePaymentAdd per order, as many per message set as the writer sent) go straight into a company file of the
simulator in this process, with no ledgerflow, no HTTP and no database: how many orders the company file itself
can take in the window. ledgerflow should be limited by it, not by itself. Writes bench/results/desktop.json.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledgerflow.cli.configuration import apply_settings
from ledgerflow.cli.desktop_setup import connect_company_file
from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.publishing import OrderToPublish, publish_orders
from ledgerflow.cli.samples import sample_named
from ledgerflow.cli.watching import wait_for_outcomes
from ledgerflow.contracts import BooksTarget, Channel, TransactionMode
from ledgerflow.devstack.stack import Stack
from ledgerflow.planner.connections import ConnectionSettings
from ledgerflow.qbd_sim.company import CompanyFile

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / ".ledgerflow" / "bench-desktop"
CACHE = ROOT / ".ledgerflow" / "cache"
RESULTS = ROOT / "bench" / "results" / "desktop.json"
SAMPLE = "acme-1001-paid-tax-shipping-discount"
CONNECTION = "bench-shopify"


@dataclass
class DesktopFigures:
    orders_published: int
    window_seconds: float
    posted_in_window: int
    orders_per_second: float  # while posting (a run that drains everything before the window ends stops early)
    posted_total: int
    seconds_to_drain: float | None
    round_trips: int
    requests_answered: int
    requests_per_message_set: float
    baseline_orders_in_window: int
    baseline_orders_per_second: float
    share_of_baseline: float  # ledgerflow's pace over the company file's own


def _order(payload: dict[str, Any], serial: int) -> dict[str, Any]:
    order = copy.deepcopy(payload)
    order["order"].update(id=8800000000000 + serial, order_number=100000 + serial, name=f"#{100000 + serial}")
    return order


async def _queued(database_url: str, company_id: str) -> int:
    import asyncpg

    connection = await asyncpg.connect(database_url)
    try:
        return int(await connection.fetchval(
            "SELECT count(*) FROM ledger_writer.queued_commands WHERE company_id = $1", company_id
        ))  # fmt: skip
    finally:
        await connection.close()


async def _run(services: LocalServices, orders: int, window: float) -> DesktopFigures:
    tenant = f"bench-desk-{uuid.uuid4().hex[:6]}"
    database_url, bootstrap = services.stack.database_url, services.stack.bootstrap_servers
    settings = ConnectionSettings(tenant=tenant, connection=CONNECTION, channel=Channel.SHOPIFY,
                                  target=BooksTarget.QUICKBOOKS_DESKTOP,
                                  mode=TransactionMode.INVOICES_WITH_PAYMENTS)  # fmt: skip
    await apply_settings([settings], database_url)
    company = await connect_company_file(database_url, services.desktop_sim_url, tenant, services.qbwc_url)
    sample = sample_named(SAMPLE)
    assert sample is not None
    payload = sample.payload()

    warm = await publish_orders(bootstrap, [OrderToPublish(tenant, CONNECTION, Channel.SHOPIFY, _order(payload, 0))])
    await _until_queued(database_url, f"qbd:{tenant}", 1)
    await company.run_now()
    await wait_for_outcomes(bootstrap, {warm[0].envelope.meta.correlation_id}, timeout=60)
    print("warm-up: the company file's customer and items made", flush=True)

    batch = [OrderToPublish(tenant, CONNECTION, Channel.SHOPIFY, _order(payload, n)) for n in range(1, orders + 1)]
    published = await publish_orders(bootstrap, batch)
    await _until_queued(database_url, f"qbd:{tenant}", orders)
    print(f"{orders} orders queued for the company file while its Web Connector is away", flush=True)

    wanted = {p.envelope.meta.correlation_id for p in published}
    seen: list[tuple[float, int]] = []
    started = time.monotonic()
    run = asyncio.create_task(company.run_now())
    outcomes = await wait_for_outcomes(bootstrap, wanted, timeout=window,
                                       progress=lambda n: seen.append((time.monotonic() - started, n)))  # fmt: skip
    in_window = sum(1 for c in wanted if c in outcomes.events)
    busy = next((at for at, n in seen if n >= in_window), window)  # when the last order of the window posted
    print(f"{in_window} orders posted in the first {window:.0f} s of the run", flush=True)
    rest = await wait_for_outcomes(bootstrap, wanted, timeout=600)
    drained = time.monotonic() - started if len(rest.events) == len(wanted) else None
    await run
    round_trips, answered = await _session_figures(database_url, f"qbd:{tenant}")
    per_set = answered / round_trips if round_trips else 0.0
    baseline = _baseline(window, max(2, round(per_set)))
    return DesktopFigures(
        orders_published=orders,
        window_seconds=window,
        posted_in_window=in_window,
        orders_per_second=round(in_window / max(busy, 0.001), 1),
        posted_total=len(rest.events),
        seconds_to_drain=round(drained, 1) if drained is not None else None,
        round_trips=round_trips,
        requests_answered=answered,
        requests_per_message_set=round(per_set, 1),
        baseline_orders_in_window=baseline[0],
        baseline_orders_per_second=baseline[1],
        share_of_baseline=round(in_window / max(busy, 0.001) / baseline[1], 3) if baseline[1] else 0.0,
    )


async def _session_figures(database_url: str, company_id: str) -> tuple[int, int]:
    """Round trips and requests answered in the company's last Web Connector session, as the writer counted them."""
    import asyncpg

    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow(
            """SELECT round_trips, answered FROM ledger_writer.qbd_sessions WHERE company_id = $1
               ORDER BY started_at DESC LIMIT 1""",
            company_id,
        )
    finally:
        await connection.close()
    return (int(row["round_trips"]), int(row["answered"])) if row is not None else (0, 0)


def _baseline(window: float, per_set: int) -> tuple[int, float]:
    """Orders a simulated company file takes in ``window`` seconds by itself, ``per_set`` requests a set."""
    company = CompanyFile(r"C:\Bench\baseline.qbw")
    company.add_customer("Jane Cooper")
    for item in ("TENT-2P", "STOVE-MINI", "Shipping", "Sales Tax", "Discount"):
        company.add_item(item, kind="NonInventory" if item.isupper() else "OtherCharge")
    per_set_orders = max(1, per_set // 2)
    done = 0
    started = time.monotonic()
    serial = 0
    while time.monotonic() - started < min(window, 20.0):
        requests = []
        for _ in range(per_set_orders):
            serial += 1
            requests.append(_invoice(serial))
            requests.append(_payment(serial))
        outcome = company.process(_message_set(requests))
        assert outcome.hresult == "", outcome.message
        done += per_set_orders
    rate = done / (time.monotonic() - started)
    return int(rate * window), round(rate, 1)


def _message_set(requests: list[str]) -> str:
    body = "".join(r.replace("Rq>", f'Rq requestID="{n}">', 1) for n, r in enumerate(requests))
    return (
        f'<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="continueOnError">{body}'
        "</QBXMLMsgsRq></QBXML>"
    )


def _invoice(serial: int) -> str:
    line = (
        "<InvoiceLineAdd><ItemRef><FullName>TENT-2P</FullName></ItemRef><Quantity>1</Quantity><Rate>289.00</Rate>"
        "<Amount>289.00</Amount></InvoiceLineAdd>"
    )
    return (f"<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Jane Cooper</FullName></CustomerRef>"
            f"<TxnDate>{date.today().isoformat()}</TxnDate><RefNumber>B{serial}</RefNumber>"
            f"<Memo>bench {serial}</Memo>{line}</InvoiceAdd></InvoiceAddRq>")  # fmt: skip


def _payment(serial: int) -> str:
    return (f"<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Jane Cooper</FullName></CustomerRef>"
            f"<TotalAmount>{Decimal('289.00')}</TotalAmount><Memo>bench {serial}</Memo><IsAutoApply>true</IsAutoApply>"
            "</ReceivePaymentAdd></ReceivePaymentAddRq>")  # fmt: skip


async def _until_queued(database_url: str, company_id: str, count: int, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while await _queued(database_url, company_id) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {count} commands queued for {company_id} after {timeout:.0f}s")
        await asyncio.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=8000, help="more than one run can post: the window is the limit")
    parser.add_argument("--window", type=float, default=120.0, help="seconds of the Web Connector run counted")
    args = parser.parse_args()
    stack = Stack(HOME, CACHE)
    state = stack.up(fresh=True)
    services = LocalServices(home=HOME, stack=state, desktop_auto_run=False, desktop_every=3600.0)
    try:
        services.start()
        services.wait_ready(120)
        figures = asyncio.run(_run(services, args.orders, args.window))
    finally:
        services.stop()
        stack.down()
    print(json.dumps(asdict(figures), indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(asdict(figures), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
