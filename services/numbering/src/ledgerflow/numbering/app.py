from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider

from ledgerflow.contracts import DocumentPlan, LedgerCommand, NumberRejected, Topic
from ledgerflow.numbering.allocation import DDL as ALLOCATION_DDL
from ledgerflow.numbering.allocation import plan_lock_keys
from ledgerflow.numbering.handler import DDL, FEEDBACK_STAGE, STAGE, handle_plan, handle_rejection
from ledgerflow.runtime.service import Service
from ledgerflow.runtime.settings import ServiceSettings
from ledgerflow.runtime.stage import Stage


def create_service(settings: ServiceSettings | None = None, provider: TracerProvider | None = None) -> Service:
    plans = Stage(
        name=STAGE, input_topic=Topic.PLANS, input_model=DocumentPlan, handler=handle_plan,
        outputs=((Topic.COMMANDS, LedgerCommand),), lock_keys=plan_lock_keys,
    )  # fmt: skip
    feedback = Stage(
        name=FEEDBACK_STAGE, input_topic=Topic.NUMBER_FEEDBACK, input_model=NumberRejected, handler=handle_rejection,
        outputs=((Topic.COMMANDS, LedgerCommand),),
    )  # fmt: skip
    return Service(name="ledgerflow-numbering", schema="numbering", ddl=(*ALLOCATION_DDL, *DDL),
                         stages=[plans, feedback], settings=settings, provider=provider)  # fmt: skip
