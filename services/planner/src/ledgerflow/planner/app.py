from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider

from ledgerflow.contracts import DocumentPlan, OrderNormalized, Topic
from ledgerflow.planner.handler import DDL, STAGE, make_handler
from ledgerflow.planner.settings import PlannerSettings
from ledgerflow.runtime.service import Service
from ledgerflow.runtime.settings import ServiceSettings
from ledgerflow.runtime.stage import Stage


def create_service(settings: ServiceSettings | None = None, provider: TracerProvider | None = None) -> Service:
    stage = Stage(
        name=STAGE,
        input_topic=Topic.NORMALIZED_ORDERS,
        input_model=OrderNormalized,
        handler=make_handler(PlannerSettings()),
        outputs=((Topic.PLANS, DocumentPlan),),
    )
    return Service(
        name="ledgerflow-planner", schema="planner", ddl=DDL, stages=[stage], settings=settings, provider=provider
    )
