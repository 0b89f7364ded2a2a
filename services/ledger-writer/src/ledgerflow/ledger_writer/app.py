"""The writer's composition: commands filed into company queues, drained by this process's share of companies."""

from __future__ import annotations

import asyncio

import asyncpg
from opentelemetry.sdk.trace import TracerProvider

from ledgerflow.contracts import (
    LedgerCommand,
    LedgerEvent,
    NumberRejected,
    ReferenceData,
    ReferenceSyncRequest,
    Topic,
)
from ledgerflow.ledger_writer.commands import STAGE, CommandHandler
from ledgerflow.ledger_writer.intake import make_filer
from ledgerflow.ledger_writer.posting.intents import DDL as INTENTS_DDL
from ledgerflow.ledger_writer.posting.numbering import DDL as BOOKS_NUMBERING_DDL
from ledgerflow.ledger_writer.queue.completion import Completions
from ledgerflow.ledger_writer.queue.drain import DrainDeps, DrainSettings
from ledgerflow.ledger_writer.queue.metrics import QueueMetrics
from ledgerflow.ledger_writer.queue.runner import QueueRunner, writer_id
from ledgerflow.ledger_writer.queue.schema import DDL as QUEUE_DDL
from ledgerflow.ledger_writer.reference_cache import DDL as REFERENCE_CACHE_DDL
from ledgerflow.ledger_writer.reference_sync import STAGE as REFERENCE_STAGE
from ledgerflow.ledger_writer.settings import WriterSettings
from ledgerflow.ledger_writer.targets.qbd import DDL as QBD_DDL
from ledgerflow.ledger_writer.targets.qbd.connector import WebConnectorService
from ledgerflow.ledger_writer.targets.qbd.endpoint import Endpoint
from ledgerflow.ledger_writer.targets.qbd.metrics import DesktopMetrics
from ledgerflow.ledger_writer.targets.qbd.target import QuickBooksDesktop
from ledgerflow.ledger_writer.targets.qbd.wire import Wire
from ledgerflow.ledger_writer.targets.qbo import DDL as QBO_DDL
from ledgerflow.ledger_writer.targets.qbo import QuickBooksOnline
from ledgerflow.ledger_writer.targets.qbo.credentials.cipher import TokenCipher
from ledgerflow.ledger_writer.targets.router import Targets
from ledgerflow.runtime.metrics import Metrics
from ledgerflow.runtime.service import Service
from ledgerflow.runtime.settings import ServiceSettings
from ledgerflow.runtime.stage import Stage
from ledgerflow.runtime.telemetry import records_spans, tracer_provider


def create_service(
    settings: ServiceSettings | None = None,
    provider: TracerProvider | None = None,
    writer: WriterSettings | None = None,
) -> Service:
    writer = writer or WriterSettings()
    provider = provider or tracer_provider("ledgerflow-ledger-writer")
    metrics = Metrics()
    key = writer.token_key.key

    def pool() -> asyncpg.Pool:
        return service.pool  # exists once the service has started

    # A malformed token key stops the writer here, before it starts.
    online = QuickBooksOnline(
        writer.qbo, pool, token_cipher=TokenCipher(key) if key is not None else None, metrics=metrics, provider=provider
    )
    owner = writer_id()
    wire = Wire(pool, owner)
    target = Targets(online, QuickBooksDesktop(writer.qbd, pool, wire))
    endpoint = Endpoint(writer.qbd, WebConnectorService(pool, wire, writer.qbd, DesktopMetrics(metrics.registry)))

    async def start() -> None:
        await runner.start()
        await endpoint.start()

    async def stopping() -> None:
        await endpoint.stop()
        await runner.stop()

    handler = CommandHandler(pool, target, metrics)
    runner = QueueRunner(
        DrainDeps(
            pool=pool,
            owner=owner,
            target=target,
            handler=handler,
            completions=Completions(pool, lambda: service.relay, owner),
            slots=asyncio.Semaphore(writer.max_in_flight),
            metrics=QueueMetrics(metrics.registry, writer.pool, writer.queue_warn_depth),
            tracer=provider.get_tracer("ledgerflow.ledger_writer.queue"),
            records_spans=records_spans(provider),
        ),
        DrainSettings(writer.lease_seconds, writer.poll_seconds, writer.idle_release_seconds),
        writer_pool=writer.pool,
        max_companies=writer.max_companies,
        quantum_seconds=writer.quantum_seconds,
    )
    filer = make_filer(target, writer.pool, handler.remember)
    commands = Stage(
        name=STAGE,
        input_topic=Topic.COMMANDS,
        input_model=LedgerCommand,
        filer=filer,
        after_commit=runner.deliver,
        group=f"{STAGE}-{writer.pool}",
        accepts=lambda command: writer.serves(command.meta.tenant_id),
        outputs=((Topic.EVENTS, LedgerEvent), (Topic.NUMBER_FEEDBACK, NumberRejected)),
    )
    reference = Stage(
        name=REFERENCE_STAGE,
        input_topic=Topic.REFERENCE_REQUESTS,
        input_model=ReferenceSyncRequest,
        filer=filer,
        after_commit=runner.deliver,
        group=f"{REFERENCE_STAGE}-{writer.pool}",
        accepts=lambda request: writer.serves(request.meta.tenant_id),
        outputs=((Topic.REFERENCE, ReferenceData),),
    )
    service = Service(
        name="ledgerflow-ledger-writer",
        schema="ledger_writer",
        ddl=(*QUEUE_DDL, *INTENTS_DDL, *BOOKS_NUMBERING_DDL, *REFERENCE_CACHE_DDL, *QBO_DDL, *QBD_DDL),
        stages=[commands, reference],
        settings=settings,
        provider=provider,
        metrics=metrics,
        on_start=start,
        on_stopping=stopping,
        on_stop=target.aclose,
    )
    return service
