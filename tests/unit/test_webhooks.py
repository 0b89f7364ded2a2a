"""The webhook receiver: platform signatures checked in constant time, then onto orders.raw."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from ledgerflow.cli.samples import SampleOrder
from ledgerflow.contracts import MAX_MESSAGE_BYTES, Channel
from ledgerflow.ingest.webhooks import Envelope, WebhookConnection, WebhookSettings, create_webhook_app, signature_of
from ledgerflow.qbo_sim.server import ServerOptions, serve

SECRET = "shpss_0123456789abcdef"
SETTINGS = WebhookSettings(
    connections={
        "acme-shopify": WebhookConnection(tenant="acme", channel=Channel.SHOPIFY, secret=SECRET),
        "acme-woo": WebhookConnection(tenant="acme", channel=Channel.WOOCOMMERCE, secret=SECRET),
        "acme-square": WebhookConnection(tenant="acme", channel=Channel.SQUARE, secret=SECRET),
    },
    max_body_bytes=64 * 1024,
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
    app = create_webhook_app(SETTINGS, publisher)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver")


def _body(samples: dict[str, SampleOrder]) -> bytes:
    order: dict[str, Any] = samples["acme-1001-paid-tax-shipping-discount"].payload()["order"]
    return json.dumps(order).encode()


async def test_a_signed_shopify_webhook_is_published_for_the_connections_tenant(
    client: httpx.AsyncClient, publisher: RecordingPublisher, samples: dict[str, SampleOrder]
) -> None:
    body = _body(samples)
    headers = {"X-Shopify-Hmac-SHA256": signature_of(SECRET, body), "X-Shopify-Webhook-Id": "b54557e4"}
    response = await client.post("/webhooks/acme-shopify/shopify", content=body, headers=headers)
    assert response.status_code == 202
    (envelope,) = publisher.published
    assert (envelope.meta.tenant_id, envelope.connection_id, envelope.channel, envelope.source) == (
        "acme", "acme-shopify", Channel.SHOPIFY, "webhook",
    )  # fmt: skip
    assert envelope.payload["order_number"] == 1001


async def test_a_redelivered_webhook_becomes_the_same_message(
    client: httpx.AsyncClient, publisher: RecordingPublisher, samples: dict[str, SampleOrder]
) -> None:
    body = _body(samples)
    headers = {"X-Shopify-Hmac-SHA256": signature_of(SECRET, body), "X-Shopify-Webhook-Id": "same-delivery"}
    for _ in range(2):
        await client.post("/webhooks/acme-shopify/shopify", content=body, headers=headers)
    first, second = publisher.published
    assert first.meta.message_id == second.meta.message_id


@pytest.mark.parametrize("signature", [None, "", "bm90IHRoZSBzaWduYXR1cmU=", signature_of("another-secret", b"{}")])
async def test_a_missing_or_wrong_signature_is_401_and_nothing_is_published(
    client: httpx.AsyncClient, publisher: RecordingPublisher, samples: dict[str, SampleOrder], signature: str | None
) -> None:
    headers = {} if signature is None else {"X-Shopify-Hmac-SHA256": signature}
    response = await client.post("/webhooks/acme-shopify/shopify", content=_body(samples), headers=headers)
    assert response.status_code == 401
    assert publisher.published == []


async def test_a_body_changed_after_signing_is_refused(
    client: httpx.AsyncClient, publisher: RecordingPublisher, samples: dict[str, SampleOrder]
) -> None:
    body = _body(samples)
    tampered = body.replace(b'"340.11"', b'"0.01"')
    headers = {"X-Shopify-Hmac-SHA256": signature_of(SECRET, body)}
    assert (await client.post("/webhooks/acme-shopify/shopify", content=tampered, headers=headers)).status_code == 401
    assert publisher.published == []


async def test_woocommerce_signature_and_its_ping(client: httpx.AsyncClient, publisher: RecordingPublisher) -> None:
    ping = b"webhook_id=12"
    headers = {"X-WC-Webhook-Signature": signature_of(SECRET, ping)}
    assert (await client.post("/webhooks/acme-woo/woocommerce", content=ping, headers=headers)).json() == {
        "status": "ping"
    }
    order = json.dumps({"id": 727, "number": "727"}).encode()
    headers = {"X-WC-Webhook-Signature": signature_of(SECRET, order), "X-WC-Webhook-Delivery-ID": "91"}
    assert (await client.post("/webhooks/acme-woo/woocommerce", content=order, headers=headers)).status_code == 202
    assert publisher.published[0].channel is Channel.WOOCOMMERCE


async def test_a_body_over_the_limit_is_413(client: httpx.AsyncClient, publisher: RecordingPublisher) -> None:
    body = b"{" + b" " * (64 * 1024) + b"}"
    headers = {"X-Shopify-Hmac-SHA256": signature_of(SECRET, body)}
    assert (await client.post("/webhooks/acme-shopify/shopify", content=body, headers=headers)).status_code == 413
    assert publisher.published == []


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/webhooks/nobody/shopify", 404),
        ("/webhooks/acme-shopify/woocommerce", 400),
        ("/webhooks/acme-shopify/myspace", 404),
        ("/webhooks/acme-square/square", 400),
    ],
)
async def test_wrong_connection_or_channel(client: httpx.AsyncClient, path: str, status: int) -> None:
    body = b"{}"
    headers = {"X-Shopify-Hmac-SHA256": signature_of(SECRET, body)}
    response = await client.post(path, content=body, headers=headers)
    assert response.status_code == status
    assert response.json()["error"]


async def test_a_signed_body_that_is_not_json_is_400(client: httpx.AsyncClient) -> None:
    body = b"<order/>"
    headers = {"X-Shopify-Hmac-SHA256": signature_of(SECRET, body)}
    assert (await client.post("/webhooks/acme-shopify/shopify", content=body, headers=headers)).status_code == 400


async def test_health_and_metrics_endpoints(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health/live")).status_code == 200
    assert (await client.get("/health/ready")).status_code == 200
    assert "ledgerflow_webhooks_received" in (await client.get("/metrics")).text


@pytest.mark.parametrize("secret", ["", "short-secret"])
def test_a_connection_with_an_empty_or_short_secret_is_refused_at_start(secret: str) -> None:
    with pytest.raises(ValidationError, match="at least 16 characters"):
        WebhookConnection(tenant="acme", channel=Channel.SHOPIFY, secret=SecretStr(secret))


def test_the_simulator_will_not_start_with_an_empty_token() -> None:
    with pytest.raises(SystemExit, match="at least 8 characters"):
        serve(ServerOptions(port=0, token=""))


def _signed(body: bytes) -> dict[str, str]:
    return {"X-Shopify-Hmac-SHA256": signature_of(SECRET, body), "X-Shopify-Webhook-Id": "hostile"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"id": 1, "total_price": NaN}', "not JSON ledgerflow takes"),
        (b'{"id": 1, "total_price": Infinity}', "not JSON ledgerflow takes"),
        (b'{"id": 1, "note": ' + b"[" * 300 + b"]" * 300 + b"}", "nests deeper than 64 levels"),
        (b'{"id": 1, "note": "\\ud800"}', "cannot be carried on"),
    ],
)
async def test_a_signed_body_the_pipeline_cannot_carry_is_a_400_with_the_reason_never_a_500(
    client: httpx.AsyncClient, publisher: RecordingPublisher, body: bytes, reason: str
) -> None:
    response = await client.post("/webhooks/acme-shopify/shopify", content=body, headers=_signed(body))
    assert response.status_code == 400, response.text
    assert reason in response.json()["error"]
    assert publisher.published == []


async def test_an_order_too_large_once_wrapped_is_a_413(publisher: RecordingPublisher) -> None:
    settings = SETTINGS.model_copy(update={"max_body_bytes": MAX_MESSAGE_BYTES})
    app = create_webhook_app(settings, publisher)
    body = json.dumps({"id": 1, "note": "x" * 999_950}).encode()  # under the limit; the envelope is not
    assert len(body) < MAX_MESSAGE_BYTES
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver") as client:
        response = await client.post("/webhooks/acme-shopify/shopify", content=body, headers=_signed(body))
    assert response.status_code == 413 and "once wrapped" in response.json()["error"]
    assert publisher.published == []


class StuckPublisher:
    async def publish(self, envelope: Envelope) -> None:
        await asyncio.sleep(60)  # the broker does not answer


async def test_a_broker_that_does_not_answer_gives_a_503_in_time_and_readiness_follows() -> None:
    settings = SETTINGS.model_copy(update={"publish_timeout_seconds": 0.2})
    app = create_webhook_app(settings, StuckPublisher())
    body = b'{"id": 1}'
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver") as client:
        response = await client.post("/webhooks/acme-shopify/shopify", content=body, headers=_signed(body))
        assert response.status_code == 503 and "send it again later" in response.json()["error"]
        ready = await client.get("/health/ready")
    assert ready.status_code == 503 and "the last publish failed" in ready.json()["status"]


async def test_a_body_that_trickles_in_is_refused_after_the_read_timeout(publisher: RecordingPublisher) -> None:
    settings = SETTINGS.model_copy(update={"read_timeout_seconds": 0.2})
    app = create_webhook_app(settings, publisher)
    sent: list[dict[str, Any]] = []
    chunks = [b'{"id"', b": 1}"]

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.15)
        chunk = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {"type": "http", "method": "POST", "path": "/webhooks/acme-shopify/shopify", "headers": [],
             "query_string": b"", "root_path": "", "scheme": "http", "server": ("receiver", 80),
             "http_version": "1.1"}  # fmt: skip
    await app(scope, receive, send)
    assert sent[0]["status"] == 408 and publisher.published == []
