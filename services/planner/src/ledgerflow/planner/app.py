from __future__ import annotations

from faststream import FastStream

from ledgerflow.contracts import OrderNormalized, Topic
from ledgerflow.planner.handler import DDL, STAGE, make_handler
from ledgerflow.planner.settings import PlannerSettings
from ledgerflow.runtime.service import build_service
from ledgerflow.runtime.stage import Stage


def create_app() -> FastStream:
    stage = Stage(
        name=STAGE,
        input_topic=Topic.NORMALIZED_ORDERS,
        input_model=OrderNormalized,
        handler=make_handler(PlannerSettings()),
    )
    return build_service(name="ledgerflow-planner", schema="planner", ddl=DDL, stages=[stage])
