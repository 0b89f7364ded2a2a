from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider

from ledgerflow.contracts import (
    DocumentPlan,
    LedgerEvent,
    OrderNormalized,
    PurchaseOrderNormalized,
    ReferenceData,
    ResyncRequest,
    Topic,
)
from ledgerflow.planner import purchase_order_handler, reference
from ledgerflow.planner.handler import (
    COMPLETION_STAGE,
    DDL,
    RESYNC_STAGE,
    STAGE,
    event_lock_keys,
    make_completion_handler,
    make_handler,
    make_resync_handler,
    order_lock_keys,
)
from ledgerflow.planner.settings import PlannerSettings
from ledgerflow.runtime.service import Service
from ledgerflow.runtime.settings import ServiceSettings
from ledgerflow.runtime.stage import Stage


def create_service(settings: ServiceSettings | None = None, provider: TracerProvider | None = None) -> Service:
    planner = PlannerSettings()
    plans = ((Topic.PLANS, DocumentPlan),)
    stages: list[Stage] = [  # type: ignore[type-arg]
        Stage(
            STAGE,
            Topic.NORMALIZED_ORDERS,
            OrderNormalized,
            make_handler(planner),
            outputs=plans,
            lock_keys=order_lock_keys,
        ),
        Stage(
            COMPLETION_STAGE,
            Topic.EVENTS,
            LedgerEvent,
            make_completion_handler(planner),
            outputs=plans,
            lock_keys=event_lock_keys,
        ),
        Stage(RESYNC_STAGE, Topic.RESYNC, ResyncRequest, make_resync_handler(planner), outputs=plans),
        Stage(reference.STAGE, Topic.REFERENCE, ReferenceData, reference.handle_reference_data),
        Stage(
            purchase_order_handler.PURCHASE_ORDER_STAGE,
            Topic.NORMALIZED_PURCHASE_ORDERS,
            PurchaseOrderNormalized,
            purchase_order_handler.handle_purchase_order,
            outputs=plans,
        ),
    ]
    return Service(
        name="ledgerflow-planner",
        schema="planner",
        ddl=(*DDL, *purchase_order_handler.DDL),
        stages=stages,
        settings=settings,
        provider=provider,
    )
