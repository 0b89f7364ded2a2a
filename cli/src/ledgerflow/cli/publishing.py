"""Raw order envelopes onto ``orders.raw``, keyed by tenant, with a W3C trace context from the first hop."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from aiokafka.partitioner import DefaultPartitioner
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from ledgerflow.contracts import (
    MAX_MESSAGE_BYTES,
    Channel,
    MessageMeta,
    PurchaseOrderSystem,
    RawOrderEnvelope,
    RawPurchaseOrderEnvelope,
    ReferenceSyncRequest,
    ResyncRequest,
    Topic,
    message_key,
)
from ledgerflow.runtime.outbox import current_traceparent
from ledgerflow.runtime.service import make_broker
from ledgerflow.runtime.settings import KafkaSettings
from ledgerflow.runtime.telemetry import tracer_provider


@dataclass(frozen=True)
class OrderToPublish:
    tenant: str
    connection: str
    channel: Channel
    payload: dict[str, Any]
    replay: bool = False


@dataclass(frozen=True)
class PurchaseOrderToPublish:
    tenant: str
    connection: str
    system: PurchaseOrderSystem
    payload: dict[str, Any]
    replay: bool = False
    polled: bool = False  # read by a poller, not published by hand


Envelope = RawOrderEnvelope | RawPurchaseOrderEnvelope


class MessageTooLarge(ValueError):
    pass


E = TypeVar("E", RawOrderEnvelope, RawPurchaseOrderEnvelope)


@dataclass(frozen=True)
class Published(Generic[E]):
    envelope: E
    traceparent: str | None
    partition: int
    offset: int


def partition_of(tenant: str, partitions: int) -> int:
    """The partition a tenant's messages go to: every message is keyed by tenant, and the producers place a key
    as Kafka's default partitioner does (murmur2)."""
    every = list(range(partitions))
    placed: int = DefaultPartitioner()(message_key(tenant), every, every)
    return placed


def envelope(order: OrderToPublish) -> RawOrderEnvelope:
    message_id = uuid.uuid4()
    return RawOrderEnvelope(
        meta=MessageMeta(tenant_id=order.tenant, message_id=message_id, correlation_id=message_id),
        connection_id=order.connection,
        channel=order.channel,
        source="replay" if order.replay else "publish",
        payload=order.payload,
    )


def purchase_order_envelope(order: PurchaseOrderToPublish) -> RawPurchaseOrderEnvelope:
    message_id = uuid.uuid4()
    return RawPurchaseOrderEnvelope(
        meta=MessageMeta(tenant_id=order.tenant, message_id=message_id, correlation_id=message_id),
        connection_id=order.connection,
        system=order.system,
        source="replay" if order.replay else ("poller" if order.polled else "publish"),
        payload=order.payload,
    )


def topic_of(message: Envelope) -> Topic:
    return Topic.RAW_PURCHASE_ORDERS if isinstance(message, RawPurchaseOrderEnvelope) else Topic.RAW_ORDERS


def _source_of(message: Envelope) -> str:
    return message.system.value if isinstance(message, RawPurchaseOrderEnvelope) else message.channel.value


async def publish_purchase_orders(
    bootstrap_servers: str, orders: Sequence[PurchaseOrderToPublish], provider: TracerProvider | None = None
) -> list[Published[RawPurchaseOrderEnvelope]]:
    return await publish_envelopes(bootstrap_servers, [purchase_order_envelope(o) for o in orders], provider)


async def publish_orders(
    bootstrap_servers: str, orders: Sequence[OrderToPublish], provider: TracerProvider | None = None
) -> list[Published[RawOrderEnvelope]]:
    return await publish_envelopes(bootstrap_servers, [envelope(o) for o in orders], provider)


async def publish_envelopes(
    bootstrap_servers: str, envelopes: Sequence[E], provider: TracerProvider | None = None
) -> list[Published[E]]:
    """Publish and wait for the broker's acknowledgement of each (idempotent producer, acks=all)."""
    provider = provider or tracer_provider("ledgerflow-publisher")
    tracer = provider.get_tracer("ledgerflow.publisher")
    broker = make_broker(
        KafkaSettings(bootstrap_servers=bootstrap_servers),
        "publisher",
        [KafkaTelemetryMiddleware(tracer_provider=provider)],
    )
    bodies = [_body(message) for message in envelopes]  # refuse before anything is sent
    published: list[Published[E]] = []
    async with broker:
        await broker.start()
        for message, body in zip(envelopes, bodies, strict=True):
            tenant = message.meta.tenant_id
            # One trace per order version starts here and follows the order through every service.
            with tracer.start_as_current_span("publish order", kind=trace.SpanKind.PRODUCER) as span:
                span.set_attribute("ledgerflow.tenant_id", tenant)
                span.set_attribute("ledgerflow.channel", _source_of(message))
                traceparent = current_traceparent()
                record = await broker.publish(
                    body,
                    topic_of(message),
                    key=message_key(tenant),
                    headers={"content-type": "application/json", "message-id": str(message.meta.message_id)},
                    correlation_id=str(message.meta.correlation_id),
                )
            published.append(Published(message, traceparent, record.partition, record.offset))
    return published


def _body(message: Envelope) -> bytes:
    body = message.model_dump_json().encode()
    if len(body) > MAX_MESSAGE_BYTES:
        what = "purchase order" if isinstance(message, RawPurchaseOrderEnvelope) else "order"
        raise MessageTooLarge(
            f"the {_source_of(message)} {what} from connection {message.connection_id} is {len(body)} bytes; "
            f"{topic_of(message)} takes messages up to {MAX_MESSAGE_BYTES} bytes"
        )
    return body


async def publish_request(
    bootstrap_servers: str, topic: str, message: ResyncRequest | ReferenceSyncRequest
) -> tuple[int, int]:
    """A request to a service, keyed by tenant like every message; returns (partition, offset)."""
    broker = make_broker(KafkaSettings(bootstrap_servers=bootstrap_servers), "publisher", [])
    async with broker:
        await broker.start()
        record = await broker.publish(
            message.model_dump_json().encode(),
            topic,
            key=message_key(message.meta.tenant_id),
            headers={"content-type": "application/json", "message-id": str(message.meta.message_id)},
            correlation_id=str(message.meta.correlation_id),
        )
    return record.partition, record.offset


def resync_request(
    tenant: str,
    *,
    connection: str | None = None,
    order_number: str | None = None,
    ordered_from: date | None = None,
    ordered_to: date | None = None,
    delete: bool = False,
    requested_by: str | None = None,
) -> ResyncRequest:
    """A request to plan orders again (``ledgerflow resync``, the console); refused (``ValidationError``) unless it
    names one order or a whole date range."""
    message_id = uuid.uuid4()
    return ResyncRequest(
        meta=MessageMeta(tenant_id=tenant, message_id=message_id, correlation_id=message_id),
        connection_id=connection,
        order_number=order_number,
        ordered_from=ordered_from,
        ordered_to=ordered_to,
        delete=delete,
        requested_by=requested_by,
    )
