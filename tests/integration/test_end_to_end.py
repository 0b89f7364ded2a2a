"""A Shopify order published to orders.raw ends up in QuickBooks Online as an invoice and its payment."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.contracts import DeadLetter, LedgerStatus, Topic, dead_letter_topic, message_key
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient, equals
from tests.integration.pipeline import publish_and_wait, publish_raw_bytes, raw_order, read_topic


def _trace_id(traceparent: str | None) -> str:
    assert traceparent is not None
    return traceparent.split("-")[1]


async def test_order_becomes_an_invoice_and_its_payment(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    envelope = raw_order(tenant, shopify_paid)
    (published,), outcomes = await publish_and_wait(services.stack.bootstrap_servers, envelope)

    event = outcomes.events[envelope.meta.correlation_id]
    assert event.status is LedgerStatus.POSTED
    assert [(d.type.value, d.doc_number, d.total) for d in event.documents] == [
        ("invoice", "1001", Decimal("340.11")),
        ("payment", None, Decimal("340.11")),
    ]

    (invoice,) = await books.query(tenant, "Invoice", equals("DocNumber", "1001"))
    assert invoice["TotalAmt"] == Decimal("340.11")
    assert invoice["Balance"] == 0
    assert invoice["PrivateNote"] == "shopify order 1001"
    sales_lines = [
        (line["SalesItemLineDetail"]["ItemRef"]["name"], line["SalesItemLineDetail"]["Qty"], line["Amount"])
        for line in invoice["Line"]
        if line["DetailType"] == "SalesItemLineDetail"
    ]
    assert sales_lines == [
        ("TENT-2P", 1, Decimal("249.00")),
        ("STOVE-MINI", 2, Decimal("79.00")),
        ("Shipping", 1, Decimal("12.00")),
        ("Sales Tax", 1, Decimal("25.01")),
    ]
    discounts = [line["Amount"] for line in invoice["Line"] if line["DetailType"] == "DiscountLineDetail"]
    assert discounts == [Decimal("24.90")]
    customer = await books.read(tenant, "Customer", invoice["CustomerRef"]["value"])
    assert customer["DisplayName"] == "Jane Cooper"

    (payment,) = await books.query(tenant, "Payment", equals("CustomerRef", invoice["CustomerRef"]["value"]))
    assert payment["TotalAmt"] == Decimal("340.11")
    assert payment["Line"][0]["LinkedTxn"] == [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
    assert payment["UnappliedAmt"] == 0

    # One trace from the publish to the posted event, carried in Kafka headers across all four services.
    assert _trace_id(outcomes.headers[envelope.meta.correlation_id].get("traceparent")) == _trace_id(
        published.traceparent
    )


async def test_redelivered_and_republished_orders_post_once(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    bootstrap = services.stack.bootstrap_servers
    first = raw_order(tenant, shopify_paid)
    unchanged_again = raw_order(tenant, shopify_paid)  # a new message, the same order: dropped as unchanged
    sentinel_payload = copy.deepcopy(shopify_paid)
    sentinel_payload["order"].update(id=5400000009999, order_number=1999, name="#1999")
    sentinel = raw_order(tenant, sentinel_payload)
    # The same envelope three times, as at-least-once delivery may do; the sentinel comes last on the
    # tenant's partition, so once it is posted everything before it has been through every stage.
    await publish_and_wait(bootstrap, first, first, unchanged_again, first, sentinel, expect=[first, sentinel])

    assert len(await books.query(tenant, "Invoice", equals("DocNumber", "1001"))) == 1
    assert len(await books.query(tenant, "Invoice", equals("DocNumber", "1999"))) == 1
    assert len(await books.query(tenant, "Payment", "TotalAmt > '0'")) == 2
    events = [e for e in await read_topic(bootstrap, Topic.EVENTS) if tenant.encode() in e]
    assert len(events) == 2


async def test_bad_input_is_dead_lettered_and_the_pipeline_keeps_going(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    bootstrap = services.stack.bootstrap_servers
    partition, offset = await publish_raw_bytes(bootstrap, Topic.RAW_ORDERS, message_key(tenant), b"{not json")
    unbalanced_payload = copy.deepcopy(shopify_paid)
    unbalanced_payload["order"]["total_price"] = "999.99"
    unbalanced = raw_order(tenant, unbalanced_payload)
    good_payload = copy.deepcopy(shopify_paid)
    good_payload["order"].update(id=5400000002002, order_number=2002, name="#2002")
    good = raw_order(tenant, good_payload)

    _, outcomes = await publish_and_wait(bootstrap, unbalanced, good)

    letter = outcomes.dead_letters[unbalanced.meta.correlation_id]
    assert letter.error.code == "order.unbalanced"
    assert "999.99 USD" in letter.error.message and "340.11 USD" in letter.error.message
    assert letter.source_topic == Topic.RAW_ORDERS
    assert letter.payload and "999.99" in letter.payload
    assert outcomes.events[good.meta.correlation_id].status is LedgerStatus.POSTED
    assert await books.query(tenant, "Invoice", equals("DocNumber", "1001")) == []

    unreadable = [
        DeadLetter.model_validate_json(v) for v in await read_topic(bootstrap, dead_letter_topic(Topic.RAW_ORDERS))
    ]
    (garbage,) = [d for d in unreadable if (d.source_partition, d.source_offset) == (partition, offset)]
    assert garbage.error.code == "message.invalid"
    assert garbage.payload == "{not json"
    assert garbage.meta.tenant_id == "unknown"
