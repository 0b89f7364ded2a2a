"""A chaos run: orders flow while services are SIGKILLed and restarted, a Kafka broker and PostgreSQL crash
and come back, and the books answer with 5xx, timeouts, dropped connections and 429 storms. Then every
tenant is reconciled: each expected document in the books exactly once, every dead letter with its reason.

Expected documents are counted apart from the pipeline: each published order is planned here, offline,
with its connection's settings (as ``ledgerflow preview`` does), so an order lost on the way counts as
missing rather than as never expected.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer

from ledgerflow.cli.configuration import apply_settings
from ledgerflow.cli.dead_letters import read_dead_letters
from ledgerflow.cli.desktop_setup import ConnectedFile, connect_company_file
from ledgerflow.cli.disruptions import FAULTS, Disruptor, disruption_plan
from ledgerflow.cli.local_services import SERVICE_MODULES, SIM_TOKEN, LocalServices
from ledgerflow.cli.order_copies import order_copies
from ledgerflow.cli.publishing import OrderToPublish
from ledgerflow.cli.reconcile import Reconciliation, reconcile_tenant
from ledgerflow.cli.sample_connections import sample_connection_settings
from ledgerflow.cli.timed_publishing import prepare, publish_timed
from ledgerflow.cli.watching import Outcomes, note_outcome
from ledgerflow.contracts import BooksTarget, DocumentAction, Topic
from ledgerflow.contracts.topics import all_topics
from ledgerflow.devstack.stack import Stack
from ledgerflow.ingest.normalizers import normalize
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient
from ledgerflow.planner.connections import ConnectionSettings
from ledgerflow.planner.modes import plan as plan_order

# Short client timeouts and 429 pauses: a fault costs seconds, not the minute QuickBooks would ask for.
SERVICE_ENV = {"LEDGERFLOW_QBO_TIMEOUT_SECONDS": "3", "LEDGERFLOW_QBO_THROTTLE_PAUSE_SECONDS": "2"}
SETTLE_SECONDS = 90.0
# The Desktop company files' Web Connector: answers lost after QuickBooks saved, and sessions cut short.
DESKTOP_FAULTS = {"response_lost_rate": 0.03, "drop_rate": 0.02}


@dataclass(frozen=True)
class ChaosPlan:
    orders: int
    tenants: int = 10
    kafka_nodes: int = 1
    partitions: int = 6
    publish_seconds: float = 60.0  # orders go out at an even rate over this long, while the disruptions happen
    kills_per_service: int = 1
    killed: tuple[str, ...] = tuple(SERVICE_MODULES)  # the services that get killed
    broker_restarts: int = 1
    postgres_restarts: int = 1
    storms: int = 1
    faults: bool = True
    seed: int = 7
    outcome_timeout: float = 600.0
    desktop_tenants: int = 0  # tenants whose books are QuickBooks Desktop company files (Web Connector)


@dataclass
class ChaosResult:
    orders: int = 0
    expected_documents: int = 0
    posted: int = 0
    duplicates: int = 0
    missing: int = 0
    wrong_amounts: int = 0  # a document in the books for another amount than planned: another's record adopted
    dead_letters: int = 0
    dead_letters_without_reason: int = 0
    orders_without_outcome: int = 0
    restarts: int = 0  # services started again after they were killed or exited
    seconds: float = 0.0
    disruptions: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.duplicates == 0 and self.missing == 0 and self.wrong_amounts == 0
                and self.dead_letters_without_reason == 0)  # fmt: skip

    def line(self) -> str:
        keys = ("orders", "expected_documents", "posted", "duplicates", "missing", "wrong_amounts", "dead_letters",
                "dead_letters_without_reason")  # fmt: skip
        return json.dumps({key: getattr(self, key) for key in keys})

    def add(self, other: ChaosResult) -> None:
        for key in ("orders", "expected_documents", "posted", "duplicates", "missing", "wrong_amounts", "dead_letters",
                    "dead_letters_without_reason", "orders_without_outcome", "restarts", "seconds"):  # fmt: skip
            setattr(self, key, getattr(self, key) + getattr(other, key))
        self.disruptions.extend(other.disruptions)
        self.problems.extend(other.problems)


def expected_documents(orders: Sequence[OrderToPublish], settings: Sequence[ConnectionSettings]) -> int:
    """How many documents the orders should make in the books, planned here with each connection's settings."""
    by_connection = {(s.tenant, s.connection): s for s in settings}
    count = 0
    for order in orders:
        connection = by_connection[(order.tenant, order.connection)]
        canonical = normalize(order.channel, order.payload)
        mode = connection.mode_for(connection.payment_state(canonical))
        result = plan_order(canonical, mode, key_prefix="expected", options=connection.options())
        count += sum(1 for d in result.documents if d.action is DocumentAction.CREATE)
    return count


def run_chaos(home: Path, cache_dir: Path, plan: ChaosPlan, say: Callable[[str], None] = print) -> ChaosResult:
    """Start a stack of its own in ``home``, run ``plan`` against it, reconcile, and stop everything."""
    # The run's own Kafka clients see brokers go away on purpose; their reconnect warnings are noise here.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    stack = Stack(home, cache_dir)
    started = time.monotonic()
    say(f"chaos: {plan.orders} orders, {plan.tenants} tenants, {plan.kafka_nodes} Kafka node(s)")
    state = stack.up(fresh=True, kafka_nodes=plan.kafka_nodes, partitions=plan.partitions)
    services = LocalServices(home=home, stack=state, extra_env=SERVICE_ENV)
    try:
        services.start_simulator()
        if plan.desktop_tenants:
            services.start_desktop_simulator()
        for name in SERVICE_MODULES:
            services.start_service(name)
        services.wait_ready(120)
        result = asyncio.run(_run(stack, services, plan, say))
    finally:
        services.stop()
        stack.down()
    result.seconds = round(time.monotonic() - started, 1)
    return result


async def _run(stack: Stack, services: LocalServices, plan: ChaosPlan, say: Callable[[str], None]) -> ChaosResult:
    rng = random.Random(plan.seed)  # noqa: S311 (a repeatable schedule, not security)
    bootstrap = services.stack.bootstrap_servers
    tenants = [f"chaos-{uuid.uuid4().hex[:4]}-{n}" for n in range(plan.tenants)]
    desktop = [f"chaos-{uuid.uuid4().hex[:4]}-desk-{n}" for n in range(plan.desktop_tenants)]
    settings = [
        *sample_connection_settings(tenants),
        *(s.model_copy(update={"target": BooksTarget.QUICKBOOKS_DESKTOP}) for s in sample_connection_settings(desktop)),
    ]
    await apply_settings(settings, services.stack.database_url)
    files = [await connect_company_file(services.stack.database_url, services.desktop_sim_url, tenant,
                                        services.qbwc_url) for tenant in desktop]  # fmt: skip
    orders = list(order_copies(plan.orders, [*tenants, *desktop]))
    expected = expected_documents(orders, settings)
    prepared = prepare(orders)
    wanted = {p.correlation_id for p in prepared}

    disruptor = Disruptor(stack, services, rng)
    await disruptor.limits({"enabled": False})
    if plan.faults:
        await disruptor.faults({**FAULTS, "seed": plan.seed})
        if desktop:
            await _desktop_faults(services, {**DESKTOP_FAULTS, "seed": plan.seed})
    outcomes = Outcomes()
    follower = asyncio.create_task(_follow(bootstrap, wanted, outcomes))
    supervisor = asyncio.create_task(disruptor.supervise())
    result = ChaosResult(orders=plan.orders, expected_documents=expected)
    try:
        clock = time.monotonic()
        publishing = asyncio.create_task(publish_timed(bootstrap, prepared, rate=plan.orders / plan.publish_seconds))
        schedule = disruption_plan(killed=plan.killed, kills_per_service=plan.kills_per_service,
                                   broker_restarts=plan.broker_restarts,
                                   kafka_nodes=plan.kafka_nodes, postgres_restarts=plan.postgres_restarts,
                                   storms=plan.storms, rng=rng)  # fmt: skip
        for index, disruption in enumerate(schedule):
            # Spread over the publishing window, each at a random moment of its own slice of it.
            due = clock + plan.publish_seconds * 0.9 * (index + rng.random()) / len(schedule)
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            done = sum(1 for c in wanted if c in outcomes.events or c in outcomes.dead_letters)
            say(f"  {time.monotonic() - clock:6.1f}s  {disruption.name:<24} ({done}/{len(wanted)} orders done)")
            result.disruptions.append(disruption.name)
            await disruptor.apply(disruption)
        await publishing
        await disruptor.faults({})  # the tail drains without faults, so the run ends within its bounds
        if desktop:
            await _desktop_faults(services, {})
        deadline = time.monotonic() + plan.outcome_timeout
        while not outcomes.done(wanted) and time.monotonic() < deadline:
            if follower.done():
                follower.result()
            await asyncio.sleep(0.5)
        result.orders_without_outcome = len([c for c in wanted if c not in outcomes.events
                                             and c not in outcomes.dead_letters])  # fmt: skip
        say(
            f"  {time.monotonic() - clock:6.1f}s  every order has an outcome"
            if not result.orders_without_outcome
            else f"  {result.orders_without_outcome} orders without outcome"
        )
        await disruptor.faults({})
        await disruptor.limits({"enabled": False})
        online = expected_documents([o for o in orders if o.tenant not in desktop], settings)
        await _reconcile_all(services, tenants, result, online)  # the supervisor goes on: late documents still post
        if files:
            await _reconcile_desktop(files, [o for o in orders if o.tenant in desktop], settings, result)
    finally:
        for task in (follower, supervisor):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    result.restarts = disruptor.restarts
    return result


async def _desktop_faults(services: LocalServices, faults: dict[str, object]) -> None:
    async with httpx.AsyncClient(base_url=services.desktop_sim_url, headers=services.admin_headers) as client:
        (await client.put("/admin/faults", json=faults)).raise_for_status()


async def _reconcile_desktop(
    files: Sequence[ConnectedFile],
    orders: Sequence[OrderToPublish],
    settings: Sequence[ConnectionSettings],
    result: ChaosResult,
) -> None:
    """Each company file holds each expected document once: counted from the file, matched by memo and number."""
    expected = expected_documents(orders, settings)
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        documents = [doc for file in files for doc in (await file.books())["documents"]]
        if len(documents) >= expected or time.monotonic() > deadline:
            break
        await asyncio.sleep(3)
    seen = Counter((doc["type"], doc.get("memo"), doc.get("doc_number"), doc.get("customer")) for doc in documents)
    duplicates = sum(count - 1 for count in seen.values())
    result.posted += len(documents) - duplicates
    result.duplicates += duplicates
    result.missing += max(0, expected - (len(documents) - duplicates))
    if duplicates or len(documents) < expected:
        result.problems.append(f"QuickBooks Desktop: {len(documents)} documents in the company files, {expected} "
                               f"expected, {duplicates} duplicates")  # fmt: skip


async def _follow(bootstrap: str, wanted: set[uuid.UUID], outcomes: Outcomes) -> None:
    """Ledger events and dead letters as they come, from the start of the topics (no group: nothing is
    committed); the client reconnects by itself across broker restarts."""
    topics = [Topic.EVENTS.value, *(t for t in all_topics() if t.endswith(".dlq"))]
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batches.values():
                for record in records:
                    note_outcome(outcomes, record.topic, record.value or b"", record.headers or (), wanted)
    finally:
        await consumer.stop()


async def _reconcile_all(services: LocalServices, tenants: list[str], result: ChaosResult, expected: int) -> None:
    """Reconcile every tenant; documents still on their way get some time to arrive first."""
    client = QuickBooksClient(services.sim_url, SIM_TOKEN)
    simulator = httpx.AsyncClient(base_url=services.sim_url, headers=services.admin_headers, timeout=30)
    try:
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            letters = await read_dead_letters(services.stack.bootstrap_servers)
            total = Reconciliation(tenant="all")
            in_books = 0
            for tenant in tenants:
                one = await reconcile_tenant(tenant, database_url=services.stack.database_url, bootstrap_servers=None,
                                             client=client, realm=tenant, stuck_after=timedelta(0),
                                             dead_letters=letters)  # fmt: skip
                total.merge(one)
                books = await simulator.get(f"/admin/realms/{tenant}/books")  # the company's every document
                in_books += len(books.json()["documents"])
            settled = total.missing == 0 and total.stuck == 0
            if settled or time.monotonic() > deadline:
                break
            await asyncio.sleep(3)
    finally:
        await client.aclose()
        await simulator.aclose()
    result.posted = total.posted
    # Independently of how documents are matched: fresh companies hold nothing but what the run posted.
    result.duplicates = max(total.duplicates, in_books - total.posted)
    result.missing = max(total.missing, expected - total.posted - total.failed)
    result.wrong_amounts = total.wrong_amounts
    result.dead_letters = len(letters)
    result.dead_letters_without_reason = sum(1 for d in letters if not d.error.message.strip())
    result.problems = [f"{p.kind}: {p.order} {p.document} {p.detail}".strip() for p in total.problems[:50]]
    if expected != total.expected_documents:
        result.problems.append(f"expected {expected} documents, the planner planned "
                               f"{total.expected_documents}")  # fmt: skip
