"""Webhook receiver: ``POST /webhooks/{connection}/{channel}``, signed by the platform, onto ``orders.raw``.

The signature (Shopify ``X-Shopify-Hmac-SHA256``, WooCommerce ``X-WC-Webhook-Signature``: base64 of the
HMAC-SHA256 of the raw body with the connection's secret) is checked in constant time before anything is
parsed. The receiver answers as soon as the broker has the message; the work happens downstream.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, generate_latest
from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ledgerflow.contracts import Channel, MessageMeta, RawOrderEnvelope, Topic, derive_message_id, message_key
from ledgerflow.runtime.service import make_broker
from ledgerflow.runtime.settings import KafkaSettings
from ledgerflow.runtime.telemetry import tracer_provider

SIGNATURE_HEADERS: dict[Channel, str] = {
    Channel.SHOPIFY: "x-shopify-hmac-sha256",
    Channel.WOOCOMMERCE: "x-wc-webhook-signature",
}
# The platform's id of a delivery: a redelivered webhook becomes the same message, dropped downstream.
DELIVERY_HEADERS: dict[Channel, str] = {
    Channel.SHOPIFY: "x-shopify-webhook-id",
    Channel.WOOCOMMERCE: "x-wc-webhook-delivery-id",
}


RECEIVED = Counter("ledgerflow_webhooks_received", "Signed webhooks accepted and published.", ["tenant", "channel"])


MIN_SECRET_LENGTH = 16  # an empty or short secret would let anyone sign a connection's webhooks


class WebhookConnection(BaseModel):
    tenant: str
    channel: Channel
    secret: SecretStr

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, secret: SecretStr) -> SecretStr:
        if len(secret.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"a webhook secret must be at least {MIN_SECRET_LENGTH} characters: use the one the channel gave "
                "(Shopify's app secret, the WooCommerce webhook's secret)"
            )
        return secret


class WebhookSettings(BaseSettings):
    """Connections by name, e.g. ``LEDGERFLOW_WEBHOOK_CONNECTIONS`` =
    ``{"acme-shopify": {"tenant": "acme", "channel": "shopify", "secret": "..."}}`` (from a Secret).
    """

    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_WEBHOOK_", extra="ignore")

    connections: dict[str, WebhookConnection] = Field(default_factory=dict)
    max_body_bytes: int = 1024 * 1024


class Publisher(Protocol):
    async def publish(self, envelope: RawOrderEnvelope) -> None: ...


class BodyTooLarge(Exception):
    pass


def signature_of(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signature_matches(secret: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(signature_of(secret, body).encode(), signature.strip().encode())


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        if len(chunks) > limit:
            raise BodyTooLarge
    return bytes(chunks)


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


def create_webhook_app(settings: WebhookSettings, publisher: Publisher, lifespan: object = None) -> Starlette:
    async def receive(request: Request) -> Response:
        name = request.path_params["connection"]
        connection = settings.connections.get(name)
        if connection is None:
            return _error(404, f"no webhook connection named {name!r}")
        try:
            channel = Channel(request.path_params["channel"])
        except ValueError:
            return _error(404, f"unknown channel {request.path_params['channel']!r}")
        if channel is not connection.channel:
            return _error(400, f"connection {name!r} receives {connection.channel.value} webhooks, not {channel}")
        header = SIGNATURE_HEADERS.get(channel)
        if header is None:
            return _error(400, f"{channel} webhooks are not signed in a way ledgerflow verifies; use a poller")
        try:
            body = await _read_limited(request, settings.max_body_bytes)
        except BodyTooLarge:
            return _error(413, f"the body is larger than {settings.max_body_bytes} bytes")
        signature = request.headers.get(header)
        if not signature or not signature_matches(connection.secret.get_secret_value(), body, signature):
            return _error(401, f"missing or wrong {header}")
        if channel is Channel.WOOCOMMERCE and body.startswith(b"webhook_id="):
            return JSONResponse({"status": "ping"})  # WooCommerce checks a new webhook with a form-encoded ping
        try:
            payload = json.loads(body)
        except ValueError:
            return _error(400, "the signed body is not JSON")
        if not isinstance(payload, dict):
            return _error(400, "the signed body is not a JSON object")
        delivery = request.headers.get(DELIVERY_HEADERS[channel])
        message_id = derive_message_id("webhook", name, delivery) if delivery else uuid.uuid4()
        envelope = RawOrderEnvelope(
            meta=MessageMeta(tenant_id=connection.tenant, message_id=message_id, correlation_id=message_id),
            connection_id=name,
            channel=channel,
            source="webhook",
            payload=payload,
        )
        await publisher.publish(envelope)
        RECEIVED.labels(connection.tenant, channel.value).inc()
        return JSONResponse({"message_id": str(message_id)}, status_code=202)

    async def live(request: Request) -> Response:
        return JSONResponse({"status": "live"})

    async def ready(request: Request) -> Response:
        if getattr(publisher, "ready", True):
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "not ready: the broker is not connected"}, status_code=503)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/webhooks/{connection}/{channel}", receive, methods=["POST"]),
            Route("/health/live", live, methods=["GET"]),
            Route("/health/ready", ready, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        lifespan=lifespan,  # type: ignore[arg-type]
    )


class KafkaPublisher:
    """Publishes envelopes onto ``orders.raw``, keyed by tenant, with the W3C trace context in the headers."""

    def __init__(self, settings: KafkaSettings) -> None:
        telemetry = KafkaTelemetryMiddleware(tracer_provider=tracer_provider("ledgerflow-webhooks"))
        self._broker = make_broker(settings, "webhooks", [telemetry])  # TLS and SASL from the same settings
        self.ready = False

    async def start(self) -> None:
        await self._broker.start()
        self.ready = True

    async def stop(self) -> None:
        self.ready = False
        await self._broker.stop()

    async def publish(self, envelope: RawOrderEnvelope) -> None:
        await self._broker.publish(
            envelope.model_dump_json().encode(),
            Topic.RAW_ORDERS,
            key=message_key(envelope.meta.tenant_id),
            headers={"content-type": "application/json", "message-id": str(envelope.meta.message_id)},
            correlation_id=str(envelope.meta.correlation_id),
        )


def create_app() -> Starlette:
    """The receiver as deployed: settings from the environment, publishing to Kafka."""
    publisher = KafkaPublisher(KafkaSettings())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await publisher.start()
        try:
            yield
        finally:
            await publisher.stop()

    return create_webhook_app(WebhookSettings(), publisher, lifespan)


def main() -> None:
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="ledgerflow webhook receiver")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
