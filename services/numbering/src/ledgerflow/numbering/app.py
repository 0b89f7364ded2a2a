from __future__ import annotations

from faststream import FastStream

from ledgerflow.contracts import DocumentPlan, NumberRejected, Topic
from ledgerflow.numbering.allocation import DDL as ALLOCATION_DDL
from ledgerflow.numbering.handler import DDL, FEEDBACK_STAGE, STAGE, handle_plan, handle_rejection
from ledgerflow.runtime.service import build_service
from ledgerflow.runtime.stage import Stage


def create_app() -> FastStream:
    plans = Stage(name=STAGE, input_topic=Topic.PLANS, input_model=DocumentPlan, handler=handle_plan)
    feedback = Stage(
        name=FEEDBACK_STAGE, input_topic=Topic.NUMBER_FEEDBACK, input_model=NumberRejected, handler=handle_rejection
    )
    return build_service(name="ledgerflow-numbering", schema="numbering", ddl=(*ALLOCATION_DDL, *DDL),
                         stages=[plans, feedback])  # fmt: skip
