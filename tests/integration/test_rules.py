"""Rules (R4) on the real stack: applied with `ledgerflow config apply`, run by the planner, seen in the
simulator's books; a rule change never alters an order already posted."""

from __future__ import annotations

import asyncio
import copy
import json
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from typer.testing import CliRunner

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.main import app
from ledgerflow.contracts import DocumentPlan, DocumentType, Topic
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient, equals
from tests.integration.pipeline import publish_and_wait, raw_order, read_topic

SHOP = "shop"


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return str(result.stdout)


async def _rules(services: LocalServices, tmp_path: Path, tenant: str, rules: str) -> str:
    path = tmp_path / "rules.yaml"
    path.write_text(f"rules:\n  {tenant}:\n" + textwrap.indent(textwrap.dedent(rules).strip(), "    ") + "\n")
    # The command runs its own event loop, so it runs beside this test's.
    return await asyncio.to_thread(_cli, "config", "apply", str(path), "--database-url", services.stack.database_url)


def _version(payload: dict[str, Any], **order: Any) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    changed["order"].update(order)
    return changed


async def _post(services: LocalServices, tenant: str, payload: dict[str, Any]) -> list[tuple[DocumentType, str]]:
    envelope = raw_order(tenant, payload, SHOP)
    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, envelope)
    assert envelope.meta.correlation_id in outcomes.events, outcomes.dead_letters.get(envelope.meta.correlation_id)
    return [(d.type, d.action.value) for d in outcomes.events[envelope.meta.correlation_id].documents]


async def _invoice(books: QuickBooksClient, tenant: str, number: str) -> dict[str, Any]:
    (invoice,) = await books.query(tenant, "Invoice", equals("DocNumber", number))
    return invoice


async def _rule_runs(services: LocalServices, tenant: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(services.stack.database_url)
    try:
        return await connection.fetch(
            "SELECT channel_order_id, rule_set_version, skipped, fired::text AS fired FROM planner.rule_runs "
            "WHERE tenant_id = $1 ORDER BY id",
            tenant,
        )
    finally:
        await connection.close()


async def test_a_sku_remap_reaches_the_books_with_its_audit_trail(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    applied = await _rules(services, tmp_path, tenant, """
        - name: old tent SKU
          when: {field: line.sku, op: eq, value: TENT-2P}
          then: [{action: remap_sku, from: TENT-2P, to: TENT-TWO}]
    """)  # fmt: skip
    assert f"{tenant} rules: version 1 (1 rules)" in applied
    assert await _post(services, tenant, shopify_paid) == [
        (DocumentType.INVOICE, "create"), (DocumentType.PAYMENT, "create"),
    ]  # fmt: skip
    invoice = await _invoice(books, tenant, "1001")
    items = [line["SalesItemLineDetail"]["ItemRef"]["name"] for line in invoice["Line"][:2]]
    assert items == ["TENT-TWO", "STOVE-MINI"]
    assert invoice["TotalAmt"] == Decimal("340.11")

    (run,) = await _rule_runs(services, tenant)
    assert (run["rule_set_version"], run["skipped"]) == (1, False)
    assert json.loads(run["fired"]) == [
        {"index": 0, "rule": "old tent SKU", "changes": ["line 9001 sku: TENT-2P -> TENT-TWO"]}
    ]
    plans = [DocumentPlan.model_validate_json(v) for v in await read_topic(services.stack.bootstrap_servers,
                                                                          Topic.PLANS.value)]  # fmt: skip
    (plan,) = [p for p in plans if p.meta.tenant_id == tenant]
    assert [(a.rule, a.changes) for a in plan.documents[0].applied_rules] == [
        ("old tent SKU", ("line 9001 sku: TENT-2P -> TENT-TWO",))
    ]


async def test_an_order_number_prefix_per_channel(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    await _rules(services, tmp_path, tenant, """
        - name: Amazon numbering
          when: {field: order.channel, op: eq, value: amazon}
          then: [{action: order_number_prefix, prefix: AZ-}]
        - name: Web numbering
          when: {field: order.channel, op: eq, value: shopify}
          then: [{action: order_number_prefix, prefix: WEB-}]
    """)  # fmt: skip
    await _post(services, tenant, shopify_paid)
    assert (await _invoice(books, tenant, "WEB-1001"))["TotalAmt"] == Decimal("340.11")


async def test_do_not_import_leaves_the_order_out_of_the_books(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    await _rules(services, tmp_path, tenant, """
        - name: wholesale is invoiced by hand
          when: {field: order.tags, op: eq, value: wholesale}
          then: [{action: do_not_import, reason: invoiced from the ERP}]
    """)  # fmt: skip
    wholesale = raw_order(tenant, _version(shopify_paid, tags="wholesale, vip"), SHOP)
    retail = raw_order(tenant, _version(shopify_paid, id=5400000004001, order_number=4001, name="#4001"), SHOP)
    # One tenant's orders keep their order: once the retail order is posted, the wholesale one was planned.
    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, wholesale, retail, expect=[retail])
    assert wholesale.meta.correlation_id not in outcomes.events
    invoices = await books.query(tenant, "Invoice", "TxnDate >= '2000-01-01'")
    assert [i["DocNumber"] for i in invoices] == ["4001"]
    (run,) = await _rule_runs(services, tenant)
    assert (run["channel_order_id"], run["skipped"]) == ("5400000001001", True)
    assert "no (rule 'wholesale is invoiced by hand': invoiced from the ERP)" in run["fired"]


async def test_mark_unpaid_leaves_the_invoice_open_and_records_no_payment(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    await _rules(services, tmp_path, tenant, """
        - name: marketplace pays later
          when: {field: order.payment_methods, op: eq, value: shopify_payments}
          then: [{action: mark_unpaid}]
    """)  # fmt: skip
    assert await _post(services, tenant, shopify_paid) == [(DocumentType.INVOICE, "create")]
    invoice = await _invoice(books, tenant, "1001")
    assert (invoice["TotalAmt"], invoice["Balance"]) == (Decimal("340.11"), Decimal("340.11"))
    assert await books.query(tenant, "Payment", "TxnDate >= '2000-01-01'") == []


async def test_a_rule_change_never_alters_an_order_already_posted(
    services: LocalServices, books: QuickBooksClient, tenant: str, samples: dict[str, Any], tmp_path: Path
) -> None:
    remap = """
        - name: lantern
          when: {{field: line.sku, op: eq, value: LANTERN-LED}}
          then: [{{action: remap_sku, from: LANTERN-LED, to: {to}}}]
    """
    await _rules(services, tmp_path, tenant, remap.format(to="LANTERN-V1"))
    unpaid = samples["acme-1002-bank-deposit-unpaid"].payload()
    assert await _post(services, tenant, unpaid) == [(DocumentType.INVOICE, "create")]
    assert "version 2" in await _rules(services, tmp_path, tenant, remap.format(to="LANTERN-V2"))

    # The paid version is planned under the rules its invoice was: the payment only, no "changed after posting".
    assert await _post(services, tenant, _version(unpaid, financial_status="paid")) == [
        (DocumentType.PAYMENT, "create")
    ]
    invoice = await _invoice(books, tenant, "1002")
    assert invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"]["name"] == "LANTERN-V1"
    assert invoice["Balance"] == 0

    # A new order takes the rules as they are now.
    await _post(services, tenant, _version(unpaid, id=5400000001902, order_number=1902, name="#1902"))
    invoice = await _invoice(books, tenant, "1902")
    assert invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"]["name"] == "LANTERN-V2"


async def test_class_location_tax_code_and_deposit_account_reach_the_books(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any], tmp_path: Path
) -> None:
    camping = (await books.create(tenant, "Class", {"Name": "Camping"}, f"class-{tenant}"))["Id"]
    online = (await books.create(tenant, "Department", {"Name": "Online"}, f"department-{tenant}"))["Id"]
    (checking,) = await books.query(tenant, "Account", equals("Name", "Checking"))
    await _rules(services, tmp_path, tenant, """
        - name: web store
          when: {field: order.channel, op: eq, value: shopify}
          then:
            - {action: set_class, name: Camping}
            - {action: set_location, name: Online}
            - {action: deposit_account, account: Checking}
        - name: tents are not taxed
          when: {field: line.sku, op: starts_with, value: TENT}
          then: [{action: set_tax_code, code: NON}, {action: set_line_class, name: Camping}]
    """)  # fmt: skip
    await _post(services, tenant, shopify_paid)
    invoice = await _invoice(books, tenant, "1001")
    assert (invoice["ClassRef"], invoice["DepartmentRef"]) == ({"value": camping}, {"value": online})
    tent = invoice["Line"][0]["SalesItemLineDetail"]
    assert (tent["TaxCodeRef"], tent["ClassRef"]) == ({"value": "NON"}, {"value": camping})
    # the stove was sent without a code: QuickBooks answers its default, NON, and no class
    stove = invoice["Line"][1]["SalesItemLineDetail"]
    assert (stove["TaxCodeRef"], "ClassRef" in stove) == ({"value": "NON"}, False)
    (payment,) = await books.query(tenant, "Payment", "TxnDate >= '2000-01-01'")
    assert payment["DepositToAccountRef"] == {"value": checking["Id"]}
