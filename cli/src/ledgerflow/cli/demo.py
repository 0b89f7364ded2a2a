"""``ledgerflow demo``: the whole pipeline on the local stack, with the sample orders."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ledgerflow.cli.configuration import apply_file
from ledgerflow.cli.demo_desktop import run_desktop
from ledgerflow.cli.demo_purchase_orders import run_purchase_orders
from ledgerflow.cli.local_services import SIM_TOKEN, LocalServices
from ledgerflow.cli.publishing import OrderToPublish, publish_orders
from ledgerflow.cli.samples import sample_connections_path, sample_named, sample_orders
from ledgerflow.cli.watching import Outcomes, wait_for_outcomes
from ledgerflow.contracts import Channel, LedgerEvent, LedgerStatus, quantize
from ledgerflow.devstack.stack import ObserveState, Stack
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient, equals
from ledgerflow.ledger_writer.targets.qbo.mapping import ENTITIES
from ledgerflow.planner.connections import ConnectionSettings

LATER_PAID = "acme-1002-bank-deposit-unpaid"
PENDING = "Pending"


@dataclass(frozen=True)
class DemoResult:
    orders: int
    posted_documents: int
    failed: int
    desktop_documents: int = 0
    desktop_failed: int = 0
    purchase_order_documents: int = 0
    purchase_order_failed: int = 0


def run_demo(
    home: Path, cache_dir: Path, console: Console, timeout: float = 180.0, *, observe: bool = False, keep: bool = False
) -> DemoResult:
    """The demo; ``observe`` adds Jaeger and Prometheus; with either, ``keep``, everything keeps running afterwards,
    the operator console too, to look at."""
    # Freshly created topics elect their leaders while the demo starts reading: the client's retries
    # are expected, not worth a screen of warnings.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    stack = Stack(home, cache_dir)
    what = "Kafka (KRaft), PostgreSQL, Jaeger and Prometheus" if observe else "Kafka (KRaft) and PostgreSQL"
    console.print(Text.assemble(("ledgerflow demo", "bold"), f": starting {what} on loopback…"))
    stack.reset()
    state = stack.up(observe=observe)
    if state.observe is not None:  # the demo's own publishing starts each order's trace, in Jaeger too
        for key, value in state.service_env().items():
            if key.startswith("OTEL_"):
                os.environ.setdefault(key, value)
    console.print(f"  Kafka at {state.bootstrap_servers}, PostgreSQL at {state.database_url}")
    services = LocalServices(home=home, stack=state)
    kept = False
    sign_in = ""
    try:
        services.start()
        console.print(
            f"  QuickBooks Online simulator at {services.sim_url}, QuickBooks Desktop simulator at "
            f"{services.desktop_sim_url}; ingest, planner, numbering, ledger-writer up"
        )
        result = asyncio.run(_run(services, state.bootstrap_servers, state.database_url, console, timeout))
        if observe or keep:
            services.start_console()
            sign_in = asyncio.run(_sign_in_link(services))
            kept = True
        return result
    finally:
        if kept:
            _print_kept(console, home, state.observe, services.console_url, sign_in)
        else:
            console.print("Stopping services and the local stack…")
            services.stop()
            stack.down()


async def _sign_in_link(services: LocalServices) -> str:
    """A one-time admin sign-in link: the token in it is spent by the first visit, and expires within a day."""
    from ledgerflow.console.tokens import new_token

    token = await new_token(services.stack.database_url, tenant=None, admin=True, lifetime=timedelta(days=1),
                            label="demo sign-in link", single_use=True)  # fmt: skip
    return f"{services.console_url}/sign-in?token={token}"


def _print_kept(console: Console, home: Path, observe: ObserveState | None, console_url: str, sign_in: str) -> None:
    console.print(Text("Everything keeps running, to look at:", style="bold"))
    console.print(f"  console    {console_url}/  (the demo's orders, failures, resyncs, connections, health)",
                  highlight=False)  # fmt: skip
    console.print(f"             sign in once with {sign_in}", highlight=False, soft_wrap=True)
    if observe is not None:
        console.print(f"  traces     {observe.trace_ui_url}/search  (find an order by ledgerflow.order_number=1001)")
        console.print(f"  dashboard  {observe.prometheus_url}/consoles/ledgerflow.html")
        console.print(f"  metrics    {observe.prometheus_url}/graph")
    console.print(f"Stop it all with: ledgerflow dev down --home {home}", highlight=False)


async def _run(
    services: LocalServices, bootstrap: str, database_url: str, console: Console, timeout: float
) -> DemoResult:
    applied = await apply_file(sample_connections_path(), database_url)
    modes = ", ".join(f"{s.connection}: {_describe(s)}" for s, _ in applied.connections)
    console.print(f"Connection settings applied ({modes}; the others invoices_with_payments)")
    for rule_set, _ in applied.rule_sets:
        console.print(f"Rules for {rule_set.tenant}: " + ", ".join(rule.name for rule in rule_set.rules))
    result = await _later_paid(services, bootstrap, console, timeout,
                               await _publish_and_watch(services, bootstrap, console, timeout))  # fmt: skip
    desktop = await run_desktop(services, database_url, console, timeout, services.run_dir)
    purchase_orders = await run_purchase_orders(services, database_url, console, timeout, services.run_dir)
    console.print(f"{result.orders} orders, {result.posted_documents} documents posted, {result.failed} failed")
    console.print(f"QuickBooks Desktop: {desktop.posted_documents} documents posted, {desktop.failed} failed")
    console.print(f"Linnworks purchase orders: {purchase_orders.posted_documents} documents posted, "
                  f"{purchase_orders.failed} failed")  # fmt: skip
    return DemoResult(result.orders, result.posted_documents, result.failed, desktop.posted_documents,
                      desktop.failed, purchase_orders.posted_documents, purchase_orders.failed)  # fmt: skip


def _describe(settings: ConnectionSettings) -> str:
    routing = settings.routing
    if routing.paid or routing.unpaid:
        return f"paid to {(routing.paid or settings.mode).value}, unpaid to {(routing.unpaid or settings.mode).value}"
    return settings.mode.value


async def _later_paid(
    services: LocalServices, bootstrap: str, console: Console, timeout: float, result: DemoResult
) -> DemoResult:
    """The lifecycle: the order that was on terms is paid later; its payment goes to the open invoice."""
    sample = sample_named(LATER_PAID)
    assert sample is not None
    payload = sample.payload()
    payload["order"]["financial_status"] = "paid"
    order = OrderToPublish(sample.tenant, sample.connection, Channel(sample.channel), payload)
    (published,) = await publish_orders(bootstrap, [order])
    cid = published.envelope.meta.correlation_id
    outcomes = await wait_for_outcomes(bootstrap, {cid}, timeout=timeout)
    event = outcomes.events.get(cid)
    if event is None or event.status is not LedgerStatus.POSTED:
        console.print(
            f"The later 'paid' version of order {payload['order']['order_number']} was not posted", style="red"
        )
        return DemoResult(result.orders, result.posted_documents, result.failed + 1)
    docs = ", ".join(f"{d.type.value} {d.total} {d.currency}" for d in event.documents)
    invoice = await _invoice_balance(services.sim_url, sample.tenant, event.order_number)
    console.print(
        f"Later, {sample.channel} order {event.order_number} ({sample.tenant}) is reported paid: only the {docs} "
        f"is posted, applied to the open invoice, whose balance is now {invoice}"
    )
    return DemoResult(result.orders, result.posted_documents + len(event.documents), result.failed)


async def _invoice_balance(sim_url: str, tenant: str, number: str) -> str:
    client = QuickBooksClient(sim_url, SIM_TOKEN)
    try:
        (invoice,) = await client.query(tenant, "Invoice", equals("DocNumber", number))
    finally:
        await client.aclose()
    return f"{quantize(Decimal(str(invoice['Balance'])), str(invoice['CurrencyRef']['value']))}"


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
    for _ in range(20):  # an estimate is closed right after its invoice is posted: show it closed
        if PENDING not in balances.values():
            break
        await asyncio.sleep(0.5)
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
    if failed:
        for name in ("ingest", "planner", "numbering", "ledger-writer"):
            console.print(Text.assemble((f"{name} log:", "dim"), f"\n{services.log_tail(name)}"))
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
                # An estimate has no balance: its status says whether its invoice closed it.
                shown = (
                    str(record.get("TxnStatus", ""))
                    if value is None
                    else str(quantize(Decimal(str(value)), doc.currency))
                )
                balances[(event.meta.tenant_id, doc.external_id)] = shown
    finally:
        await client.aclose()
    return balances


def _first_error(event: LedgerEvent) -> str:
    for doc in event.documents:
        if doc.error is not None:
            return f"failed: {doc.error.message}"
    return "failed"
