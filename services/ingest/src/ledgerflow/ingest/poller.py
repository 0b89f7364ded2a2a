"""The purchase-order poller as a long-running service (one per polled connection): a round every
``LEDGERFLOW_POLLER_EVERY_SECONDS``, published onto ``purchase_orders.raw``, its position in PostgreSQL.

    python -m ledgerflow.ingest.poller

Settings come from the environment: ``LEDGERFLOW_POLLER_*`` (below), the system's credentials (``polling.sources``),
``LEDGERFLOW_KAFKA_*`` and ``LEDGERFLOW_DATABASE_URL``. SIGTERM ends it at once: a round cut short has moved no
position, so the next pod reads it again (ingest drops what it has seen). ``/health/live``, ``/health/ready`` (not
ready while the last round failed) and ``/metrics`` are served on ``LEDGERFLOW_POLLER_HTTP_PORT``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledgerflow.contracts import PurchaseOrderSystem
from ledgerflow.ingest.polling.rounds import PurchaseOrderSource
from ledgerflow.ingest.polling.run import locked_round, polled_envelope
from ledgerflow.ingest.polling.sources import source_for
from ledgerflow.ingest.webhooks import KafkaPublisher
from ledgerflow.runtime.health import HealthServer
from ledgerflow.runtime.settings import DatabaseSettings, KafkaSettings

log = structlog.get_logger(__name__)


class PollerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_POLLER_", extra="ignore")

    tenant: str = Field(min_length=1, description="The tenant whose purchase orders are polled.")
    connection: str = Field(min_length=1, description="The tenant's purchase-order connection (its vendor map).")
    system: PurchaseOrderSystem
    every_seconds: float = Field(default=300.0, gt=0, description="From the end of one round to the next.")
    round_timeout_seconds: float = Field(
        default=1800.0, gt=0, description="A round taking longer is abandoned (a hung call): its position stays."
    )
    http_host: str = "0.0.0.0"  # noqa: S104 (probes and Prometheus reach the pod's address)
    http_port: int = Field(default=8080, description="/health/live, /health/ready and /metrics; 0 picks a free port.")


class PollerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.rounds = Counter("ledgerflow_poller_rounds", "Polling rounds, by outcome.", ["outcome"],
                              registry=self.registry)  # fmt: skip
        self.read = Counter("ledgerflow_poller_purchase_orders_read", "Purchase orders read and published.",
                            registry=self.registry)  # fmt: skip
        self.last_success = Gauge("ledgerflow_poller_last_success_timestamp_seconds",
                                  "When the last round ended well (Unix time).", registry=self.registry)  # fmt: skip


class Poller:
    """Rounds until stopped; each round's failure is logged and counted, and the next round tries again."""

    def __init__(self, settings: PollerSettings, source: PurchaseOrderSource, pool: asyncpg.Pool,
                 publisher: KafkaPublisher) -> None:  # fmt: skip
        self.settings = settings
        self.metrics = PollerMetrics()
        self._source = source
        self._pool = pool
        self._publisher = publisher
        self._failure: str | None = "no round has ended yet"

    async def readiness(self) -> str | None:
        return self._failure

    async def run_round(self) -> None:
        s = self.settings

        async def publish(payloads: Sequence[dict[str, Any]]) -> None:
            for payload in payloads:
                await self._publisher.publish(polled_envelope(s.tenant, s.connection, s.system, payload))

        try:
            async with self._pool.acquire() as conn:
                done = await asyncio.wait_for(
                    locked_round(conn, self._source, s.system, s.tenant, s.connection, publish,
                                 datetime.now(UTC).date()),
                    s.round_timeout_seconds,
                )  # fmt: skip
        except Exception as exc:  # the system or the broker is away: the next round tries again
            self._failure = f"the last round failed: {type(exc).__name__}: {exc}"[:300]
            self.metrics.rounds.labels("failed").inc()
            log.warning("poller.round_failed", system=s.system.value, connection=s.connection, error=self._failure)
            return
        self._failure = None
        self.metrics.rounds.labels("ok").inc()
        self.metrics.read.inc(done.read)
        self.metrics.last_success.set(time.time())
        log.info("poller.round", system=s.system.value, connection=s.connection, read=done.read,
                 still_open=done.still_open, position=done.position.cursor)  # fmt: skip

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            current = asyncio.create_task(self.run_round())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({current, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if stop.is_set():
                current.cancel()  # the round's transaction rolls back: its position has not moved
                with contextlib.suppress(asyncio.CancelledError):
                    await current
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping, self.settings.every_seconds)
            stopping.cancel()


async def serve(settings: PollerSettings, stop: asyncio.Event) -> None:
    publisher = KafkaPublisher(KafkaSettings(), "poller")
    database = DatabaseSettings()
    pool = await asyncpg.create_pool(database.url, min_size=1, max_size=2)
    try:
        await publisher.start()
        async with httpx.AsyncClient(timeout=30) as http:
            poller = Poller(settings, source_for(settings.system, http), pool, publisher)
            health = HealthServer(settings.http_host, settings.http_port, poller.metrics.registry, poller.readiness)
            await health.start()
            log.info("poller.started", system=settings.system.value, connection=settings.connection,
                     http_port=health.port)  # fmt: skip
            try:
                await poller.run(stop)
            finally:
                await health.stop()
    finally:
        await publisher.stop()
        await pool.close()
    log.info("poller.stopped", system=settings.system.value, connection=settings.connection)


async def main_async() -> None:
    settings = PollerSettings()  # the required fields come from the environment
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await serve(settings, stop)


def main() -> None:
    asyncio.run(main_async())


if __name__ == "__main__":
    main()
