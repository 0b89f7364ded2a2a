"""The company queues drained by a writer's runner, on a real PostgreSQL, against books that record every call.

The books here are a stand-in that can be made slow, failing or locked per company: what is measured is how
the queue orders, shares and pauses work, with the real posting core (intents) and the real queue tables.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from opentelemetry import trace
from prometheus_client import CollectorRegistry

from ledgerflow.contracts import (
    BooksTarget,
    Channel,
    DocumentType,
    ErrorDetail,
    LedgerCommand,
    LedgerEvent,
    LedgerStatus,
    LineKind,
    MatchingPolicy,
    MessageMeta,
    NumberedDocument,
    PlannedDocument,
    PlannedLine,
    TransactionMode,
)
from ledgerflow.devstack.stack import StackState
from ledgerflow.ledger_writer.books import (
    BooksRecord,
    Company,
    CompanyUnavailable,
    Draft,
    Linked,
    RateState,
    ReferenceSnapshot,
)
from ledgerflow.ledger_writer.commands import CommandHandler
from ledgerflow.ledger_writer.posting.intents import DDL as INTENTS_DDL
from ledgerflow.ledger_writer.posting.numbering import DDL as NUMBERING_DDL
from ledgerflow.ledger_writer.queue import store
from ledgerflow.ledger_writer.queue.completion import Completions
from ledgerflow.ledger_writer.queue.drain import DrainDeps, DrainSettings
from ledgerflow.ledger_writer.queue.lanes import command_lane
from ledgerflow.ledger_writer.queue.metrics import QueueMetrics
from ledgerflow.ledger_writer.queue.runner import QueueRunner
from ledgerflow.ledger_writer.queue.schema import DDL as QUEUE_DDL
from ledgerflow.ledger_writer.queue.store import COMMAND, FiledCommand, NewCommand
from ledgerflow.runtime.database import create_pool, migrate
from ledgerflow.runtime.metrics import Metrics
from ledgerflow.runtime.outbox import Enqueued
from ledgerflow.runtime.settings import DatabaseSettings
from ledgerflow.runtime.stage import Source

IN_FLIGHT_LIMIT = 3


@dataclass
class Call:
    company: str
    key: str
    started: float
    ended: float = 0.0


@dataclass
class RecordingBooks:
    """Every company's books: each create takes ``delay[company]`` seconds and is recorded."""

    delay: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    locked: set[str] = field(default_factory=set)
    broken_keys: set[str] = field(default_factory=set)  # drafting these fails (a timeout) until removed
    calls: list[Call] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    peak: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class RecordingTarget:
    name = "recording"

    def __init__(self, books: RecordingBooks) -> None:
        self.state = books

    def company_of(self, tenant_id: str, books: BooksTarget = BooksTarget.QUICKBOOKS_ONLINE) -> Company:
        return Company(tenant_id, tenant_id)

    def calls_in(self, company: Company) -> bool:
        return False

    def books(self, company: Company, matching: MatchingPolicy, attempt: str) -> _CompanyBooks:
        return _CompanyBooks(self.state, company)

    def in_flight_limit(self, company: Company) -> int:
        return IN_FLIGHT_LIMIT

    async def reference_data(self, company: Company) -> ReferenceSnapshot:
        return ReferenceSnapshot(items=())

    def rate_state(self, company: Company) -> RateState:
        return RateState(tokens=1.0, limit_per_minute=500)

    def restore_rate(self, company: Company, state: RateState) -> None:
        return None

    async def aclose(self) -> None:
        return None


class _CompanyBooks:
    def __init__(self, state: RecordingBooks, company: Company) -> None:
        self._state = state
        self._company = company.company_id

    def kind(self, doc_type: DocumentType) -> str:
        return doc_type.value

    async def draft(self, numbered: NumberedDocument, linked: Sequence[Linked]) -> Draft:
        if numbered.document.key in self._state.broken_keys:
            raise TimeoutError("the books did not answer")
        return Draft(self.kind(numbered.document.type), numbered.document.key, "customer-1")

    async def create(self, draft: Draft, request_id: uuid.UUID) -> BooksRecord:
        if self._company in self._state.locked:
            raise CompanyUnavailable(ErrorDetail(code="qbo.3200", message="access refused", fix="Connect again."))
        call = Call(self._company, str(draft.request), time.monotonic())
        assert all(c.key != call.key for c in self._state.calls), f"{call.key} sent twice: a command ran twice"
        self._state.calls.append(call)
        self._state.in_flight[self._company] += 1
        self._state.peak[self._company] = max(self._state.peak[self._company], self._state.in_flight[self._company])
        try:
            await asyncio.sleep(self._state.delay[self._company])
        finally:
            self._state.in_flight[self._company] -= 1
        call.ended = time.monotonic()
        return BooksRecord(external_id=str(len(self._state.calls)), total=Decimal(40), balance=Decimal(0))

    async def find_own(self, numbered: NumberedDocument, draft: Draft) -> BooksRecord | None:
        return None

    async def exists(self, document: Linked) -> bool:
        return True

    async def recent_numbers(self, kind: str) -> list[str]:
        return []

    async def close_sales_order(self, sales_order: Linked, request_key: uuid.UUID) -> BooksRecord:
        raise AssertionError("not planned here")

    async def apply_payment(self, payment: Linked, invoices: Sequence[Linked], request_key: uuid.UUID) -> BooksRecord:
        raise AssertionError("not planned here")

    async def update_purchase_order(
        self, purchase_order: Linked, numbered: NumberedDocument, request_key: uuid.UUID
    ) -> BooksRecord:
        raise NotImplementedError


class KeptRelay:
    def __init__(self) -> None:
        self.sent: list[Enqueued] = []

    async def send(self, rows: Sequence[Enqueued]) -> asyncio.Future[None]:
        self.sent.extend(rows)
        acknowledged: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        acknowledged.set_result(None)
        return acknowledged

    def events(self) -> list[LedgerEvent]:
        return [
            LedgerEvent.model_validate_json(r.message.payload) for r in self.sent if r.message.topic == "ledger.events"
        ]


@pytest.fixture
async def pool(stack_state: StackState) -> AsyncIterator[asyncpg.Pool]:
    schema = f"runner_{uuid.uuid4().hex[:10]}"
    pool = await create_pool(DatabaseSettings(url=stack_state.database_url, pool_max_size=10), schema)
    await migrate(pool, schema, (*QUEUE_DDL, *INTENTS_DDL, *NUMBERING_DDL))
    yield pool
    await pool.execute(f'DROP SCHEMA "{schema}" CASCADE')
    await pool.close()


def runner(
    pool: asyncpg.Pool,
    books: RecordingBooks,
    relay: KeptRelay,
    *,
    max_companies: int = 100,
    quantum: float = 10.0,
    poll: float = 0.05,
) -> QueueRunner:
    target = RecordingTarget(books)
    owner = f"test-{uuid.uuid4().hex[:6]}"
    deps = DrainDeps(
        pool=lambda: pool,
        owner=owner,
        target=target,
        handler=CommandHandler(lambda: pool, target, Metrics()),
        completions=Completions(lambda: pool, lambda: relay, owner),  # type: ignore[arg-type,return-value]
        slots=asyncio.Semaphore(100),
        metrics=QueueMetrics(CollectorRegistry(), "default", warn_depth=1000),
        tracer=trace.get_tracer("test"),
    )
    settings = DrainSettings(lease_seconds=3.0, poll_seconds=poll, idle_release_seconds=max(0.3, 2 * poll))
    return QueueRunner(deps, settings, writer_pool="default", max_companies=max_companies, quantum_seconds=quantum)


def order(tenant: str, number: int, version: int = 1) -> LedgerCommand:
    """Version 1: an invoice (on terms); version 2: the payment applied to it, which needs the invoice posted."""
    key = f"{tenant}/shop/shopify/{number}"
    line = PlannedLine(kind=LineKind.ITEM, item_name="Widget", unit_price=Decimal(40), amount=Decimal(40))
    parts: dict[str, Any] = {"currency": "USD", "txn_date": date(2026, 12, 1), "total": Decimal(40),
                             "memo": f"order {number}", "customer_name": "Ada"}  # fmt: skip
    invoice = PlannedDocument(key=f"{key}/invoice", type=DocumentType.INVOICE, lines=(line,), **parts)
    payment = PlannedDocument(key=f"{key}/payment", type=DocumentType.PAYMENT, applies_to=(invoice.key,), **parts)
    documents = (
        (NumberedDocument(document=invoice, doc_number=str(number), number_space="invoice"),)
        if version == 1
        else (NumberedDocument(document=payment, number_space="payment"),)
    )
    return LedgerCommand(
        meta=MessageMeta(tenant_id=tenant, correlation_id=uuid.uuid4()),
        connection_id="shop",
        channel=Channel.SHOPIFY,
        channel_order_id=str(number),
        order_number=str(number),
        order_version=version,
        mode=TransactionMode.INVOICES_WITH_PAYMENTS,
        documents=documents,
    )


async def file(pool: asyncpg.Pool, commands: Sequence[LedgerCommand]) -> list[FiledCommand]:
    async with pool.acquire() as conn, conn.transaction():
        return await store.file(conn, "default", [
            NewCommand(c.meta.tenant_id, c.meta.tenant_id, COMMAND, c.meta.message_id, command_lane(c),
                       c.model_dump_json().encode(), None, Source("ledger.commands", 0, n))
            for n, c in enumerate(commands)
        ])  # fmt: skip


async def until(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_orders_of_a_company_go_at_once_within_its_limit_and_each_order_in_turn(pool: asyncpg.Pool) -> None:
    books, relay = RecordingBooks(delay=defaultdict(float, acme=0.05)), KeptRelay()
    commands = [order("acme", n, version) for n in range(8) for version in (1, 2)]
    await file(pool, commands)
    queue = runner(pool, books, relay)
    await queue.start()
    try:
        await until(lambda: len(relay.events()) == len(commands))
    finally:
        await queue.stop()

    events = relay.events()
    assert all(e.status is LedgerStatus.POSTED for e in events), [e.documents for e in events if e.status != "posted"]
    for n in range(8):
        first, second = (c for c in books.calls if c.key.startswith(f"acme/shop/shopify/{n}/"))
        assert first.key.endswith("/invoice") and first.ended <= second.started, "a version overtook the one before"
    assert 1 < books.peak["acme"] <= IN_FLIGHT_LIMIT
    assert await store.queues(pool) == [], "every command left the queue"


async def test_a_version_filed_while_the_one_before_is_posting_follows_it_at_once(pool: asyncpg.Pool) -> None:
    books, relay = RecordingBooks(delay=defaultdict(float, acme=0.5)), KeptRelay()
    first, second = order("acme", 1), order("acme", 1, version=2)
    await file(pool, [first])
    queue = runner(pool, books, relay, poll=3.0)  # only the filing's wake-up can tell the drain in time
    await queue.start()
    try:
        await until(lambda: len(books.calls) == 1)
        queue.deliver(await file(pool, [second]))
        await until(lambda: len(relay.events()) == 2, timeout=10)
        (invoice, payment) = books.calls
        gap = payment.started - invoice.ended
    finally:
        await queue.stop()
    assert gap < 0.3, f"the next version waited {gap:.2f}s after the lane was free"


async def test_a_company_with_a_backlog_does_not_hold_up_the_others(pool: asyncpg.Pool) -> None:
    books, relay = RecordingBooks(delay=defaultdict(float, busy=0.2)), KeptRelay()
    backlog = [order("busy", n) for n in range(30)]
    await file(pool, backlog)
    queue = runner(pool, books, relay)
    await queue.start()
    try:
        await until(lambda: len(relay.events()) >= 3)  # the busy company is under way
        small = [order(f"small-{n}", 1) for n in range(4)]
        filed_at = time.monotonic()
        queue.deliver(await file(pool, small))
        await until(lambda: {e.meta.tenant_id for e in relay.events()} >= {c.meta.tenant_id for c in small})
        small_done = time.monotonic() - filed_at
        busy_left = 30 - sum(1 for e in relay.events() if e.meta.tenant_id == "busy")
        await until(lambda: len(relay.events()) == 34, timeout=30)
    finally:
        await queue.stop()

    assert small_done < 1.0, f"small companies waited {small_done:.2f}s behind the backlog"
    assert busy_left > 10, "the backlog was nearly drained anyway: the test proves nothing"


async def test_with_one_company_at_a_time_the_busy_one_gives_way_after_its_quantum(pool: asyncpg.Pool) -> None:
    books, relay = RecordingBooks(delay=defaultdict(float, busy=0.2)), KeptRelay()
    await file(pool, [order("busy", n) for n in range(40)])
    queue = runner(pool, books, relay, max_companies=1, quantum=0.5)
    await queue.start()
    try:
        await until(lambda: len(relay.events()) >= 1)
        await file(pool, [order("small", 1)])
        filed_at = time.monotonic()
        await until(lambda: any(e.meta.tenant_id == "small" for e in relay.events()), timeout=15)
        waited = time.monotonic() - filed_at
        busy_done = sum(1 for e in relay.events() if e.meta.tenant_id == "busy")
    finally:
        await queue.stop()

    # The waiting company is seen at the next renewal (a third of the 3 s lease), after the quantum has passed.
    assert waited < 3.0, f"the small company waited {waited:.1f}s for its turn"
    assert busy_done < 40, "the busy company finished first: it never gave way"


async def test_a_company_whose_books_refuse_access_is_paused_and_the_others_go_on(pool: asyncpg.Pool) -> None:
    books, relay = RecordingBooks(locked={"locked"}), KeptRelay()
    await file(pool, [order("locked", 1), order("locked", 2), order("open", 1)])
    queue = runner(pool, books, relay)
    await queue.start()
    try:
        await until(lambda: any(e.meta.tenant_id == "open" for e in relay.events()))
        paused = await _wait_paused(pool, "locked")
        assert paused.paused is not None and paused.paused.code == "qbo.3200" and paused.depth == 2
        assert not any(e.meta.tenant_id == "locked" for e in relay.events()), "nothing failed: the commands wait"

        books.locked.clear()  # the credentials are fixed
        assert await store.resume_tenant(pool, "locked") == ["locked"]
        queue.wake()
        await until(lambda: sum(1 for e in relay.events() if e.meta.tenant_id == "locked") == 2)
    finally:
        await queue.stop()
    assert all(e.status is LedgerStatus.POSTED for e in relay.events())


async def test_a_command_that_keeps_failing_waits_in_its_lane_and_the_company_goes_on(pool: asyncpg.Pool) -> None:
    books, relay = RecordingBooks(broken_keys={"acme/shop/shopify/1/invoice"}), KeptRelay()
    await file(pool, [order("acme", 1), order("acme", 1, version=2), order("acme", 2), order("acme", 3)])
    queue = runner(pool, books, relay)
    await queue.start()
    try:
        await until(lambda: {e.channel_order_id for e in relay.events()} == {"2", "3"})
        (queued,) = await store.queues(pool)
        assert queued.depth == 2 and queued.retrying == 1 and "TimeoutError" in str(queued.last_error)
        books.broken_keys.clear()  # the books answer again; the first retry comes after about 2 s
        await until(lambda: len(relay.events()) == 4, timeout=15)
    finally:
        await queue.stop()
    first, second = (e for e in relay.events() if e.channel_order_id == "1")
    assert (first.order_version, second.order_version) == (1, 2) and second.status is LedgerStatus.POSTED


async def _wait_paused(pool: asyncpg.Pool, tenant: str) -> store.CompanyQueue:
    for _ in range(200):
        (queue,) = await store.queues(pool, tenant_id=tenant)
        if queue.paused is not None:
            return queue
        await asyncio.sleep(0.05)
    raise AssertionError(f"{tenant} was never paused")


async def test_a_command_handed_over_while_a_read_returns_it_too_runs_once(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    books, relay = RecordingBooks(), KeptRelay()
    filed = await file(pool, [order("acme", n) for n in range(3)])
    queue = runner(pool, books, relay)
    read = store.heads

    async def read_while_the_filing_hands_over(*args: Any, **kwargs: Any) -> list[store.QueuedCommand]:
        rows = await read(*args, **kwargs)
        queue.deliver(filed)  # the filing's hand-over lands while the read is on its way back
        return rows

    monkeypatch.setattr(store, "heads", read_while_the_filing_hands_over)
    await queue.start()
    try:
        await until(lambda: len(relay.events()) == 3)
        await asyncio.sleep(0.3)
    finally:
        await queue.stop()
    assert len(books.calls) == 3 and len(relay.events()) == 3


async def test_a_writer_that_joins_takes_companies_over_from_the_busy_one(pool: asyncpg.Pool) -> None:
    companies = [f"busy-{n}" for n in range(4)]
    books, relay = RecordingBooks(delay=defaultdict(float, dict.fromkeys(companies, 0.3))), KeptRelay()
    await file(pool, [order(company, n) for company in companies for n in range(40)])
    first = runner(pool, books, relay, quantum=0.5)
    second = runner(pool, books, relay, quantum=0.5)
    await first.start()
    try:
        await until(lambda: len(first.companies) == 4)
        await second.start()
        await until(lambda: len(second.companies) >= 2, timeout=15)
        shared = (len(first.companies), len(second.companies))
    finally:
        await second.stop()
        await first.stop()
    assert shared == (2, 2), f"the companies were shared {shared}"
