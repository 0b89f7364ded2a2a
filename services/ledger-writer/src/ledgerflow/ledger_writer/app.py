from __future__ import annotations

from faststream import FastStream

from ledgerflow.contracts import LedgerCommand, Topic
from ledgerflow.ledger_writer.books_numbering import DDL as BOOKS_NUMBERING_DDL
from ledgerflow.ledger_writer.handler import STAGE, make_handler
from ledgerflow.ledger_writer.intents import DDL as INTENTS_DDL
from ledgerflow.ledger_writer.qbo.client import QuickBooksClient
from ledgerflow.ledger_writer.references import DDL as REFERENCES_DDL
from ledgerflow.ledger_writer.settings import WriterSettings
from ledgerflow.runtime.service import build_service
from ledgerflow.runtime.stage import Stage


def create_app() -> FastStream:
    settings = WriterSettings()
    client = QuickBooksClient(
        settings.base_url, settings.token, minorversion=settings.minorversion, timeout=settings.timeout_seconds
    )
    stage = Stage(
        name=STAGE, input_topic=Topic.COMMANDS, input_model=LedgerCommand, handler=make_handler(settings, client)
    )
    return build_service(
        name="ledgerflow-ledger-writer",
        schema="ledger_writer",
        ddl=(*INTENTS_DDL, *REFERENCES_DDL, *BOOKS_NUMBERING_DDL),
        stages=[stage],
        on_stop=client.aclose,
    )
