"""Failures are explained per order, dead-lettered, and never stop the pipeline or duplicate a number."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.contracts import DocumentType, LedgerStatus, Topic, dead_letter_topic
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient, equals
from tests.integration.pipeline import keyed_item, publish_and_wait, raw_order, read_topic


def _renumbered(payload: dict[str, Any], order_id: int, number: int) -> dict[str, Any]:
    copied = copy.deepcopy(payload)
    copied["order"].update(id=order_id, order_number=number, name=f"#{number}")
    return copied


async def test_a_number_already_held_by_a_document_keyed_by_hand_is_never_duplicated(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    customer = await books.create(tenant, "Customer", {"DisplayName": "Walk-in"}, f"{tenant}-c")
    item = await keyed_item(books, tenant, {"Name": "Misc", "Type": "Service"}, f"{tenant}-i")
    by_hand = {
        "CustomerRef": {"value": customer["Id"]},
        "DocNumber": "1001",
        "PrivateNote": "typed in by the bookkeeper",
        "Line": [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": Decimal(5),
                "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 1, "UnitPrice": Decimal(5)},
            }
        ],
    }
    await books.create(tenant, "Invoice", by_hand, f"{tenant}-by-hand")
    envelope = raw_order(tenant, shopify_paid)

    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, envelope)

    event = outcomes.events[envelope.meta.correlation_id]
    assert event.status is LedgerStatus.FAILED
    invoice, payment = event.documents
    assert invoice.error is not None and invoice.error.code == "number.collision"
    assert "1001" in invoice.error.message and invoice.error.fix
    assert payment.error is not None and payment.error.code == "document.dependency_failed"
    (only,) = await books.query(tenant, "Invoice", equals("DocNumber", "1001"))
    assert only["PrivateNote"] == "typed in by the bookkeeper"


async def test_two_orders_with_one_number_get_a_collision_not_a_duplicate(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    first = raw_order(tenant, _renumbered(shopify_paid, 5400000003001, 3001))
    clash = raw_order(tenant, _renumbered(shopify_paid, 5400000003002, 3001))  # another order, same number

    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, first, clash)

    assert outcomes.events[first.meta.correlation_id].status is LedgerStatus.POSTED
    letter = outcomes.dead_letters[clash.meta.correlation_id]
    assert letter.stage == "numbering"
    assert letter.source_topic == Topic.PLANS
    assert letter.error.code == "number.collision"
    assert len(await books.query(tenant, "Invoice", equals("DocNumber", "3001"))) == 1


async def test_a_refusal_from_the_books_is_a_failed_event_and_a_dead_letter(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    # QuickBooks names are unique across customers and vendors: the order's customer cannot be created.
    await books.create(tenant, "Vendor", {"DisplayName": "Jane Cooper"}, f"{tenant}-vendor")
    refused = raw_order(tenant, shopify_paid)
    later = raw_order(tenant, _renumbered(shopify_paid, 5400000004001, 4001))
    later.payload["order"]["customer"] = None
    later.payload["order"]["billing_address"] = None

    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, refused, later)

    event = outcomes.events[refused.meta.correlation_id]
    assert event.status is LedgerStatus.FAILED
    error = event.documents[0].error
    assert error is not None and error.code == "qbo.6240"
    assert "Duplicate Name" in error.message
    posted = outcomes.events[later.meta.correlation_id]
    assert posted.status is LedgerStatus.POSTED
    assert [d.type for d in posted.documents] == [DocumentType.INVOICE, DocumentType.PAYMENT]

    letters = await read_topic(services.stack.bootstrap_servers, dead_letter_topic(Topic.COMMANDS))
    assert any(str(refused.meta.correlation_id).encode() in v and b"qbo.6240" in v for v in letters)


async def test_a_refused_order_can_be_replayed_once_the_books_are_fixed(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    vendor = await books.create(tenant, "Vendor", {"DisplayName": "Jane Cooper"}, f"{tenant}-vendor")
    first = raw_order(tenant, shopify_paid)
    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, first)
    assert outcomes.events[first.meta.correlation_id].status is LedgerStatus.FAILED

    # The bookkeeper renames the vendor, then the same, unchanged order is replayed.
    await books.create(tenant, "Vendor", {"Id": vendor["Id"], "SyncToken": vendor["SyncToken"], "sparse": True,
                                          "DisplayName": "Jane Cooper (vendor)"}, f"{tenant}-rename")  # fmt: skip
    replay = raw_order(tenant, shopify_paid).model_copy(update={"source": "replay"})
    _, outcomes = await publish_and_wait(services.stack.bootstrap_servers, replay)

    assert outcomes.events[replay.meta.correlation_id].status is LedgerStatus.POSTED, (
        outcomes.events[replay.meta.correlation_id].documents[0].error
    )
    (invoice,) = await books.query(tenant, "Invoice", equals("DocNumber", "1001"))
    assert invoice["Balance"] == 0
