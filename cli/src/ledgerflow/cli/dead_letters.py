"""Every dead letter on the dead-letter topics so far (read from the start, no consumer group), by tenant."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from ledgerflow.contracts import DeadLetter
from ledgerflow.contracts.topics import all_topics

DEAD_LETTER_TOPICS = [t for t in all_topics() if t.endswith(".dlq")]


async def read_dead_letters(bootstrap_servers: str, tenant: str | None = None) -> list[DeadLetter]:
    """The dead letters of ``tenant`` (all tenants when None), up to the end of each topic as of now.

    A record that is not a dead letter at all is returned as one without a reason, so that it is counted.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    letters: list[DeadLetter] = []
    try:
        await consumer.topics()  # the cluster's metadata: which partitions each topic has
        partitions = [
            TopicPartition(topic, p) for topic in DEAD_LETTER_TOPICS for p in consumer.partitions_for_topic(topic) or ()
        ]
        if not partitions:
            return []
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


def _letter(value: bytes) -> DeadLetter:
    try:
        return DeadLetter.model_validate_json(value)
    except ValidationError:
        return DeadLetter.model_validate(
            {"meta": {"tenant_id": "unknown", "correlation_id": "00000000-0000-0000-0000-000000000000"},
             "stage": "unknown", "source_topic": "unknown", "error": {"code": "", "message": ""},
             "payload": value.decode("utf-8", errors="replace")[:1000]}
        )  # fmt: skip
