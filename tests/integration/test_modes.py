"""Transaction modes in the books: what each mode leaves there."""

from __future__ import annotations

from typing import Any

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.watching import wait_for_outcomes
from ledgerflow.contracts import NumberingPolicy, TransactionMode
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient, equals
from tests.integration.test_numbering import make_plan, publish_plans


async def test_m5_the_invoice_closes_its_sales_order_and_is_paid_in_full(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    plan = make_plan(tenant, shopify_paid, 6100, NumberingPolicy(), TransactionMode.SALES_ORDERS_INVOICES)
    await publish_plans(services.stack.bootstrap_servers, [plan])
    outcomes = await wait_for_outcomes(services.stack.bootstrap_servers, {plan.meta.correlation_id}, timeout=60)

    event = outcomes.events[plan.meta.correlation_id]
    assert [(d.type.value, d.doc_number) for d in event.documents] == [
        ("sales_order", "6100"), ("invoice", "6100"), ("payment", None),
    ]  # fmt: skip
    (estimate,) = await books.query(tenant, "Estimate", equals("DocNumber", "6100"))
    (invoice,) = await books.query(tenant, "Invoice", equals("DocNumber", "6100"))
    assert estimate["TxnStatus"] == "Closed"
    assert estimate["LinkedTxn"] == [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
    assert {"TxnId": estimate["Id"], "TxnType": "Estimate"} in invoice["LinkedTxn"]
    assert invoice["Balance"] == 0
