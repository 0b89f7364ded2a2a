"""Ingest speed: normalization per channel on one core, and the ingest service on the real broker.

    make bench-ingest     (or: .venv/bin/python bench/ingest_bench.py --orders 2000)

1. Normalization: every supported channel's normalizer on its test fixtures, in a loop, in this process:
   orders per second on one core.
2. The service: the local stack (Kafka in KRaft mode, PostgreSQL) and the ingest service as its own
   process; N Shopify orders published to orders.raw, timed until N versions are on orders.normalized.
   Baseline in the same run: a raw aiokafka pipe that reads the same kind of messages from orders.raw and
   writes them, keyed, to a scratch topic, doing no work: what the hops cost before any ingest logic.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from ledgerflow.cli.publishing import OrderToPublish, envelope
from ledgerflow.cli.samples import sample_orders
from ledgerflow.contracts import Channel, RawOrderEnvelope, Topic, message_key
from ledgerflow.devstack import processes
from ledgerflow.devstack.stack import Stack, StackState
from ledgerflow.ingest.normalizers import normalize, supported_channels

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / ".ledgerflow" / "bench-ingest"
RESULTS = Path(__file__).parent / "results" / "ingest.json"
SCRATCH = "bench.pipe"


def fixtures(channel: Channel) -> list[dict[str, Any]]:
    folder = ROOT / "tests" / "fixtures" / channel.value
    demo = [s.path for s in sample_orders() if s.channel == channel.value]
    payloads = []
    for path in [*sorted(folder.glob("*.json")), *demo]:
        payload = json.loads(path.read_text())
        try:
            normalize(channel, payload)
        except Exception:  # noqa: S112 (fixtures of bad input are not part of the speed figure)
            continue
        payloads.append(payload)
    return payloads


def normalization_speed(seconds: float) -> dict[str, float]:
    speeds = {}
    for channel in supported_channels():
        payloads = fixtures(channel)
        if not payloads:
            continue
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            for payload in payloads:
                normalize(channel, payload)
            count += len(payloads)
        speeds[channel.value] = count / (time.perf_counter() - started)
    return speeds


def orders(n: int, offset: int) -> list[RawOrderEnvelope]:
    sample = next(s for s in sample_orders() if s.channel == "shopify")
    base = sample.payload()
    result = []
    for i in range(n):
        payload = copy.deepcopy(base)
        payload["order"].update(id=9_000_000_000 + offset + i, order_number=100_000 + offset + i)
        result.append(envelope(OrderToPublish(f"bench-{i % 20}", "bench-shop", Channel.SHOPIFY, payload)))
    return result


async def publish(bootstrap: str, messages: list[RawOrderEnvelope]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        for m in messages:
            await producer.send(Topic.RAW_ORDERS, m.model_dump_json().encode(), key=message_key(m.meta.tenant_id))
        await producer.flush()
    finally:
        await producer.stop()


async def count_until(bootstrap: str, topic: str, n: int, timeout: float) -> float:
    """Seconds until ``n`` new messages are on ``topic`` (counted from now)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="latest")
    await consumer.start()
    try:
        await consumer.getmany(timeout_ms=500)  # join at the end of the topic first
        return await _count(consumer, n, timeout)
    finally:
        await consumer.stop()


async def _count(consumer: AIOKafkaConsumer, n: int, timeout: float) -> float:
    seen, started = 0, time.perf_counter()
    while seen < n:
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"{seen} of {n} messages after {timeout}s")
        batches = await consumer.getmany(timeout_ms=500, max_records=2000)
        seen += sum(len(records) for records in batches.values())
    return time.perf_counter() - started


async def service_speed(state: StackState, n: int) -> float:
    watcher = asyncio.create_task(count_until(state.bootstrap_servers, Topic.NORMALIZED_ORDERS, n + 1, 300))
    await asyncio.sleep(1.0)
    await publish(state.bootstrap_servers, orders(1, 0))  # warm-up: the service has joined and migrated
    await asyncio.sleep(3.0)
    started = time.perf_counter()
    await publish(state.bootstrap_servers, orders(n, 1))
    await watcher
    return n / (time.perf_counter() - started)


async def baseline_speed(state: StackState, n: int) -> float:
    bootstrap = state.bootstrap_servers
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        if SCRATCH not in await admin.list_topics():
            await admin.create_topics([NewTopic(SCRATCH, num_partitions=state.partitions, replication_factor=1)])
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(Topic.RAW_ORDERS, bootstrap_servers=bootstrap, group_id="bench-baseline",
                                enable_auto_commit=False, auto_offset_reset="latest")  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await consumer.start()
    await producer.start()
    try:
        await consumer.getmany(timeout_ms=2000)
        started = time.perf_counter()
        await publish(bootstrap, orders(n, 1_000_000))
        forwarded = 0
        while forwarded < n:
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            sends = [producer.send(SCRATCH, r.value, key=r.key) for records in batches.values() for r in records]
            for future in await asyncio.gather(*sends):
                await future
            forwarded += len(sends)
            if batches:
                await consumer.commit()
        return n / (time.perf_counter() - started)
    finally:
        await producer.stop()
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=1.0, help="per channel, for normalization")
    args = parser.parse_args()

    speeds = normalization_speed(args.seconds)
    for channel, speed in speeds.items():
        print(f"normalize {channel:>12}: {speed:8.0f} orders/s on one core")

    stack = Stack(HOME, ROOT / ".ledgerflow" / "cache")
    state = stack.up(fresh=True)
    env = {**os.environ, **state.service_env()}
    try:
        ingest = processes.spawn([sys.executable, "-m", "ledgerflow.ingest"], pid_file=HOME / "ingest.pid",
                                 log_file=HOME / "ingest.log", env=env)  # fmt: skip
        try:
            service = asyncio.run(service_speed(state, args.orders))
        finally:
            processes.stop(HOME / "ingest.pid")
            ingest.wait(10)
        baseline = asyncio.run(baseline_speed(state, args.orders))
    finally:
        stack.down()
    print(f"{'ingest service':>22}: {service:8.0f} orders/s ({args.orders} orders, 20 tenants)")
    print(f"{'baseline pipe':>22}: {baseline:8.0f} orders/s")
    print(f"{'ratio':>22}: {service / baseline:.2f} of the bare hop")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "normalize_orders_per_s": {k: round(v, 1) for k, v in speeds.items()},
        "orders": args.orders, "ingest_orders_per_s": round(service, 1),
        "baseline_orders_per_s": round(baseline, 1), "ratio": round(service / baseline, 3),
    }, indent=2) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
