"""``ledgerflow demo``: the whole pipeline on the local stack, with the sample orders."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ledgerflow.cli.local_services import SIM_TOKEN, LocalServices
from ledgerflow.cli.publishing import OrderToPublish, publish_orders
from ledgerflow.cli.samples import sample_orders
from ledgerflow.cli.watching import Outcomes, wait_for_outcomes
from ledgerflow.contracts import Channel, LedgerEvent, LedgerStatus, quantize
from ledgerflow.devstack.stack import Stack
from ledgerflow.ledger_writer.qbo.client import QuickBooksClient
from ledgerflow.ledger_writer.qbo.mapping import ENTITIES


@dataclass(frozen=True)
class DemoResult:
    orders: int
    posted_documents: int
    failed: int


def run_demo(home: Path, cache_dir: Path, console: Console, timeout: float = 180.0) -> DemoResult:
    stack = Stack(home, cache_dir)
    console.print("[bold]ledgerflow demo[/]: starting Kafka (KRaft) and PostgreSQL on loopback…")
    stack.reset()
    state = stack.up()
    console.print(f"  Kafka at {state.bootstrap_servers}, PostgreSQL at {state.database_url}")
    services = LocalServices(home=home, stack=state)
    try:
        services.start()
        console.print(
            f"  QuickBooks Online simulator at {services.sim_url}; ingest, planner, numbering, ledger-writer up"
        )
        return asyncio.run(_publish_and_watch(services, state.bootstrap_servers, console, timeout))
    finally:
        console.print("Stopping services and the local stack…")
        services.stop()
        stack.down()


async def _publish_and_watch(services: LocalServices, bootstrap: str, console: Console, timeout: float) -> DemoResult:
    samples = sample_orders()
    orders = [OrderToPublish(s.tenant, s.connection, Channel(s.channel), s.payload()) for s in samples]
    published = await publish_orders(bootstrap, orders)
    console.print(f"Published {len(published)} sample orders to orders.raw")
    wanted = {p.envelope.meta.correlation_id for p in published}
    with Progress(
        TextColumn("Posting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("posting", total=len(wanted))
        outcomes = await wait_for_outcomes(
            bootstrap, wanted, timeout=timeout, progress=lambda n: progress.update(task, completed=n)
        )
    order_of = {p.envelope.meta.correlation_id: p for p in published}
    balances = await _balances(services.sim_url, outcomes)
    table = Table(title="What was posted to QuickBooks Online (simulator)")
    for column in ("Tenant", "Channel", "Order", "Documents", "Total", "Balance", "Status"):
        table.add_column(
            column,
            justify="right" if column in ("Total", "Balance") else "left",
            no_wrap=column != "Status",
            overflow="ellipsis",
            max_width=22 if column in ("Order", "Documents") else None,
            min_width=10 if column == "Status" else None,
        )
    posted = failed = 0
    for correlation_id, p in order_of.items():
        env = p.envelope
        event = outcomes.events.get(correlation_id)
        letter = outcomes.dead_letters.get(correlation_id)
        order_no = event.order_number if event is not None else "?"
        if event is not None:
            docs = "\n".join(f"{d.type.value} {d.doc_number or ''}".strip() for d in event.documents)
            totals = "\n".join(f"{d.total} {d.currency}" for d in event.documents)
            bal = "\n".join(balances.get((event.meta.tenant_id, d.external_id or ""), "") for d in event.documents)
            status = "posted" if event.status is LedgerStatus.POSTED else _first_error(event)
            posted += sum(1 for d in event.documents if d.status is LedgerStatus.POSTED)
            failed += event.status is LedgerStatus.FAILED
            table.add_row(env.meta.tenant_id, env.channel.value, order_no, docs, totals, bal, status)
        elif letter is not None:
            failed += 1
            table.add_row(env.meta.tenant_id, env.channel.value, order_no, "-", "-", "-", letter.error.message)
        else:
            failed += 1
            table.add_row(env.meta.tenant_id, env.channel.value, order_no, "-", "-", "-", "no outcome (timed out)")
    console.print(table)
    result = DemoResult(orders=len(published), posted_documents=posted, failed=failed)
    console.print(f"{result.orders} orders, {result.posted_documents} documents posted, {result.failed} failed")
    if failed:
        for name in ("ingest", "planner", "numbering", "ledger-writer"):
            console.print(f"[dim]{name} log:[/]\n{services.log_tail(name)}")
    return result


async def _balances(sim_url: str, outcomes: Outcomes) -> dict[tuple[str, str], str]:
    """Read every posted document back from the books, as a bookkeeper would see it (ids are per company)."""
    client = QuickBooksClient(sim_url, SIM_TOKEN)
    balances: dict[tuple[str, str], str] = {}
    try:
        for event in outcomes.events.values():
            for doc in event.documents:
                if doc.external_id is None:
                    continue
                record = await client.read(event.meta.tenant_id, ENTITIES[doc.type], doc.external_id)
                value = record.get("Balance", record.get("UnappliedAmt"))
                shown = "" if value is None else str(quantize(Decimal(str(value)), doc.currency))
                balances[(event.meta.tenant_id, doc.external_id)] = shown
    finally:
        await client.aclose()
    return balances


def _first_error(event: LedgerEvent) -> str:
    for doc in event.documents:
        if doc.error is not None:
            return f"failed: {doc.error.message}"
    return "failed"
