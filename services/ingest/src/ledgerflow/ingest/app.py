from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider

from ledgerflow.contracts import OrderNormalized, RawOrderEnvelope, Topic
from ledgerflow.ingest.handler import STAGE, handle_raw_order
from ledgerflow.ingest.versions import DDL
from ledgerflow.runtime.service import Service
from ledgerflow.runtime.settings import ServiceSettings
from ledgerflow.runtime.stage import Stage


def create_service(settings: ServiceSettings | None = None, provider: TracerProvider | None = None) -> Service:
    stage = Stage(name=STAGE, input_topic=Topic.RAW_ORDERS, input_model=RawOrderEnvelope, handler=handle_raw_order,
                  outputs=((Topic.NORMALIZED_ORDERS, OrderNormalized),))  # fmt: skip
    return Service(
        name="ledgerflow-ingest", schema="ingest", ddl=DDL, stages=[stage], settings=settings, provider=provider
    )
