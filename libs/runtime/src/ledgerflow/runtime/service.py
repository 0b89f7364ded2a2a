"""Composition root shared by the services: broker, pool, migrations, relay, one stage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from faststream import FastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry import trace

from ledgerflow.runtime.database import create_pool, migrate
from ledgerflow.runtime.logs import configure_logging
from ledgerflow.runtime.outbox import OutboxRelay
from ledgerflow.runtime.settings import KafkaSettings, ServiceSettings
from ledgerflow.runtime.stage import Stage, StageRunner, subscribe
from ledgerflow.runtime.telemetry import tracer_provider

StageFactory = Callable[[asyncpg.Pool], Awaitable[Stage[Any]]]


def make_broker(settings: KafkaSettings, service_name: str, middlewares: Sequence[Any] = ()) -> KafkaBroker:
    # Idempotent producer: a retried send never duplicates a message in the log (forces acks=all).
    return KafkaBroker(
        settings.bootstrap_servers.split(","),
        client_id=f"{settings.client_id_prefix}-{service_name}",
        enable_idempotence=True,
        allow_auto_create_topics=False,
        middlewares=tuple(middlewares),
        logger=None,
    )


def build_service(
    *,
    name: str,
    schema: str,
    ddl: Sequence[str],
    stages: Sequence[Stage[Any]],
    settings: ServiceSettings | None = None,
    on_ready: Callable[[asyncpg.Pool], Awaitable[None]] | None = None,
    on_stop: Callable[[], Awaitable[None]] | None = None,
) -> FastStream:
    """A runnable FastStream app for a service's stages; ``ledgerflow run <service>`` runs it."""
    settings = settings or ServiceSettings()
    provider = tracer_provider(name)
    # Spans of plain code (the accounting API client, say) go to this service's provider too.
    trace.set_tracer_provider(provider)
    broker = make_broker(settings.kafka, name, [KafkaTelemetryMiddleware(tracer_provider=provider)])
    runners: dict[str, StageRunner[Any]] = {}
    for stage in stages:
        subscribe(broker, stage, runners)

    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        configure_logging()
        pool = await create_pool(settings.database, schema)
        await migrate(pool, schema, ddl)
        if on_ready is not None:
            await on_ready(pool)
        relay = OutboxRelay(pool, broker, sweep_seconds=settings.outbox_sweep_seconds)
        for stage in stages:
            runners[stage.name] = StageRunner(stage, pool, relay)
        relay.start()
        try:
            yield
        finally:
            await relay.stop()
            if on_stop is not None:
                await on_stop()
            await pool.close()
            provider.shutdown()

    return FastStream(broker, lifespan=lifespan)


def run(app: FastStream) -> None:
    asyncio.run(app.run())
