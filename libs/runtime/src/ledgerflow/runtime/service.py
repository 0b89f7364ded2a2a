"""Composition root shared by the services: broker, pool, migrations, relay, health and metrics, stages."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import ssl
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
import structlog
import uvloop
from faststream import FastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.security import BaseSecurity, SASLScram256, SASLScram512
from faststream.specification import AsyncAPI
from opentelemetry.sdk.trace import TracerProvider
from pydantic import BaseModel

from ledgerflow.contracts import DeadLetter, dead_letter_topic
from ledgerflow.runtime.database import create_pool, migrate
from ledgerflow.runtime.health import HealthServer
from ledgerflow.runtime.logs import configure_logging
from ledgerflow.runtime.metrics import Metrics
from ledgerflow.runtime.outbox import OutboxRelay
from ledgerflow.runtime.settings import KafkaSettings, ServiceSettings
from ledgerflow.runtime.stage import Stage, StageRunner, subscribe
from ledgerflow.runtime.telemetry import tracer_provider

log = structlog.get_logger(__name__)


def security(settings: KafkaSettings) -> BaseSecurity | None:
    """TLS and SASL/SCRAM for the brokers, from settings."""
    protocol = settings.security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = ssl.create_default_context(cafile=settings.ssl_cafile) if protocol in ("SSL", "SASL_SSL") else None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    if settings.sasl_username is None or settings.sasl_password is None:
        raise ValueError(f"{protocol} needs LEDGERFLOW_KAFKA_SASL_USERNAME and LEDGERFLOW_KAFKA_SASL_PASSWORD")
    scram = SASLScram256 if settings.sasl_mechanism == "SCRAM-SHA-256" else SASLScram512
    password = settings.sasl_password.get_secret_value()
    return scram(settings.sasl_username, password, ssl_context=context, use_ssl=protocol == "SASL_SSL")


def make_broker(settings: KafkaSettings, service_name: str, middlewares: Sequence[Any] = ()) -> KafkaBroker:
    # Idempotent producer: a retried send never duplicates a message in the log (forces acks=all).
    return KafkaBroker(
        settings.bootstrap_servers.split(","),
        client_id=f"{settings.client_id_prefix}-{service_name}",
        enable_idempotence=True,
        linger_ms=settings.linger_ms,
        allow_auto_create_topics=False,
        middlewares=tuple(middlewares),
        security=security(settings),
        logger=None,
    )


class Service:
    """One service process: its stages on Kafka, its schema in PostgreSQL, its health and metrics endpoint."""

    def __init__(
        self,
        *,
        name: str,
        schema: str,
        ddl: Sequence[str],
        stages: Sequence[Stage[Any]],
        settings: ServiceSettings | None = None,
        provider: TracerProvider | None = None,
        metrics: Metrics | None = None,
        on_start: Callable[[], Awaitable[None]] | None = None,
        on_stopping: Callable[[], Awaitable[None]] | None = None,
        on_stop: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """``on_start`` runs once the pool, the relay and the consumers are up; ``on_stopping`` first thing on
        stop, while they still are (work of the service's own beside its stages); ``on_stop`` last."""
        self.name = name
        self.schema = schema
        self.ddl = ddl
        self.stages = stages
        self.settings = settings or ServiceSettings()
        self.provider = provider or tracer_provider(name)
        self.metrics = metrics or Metrics()
        self._on_start = on_start
        self._on_stopping = on_stopping
        self._on_stop = on_stop
        self.broker = make_broker(
            self.settings.kafka,
            name,
            [
                KafkaTelemetryMiddleware(tracer_provider=self.provider),
                KafkaPrometheusMiddleware(registry=self.metrics.registry, app_name=name),
            ],
        )
        # The AsyncAPI document of the service comes from this app (ledgerflow asyncapi).
        self.app = FastStream(self.broker, specification=AsyncAPI(title=name, version="0.1.0"))
        self.runners: dict[str, StageRunner[Any]] = {}
        self.subscribers = [
            subscribe(
                self.broker,
                stage,
                self.runners,
                batch_size=self.settings.consumer_batch_size,
                fetch_min_bytes=self.settings.kafka.fetch_min_bytes,
                fetch_max_wait_ms=self.settings.kafka.fetch_max_wait_ms,
            )
            for stage in stages
        ]
        self._declare_outputs()
        self._pool: asyncpg.Pool | None = None
        self._relay: OutboxRelay | None = None
        self._health: HealthServer | None = None
        self._lag_task: asyncio.Task[None] | None = None

    def _declare_outputs(self) -> None:
        """Publishing goes through the outbox; these declare each output once, for the AsyncAPI document."""
        declared: set[tuple[str, type[BaseModel]]] = set()
        for stage in self.stages:
            outputs: list[tuple[str, type[BaseModel]]] = [
                *stage.outputs,
                (dead_letter_topic(stage.input_topic), DeadLetter),
            ]
            for topic, model in outputs:
                if (topic, model) not in declared:
                    declared.add((topic, model))
                    self.broker.publisher(topic, schema=model, title=f"{topic}:{model.__name__}",
                                          description=model.__doc__)  # fmt: skip

    @property
    def pool(self) -> asyncpg.Pool:
        assert self._pool is not None, "the service is not started"
        return self._pool

    @property
    def relay(self) -> OutboxRelay:
        assert self._relay is not None, "the service is not started"
        return self._relay

    @property
    def http_port(self) -> int:
        assert self._health is not None
        return self._health.port

    async def start(self) -> None:
        settings = self.settings
        self._pool = await create_pool(settings.database, self.schema)
        await migrate(self._pool, self.schema, self.ddl)
        self._relay = OutboxRelay(self._pool, self.broker, sweep_seconds=settings.outbox_sweep_seconds)
        for stage in self.stages:
            tracer = self.provider.get_tracer("ledgerflow.runtime.stage")
            self.runners[stage.name] = StageRunner(
                stage, self._pool, self._relay, self.metrics, tracer, settings.kafka.max_message_bytes
            )
        await self.broker.start()
        self._relay.start()
        self._health = HealthServer(settings.http_host, settings.http_port, self.metrics.registry, self.readiness)
        await self._health.start()
        self._lag_task = asyncio.create_task(self._watch_lag(), name="consumer-lag")
        if self._on_start is not None:
            await self._on_start()
        log.info("service.started", service=self.name, http_port=self._health.port)

    async def stop(self) -> None:
        if self._on_stopping is not None:
            await self._on_stopping()
        if self._lag_task is not None:
            self._lag_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._lag_task
        if self._health is not None:
            await self._health.stop()
        await self.broker.stop()  # waits for the handlers in flight (graceful timeout)
        if self._relay is not None:
            await self._relay.stop()
        if self._on_stop is not None:
            await self._on_stop()
        if self._pool is not None:
            await self._pool.close()
        self.provider.shutdown()

    async def readiness(self) -> str | None:
        """Not ready while a consumer has no partitions, a stage's batches keep failing, or the database does not
        answer."""
        for name, runner in self.runners.items():
            if runner.stalled is not None:
                return f"stage {name} is stalled: {runner.stalled}"
        for subscriber in self.subscribers:
            consumer = subscriber.consumer
            if consumer is None or not consumer.assignment():
                return "no partitions assigned yet"
        try:
            await asyncio.wait_for(self.pool.fetchval("SELECT 1"), timeout=2)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            return f"database: {exc}"
        return None

    async def _watch_lag(self) -> None:
        while True:
            await asyncio.sleep(self.settings.lag_interval_seconds)
            for stage, subscriber in zip(self.stages, self.subscribers, strict=True):
                consumer = subscriber.consumer
                if consumer is None:
                    continue
                try:
                    assigned = list(consumer.assignment())
                    ends = await consumer.end_offsets(assigned)
                    for tp in assigned:
                        lag = max(0, ends[tp] - await consumer.position(tp))
                        self.metrics.consumer_lag.labels(stage.name, tp.topic, str(tp.partition)).set(lag)
                except Exception:  # noqa: S112 (a lag reading is best effort; the next round tries again)
                    continue

    async def serve_forever(self) -> None:
        configure_logging()
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        await self.start()
        try:
            await stopping.wait()
        finally:
            await self.stop()


def run(service: Service) -> None:
    # Every message costs several socket round trips (database, broker, the books); uvloop's loop and
    # transports spend a fraction of the CPU asyncio's pure-Python ones do on each.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(service.serve_forever())
