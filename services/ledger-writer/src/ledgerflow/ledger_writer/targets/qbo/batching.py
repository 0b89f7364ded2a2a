"""A company's creates that wait at the same time go to QuickBooks Online as one batch request.

Like a database's group commit: a create goes alone while fewer than ``in_flight`` requests of the company's
creates are on their way; once that many are, the creates that come meanwhile wait and go together, up to
``max_items`` (30) in one ``/batch`` request, as soon as one of those on their way is answered. A quiet company
sees no delay and no batch; a busy one sends a request per batch instead of a request per document, which the
writer, the books and their per-minute limit all count once.

Exactly-once does not rest on the batch: a batch whose answer is lost leaves each of its documents with an
unknown outcome, and each is looked up in the books before it is sent again, as after a lost single create.
The items of a batch are independent documents (a document that needs another, a payment its invoice, waits in
its lane until that one is posted), so that QuickBooks' rule that items do not see each other's results never
matters. A batch the company's batch limit does not allow now goes as single requests.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace

from ledgerflow.contracts import derive_message_id
from ledgerflow.ledger_writer.books import AmbiguousOutcome
from ledgerflow.ledger_writer.targets.qbo.client import QboFaultError, QuickBooksClient
from ledgerflow.ledger_writer.targets.qbo.rate_limit import CompanyLimiter

MAX_BATCH_ITEMS = 30  # QuickBooks Online's limit (error 1040 beyond it)

Created = tuple[dict[str, Any], str | None]  # the record, and the intuit_tid of the answer that created it


@dataclass
class _Waiting:
    entity: str
    body: dict[str, Any]
    request_id: str
    future: asyncio.Future[Created]
    context: otel_context.Context


@dataclass
class _Company:
    sending: int = 0
    waiting: deque[_Waiting] = field(default_factory=deque)


class CreateBatcher:
    def __init__(
        self,
        client: QuickBooksClient,
        limiter: CompanyLimiter,
        tracer: trace.Tracer,
        *,
        max_items: int = MAX_BATCH_ITEMS,
        in_flight: int = 2,
    ) -> None:
        self._client = client
        self._limiter = limiter
        self._tracer = tracer
        self._max_items = max(1, min(max_items, MAX_BATCH_ITEMS))
        self._in_flight = max(1, in_flight)
        self._companies: dict[str, _Company] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches = 0  # batch requests sent, and the documents they carried: what a test or a benchmark reads
        self.batched = 0

    async def create(self, realm: str, entity: str, body: dict[str, Any], request_id: str) -> Created:
        """The created record; raises what a single create raises (``QboFaultError`` for this document's fault)."""
        if self._max_items == 1:
            return await self._client.create_traced(realm, entity, body, request_id)
        company = self._companies.setdefault(realm, _Company())
        if company.sending < self._in_flight and not company.waiting:
            company.sending += 1
            try:
                return await self._client.create_traced(realm, entity, body, request_id)
            finally:
                company.sending -= 1
                self._send_waiting(realm, company)
        future: asyncio.Future[Created] = asyncio.get_running_loop().create_future()
        waiting = _Waiting(entity, body, request_id, future, otel_context.get_current())
        company.waiting.append(waiting)
        return await waiting.future

    def _send_waiting(self, realm: str, company: _Company) -> None:
        while company.sending < self._in_flight and company.waiting:
            group: list[_Waiting] = []
            while company.waiting and len(group) < self._max_items:
                waiting = company.waiting.popleft()
                if not waiting.future.done():  # its command was cancelled (shutdown) before it went
                    group.append(waiting)
            if not group:
                break
            company.sending += 1
            # A fresh context: the batch belongs to no one order's trace; each order gets a span of its own below.
            task = asyncio.create_task(self._send(realm, company, group), context=contextvars.Context())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send(self, realm: str, company: _Company, group: list[_Waiting]) -> None:
        try:
            if len(group) > 1 and self._limiter.take_batch(realm):
                await self._send_batch(realm, group)
            else:
                await asyncio.gather(*(self._send_alone(realm, waiting) for waiting in group))
        finally:
            company.sending -= 1
            self._send_waiting(realm, company)

    async def _send_alone(self, realm: str, waiting: _Waiting) -> None:
        token = otel_context.attach(waiting.context)
        try:
            created = await self._client.create_traced(realm, waiting.entity, waiting.body, waiting.request_id)
        except asyncio.CancelledError:
            waiting.future.cancel()
            raise
        except Exception as exc:  # handed to the document's own command
            _settle(waiting, exc)
        else:
            _settle(waiting, created)
        finally:
            otel_context.detach(token)

    async def _send_batch(self, realm: str, group: Sequence[_Waiting]) -> None:
        items = [(f"b{i}", waiting.entity, waiting.body) for i, waiting in enumerate(group)]
        # The same documents sent together again (after a 429) are the same batch: QuickBooks answers it once.
        request_id = str(derive_message_id("qbo-batch", *(waiting.request_id for waiting in group)))
        contexts = [trace.get_current_span(waiting.context).get_span_context() for waiting in group]
        links = [trace.Link(context) for context in contexts if context.is_valid]
        started = time.time_ns()
        size = {"ledgerflow.qbo.batch_items": len(group)}
        with self._tracer.start_as_current_span(
            "qbo batch", kind=trace.SpanKind.INTERNAL, links=links, attributes=size
        ) as batch_span:
            try:
                answers, tid = await self._client.batch_create(realm, items, request_id)
            except asyncio.CancelledError:
                for waiting in group:
                    waiting.future.cancel()
                raise
            except Exception as exc:  # every document of the batch meets the same fate
                for waiting in group:
                    _settle(waiting, exc)
                    self._item_span(waiting, started, batch_span, len(group), error=type(exc).__name__)
                return
        self.batches += 1
        self.batched += len(group)
        for (bid, entity, _), waiting in zip(items, group, strict=True):
            answer = answers.get(bid)
            outcome: Created | Exception
            if answer is None:
                outcome = AmbiguousOutcome(f"batch {request_id}: no answer for {entity} {bid}")
            elif answer.get("Fault"):
                fault = answer["Fault"]
                errors = list(fault.get("Error") or [])
                outcome = QboFaultError(400, str(fault.get("type", "")), errors, tid)
            else:
                outcome = (dict(answer[entity]), tid)
            _settle(waiting, outcome)
            failed = None if isinstance(outcome, tuple) else type(outcome).__name__
            self._item_span(waiting, started, batch_span, len(group), error=failed)

    def _item_span(
        self, waiting: _Waiting, started: int, batch_span: trace.Span, size: int, *, error: str | None
    ) -> None:
        """The document's call as its own order's trace shows it: the batch's time, linked to the batch."""
        attributes: dict[str, str | int] = {"ledgerflow.qbo.batch_items": size}
        if error is not None:
            attributes["error.type"] = error
        span = self._tracer.start_span(
            f"POST {waiting.entity.lower()}",
            context=waiting.context,
            kind=trace.SpanKind.CLIENT,
            links=[trace.Link(batch_span.get_span_context())],
            start_time=started,
            attributes=attributes,
        )
        span.end()

    async def aclose(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _settle(waiting: _Waiting, outcome: Created | Exception) -> None:
    if waiting.future.done():
        return
    if isinstance(outcome, BaseException):
        waiting.future.set_exception(outcome)
    else:
        waiting.future.set_result(outcome)
