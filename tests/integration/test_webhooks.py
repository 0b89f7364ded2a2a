"""A signed Shopify webhook, received over HTTP, ends up posted in the books, on the real broker."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.watching import wait_for_outcomes
from ledgerflow.contracts import Channel, LedgerStatus
from ledgerflow.ingest.webhooks import (
    KafkaPublisher,
    WebhookConnection,
    WebhookSettings,
    create_webhook_app,
    signature_of,
)
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient, equals
from ledgerflow.runtime.settings import KafkaSettings

SECRET = "whsec-integration"


async def test_signed_webhook_to_posted_invoice(
    services: LocalServices, books: QuickBooksClient, tenant: str, shopify_paid: dict[str, Any]
) -> None:
    settings = WebhookSettings(
        connections={"shop": WebhookConnection(tenant=tenant, channel=Channel.SHOPIFY, secret=SECRET)}
    )
    publisher = KafkaPublisher(KafkaSettings(bootstrap_servers=services.stack.bootstrap_servers))
    await publisher.start()
    try:
        app = create_webhook_app(settings, publisher)
        body = json.dumps(shopify_paid["order"]).encode()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver") as client:
            unsigned = await client.post("/webhooks/shop/shopify", content=body)
            response = await client.post(
                "/webhooks/shop/shopify", content=body, headers={"X-Shopify-Hmac-SHA256": signature_of(SECRET, body)}
            )
    finally:
        await publisher.stop()
    assert unsigned.status_code == 401
    assert response.status_code == 202

    message_id = response.json()["message_id"]
    outcomes = await wait_for_outcomes(services.stack.bootstrap_servers, {uuid.UUID(message_id)}, timeout=60)
    (event,) = outcomes.events.values()
    assert event.status is LedgerStatus.POSTED
    (invoice,) = await books.query(tenant, "Invoice", equals("DocNumber", "1001"))
    assert invoice["Balance"] == 0
