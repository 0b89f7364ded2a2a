"""`ledgerflow config apply` and the planner honouring a connection's settings on the real stack."""

from __future__ import annotations

import asyncio
import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.main import app
from ledgerflow.contracts import DocumentType, LedgerStatus
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient, equals
from tests.integration.pipeline import publish_and_wait, raw_order


def _apply(services: LocalServices, path: Path) -> str:
    result = CliRunner().invoke(app, ["config", "apply", str(path), "--database-url", services.stack.database_url])
    assert result.exit_code == 0, result.output
    return str(result.stdout)


async def test_paid_orders_become_sales_receipts_and_unpaid_ones_invoices_from_one_connection(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    settings = tmp_path / "connection.yaml"
    settings.write_text(
        f"tenant: {tenant}\nconnection: shop\nchannel: shopify\n"
        "routing: {paid: sales_receipts, unpaid: invoices}\nnumbering: {prefix: 'SH-'}\n"
    )
    # The command runs its own event loop, so it runs beside this test's.
    assert "version 1" in await asyncio.to_thread(_apply, services, settings)
    assert "version 1" in await asyncio.to_thread(_apply, services, settings)  # unchanged: no new version

    unpaid_payload = copy.deepcopy(shopify_paid)
    unpaid_payload["order"].update(id=5400000300001, order_number=3001, name="#3001", financial_status="pending")
    paid, unpaid = raw_order(tenant, shopify_paid), raw_order(tenant, unpaid_payload)
    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, paid, unpaid)

    assert [(d.type, d.doc_number) for d in outcomes.events[paid.meta.correlation_id].documents] == [
        (DocumentType.SALES_RECEIPT, "SH-1001")
    ]
    assert [(d.type, d.doc_number) for d in outcomes.events[unpaid.meta.correlation_id].documents] == [
        (DocumentType.INVOICE, "SH-3001")
    ]
    assert outcomes.events[paid.meta.correlation_id].status is LedgerStatus.POSTED
    (receipt,) = await books.query(tenant, "SalesReceipt", equals("DocNumber", "SH-1001"))
    assert receipt["TotalAmt"] == Decimal("340.11")


def test_invalid_settings_are_refused_with_every_problem(services: LocalServices, tmp_path: Path) -> None:
    settings = tmp_path / "bad.yaml"
    settings.write_text("tenant: acme\nconnection: shop\nchannel: nowhere\nmode: sometimes\n")
    result = CliRunner().invoke(app, ["config", "apply", str(settings), "--database-url", services.stack.database_url])
    assert result.exit_code == 2
    assert "connections[0].channel" in result.stderr and "connections[0].mode" in result.stderr
