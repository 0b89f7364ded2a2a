from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider

from ledgerflow.contracts import (
    LedgerCommand,
    LedgerEvent,
    NumberingMode,
    NumberRejected,
    ReferenceData,
    ReferenceSyncRequest,
    Topic,
)
from ledgerflow.ledger_writer.books_numbering import DDL as BOOKS_NUMBERING_DDL
from ledgerflow.ledger_writer.credentials.cipher import TokenCipher
from ledgerflow.ledger_writer.credentials.endpoint import TokenEndpoint
from ledgerflow.ledger_writer.credentials.provider import TokenProvider, refresh_counter
from ledgerflow.ledger_writer.credentials.store import DDL as CREDENTIALS_DDL
from ledgerflow.ledger_writer.credentials.store import PostgresCredentialStore
from ledgerflow.ledger_writer.handler import STAGE, make_handler
from ledgerflow.ledger_writer.intents import DDL as INTENTS_DDL
from ledgerflow.ledger_writer.qbo.client import QuickBooksClient
from ledgerflow.ledger_writer.qbo.rate_limit import CompanyLimiter
from ledgerflow.ledger_writer.reference_sync import STAGE as REFERENCE_STAGE
from ledgerflow.ledger_writer.reference_sync import make_reference_handler
from ledgerflow.ledger_writer.references import DDL as REFERENCES_DDL
from ledgerflow.ledger_writer.settings import WriterSettings
from ledgerflow.runtime.metrics import Metrics
from ledgerflow.runtime.service import Service
from ledgerflow.runtime.settings import ServiceSettings
from ledgerflow.runtime.stage import Stage
from ledgerflow.runtime.telemetry import tracer_provider


def command_lane(command: LedgerCommand) -> tuple[str, ...]:
    """Commands of different orders post concurrently (the per-company limiter bounds them); an order's
    commands go in turn. In next-number mode a tenant's commands go in turn, so its numbers reach the
    books in sequence."""
    tenant = command.meta.tenant_id
    if command.numbering.mode is NumberingMode.NEXT_NUMBER:
        return (tenant,)
    return (tenant, command.connection_id, command.channel.value, command.channel_order_id)


def create_service(
    settings: ServiceSettings | None = None,
    provider: TracerProvider | None = None,
    writer: WriterSettings | None = None,
) -> Service:
    writer = writer or WriterSettings()
    provider = provider or tracer_provider("ledgerflow-ledger-writer")
    metrics = Metrics()
    key = writer.token_key.key
    endpoint = TokenEndpoint(
        writer.qbo.refresh_url,
        writer.qbo.client_id,
        writer.qbo.client_secret,
        timeout=writer.qbo.timeout_seconds,
        tracer=provider.get_tracer("ledgerflow.ledger_writer.credentials"),
    )
    tokens = TokenProvider(
        # The pool exists once the service has started; a malformed key stops the writer here, before that.
        PostgresCredentialStore(lambda: service.pool, TokenCipher(key) if key is not None else None),
        endpoint,
        margin_seconds=writer.qbo.refresh_margin_seconds,
        recheck_seconds=writer.qbo.credentials_recheck_seconds,
        refreshes=refresh_counter(metrics.registry),
    )
    client = QuickBooksClient(
        writer.qbo.base_url,
        writer.qbo.token.get_secret_value(),
        minorversion=writer.qbo.minorversion,
        timeout=writer.qbo.timeout_seconds,
        tracer=provider.get_tracer("ledgerflow.ledger_writer.qbo"),
        metrics=metrics,
        limiter=CompanyLimiter(
            writer.qbo.requests_per_minute,
            writer.qbo.concurrent,
            on_wait=lambda realm, seconds: metrics.rate_limit_wait.labels(realm).inc(seconds),
        ),
        throttle_pause=writer.qbo.throttle_pause_seconds,
        attempts=writer.qbo.attempts,
        tokens=tokens,
    )
    stage = Stage(
        name=STAGE,
        input_topic=Topic.COMMANDS,
        input_model=LedgerCommand,
        handler=make_handler(writer, client, metrics),
        group=f"{STAGE}-{writer.pool}",
        accepts=lambda command: writer.serves(command.meta.tenant_id),
        outputs=((Topic.EVENTS, LedgerEvent), (Topic.NUMBER_FEEDBACK, NumberRejected)),
        concurrency_key=command_lane,
        idempotent=True,  # intents: a command handled again posts nothing again and answers the same
    )
    reference = Stage(
        name=REFERENCE_STAGE,
        input_topic=Topic.REFERENCE_REQUESTS,
        input_model=ReferenceSyncRequest,
        handler=make_reference_handler(writer, client),
        group=f"{REFERENCE_STAGE}-{writer.pool}",
        accepts=lambda request: writer.serves(request.meta.tenant_id),
        outputs=((Topic.REFERENCE, ReferenceData),),
    )

    async def close_clients() -> None:
        await client.aclose()
        await endpoint.aclose()

    service = Service(
        name="ledgerflow-ledger-writer",
        schema="ledger_writer",
        ddl=(*INTENTS_DDL, *REFERENCES_DDL, *BOOKS_NUMBERING_DDL, *CREDENTIALS_DDL),
        stages=[stage, reference],
        settings=settings,
        provider=provider,
        metrics=metrics,
        on_stop=close_clients,
    )
    return service
