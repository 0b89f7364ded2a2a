"""The demo's Linnworks tenant: a purchase order Linnworks made, delivered in parts, reaches the books as a
purchase order, a bill per delivery linked to it, and its close when Linnworks marks it delivered.

The payload is ours (Linnworks publishes no example with real values), shaped as Get_PurchaseOrder returns it.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ledgerflow.cli.configuration import apply_file
from ledgerflow.cli.local_services import SIM_TOKEN, LocalServices
from ledgerflow.cli.publishing import PurchaseOrderToPublish, publish_purchase_orders
from ledgerflow.cli.watching import wait_for_outcomes
from ledgerflow.contracts import LedgerStatus, PurchaseOrderSystem
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient

TENANT = "northwind"
CONNECTION = "northwind-linnworks"
VENDOR = "Northwind Ceramics"
SUPPLIER = "b7e2d4c1-5a3f-4e9b-8c21-6d0f3a9e7c55"
SETTINGS = f"""\
# The demo's Linnworks tenant: Linnworks makes the purchase orders; a bill per delivery, on QuickBooks Online.
connections:
  - tenant: {TENANT}
    connection: {CONNECTION}
    channel: linnworks
    receipt_policy: receipt-as-bill
    vendors:
      {SUPPLIER}: {VENDOR}
"""


@dataclass(frozen=True)
class PurchaseOrderResult:
    posted_documents: int
    failed: int


def sample_purchase_order() -> dict[str, Any]:
    root = Path(str(resources.files("ledgerflow.cli.samples"))) / "purchase_orders"
    body: dict[str, Any] = json.loads((root / "linnworks-po-2041-partly-delivered.json").read_text())
    return body


def delivered(partial: dict[str, Any]) -> dict[str, Any]:
    """The same purchase order a few days on: the last white mugs came, and Linnworks marked it delivered."""
    payload = copy.deepcopy(partial)
    payload["PurchaseOrderHeader"]["Status"] = "DELIVERED"
    payload["PurchaseOrderItem"][1]["Delivered"] = 12
    payload["DeliveredRecords"].append(
        {
            **payload["DeliveredRecords"][1],
            "fkDeliveryId": 503,
            "pkDeliveryRecordId": 9003,
            "CreatedDateTime": "2026-11-14T10:00:00Z",
        }
    )
    return payload


async def run_purchase_orders(
    services: LocalServices, database_url: str, console: Console, timeout: float, work_dir: Path
) -> PurchaseOrderResult:
    books = QuickBooksClient(services.sim_url, SIM_TOKEN)
    try:
        await books.create(TENANT, "Vendor", {"DisplayName": VENDOR}, "demo-northwind-vendor")  # never made up
        settings = work_dir / "purchase-order-connection.yaml"
        settings.write_text(SETTINGS)
        await apply_file(settings, database_url)
        partial = sample_purchase_order()
        posted = failed = 0
        for payload, when in ((partial, "partly delivered"), (delivered(partial), "delivered")):
            order = PurchaseOrderToPublish(TENANT, CONNECTION, PurchaseOrderSystem.LINNWORKS, payload)
            (published,) = await publish_purchase_orders(services.stack.bootstrap_servers, [order])
            cid = published.envelope.meta.correlation_id
            outcomes = await wait_for_outcomes(services.stack.bootstrap_servers, {cid}, timeout=timeout)
            event = outcomes.events.get(cid)
            if event is None or event.status is not LedgerStatus.POSTED:
                letter = outcomes.dead_letters.get(cid)
                why = letter.error.message if letter else "no outcome in time"
                console.print(f"Linnworks purchase order PO-2041 ({when}) was not posted: {why}", style="red")
                failed += 1
                continue
            posted += len(event.documents)
            docs = ", ".join(
                f"{d.type.value}{' ' + d.action.value if d.action.value != 'create' else ''}" for d in event.documents
            )
            console.print(f"Linnworks purchase order {event.order_number} ({when}): {docs}")
        console.print(await _books_table(books))
    finally:
        await books.aclose()
    return PurchaseOrderResult(posted, failed)


async def _books_table(books: QuickBooksClient) -> Table:
    table = Table(title=f"What reached QuickBooks Online for {TENANT}'s Linnworks purchase order (simulator)")
    for column in ("Document", "Number", "Date", "Vendor", "Total", "Status", "Linked to"):
        table.add_column(column, justify="right" if column == "Total" else "left")
    for entity in ("PurchaseOrder", "Bill"):
        for doc in await books.query(TENANT, entity, "TxnDate >= '2000-01-01'"):
            table.add_row(
                entity,
                str(doc.get("DocNumber") or ""),
                str(doc["TxnDate"]),
                VENDOR,
                f"{Decimal(str(doc['TotalAmt'])):.2f} {doc['CurrencyRef']['value']}",
                str(doc.get("POStatus") or ""),
                ", ".join(str(link["TxnType"]) for link in doc.get("LinkedTxn") or []),
            )
    return table
