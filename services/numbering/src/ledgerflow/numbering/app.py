from __future__ import annotations

from faststream import FastStream

from ledgerflow.contracts import DocumentPlan, Topic
from ledgerflow.numbering.handler import DDL, STAGE, make_handler
from ledgerflow.numbering.settings import NumberingSettings
from ledgerflow.runtime.service import build_service
from ledgerflow.runtime.stage import Stage


def create_app() -> FastStream:
    stage = Stage(
        name=STAGE, input_topic=Topic.PLANS, input_model=DocumentPlan, handler=make_handler(NumberingSettings())
    )
    return build_service(name="ledgerflow-numbering", schema="numbering", ddl=DDL, stage=stage)
