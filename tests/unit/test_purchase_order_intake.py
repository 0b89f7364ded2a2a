"""Purchase orders come in like orders: signed webhooks onto purchase_orders.raw, and `ledgerflow publish --kind
purchase_order`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from typer.testing import CliRunner

from ledgerflow.cli.main import app
from ledgerflow.cli.publishing import PurchaseOrderToPublish, purchase_order_envelope, topic_of
from ledgerflow.contracts import Channel, PurchaseOrderSystem, RawPurchaseOrderEnvelope, Topic
from ledgerflow.ingest.webhooks import Envelope, WebhookConnection, WebhookSettings, create_webhook_app, signature_of

FIXTURES = Path(__file__).parents[1] / "fixtures" / "purchase_orders"
SECRET = "po-relay-secret-0123456789"
SETTINGS = WebhookSettings(
    connections={
        "acme-linnworks": WebhookConnection(tenant="acme", channel=PurchaseOrderSystem.LINNWORKS, secret=SECRET),
        "acme-xseries": WebhookConnection(tenant="acme", channel=PurchaseOrderSystem.LIGHTSPEED_X, secret=SECRET),
        "acme-shopify": WebhookConnection(tenant="acme", channel=Channel.SHOPIFY, secret=SECRET),
    }
)


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[Any] = []

    async def publish(self, envelope: Envelope) -> None:
        self.published.append(envelope)


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def client(publisher: RecordingPublisher) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_webhook_app(SETTINGS, publisher)), base_url="http://receiver"
    )


def _signed(body: bytes, delivery: str | None = None) -> dict[str, str]:
    headers = {"X-Ledgerflow-Hmac-SHA256": signature_of(SECRET, body)}
    return headers | ({"X-Ledgerflow-Delivery-Id": delivery} if delivery else {})


async def test_a_signed_purchase_order_is_published_for_the_connections_tenant(
    client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    body = (FIXTURES / "linnworks-partial-gbp.json").read_bytes()
    response = await client.post(
        "/webhooks/acme-linnworks/purchase-orders/linnworks", content=body, headers=_signed(body, "d-1")
    )
    assert response.status_code == 202, response.text
    (envelope,) = publisher.published
    assert isinstance(envelope, RawPurchaseOrderEnvelope)
    assert (envelope.meta.tenant_id, envelope.system, envelope.source) == (
        "acme",
        PurchaseOrderSystem.LINNWORKS,
        "webhook",
    )
    assert envelope.payload == json.loads(body)
    again = await client.post(
        "/webhooks/acme-linnworks/purchase-orders/linnworks", content=body, headers=_signed(body, "d-1")
    )
    assert again.json()["message_id"] == response.json()["message_id"]  # a redelivery is the same message


async def test_x_series_form_encoded_payload_is_unwrapped(
    client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    bundle = (FIXTURES / "lightspeed_x-purchase-order-delivered.json").read_text()
    body = urlencode({"payload": bundle, "type": "consignment.receive"}).encode()
    response = await client.post(
        "/webhooks/acme-xseries/purchase-orders/lightspeed_x", content=body, headers=_signed(body)
    )
    assert response.status_code == 202, response.text
    assert publisher.published[0].payload == json.loads(bundle)


async def test_a_wrong_signature_is_refused_before_the_body_is_read(
    client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    response = await client.post(
        "/webhooks/acme-linnworks/purchase-orders/linnworks", content=b"{}", headers={"X-Ledgerflow-Hmac-SHA256": "bad"}
    )
    assert (response.status_code, publisher.published) == (401, [])
    assert "x-ledgerflow-hmac-sha256" in response.json()["error"]


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/webhooks/acme-linnworks/purchase-orders/erply", 400, "receives linnworks webhooks, not erply"),
        ("/webhooks/acme-shopify/purchase-orders/linnworks", 400, "receives shopify webhooks"),
        ("/webhooks/acme-linnworks/purchase-orders/netsuite", 404, "unknown purchase-order system 'netsuite'"),
        ("/webhooks/nobody/purchase-orders/linnworks", 404, "no webhook connection named 'nobody'"),
        ("/webhooks/acme-linnworks/shopify", 400, "receives linnworks webhooks, not shopify"),
    ],
)
async def test_a_purchase_order_for_the_wrong_system_or_connection_is_refused(
    client: httpx.AsyncClient, path: str, status: int, says: str
) -> None:
    response = await client.post(path, content=b"{}", headers=_signed(b"{}"))
    assert response.status_code == status and says in response.json()["error"]


def test_published_purchase_orders_go_to_their_own_topic() -> None:
    message = purchase_order_envelope(PurchaseOrderToPublish("acme", "acme-erply", PurchaseOrderSystem.ERPLY, {}))
    assert topic_of(message) is Topic.RAW_PURCHASE_ORDERS and message.source == "publish"


def test_publish_purchase_order_with_a_channel_that_is_no_system_is_a_usage_error(tmp_path: Path) -> None:
    order = tmp_path / "po.json"
    order.write_text("{}")
    result = CliRunner().invoke(
        app,
        [
            "publish",
            "--bootstrap",
            "127.0.0.1:1",
            "--tenant",
            "acme",
            "--connection",
            "acme-po",
            "--kind",
            "purchase_order",
            "--channel",
            "shopify",
            str(order),
        ],
    )
    assert result.exit_code == 2
    said = " ".join(result.output.replace("│", " ").split())
    assert "'shopify' is not a purchase-order system ledgerflow reads" in said and "linnworks" in said
