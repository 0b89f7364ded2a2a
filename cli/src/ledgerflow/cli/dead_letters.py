"""Every dead letter on the dead-letter topics so far (read from the start, no consumer group), by tenant."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError

from ledgerflow.contracts import DeadLetter
from ledgerflow.contracts.topics import all_topics

DEAD_LETTER_TOPICS = [t for t in all_topics() if t.endswith(".dlq")]


async def read_dead_letters(bootstrap_servers: str, tenant: str | None = None) -> list[DeadLetter]:
    """The dead letters of ``tenant`` (all tenants when None), up to the end of each topic as of now.

    A record that is not a dead letter at all is returned as one without a reason, so that it is counted.
    """
    partitions = await _partitions(bootstrap_servers)
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    letters: list[DeadLetter] = []
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=2000, max_records=5000)
            if not batches:
                break  # nothing came within the wait: what is there has been read
            for tp, records in batches.items():
                for record in records:
                    letter = _letter(record.value or b"")
                    if tenant is None or letter.meta.tenant_id == tenant:
                        letters.append(letter)
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return letters


async def _partitions(bootstrap_servers: str) -> list[TopicPartition]:
    """Every partition of the dead-letter topics, as the cluster describes them (a consumer that has not
    subscribed knows none of them)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics(DEAD_LETTER_TOPICS)
    finally:
        await admin.close()
    return [
        TopicPartition(str(topic["topic"]), int(partition["partition"]))
        for topic in described
        if topic["error_code"] == 0
        for partition in topic["partitions"]
    ]


def _letter(value: bytes) -> DeadLetter:
    try:
        return DeadLetter.model_validate_json(value)
    except ValidationError:
        return DeadLetter.model_validate(
            {"meta": {"tenant_id": "unknown", "correlation_id": "00000000-0000-0000-0000-000000000000"},
             "stage": "unknown", "source_topic": "unknown", "error": {"code": "", "message": ""},
             "payload": value.decode("utf-8", errors="replace")[:1000]}
        )  # fmt: skip
