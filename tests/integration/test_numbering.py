"""Numbering on the real broker and database: next numbers in step with the books, collisions, exactly once."""

from __future__ import annotations

import asyncio
import copy
import random
import uuid
from collections import defaultdict
from typing import Any

from aiokafka import AIOKafkaProducer

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.watching import wait_for_outcomes
from ledgerflow.contracts import (
    Channel,
    CollisionPolicy,
    DocumentPlan,
    DocumentType,
    LedgerCommand,
    LedgerStatus,
    MessageMeta,
    NumberingMode,
    NumberingPolicy,
    Topic,
    TransactionMode,
    message_key,
)
from ledgerflow.ingest.normalizers import normalize
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient, equals
from ledgerflow.planner.handler import document_key_prefix
from ledgerflow.planner.modes import plan_order
from ledgerflow.planner.settings import ItemNames
from tests.integration.pipeline import keyed_item, read_topic

NEXT = NumberingPolicy(mode=NumberingMode.NEXT_NUMBER)


def make_plan(
    tenant: str,
    shopify: dict[str, Any],
    order_no: int,
    policy: NumberingPolicy,
    mode: TransactionMode = TransactionMode.INVOICES,
) -> DocumentPlan:
    payload = copy.deepcopy(shopify)
    payload["order"].update(id=7700000000000 + order_no, order_number=order_no, name=f"#{order_no}")
    order = normalize(Channel.SHOPIFY, payload)
    prefix = document_key_prefix(tenant, "shop", "shopify", order.channel_order_id)
    message_id = uuid.uuid4()
    return DocumentPlan(
        meta=MessageMeta(tenant_id=tenant, message_id=message_id, correlation_id=message_id),
        connection_id="shop",
        channel=Channel.SHOPIFY,
        channel_order_id=order.channel_order_id,
        order_number=order.order_number,
        order_version=1,
        mode=mode,
        numbering=policy,
        documents=plan_order(order, mode, key_prefix=prefix, items=ItemNames()),
    )


async def publish_plans(bootstrap: str, plans: list[DocumentPlan]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for plan in plans:
            await producer.send(Topic.PLANS, plan.model_dump_json().encode(), key=message_key(plan.meta.tenant_id))
        await producer.flush()
    finally:
        await producer.stop()


async def _keyed_in_by_hand(books: QuickBooksClient, tenant: str, number: str) -> None:
    customer = await books.create(tenant, "Customer", {"DisplayName": "Counter Sale"}, f"{tenant}-by-hand-c")
    item = await keyed_item(books, tenant, {"Name": "Misc", "Type": "Service"}, f"{tenant}-by-hand-i")
    line = {"DetailType": "SalesItemLineDetail", "Amount": 5,
            "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 1, "UnitPrice": 5}}  # fmt: skip
    body = {"CustomerRef": {"value": customer["Id"]}, "DocNumber": number, "PrivateNote": "keyed in", "Line": [line]}
    await books.create(tenant, "Invoice", body, f"{tenant}-by-hand-{number}")


async def test_next_number_starts_past_the_highest_number_in_the_books(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    await _keyed_in_by_hand(books, tenant, "1500")
    plans = [make_plan(tenant, shopify_paid, n, NEXT) for n in (1, 2, 3)]
    await publish_plans(services.stack.bootstrap_servers, plans)

    outcomes = await wait_for_outcomes(
        services.stack.bootstrap_servers, {p.meta.correlation_id for p in plans}, timeout=60
    )

    numbers = [outcomes.events[p.meta.correlation_id].documents[0].doc_number for p in plans]
    assert numbers == ["1501", "1502", "1503"]
    for plan, number in zip(plans, numbers, strict=True):
        (invoice,) = await books.query(tenant, "Invoice", equals("DocNumber", str(number)))
        assert invoice["PrivateNote"] == f"shopify order {plan.order_number}"  # the order number is in the memo


async def test_a_number_keyed_in_by_hand_is_skipped_when_the_connection_says_next_free(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    await _keyed_in_by_hand(books, tenant, "4242")
    policy = NumberingPolicy(on_collision=CollisionPolicy.NEXT_FREE)
    plan = make_plan(tenant, shopify_paid, 4242, policy, TransactionMode.INVOICES_WITH_PAYMENTS)
    await publish_plans(services.stack.bootstrap_servers, [plan])

    outcomes = await wait_for_outcomes(services.stack.bootstrap_servers, {plan.meta.correlation_id}, timeout=60)

    event = outcomes.events[plan.meta.correlation_id]
    assert event.status is LedgerStatus.POSTED
    assert [d.doc_number for d in event.documents] == ["4242A", None]
    assert len(await books.query(tenant, "Invoice", equals("DocNumber", "4242"))) == 1


async def test_refunds_of_one_order_are_numbered_n_n1_n2(
    services: LocalServices, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    plan = make_plan(tenant, shopify_paid, 3100, NumberingPolicy())
    invoice = plan.documents[0]
    memos = tuple(
        invoice.model_copy(
            update={"key": f"{invoice.key}/credit_memo/{i}", "type": DocumentType.CREDIT_MEMO, "sequence": i}
        )
        for i in range(3)
    )
    plan = plan.model_copy(update={"documents": (invoice, *memos)})
    await publish_plans(services.stack.bootstrap_servers, [plan])
    outcomes = await wait_for_outcomes(services.stack.bootstrap_servers, {plan.meta.correlation_id}, timeout=60)
    event = outcomes.events[plan.meta.correlation_id]
    assert [d.doc_number for d in event.documents] == ["3100", "3100", "3100-1", "3100-2"]


async def test_a_sales_order_and_its_invoice_share_the_order_number(
    services: LocalServices, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    plan = make_plan(tenant, shopify_paid, 5100, NumberingPolicy(prefix="SH-"))
    invoice = plan.documents[0]
    estimate = invoice.model_copy(update={"key": f"{invoice.key}/estimate", "type": DocumentType.ESTIMATE})
    plan = plan.model_copy(update={"documents": (estimate, invoice)})
    await publish_plans(services.stack.bootstrap_servers, [plan])
    outcomes = await wait_for_outcomes(services.stack.bootstrap_servers, {plan.meta.correlation_id}, timeout=60)
    event = outcomes.events[plan.meta.correlation_id]
    assert [(d.type.value, d.doc_number) for d in event.documents] == [("estimate", "SH-5100"), ("invoice", "SH-5100")]


async def test_concurrent_and_repeated_plans_on_two_replicas_number_without_duplicate_or_gap(
    services: LocalServices, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    tenants = [f"{tenant}-{i}" for i in range(4)]
    per_tenant = 40
    plans = [make_plan(t, shopify_paid, n, NEXT) for t in tenants for n in range(1, per_tenant + 1)]
    chooser = random.Random(7)
    redelivered = {id(p) for p in chooser.sample(plans, 40)}
    traffic: list[DocumentPlan] = []
    for plan in plans:
        traffic.append(plan)
        if id(plan) in redelivered:
            traffic.append(plan)  # the same message again, as at-least-once delivery may bring it
    traffic += [  # the same documents under a new message id, as a manual replay would send them
        p.model_copy(update={"meta": MessageMeta(tenant_id=p.meta.tenant_id, correlation_id=p.meta.correlation_id)})
        for p in chooser.sample(plans, 20)
    ]
    bootstrap = services.stack.bootstrap_servers

    services.start_service("numbering", replica=2)  # a second replica: the group rebalances
    try:
        await asyncio.sleep(2.0)
        first_half, second_half = traffic[: len(traffic) // 2], traffic[len(traffic) // 2 :]
        await publish_plans(bootstrap, first_half)
        services.kill_service("numbering", replica=1)  # a crash mid-stream: its partitions move over
        await publish_plans(bootstrap, second_half)
        services.start_service("numbering", replica=1)
        await wait_for_outcomes(bootstrap, {p.meta.correlation_id for p in plans}, timeout=120)
    finally:
        services.stop_service("numbering", replica=2)

    numbers: dict[str, set[str]] = defaultdict(set)
    for raw in await read_topic(bootstrap, Topic.COMMANDS):
        command = LedgerCommand.model_validate_json(raw)
        if command.meta.tenant_id in tenants:
            for doc in command.documents:
                numbers[doc.document.key].add(str(doc.doc_number))
    assert all(len(n) == 1 for n in numbers.values()), "a document was given two numbers"
    for t in tenants:
        issued = sorted(int(next(iter(n))) for key, n in numbers.items() if key.startswith(f"{t}/"))
        assert issued == list(range(1001, 1001 + per_tenant)), f"{t}: duplicates or gaps in {issued}"
