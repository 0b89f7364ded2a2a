from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider

from ledgerflow.contracts import (
    OrderNormalized,
    PurchaseOrderNormalized,
    RawOrderEnvelope,
    RawPurchaseOrderEnvelope,
    Topic,
)
from ledgerflow.ingest.handler import PURCHASE_ORDER_STAGE, STAGE, handle_raw_order, handle_raw_purchase_order
from ledgerflow.ingest.versions import DDL
from ledgerflow.runtime.service import Service
from ledgerflow.runtime.settings import ServiceSettings
from ledgerflow.runtime.stage import Stage


def create_service(settings: ServiceSettings | None = None, provider: TracerProvider | None = None) -> Service:
    stage = Stage(name=STAGE, input_topic=Topic.RAW_ORDERS, input_model=RawOrderEnvelope, handler=handle_raw_order,
                  outputs=((Topic.NORMALIZED_ORDERS, OrderNormalized),))  # fmt: skip
    # The systems' own purchase orders: a stage of their own, so that a backlog of either never waits on the other.
    purchase_orders = Stage(
        name=PURCHASE_ORDER_STAGE,
        input_topic=Topic.RAW_PURCHASE_ORDERS,
        input_model=RawPurchaseOrderEnvelope,
        handler=handle_raw_purchase_order,
        outputs=((Topic.NORMALIZED_PURCHASE_ORDERS, PurchaseOrderNormalized),),
    )
    return Service(
        name="ledgerflow-ingest",
        schema="ingest",
        ddl=DDL,
        stages=[stage, purchase_orders],
        settings=settings,
        provider=provider,
    )
