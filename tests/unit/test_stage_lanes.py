"""A batch handled in lanes: the same key in log order, different keys at once, offsets only after all."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from opentelemetry import trace
from pydantic import BaseModel

from ledgerflow.contracts import MessageMeta
from ledgerflow.runtime.metrics import Metrics
from ledgerflow.runtime.stage import Received, Source, Stage, StageRunner


class Note(BaseModel):
    meta: MessageMeta
    order: str
    step: int


class _Pool:
    def get_max_size(self) -> int:
        return 20


class RecordingRunner(StageRunner[Note]):
    def __init__(self, stage: Stage[Note], fail_on: tuple[str, int] | None = None) -> None:
        super().__init__(stage, _Pool(), None, Metrics(), trace.get_tracer("test"))  # type: ignore[arg-type]
        self.log: list[tuple[str, str, int]] = []
        self.fail_on = fail_on

    async def process(self, body: bytes, source: Source, read: Any = None) -> None:
        note = Note.model_validate_json(body)
        self.log.append(("start", note.order, note.step))
        await asyncio.sleep(0.01)
        if self.fail_on == (note.order, note.step):
            raise RuntimeError("the database went away")
        self.log.append(("end", note.order, note.step))


def _records(*notes: tuple[str, int]) -> list[Received]:
    meta = MessageMeta(tenant_id="t", correlation_id=uuid.uuid4())
    return [
        Received(Note(meta=meta, order=order, step=step).model_dump_json().encode(), Source("commands", 0, i))
        for i, (order, step) in enumerate(notes)
    ]


def _stage() -> Stage[Note]:
    async def handler(*_: Any) -> list[Any]:
        return []

    return Stage("writer", "commands", Note, handler, concurrency_key=lambda note: note.order)


async def test_different_keys_overlap_and_one_key_keeps_its_order() -> None:
    runner = RecordingRunner(_stage())
    await runner.process_batch(_records(("a", 1), ("b", 1), ("a", 2), ("b", 2)))
    assert runner.log[:2] == [("start", "a", 1), ("start", "b", 1)]  # both orders in flight at once
    a_steps = [entry for entry in runner.log if entry[1] == "a"]
    assert a_steps == [("start", "a", 1), ("end", "a", 1), ("start", "a", 2), ("end", "a", 2)]


async def test_a_failure_surfaces_after_the_other_lanes_finish_so_the_batch_is_redelivered() -> None:
    runner = RecordingRunner(_stage(), fail_on=("a", 1))
    with pytest.raises(RuntimeError, match="database"):
        await runner.process_batch(_records(("a", 1), ("b", 1), ("a", 2), ("b", 2)))
    assert ("end", "b", 2) in runner.log  # the other order finished: its inbox row makes the redelivery a no-op
    assert ("start", "a", 2) not in runner.log  # nothing of the failed order ran past its failure
