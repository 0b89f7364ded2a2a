"""A company's creates that wait for each other go to QuickBooks as one batch request, against the simulator.

The simulator's batch endpoint is as strict as QuickBooks': at most 30 items, a requestid of at most 36
characters, a fault per item, items that do not see each other's results, and a batch counted once among the
company's requests and once among its batches.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ledgerflow.ledger_writer.books import AmbiguousOutcome
from ledgerflow.ledger_writer.targets.qbo.batching import CreateBatcher
from ledgerflow.ledger_writer.targets.qbo.client import QboFaultError, QuickBooksClient, equals
from ledgerflow.ledger_writer.targets.qbo.rate_limit import CompanyLimiter
from ledgerflow.runtime.metrics import Metrics
from tests.simulator.conftest import TOKEN, SimServer, invoice_body


class Writer:
    """The writer's QuickBooks side as the target builds it: client, limiter and batcher, with metrics to read."""

    def __init__(
        self,
        url: str,
        *,
        in_flight: int = 1,
        batches_per_minute: int = 120,
        timeout: float = 10.0,
        batch_timeout: float = 60.0,
    ) -> None:
        self.metrics = Metrics()
        self.limiter = CompanyLimiter(500, 10, batches_per_minute=batches_per_minute)
        self.spans = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.tracer = provider.get_tracer("test")
        self.client = QuickBooksClient(url, TOKEN, timeout=timeout, batch_timeout=batch_timeout, attempts=2,
                                       metrics=self.metrics, limiter=self.limiter, tracer=self.tracer)  # fmt: skip
        self.batcher = CreateBatcher(self.client, self.limiter, self.tracer, in_flight=in_flight)

    def requests(self, realm: str, resource: str) -> float:
        value = 0.0
        for metric in self.metrics.registry.collect():
            for sample in metric.samples:
                labels = sample.labels
                if (
                    sample.name.endswith("_total")
                    and labels.get("tenant") == realm
                    and labels.get("entity") == resource
                ):
                    value += sample.value
        return value


@pytest.fixture
async def writer(sim_server: SimServer) -> AsyncIterator[Writer]:
    made = Writer(sim_server.url)
    yield made
    await made.batcher.aclose()
    await made.client.aclose()


@pytest.fixture
def realm() -> str:
    return f"realm-{uuid.uuid4().hex[:10]}"


async def customer_and_item(client: QuickBooksClient, realm: str) -> tuple[str, str]:
    customer = await client.create(realm, "Customer", {"DisplayName": "Jane Cooper"}, f"{realm}-c")
    income = (await client.query(realm, "Account", "AccountType = 'Income'"))[0]["Id"]
    body = {"Name": "TENT-2P", "Type": "NonInventory", "IncomeAccountRef": {"value": income}}
    item = await client.create(realm, "Item", body, f"{realm}-i")
    return str(customer["Id"]), str(item["Id"])


def invoices(customer: str, item: str, numbers: range) -> list[dict[str, Any]]:
    return [invoice_body(customer, item, number=str(n), memo=f"shopify order {n}") for n in numbers]


async def create_all(writer: Writer, realm: str, bodies: list[dict[str, Any]]) -> list[Any]:
    """All at once, as the company's commands in flight create their documents."""
    creates = [writer.batcher.create(realm, "Invoice", body, f"req-{body['DocNumber']}") for body in bodies]
    return await asyncio.gather(*creates, return_exceptions=True)


async def test_a_quiet_company_sends_each_document_alone(writer: Writer, realm: str) -> None:
    customer, item = await customer_and_item(writer.client, realm)
    for body in invoices(customer, item, range(1001, 1004)):
        record, _ = await writer.batcher.create(realm, "Invoice", body, f"req-{body['DocNumber']}")
        assert record["DocNumber"] == body["DocNumber"]
    assert writer.batcher.batches == 0
    assert writer.requests(realm, "invoice") == 3
    assert writer.requests(realm, "batch") == 0


async def test_creates_that_wait_go_as_one_batch_and_each_gets_its_own_record(writer: Writer, realm: str) -> None:
    customer, item = await customer_and_item(writer.client, realm)
    answers = await create_all(writer, realm, invoices(customer, item, range(1001, 1008)))

    # The first went alone; the six that came while it was on its way went together, in one request.
    assert writer.requests(realm, "invoice") == 1
    assert writer.requests(realm, "batch") == 1
    assert (writer.batcher.batches, writer.batcher.batched) == (1, 6)
    numbers = [record["DocNumber"] for record, _ in answers]
    assert numbers == [str(n) for n in range(1001, 1008)]
    for record, tid in answers:
        assert tid  # the answer's intuit_tid, for a support case
        books = await writer.client.read(realm, "Invoice", str(record["Id"]))
        assert books["DocNumber"] == record["DocNumber"]
        assert books["PrivateNote"] == f"shopify order {record['DocNumber']}"
    assert len({record["Id"] for record, _ in answers}) == 7


async def test_a_batch_carries_at_most_thirty_documents(writer: Writer, realm: str) -> None:
    customer, item = await customer_and_item(writer.client, realm)
    answers = await create_all(writer, realm, invoices(customer, item, range(1001, 1041)))
    assert not [a for a in answers if isinstance(a, BaseException)]
    # 1 alone, then the 39 waiting: 30 (QuickBooks refuses more with 1040), then 9.
    assert (writer.batcher.batches, writer.batcher.batched) == (2, 39)
    assert len(await writer.client.query(realm, "Invoice", "DocNumber >= '1001'")) == 40


async def test_a_refused_document_fails_alone_and_the_rest_of_its_batch_is_posted(writer: Writer, realm: str) -> None:
    customer, item = await customer_and_item(writer.client, realm)
    await writer.client.create(realm, "Invoice", invoice_body(customer, item, number="1004", memo="another"), "x")
    answers = await create_all(writer, realm, invoices(customer, item, range(1001, 1007)))

    refused = answers[3]
    assert isinstance(refused, QboFaultError)
    assert refused.code == "6140"  # the number is in use: the core decides whose it is, as for a single create
    assert "TxnId=" in refused.detail
    posted = [a for i, a in enumerate(answers) if i != 3]
    assert [record["DocNumber"] for record, _ in posted] == ["1001", "1002", "1003", "1005", "1006"]
    assert writer.batcher.batches == 1


async def test_a_lost_batch_answer_leaves_every_document_of_it_to_be_looked_up(
    writer: Writer, http: httpx.AsyncClient, realm: str
) -> None:
    customer, item = await customer_and_item(writer.client, realm)
    # Every answer is lost after QuickBooks wrote what it was sent: the first document's, and then its batch's.
    await http.put("/admin/faults", json={"drop_rate": 1.0})
    answers = await create_all(writer, realm, invoices(customer, item, range(1001, 1006)))
    await http.put("/admin/faults", json={})

    assert all(isinstance(a, AmbiguousOutcome) for a in answers)
    assert writer.requests(realm, "batch") == 1  # the four that waited went together
    # What the core's look-up then finds: each document, once.
    for number in range(1001, 1006):
        assert len(await writer.client.query(realm, "Invoice", equals("DocNumber", str(number)))) == 1


async def test_a_batch_has_the_time_its_items_take(sim_server: SimServer, http: httpx.AsyncClient, realm: str) -> None:
    # QuickBooks runs a batch's items one after the other: a batch gets longer than a single call to answer.
    writer = Writer(sim_server.url, timeout=0.3, batch_timeout=5.0)
    try:
        customer, item = await customer_and_item(writer.client, realm)
        await http.put("/admin/faults", json={"latency_ms": 600})
        answers = await create_all(writer, realm, invoices(customer, item, range(1001, 1005)))
        await http.put("/admin/faults", json={})
        assert isinstance(answers[0], AmbiguousOutcome)  # alone: longer than a single call's 0.3 s
        assert [record["DocNumber"] for record, _ in answers[1:]] == ["1002", "1003", "1004"]  # the batch's 5 s
    finally:
        await writer.batcher.aclose()
        await writer.client.aclose()


async def test_past_the_company_s_batch_limit_the_documents_go_alone(sim_server: SimServer, realm: str) -> None:
    # One batch a minute: the first group goes as a batch, the next as single requests.
    writer = Writer(sim_server.url, batches_per_minute=1)
    try:
        customer, item = await customer_and_item(writer.client, realm)
        first = await create_all(writer, realm, invoices(customer, item, range(1001, 1005)))
        second = await create_all(writer, realm, invoices(customer, item, range(1005, 1009)))
        assert not [a for a in (*first, *second) if isinstance(a, BaseException)]
        assert writer.requests(realm, "batch") == 1
        assert writer.requests(realm, "invoice") == 1 + 1 + 3
    finally:
        await writer.batcher.aclose()
        await writer.client.aclose()


async def test_each_order_s_trace_shows_its_document_s_call_linked_to_the_batch(writer: Writer, realm: str) -> None:
    customer, item = await customer_and_item(writer.client, realm)
    bodies = invoices(customer, item, range(1001, 1005))
    orders = [writer.tracer.start_span(f"order {body['DocNumber']}") for body in bodies]

    async def create_in(order: trace.Span, body: dict[str, Any]) -> Any:
        with trace.use_span(order, end_on_exit=True):
            return await writer.batcher.create(realm, "Invoice", body, f"req-{body['DocNumber']}")

    await asyncio.gather(*(create_in(order, body) for order, body in zip(orders, bodies, strict=True)))
    spans = writer.spans.get_finished_spans()
    (batch,) = [s for s in spans if s.name == "qbo batch"]
    assert batch.attributes is not None and batch.attributes["ledgerflow.qbo.batch_items"] == 3
    assert {link.context.trace_id for link in batch.links} == {o.get_span_context().trace_id for o in orders[1:]}
    for order in orders:
        calls = [
            s for s in spans if s.name == "POST invoice" and s.context.trace_id == order.get_span_context().trace_id
        ]
        assert len(calls) == 1, order  # every order's trace has its call, alone or in the batch
        assert calls[0].parent is not None and calls[0].parent.span_id == order.get_span_context().span_id
    batched = [s for s in spans if s.name == "POST invoice" and s.links]
    assert len(batched) == 3
    assert all(link.context.span_id == batch.context.span_id for s in batched for link in s.links)
