"""The demo's QuickBooks Desktop company: a sales order taken with its payment, closed by its invoice later.

The company file lives in the Desktop simulator, whose Web Connector polls the writer's endpoint every few
seconds, as a bookkeeper's Web Connector would on its schedule.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ledgerflow.cli.configuration import apply_file
from ledgerflow.cli.desktop_setup import ConnectedFile, connect_company_file
from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.publishing import OrderToPublish, publish_orders
from ledgerflow.cli.samples import sample_named
from ledgerflow.cli.watching import wait_for_outcomes
from ledgerflow.contracts import Channel, LedgerStatus

TENANT = "umbrella-desktop"
CONNECTION = "umbrella-shopify"
SAMPLE = "acme-1001-paid-tax-shipping-discount"
SETTINGS = f"""\
# The demo's QuickBooks Desktop company: sales orders, invoiced when the order ships (the drop-ship flow).
connections:
  - tenant: {TENANT}
    connection: {CONNECTION}
    channel: shopify
    target: quickbooks_desktop
    mode: sales_orders_invoices
    invoice_when: fulfilled
"""


@dataclass(frozen=True)
class DesktopResult:
    posted_documents: int
    failed: int


async def run_desktop(
    services: LocalServices, database_url: str, console: Console, timeout: float, work_dir: Path
) -> DesktopResult:
    company = await connect_company_file(database_url, services.desktop_sim_url, TENANT, services.qbwc_url)
    settings = work_dir / "desktop-connection.yaml"
    settings.write_text(SETTINGS)
    await apply_file(settings, database_url)
    console.print(f"QuickBooks Desktop: company file {TENANT} connected through the Web Connector "
                  f"(simulator at {services.desktop_sim_url}, polling {services.qbwc_url})")  # fmt: skip
    sample = sample_named(SAMPLE)
    assert sample is not None
    paid = sample.payload()
    posted = failed = 0
    for payload, when in ((paid, "paid, not shipped"), (_shipped(paid), "shipped")):
        order = OrderToPublish(TENANT, CONNECTION, Channel.SHOPIFY, payload)
        (published,) = await publish_orders(services.stack.bootstrap_servers, [order])
        cid = published.envelope.meta.correlation_id
        outcomes = await wait_for_outcomes(services.stack.bootstrap_servers, {cid}, timeout=timeout)
        event = outcomes.events.get(cid)
        if event is None or event.status is not LedgerStatus.POSTED:
            console.print(f"QuickBooks Desktop: order {paid['order']['order_number']} ({when}) was not posted",
                          style="red")  # fmt: skip
            failed += 1
            continue
        posted += len(event.documents)
        docs = ", ".join(f"{d.type.value} {d.doc_number or ''}".strip() for d in event.documents)
        console.print(f"QuickBooks Desktop: order {event.order_number} ({when}): {docs}")
    await _settled(company)
    console.print(await _books_table(company))
    return DesktopResult(posted, failed)


async def _settled(company: ConnectedFile, seconds: float = 30.0) -> None:
    """The invoice's closing of its sales order and the payment's move follow it in the next round trips."""
    for _ in range(int(seconds / 0.5)):
        payments = [d for d in (await company.books())["documents"] if d["type"] == "ReceivePayment"]
        if payments and all(Decimal(str(p.get("balance") or "0")) == 0 for p in payments):
            return
        await asyncio.sleep(0.5)


def _shipped(payload: dict[str, Any]) -> dict[str, Any]:
    shipped = copy.deepcopy(payload)
    shipped["order"]["fulfillment_status"] = "fulfilled"
    return shipped


async def _books_table(company: ConnectedFile) -> Table:
    books = await company.books()
    table = Table(title=f"What was posted to QuickBooks Desktop (simulator, company file {company.tenant})")
    for column in ("Target", "Document", "Number", "Total", "Balance", "Status", "Linked to"):
        table.add_column(column, justify="right" if column in ("Total", "Balance") else "left")
    for doc in books["documents"]:
        balance = doc.get("balance")
        table.add_row(
            "QuickBooks Desktop",
            str(doc["type"]),
            str(doc.get("doc_number") or ""),
            str(Decimal(str(doc["total"]))),
            "" if balance in (None, "") else str(Decimal(str(balance))),
            str(doc.get("status") or ""),
            ", ".join(str(link).split(":")[0] for link in doc.get("linked") or []),
        )
    return table
