from __future__ import annotations

from faststream import FastStream

from ledgerflow.contracts import RawOrderEnvelope, Topic
from ledgerflow.ingest.handler import STAGE, handle_raw_order
from ledgerflow.ingest.versions import DDL
from ledgerflow.runtime.service import build_service
from ledgerflow.runtime.stage import Stage


def create_app() -> FastStream:
    stage = Stage(name=STAGE, input_topic=Topic.RAW_ORDERS, input_model=RawOrderEnvelope, handler=handle_raw_order)
    return build_service(name="ledgerflow-ingest", schema="ingest", ddl=DDL, stages=[stage])
