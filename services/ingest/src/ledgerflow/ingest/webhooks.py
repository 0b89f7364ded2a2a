"""Webhook receiver: ``POST /webhooks/{connection}/{channel}``, signed by the platform, onto ``orders.raw``;
``POST /webhooks/{connection}/purchase-orders/{system}`` onto ``purchase_orders.raw``.

The signature (Shopify ``X-Shopify-Hmac-SHA256``, WooCommerce ``X-WC-Webhook-Signature``: base64 of the
HMAC-SHA256 of the raw body with the connection's secret) is checked in constant time before anything is
parsed. The receiver answers as soon as the broker has the message; the work happens downstream.

The purchase-order systems' own webhooks are nudges without the whole order (X-Series sends a consignment without
its products, Erply's webhook manager a header): whatever relays them (the merchant's middleware, a poller) fetches
the parts and posts the bundle, signed the same way in ``X-Ledgerflow-Hmac-SHA256``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

import structlog
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, generate_latest
from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ledgerflow.contracts import (
    MAX_MESSAGE_BYTES,
    Channel,
    MessageMeta,
    PurchaseOrderSystem,
    RawOrderEnvelope,
    RawPurchaseOrderEnvelope,
    Topic,
    derive_message_id,
    message_key,
)
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


PURCHASE_ORDER_SIGNATURE = "x-ledgerflow-hmac-sha256"
PURCHASE_ORDER_DELIVERY = "x-ledgerflow-delivery-id"

log = structlog.get_logger(__name__)

RECEIVED = Counter("ledgerflow_webhooks_received", "Signed webhooks accepted and published.", ["tenant", "channel"])


MIN_SECRET_LENGTH = 16  # an empty or short secret would let anyone sign a connection's webhooks


class WebhookConnection(BaseModel):
    tenant: str
    channel: Channel | PurchaseOrderSystem = Field(description="A sales channel, or a purchase-order system.")
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
    # The envelope around a body adds the tenant, ids and the escaping of the body as JSON: a body up to this size
    # still fits what orders.raw takes (MAX_MESSAGE_BYTES), which is checked again once it is wrapped.
    max_body_bytes: int = Field(default=MAX_MESSAGE_BYTES - 100_000, ge=1024, le=MAX_MESSAGE_BYTES)
    read_timeout_seconds: float = Field(default=10.0, gt=0, description="A body that takes longer is refused (408).")
    publish_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Kafka taking longer than this answers 503: the platform sends it again."
    )
    max_connections: int = Field(default=200, ge=1, description="Connections at once; more are answered 503.")


Envelope = RawOrderEnvelope | RawPurchaseOrderEnvelope


class Publisher(Protocol):
    async def publish(self, envelope: Envelope) -> None: ...


class BodyTooLarge(Exception):
    pass


MAX_NESTING = 64  # an order is a few levels deep; thousands would only exhaust the encoders further on


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number ledgerflow takes")


def _too_deep(value: Any, limit: int = MAX_NESTING) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


def _form_payload(body: bytes) -> bytes:
    from urllib.parse import parse_qs

    fields = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=32)
    return (fields.get("payload") or [""])[0].encode()


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


class PublishHealth:
    """Whether the last publish reached the broker: readiness follows it, so that traffic goes elsewhere."""

    def __init__(self) -> None:
        self.failing: str | None = None

    def failed(self, exc: BaseException) -> None:
        self.failing = f"{type(exc).__name__}: {exc}"[:200] or type(exc).__name__

    def published(self) -> None:
        self.failing = None


def create_webhook_app(settings: WebhookSettings, publisher: Publisher, lifespan: object = None) -> Starlette:
    health = PublishHealth()

    async def signed_payload(request: Request, connection: WebhookConnection, header: str) -> dict[str, Any] | Response:
        """The body, read within the limits, its signature checked before it is parsed, as a JSON object."""
        try:
            body = await asyncio.wait_for(
                _read_limited(request, settings.max_body_bytes), timeout=settings.read_timeout_seconds
            )
        except BodyTooLarge:
            return _error(413, f"the body is larger than {settings.max_body_bytes} bytes")
        except TimeoutError:
            return _error(408, f"the body did not arrive within {settings.read_timeout_seconds:g} s")
        signature = request.headers.get(header)
        if not signature or not signature_matches(connection.secret.get_secret_value(), body, signature):
            return _error(401, f"missing or wrong {header}")
        if connection.channel is Channel.WOOCOMMERCE and body.startswith(b"webhook_id="):
            return JSONResponse({"status": "ping"})  # WooCommerce checks a new webhook with a form-encoded ping
        if connection.channel is PurchaseOrderSystem.LIGHTSPEED_X and body.startswith(b"payload="):
            body = _form_payload(body)  # X-Series posts its JSON form-encoded, in a "payload" field
        try:
            payload = json.loads(body, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            return _error(400, f"the signed body is not JSON ledgerflow takes: {str(exc)[:200]}")
        if not isinstance(payload, dict):
            return _error(400, "the signed body is not a JSON object")
        if _too_deep(payload):
            return _error(400, f"the signed body nests deeper than {MAX_NESTING} levels")
        return payload

    async def send(envelope: Envelope, name: str, label: str) -> Response:
        try:
            size = len(envelope.model_dump_json().encode())
        except (ValueError, UnicodeError) as exc:  # a lone surrogate cannot be written as UTF-8
            return _error(400, f"the signed body holds text that cannot be carried on: {str(exc)[:200]}")
        topic = Topic.RAW_PURCHASE_ORDERS if isinstance(envelope, RawPurchaseOrderEnvelope) else Topic.RAW_ORDERS
        if size > MAX_MESSAGE_BYTES:
            return _error(413, f"the {label} is {size:,} bytes once wrapped; {topic} takes {MAX_MESSAGE_BYTES:,}")
        try:
            await asyncio.wait_for(publisher.publish(envelope), timeout=settings.publish_timeout_seconds)
        except Exception as exc:  # the broker is away or slow: the platform retries a 503 later
            health.failed(exc)
            log.warning("webhook.publish_failed", connection=name, error=f"{type(exc).__name__}: {exc}"[:300])
            return _error(503, f"the {label} could not be queued now; send it again later")
        health.published()
        source = envelope.system if isinstance(envelope, RawPurchaseOrderEnvelope) else envelope.channel
        RECEIVED.labels(envelope.meta.tenant_id, source.value).inc()
        return JSONResponse({"message_id": str(envelope.meta.message_id)}, status_code=202)

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
        payload = await signed_payload(request, connection, header)
        if isinstance(payload, Response):
            return payload
        delivery = request.headers.get(DELIVERY_HEADERS[channel])
        message_id = derive_message_id("webhook", name, delivery) if delivery else uuid.uuid4()
        envelope = RawOrderEnvelope(
            meta=MessageMeta(tenant_id=connection.tenant, message_id=message_id, correlation_id=message_id),
            connection_id=name,
            channel=channel,
            source="webhook",
            payload=payload,
        )
        return await send(envelope, name, "order")

    async def receive_purchase_order(request: Request) -> Response:
        name = request.path_params["connection"]
        connection = settings.connections.get(name)
        if connection is None:
            return _error(404, f"no webhook connection named {name!r}")
        try:
            system = PurchaseOrderSystem(request.path_params["system"])
        except ValueError:
            known = ", ".join(s.value for s in PurchaseOrderSystem)
            return _error(404, f"unknown purchase-order system {request.path_params['system']!r} ({known})")
        if system is not connection.channel:
            return _error(400, f"connection {name!r} receives {connection.channel.value} webhooks, not {system}")
        payload = await signed_payload(request, connection, PURCHASE_ORDER_SIGNATURE)
        if isinstance(payload, Response):
            return payload
        delivery = request.headers.get(PURCHASE_ORDER_DELIVERY)
        message_id = derive_message_id("webhook", name, delivery) if delivery else uuid.uuid4()
        envelope = RawPurchaseOrderEnvelope(
            meta=MessageMeta(tenant_id=connection.tenant, message_id=message_id, correlation_id=message_id),
            connection_id=name,
            system=system,
            source="webhook",
            payload=payload,
        )
        return await send(envelope, name, "purchase order")

    async def live(request: Request) -> Response:
        return JSONResponse({"status": "live"})

    async def ready(request: Request) -> Response:
        if not getattr(publisher, "ready", True):
            return JSONResponse({"status": "not ready: the broker is not connected"}, status_code=503)
        if health.failing is not None:
            return JSONResponse({"status": f"not ready: the last publish failed: {health.failing}"}, status_code=503)
        return JSONResponse({"status": "ready"})

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/webhooks/{connection}/{channel}", receive, methods=["POST"]),
            Route("/webhooks/{connection}/purchase-orders/{system}", receive_purchase_order, methods=["POST"]),
            Route("/health/live", live, methods=["GET"]),
            Route("/health/ready", ready, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        lifespan=lifespan,  # type: ignore[arg-type]
    )


class KafkaPublisher:
    """Publishes envelopes onto ``orders.raw``, keyed by tenant, with the W3C trace context in the headers."""

    def __init__(self, settings: KafkaSettings, service: str = "webhooks") -> None:
        telemetry = KafkaTelemetryMiddleware(tracer_provider=tracer_provider(f"ledgerflow-{service}"))
        self._broker = make_broker(settings, service, [telemetry])  # TLS and SASL from the same settings
        self.ready = False

    async def start(self) -> None:
        await self._broker.start()
        self.ready = True

    async def stop(self) -> None:
        self.ready = False
        await self._broker.stop()

    async def publish(self, envelope: Envelope) -> None:
        topic = Topic.RAW_PURCHASE_ORDERS if isinstance(envelope, RawPurchaseOrderEnvelope) else Topic.RAW_ORDERS
        await self._broker.publish(
            envelope.model_dump_json().encode(),
            topic,
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


def serve(host: str, port: int) -> None:
    """The receiver over HTTP, with a cap on connections (slow or idle ones cost memory) and a bounded shutdown,
    so that SIGTERM ends it promptly."""
    import uvicorn

    settings = WebhookSettings()
    uvicorn.run(
        create_app(),
        host=host,
        port=port,
        log_level="warning",
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=10,
    )


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="ledgerflow webhook receiver")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    serve(args.host, args.port)


if __name__ == "__main__":
    main()
