"""Helpers for driving the real pipeline from a test."""

from __future__ import annotations

import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from ledgerflow.cli.publishing import Published, publish_envelopes
from ledgerflow.cli.watching import Outcomes, wait_for_outcomes
from ledgerflow.contracts import Channel, MessageMeta, RawOrderEnvelope

TIMEOUT = 60.0


async def income_account(books: Any, realm: str) -> dict[str, str]:
    """A company's income account, as a bookkeeper gives one to every item (QuickBooks asks for it)."""
    accounts = await books.query(realm, "Account", "AccountType = 'Income'")
    return {"value": str(accounts[0]["Id"])}


async def keyed_item(books: Any, realm: str, body: dict[str, Any], request_id: str) -> dict[str, Any]:
    """An item created in the books by hand, with the income account QuickBooks requires."""
    item: dict[str, Any] = await books.create(
        realm, "Item", {**body, "IncomeAccountRef": await income_account(books, realm)}, request_id
    )
    return item


def raw_order(tenant: str, payload: dict[str, Any], connection: str = "shop") -> RawOrderEnvelope:
    message_id = uuid.uuid4()
    return RawOrderEnvelope(
        meta=MessageMeta(tenant_id=tenant, message_id=message_id, correlation_id=message_id),
        connection_id=connection,
        channel=Channel.SHOPIFY,
        payload=payload,
    )


async def publish_and_wait(
    bootstrap: str, *envelopes: RawOrderEnvelope, expect: list[RawOrderEnvelope] | None = None
) -> tuple[list[Published[RawOrderEnvelope]], Outcomes]:
    """Publish, then wait for an event or a dead letter for each of ``expect`` (default: all)."""
    published = await publish_envelopes(bootstrap, envelopes)
    wanted = {e.meta.correlation_id for e in (envelopes if expect is None else expect)}
    outcomes = await wait_for_outcomes(bootstrap, wanted, timeout=TIMEOUT)
    missing = wanted - set(outcomes.events) - set(outcomes.dead_letters)
    assert not missing, f"no outcome within {TIMEOUT}s for {missing}"
    return published, outcomes


async def publish_raw_bytes(bootstrap: str, topic: str, key: bytes, value: bytes) -> tuple[int, int]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        record = await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()
    return record.partition, record.offset


async def read_topic(bootstrap: str, topic: str, timeout_ms: int = 2000) -> list[bytes]:
    """Everything on ``topic`` so far."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    values: list[bytes] = []
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=timeout_ms)
            if not batches:
                return values
            for records in batches.values():
                values.extend(r.value or b"" for r in records)
    finally:
        await consumer.stop()
