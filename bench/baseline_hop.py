"""One hop of the baseline pipe: read a topic in batches, write each record keyed to the next, commit. No work.

    .venv/bin/python bench/baseline_hop.py BOOTSTRAP SOURCE DESTINATION GROUP

What a service's hop costs before it does anything: the same client library, the same batch reads,
keyed writes to an idempotent producer (acks from all in-sync replicas) and an offset commit per batch.
Runs until it is sent SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

BATCH = 200  # the services' consumer batch size


async def forward(bootstrap: str, source: str, destination: str, group: str) -> None:
    consumer = AIOKafkaConsumer(source, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                auto_offset_reset="earliest")  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    await consumer.start()
    await producer.start()
    try:
        while not stopping.is_set():
            batches = await consumer.getmany(timeout_ms=100, max_records=BATCH)
            if not batches:
                continue
            sends = [await producer.send(destination, r.value, key=r.key) for rs in batches.values() for r in rs]
            await asyncio.gather(*sends)
            await consumer.commit()
    finally:
        await producer.stop()
        await consumer.stop()


if __name__ == "__main__":
    asyncio.run(forward(*sys.argv[1:5]))
