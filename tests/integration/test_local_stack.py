"""The local stack: started, health-checked and stopped by the project's own scripts."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from ledgerflow.contracts.topics import all_topics
from ledgerflow.devstack.stack import Stack, StackState, topic_partitions
from tests.integration.conftest import BASE, CACHE


def _processes_under(home: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if str(home) in cmdline:
            found.append(process)
    return found


async def test_session_stack_serves_kafka_and_postgres(stack_state: StackState) -> None:
    partitions = await topic_partitions(stack_state.bootstrap_servers)
    assert partitions == dict.fromkeys(all_topics(), stack_state.partitions)
    connection = await asyncpg.connect(stack_state.database_url)
    try:
        assert await connection.fetchval("SELECT current_database()") == "ledgerflow"
    finally:
        await connection.close()


def test_second_start_reuses_the_cache_and_stop_leaves_no_process() -> None:
    home = BASE / f"lifecycle-{uuid.uuid4().hex[:6]}"
    stack = Stack(home, CACHE)
    try:
        first = stack.up(partitions=1)
        jars = sorted(CACHE.glob("kafka-*/complete"))
        assert jars, "Kafka's jars were not cached"
        marker_time = jars[0].stat().st_mtime
        assert _processes_under(home), "nothing runs after dev up"
        stack.down()
        assert _processes_under(home) == []

        second = stack.up(partitions=1)
        assert jars[0].stat().st_mtime == marker_time  # no second download
        assert (second.bootstrap_servers, second.database_url) == (first.bootstrap_servers, first.database_url)
        assert stack.status()["postgres"] == "running"
    finally:
        stack.reset()
    assert _processes_under(home) == []
    assert not (home / "kafka").exists()


def test_three_node_cluster_replicates_every_topic() -> None:
    home = BASE / f"three-nodes-{uuid.uuid4().hex[:6]}"
    stack = Stack(home, CACHE)
    try:
        state = stack.up(kafka_nodes=3, partitions=3)
        assert len(state.bootstrap_servers.split(",")) == 3
        assert stack.status()["kafka"] == "3/3 nodes running"
        asyncio.run(_replicated_round_trip(state.bootstrap_servers))
    finally:
        stack.reset()
    assert _processes_under(home) == []


async def _replicated_round_trip(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (raw,) = await admin.describe_topics(["orders.raw"])
    finally:
        await admin.close()
    assert all(len(p["replicas"]) == 3 for p in raw["partitions"])

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)  # acks=all
    await producer.start()
    try:
        await producer.send_and_wait("orders.raw", b"hello", key=b"acme")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer("orders.raw", bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=10000)
        values = [r.value for records in batches.values() for r in records]
    finally:
        await consumer.stop()
    assert values == [b"hello"]
