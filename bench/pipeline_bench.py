"""End to end: orders per second and latency from publish to posted event, against a raw Kafka pipe in the same run.

    make bench            (or: .venv/bin/python bench/pipeline_bench.py --orders 3000 --tenants 20)
    make bench-scaling    (1 and 2 replicas per service, 1 and 100 tenants)

The real stack (Kafka in KRaft mode, PostgreSQL), the QuickBooks Online simulator with its limits off and
the four services as processes, all on this machine. Orders are copies of the bundled samples (every
channel) with ids and numbers of their own, for N tenants whose connections use different modes.

1. Warm-up: one order of each sample per tenant (customers and items get created in each company's books).
2. Throughput: N orders published at once; orders/s = N / (last outcome - first publish).
3. Latency below saturation: orders published at a steady rate (by default 60% of the throughput just
   measured) for some seconds; p50/p95/p99 of publish -> first posted ``ledger.events`` record.
4. Baseline: with the services stopped, the same orders through four bare aiokafka hops
   (bench/baseline_hop.py: batch read, keyed write, commit), the same topic layout and partitions.

Prints both and their ratio, writes bench/results/latest.json and a plot of latency over the run
(bench/results/latest.png); with several replicas or tenant counts, bench/results/scaling.json.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
import psutil
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from ledgerflow.cli.arrivals import Arrivals
from ledgerflow.cli.configuration import apply_settings
from ledgerflow.cli.local_services import SERVICE_MODULES, LocalServices
from ledgerflow.cli.order_copies import order_copies, sample_identities
from ledgerflow.cli.sample_connections import sample_connection_settings
from ledgerflow.cli.timed_publishing import Prepared, prepare, publish_timed
from ledgerflow.cli.watching import wait_until_idle
from ledgerflow.devstack.stack import Stack, StackState

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / ".ledgerflow" / "bench-stack"
RESULTS = Path(__file__).parent / "results"
BASELINE_TOPICS = ("bench.raw", "bench.hop1", "bench.hop2", "bench.hop3", "bench.hop4")
# The simulator's limits are off; the writer's own per-company limits (QuickBooks' 500 a minute and
# 10 in flight) would otherwise be what is measured. The writer holds a database connection per order
# in flight (its inbox transaction) and borrows others meanwhile: its pool sets how many orders it posts
# at once (half the pool, less two).
WRITER_ENV = {"LEDGERFLOW_QBO_REQUESTS_PER_MINUTE": "1000000", "LEDGERFLOW_QBO_CONCURRENT": "64",
              "LEDGERFLOW_DATABASE_POOL_MAX_SIZE": "24"}  # fmt: skip
OUTCOME_TIMEOUT = 300.0


@dataclass
class Latencies:
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latencies:
        ms = sorted(s * 1000 for s in seconds)
        cuts = statistics.quantiles(ms, n=100, method="inclusive")
        return cls(round(cuts[49], 1), round(cuts[94], 1), round(cuts[98], 1), round(ms[-1], 1))


@dataclass
class PipelineRun:
    replicas: int
    tenants: int
    orders: int
    orders_per_s: float
    burst: Latencies
    paced_rate: float
    paced_orders: int
    paced: Latencies
    outcomes: dict[str, int]
    cpu_ms_per_order: dict[str, float]
    paced_cpu_ms_per_order: dict[str, float] = field(default_factory=dict)  # the same, in the latency phase
    batch_records: dict[str, float] = field(default_factory=dict)  # mean records per batch, by stage, whole run
    qbo_requests: dict[str, int] = field(default_factory=dict)  # the writers' calls to QuickBooks, by resource
    hops: dict[str, Latencies] = field(default_factory=dict)  # the latency phase, by stage: record to record
    timeline: list[tuple[float, float, str]] = field(default_factory=list)  # (sent, latency, phase)


@dataclass
class BaselineRun:
    orders: int
    orders_per_s: float
    burst: Latencies


def tenant_names(count: int) -> list[str]:
    run = uuid.uuid4().hex[:4]  # each measurement gets companies of its own in the books
    return [f"b{run}-{n}" for n in range(count)]


def cpu_seconds(pids: dict[str, list[int]]) -> dict[str, float]:
    """CPU time used so far by each group of processes and their children (PostgreSQL's backends)."""
    used = {}
    for name, group in pids.items():
        total = 0.0
        for pid in group:
            try:
                process = psutil.Process(pid)
                for p in (process, *process.children(recursive=True)):
                    times = p.cpu_times()
                    total += times.user + times.system
            except psutil.NoSuchProcess:
                continue
        used[name] = total
    return used


def stack_pids(home: Path) -> dict[str, list[int]]:
    """The broker's and PostgreSQL's processes, found by the pid files the stack keeps."""
    found: dict[str, list[int]] = {"kafka": [], "postgres": []}
    for pid_file in (home / "kafka").glob("node*/kafka.pid"):
        found["kafka"].append(int(pid_file.read_text()))
    pg = home / "postgres" / "postmaster.pid.ledgerflow"
    if pg.exists():
        found["postgres"].append(int(pg.read_text()))
    return found


def service_pids(services: LocalServices, replicas: int) -> dict[str, list[int]]:
    pids: dict[str, list[int]] = {}
    for name in SERVICE_MODULES:
        pids[name] = [pid for r in range(1, replicas + 1) if (pid := services.pid(name, r)) is not None]
    sim = services.run_dir / "qbo-sim.pid"
    pids["qbo-sim"] = [int(sim.read_text())] if sim.exists() else []
    return pids


class Profiler:
    """py-spy sampling each service process (CPU only, not idle waits) while the throughput phase runs."""

    def __init__(self, pids: dict[str, list[int]], folder: Path | None) -> None:
        self._targets = {name: group[0] for name, group in pids.items() if name in SERVICE_MODULES and group}
        self._folder = folder
        self._running: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        if self._folder is None:
            return
        self._folder.mkdir(parents=True, exist_ok=True)
        spy = Path(sys.executable).parent / "py-spy"
        for name, pid in self._targets.items():
            argv = [str(spy), "record", "--pid", str(pid), "--format", "raw", "--rate", "200", "--nonblocking",
                    "--output", str(self._folder / f"{name}.txt")]  # fmt: skip
            self._running.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def stop(self) -> None:
        for process in self._running:
            process.send_signal(signal.SIGINT)  # py-spy writes what it sampled, then exits
        for process in self._running:
            process.wait(60)


# Where a sample's time goes: the innermost frame that matches decides (a stack in asyncpg called from
# the writer's intents counts as asyncpg). Samples waiting in the event loop are idle and left out.
PROFILE_CATEGORIES = (
    ("database (asyncpg)", re.compile(r"\(asyncpg/")),
    ("HTTP client (httpx, aiohttp)", re.compile(r"\((httpx|httpcore|h11|aiohttp|httpx_aiohttp)/")),
    ("Kafka publish", re.compile(r"KafkaBroker\.publish|\(aiokafka/producer")),
    ("Kafka fetch and commit", re.compile(r"\(aiokafka/")),
    # Before FastStream's: the handlers run inside its frames, and their own work is ledgerflow's.
    ("ledgerflow's own code", re.compile(r"\((runtime|planner|ingest|numbering|ledger_writer|contracts|rules)/")),
    ("FastStream consume and middlewares", re.compile(r"\((faststream|fast_depends|anyio)/")),
    ("pydantic (validate, dump)", re.compile(r"pydantic")),
    ("OpenTelemetry spans", re.compile(r"\((opentelemetry|trace|context|propagators)/")),
    ("JSON", re.compile(r"\(json/")),
    ("metrics and logs", re.compile(r"prometheus_client|structlog|\(logging/")),
)
IDLE = re.compile(r"^(Runner\.run|EpollSelector\.select|select) \(")


def profile_summary(path: Path) -> dict[str, float]:
    """Share of a service's busy samples per category (py-spy's raw format: frames;...;frames count)."""
    counts: dict[str, int] = {}
    for line in path.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        frames = stack.split(";")
        if IDLE.match(frames[-1]):
            continue
        category = next((name for frame in reversed(frames) for name, pattern in PROFILE_CATEGORIES
                         if pattern.search(frame)), "the event loop")  # fmt: skip
        counts[category] = counts.get(category, 0) + int(number)
    total = sum(counts.values()) or 1
    return {name: round(100 * n / total, 1) for name, n in sorted(counts.items(), key=lambda kv: -kv[1])}


async def drive(bootstrap: str, tenants: list[str], orders: int, rate: float | None, paced_seconds: float,
                pids: dict[str, list[int]], profiler: Profiler) -> PipelineRun:  # fmt: skip
    arrivals = Arrivals(bootstrap)
    await arrivals.start()
    try:
        samples = len(sample_identities())
        warm = prepare(list(order_copies(len(tenants) * samples, tenants, first_serial=1)))
        await publish_and_wait(arrivals, bootstrap, warm, None, "warm-up")

        burst = prepare(list(order_copies(orders, tenants, first_serial=len(warm) + 1)))
        cpu_before = cpu_seconds(pids)
        profiler.start()
        sent = await publish_and_wait(arrivals, bootstrap, burst, None, "throughput")
        profiler.stop()
        cpu_after = cpu_seconds(pids)
        started = min(sent.values())
        finished = max(arrivals.first[c].at for c in sent)
        per_second = orders / (finished - started)

        await wait_until_idle(bootstrap)
        paced_rate = rate or round(per_second * 0.6, 1)
        count = max(1, int(paced_rate * paced_seconds))
        paced = prepare(list(order_copies(count, tenants, first_serial=len(warm) + orders + 1)))
        paced_cpu_before = cpu_seconds(pids)
        paced_sent = await publish_and_wait(arrivals, bootstrap, paced, paced_rate, "latency")
        paced_cpu_after = cpu_seconds(pids)
        hops = await hop_latencies(bootstrap, paced_sent, {c: arrivals.first[c].at for c in paced_sent})
    finally:
        await arrivals.stop()

    everything = {**sent, **paced_sent}
    outcomes: dict[str, int] = {}
    for correlation in everything:
        outcome = arrivals.first[correlation].outcome
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    timeline = [(t - started, arrivals.first[c].at - t, "throughput") for c, t in sent.items()]
    timeline += [(t - started, arrivals.first[c].at - t, "latency") for c, t in paced_sent.items()]
    return PipelineRun(
        replicas=0, tenants=len(tenants), orders=orders, orders_per_s=round(per_second, 1),
        burst=Latencies.of([arrivals.first[c].at - t for c, t in sent.items()]),
        paced_rate=paced_rate, paced_orders=count,
        paced=Latencies.of([arrivals.first[c].at - t for c, t in paced_sent.items()]),
        outcomes=outcomes,
        cpu_ms_per_order={k: round((cpu_after[k] - cpu_before[k]) * 1000 / orders, 2) for k in cpu_after},
        paced_cpu_ms_per_order={k: round((paced_cpu_after[k] - paced_cpu_before[k]) * 1000 / count, 2)
                                for k in paced_cpu_after},
        timeline=timeline, hops=hops,
    )  # fmt: skip


HOPS = (("ingest", "orders.normalized"), ("planner", "ledger.plans"), ("numbering", "ledger.commands"),
        ("ledger-writer", None))  # fmt: skip


async def first_records(bootstrap: str, topic: str, wanted: set[uuid.UUID]) -> dict[uuid.UUID, float]:
    """When each wanted order's first message on ``topic`` was produced (the record's time stamp)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest")  # fmt: skip
    await consumer.start()
    found: dict[uuid.UUID, float] = {}
    try:
        while len(found) < len(wanted):
            batch = await consumer.getmany(timeout_ms=2000, max_records=2000)
            if not batch:
                break
            for records in batch.values():
                for record in records:
                    correlation = uuid.UUID(json.loads(record.value)["meta"]["correlation_id"])
                    if correlation in wanted and correlation not in found:
                        found[correlation] = record.timestamp / 1000
    finally:
        await consumer.stop()
    return found


async def hop_latencies(
    bootstrap: str, sent: dict[uuid.UUID, float], arrived: dict[uuid.UUID, float]
) -> dict[str, Latencies]:
    """Where an order's time goes: from one stage's input record to its output record (each record's time stamp is
    when its producer sent it), for the orders of the latency phase."""
    wanted = set(sent)
    stamps = [sent]
    for _, topic in HOPS[:-1]:
        stamps.append(await first_records(bootstrap, str(topic), wanted))
    stamps.append(arrived)
    hops: dict[str, Latencies] = {}
    for i, (stage, _) in enumerate(HOPS):
        before, after = stamps[i], stamps[i + 1]
        gaps = [after[c] - before[c] for c in wanted if c in before and c in after]
        if len(gaps) > 1:
            hops[stage] = Latencies.of(gaps)
    return hops


async def publish_and_wait(arrivals: Arrivals, bootstrap: str, orders: list[Prepared], rate: float | None,
                           phase: str) -> dict[uuid.UUID, float]:  # fmt: skip
    sent = await publish_timed(bootstrap, orders, rate=rate)
    missing = await arrivals.wait_for(sent, OUTCOME_TIMEOUT)
    if missing:
        raise SystemExit(f"{phase}: {len(missing)} of {len(orders)} orders without an outcome after "
                         f"{OUTCOME_TIMEOUT:.0f}s; see the service logs under {HOME / 'run*'}")  # fmt: skip
    return sent


BATCH_SAMPLE = re.compile(r'^ledgerflow_batch_records_(sum|count)\{stage="([^"]+)"\} (\S+)$', re.MULTILINE)


def batch_sizes(services: LocalServices) -> dict[str, float]:
    """Mean records per batch of every stage over the run, from each process's /metrics: the stages' batches
    grow under load, and a stage that reads small batches pays its per-batch costs more often."""
    sums: dict[str, list[float]] = {}
    for port in services.http_ports.values():
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        for kind, stage, value in BATCH_SAMPLE.findall(text):
            sums.setdefault(stage, [0.0, 0.0])[0 if kind == "sum" else 1] += float(value)
    return {stage: round(total / count, 1) for stage, (total, count) in sorted(sums.items()) if count}


QBO_SAMPLE = re.compile(r'^ledgerflow_qbo_requests_total\{entity="([^"]+)",status="[^"]+",tenant="[^"]+"\} (\S+)$',
                        re.MULTILINE)  # fmt: skip


def qbo_requests(services: LocalServices) -> dict[str, int]:
    """The writers' calls to QuickBooks over the run, by resource: a batch request carries several documents."""
    counts: dict[str, float] = {}
    for (name, _), port in services.http_ports.items():
        if name == "ledger-writer":
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            for resource, value in QBO_SAMPLE.findall(text):
                counts[resource] = counts.get(resource, 0.0) + float(value)
    return {resource: int(count) for resource, count in sorted(counts.items())}


def measure_pipeline(state: StackState, replicas: int, tenant_count: int, args: argparse.Namespace) -> PipelineRun:
    tenants = tenant_names(tenant_count)
    services = LocalServices(home=HOME / f"run-{replicas}x-{tenant_count}t", stack=state)
    try:
        services.start_simulator()
        httpx.put(
            f"{services.sim_url}/admin/limits", json={"enabled": False}, headers=services.admin_headers, timeout=5
        ).raise_for_status()
        for name in SERVICE_MODULES:
            for replica in range(1, replicas + 1):
                services.start_service(name, replica, WRITER_ENV if name == "ledger-writer" else None)
        services.wait_ready(120)
        asyncio.run(apply_settings(sample_connection_settings(tenants), state.database_url))
        pids = {**service_pids(services, replicas), **stack_pids(HOME)}
        profiler = Profiler(pids, RESULTS / "profile" if args.profile else None)
        run = asyncio.run(drive(state.bootstrap_servers, tenants, args.orders, args.rate, args.paced_seconds, pids,
                                profiler))  # fmt: skip
        run.batch_records = batch_sizes(services)
        run.qbo_requests = qbo_requests(services)
    finally:
        services.stop()
    run.replicas = replicas
    return run


async def create_baseline_topics(state: StackState) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=state.bootstrap_servers)
    await admin.start()
    try:
        missing = set(BASELINE_TOPICS) - set(await admin.list_topics())
        replication = min(3, len(state.kafka_nodes))
        await admin.create_topics([NewTopic(t, state.partitions, replication) for t in sorted(missing)])
    finally:
        await admin.close()


async def baseline_drive(bootstrap: str, orders: list[Prepared]) -> BaselineRun:
    consumer = AIOKafkaConsumer(BASELINE_TOPICS[-1], bootstrap_servers=bootstrap, auto_offset_reset="latest")
    await consumer.start()
    arrived: dict[uuid.UUID, float] = {}
    try:
        await consumer.getmany(timeout_ms=200)
        for tp in consumer.assignment():
            await consumer.position(tp)
        publishing = asyncio.create_task(publish_timed(bootstrap, orders, topic=BASELINE_TOPICS[0]))
        deadline = time.monotonic() + OUTCOME_TIMEOUT
        while len(arrived) < len(orders) and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200, max_records=5000)
            now = time.time()
            for records in batches.values():
                for record in records:
                    arrived[uuid.UUID(json.loads(record.value or b"{}")["meta"]["correlation_id"])] = now
        sent = await publishing
    finally:
        await consumer.stop()
    if len(arrived) < len(orders):
        raise SystemExit(f"baseline: {len(orders) - len(arrived)} orders did not come through the pipe")
    started, finished = min(sent.values()), max(arrived.values())
    return BaselineRun(len(orders), round(len(orders) / (finished - started), 1),
                       Latencies.of([arrived[c] - t for c, t in sent.items()]))  # fmt: skip


def measure_baseline(state: StackState, orders: int) -> BaselineRun:
    asyncio.run(create_baseline_topics(state))
    hops = []
    try:
        for n, (source, destination) in enumerate(itertools.pairwise(BASELINE_TOPICS)):
            argv = [sys.executable, str(Path(__file__).parent / "baseline_hop.py"), state.bootstrap_servers,
                    source, destination, f"bench-hop-{n}"]  # fmt: skip
            hops.append(subprocess.Popen(argv))
        prepared = prepare(list(order_copies(orders, tenant_names(20))))
        asyncio.run(baseline_drive(state.bootstrap_servers, prepared[:50]))  # warm-up: groups joined
        return asyncio.run(baseline_drive(state.bootstrap_servers, prepared))
    finally:
        for hop in hops:
            hop.terminate()
        for hop in hops:
            hop.wait(30)


def plot(run: PipelineRun, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(10, 5))
    for phase, colour in (("throughput", "tab:orange"), ("latency", "tab:blue")):
        points = [(sent, latency * 1000) for sent, latency, p in run.timeline if p == phase]
        label = (f"{run.orders} orders at once" if phase == "throughput"
                 else f"{run.paced_orders} orders at {run.paced_rate:.0f}/s")  # fmt: skip
        axes.scatter([p[0] for p in points], [p[1] for p in points], s=3, c=colour, label=label)
    axes.set_yscale("log")
    axes.set_xlabel("published at (s since the first order of the run)")
    axes.set_ylabel("publish -> posted event (ms)")
    axes.set_title(f"ledgerflow: {run.replicas} replica(s) per service, {run.tenants} tenants; "
                   f"p99 below saturation {run.paced.p99_ms:.0f} ms")  # fmt: skip
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def summary(run: PipelineRun, baseline: BaselineRun) -> dict[str, object]:
    return {
        "orders": run.orders, "tenants": run.tenants, "replicas": run.replicas,
        "orders_per_s": run.orders_per_s, "baseline_orders_per_s": baseline.orders_per_s,
        "ratio": round(run.orders_per_s / baseline.orders_per_s, 3),
        "p50_ms": run.paced.p50_ms, "p95_ms": run.paced.p95_ms, "p99_ms": run.paced.p99_ms,
        "latency_rate_per_s": run.paced_rate, "latency_orders": run.paced_orders,
        "burst_latency": asdict(run.burst), "baseline_burst_latency": asdict(baseline.burst),
        "outcomes": run.outcomes, "cpu_ms_per_order": run.cpu_ms_per_order,
        "paced_cpu_ms_per_order": run.paced_cpu_ms_per_order, "batch_records": run.batch_records,
        "qbo_requests": run.qbo_requests, "hops": {k: asdict(v) for k, v in run.hops.items()},
    }  # fmt: skip


def print_run(run: PipelineRun, baseline: BaselineRun) -> None:
    ratio = run.orders_per_s / baseline.orders_per_s
    print(f"\n{run.replicas} replica(s) per service, {run.tenants} tenants, {run.orders} orders")
    print(f"  pipeline      : {run.orders_per_s:8.1f} orders/s  (all at once; p50 {run.burst.p50_ms:.0f} ms, "
          f"p99 {run.burst.p99_ms:.0f} ms)")  # fmt: skip
    print(f"  baseline pipe : {baseline.orders_per_s:8.1f} orders/s  (four bare aiokafka hops; "
          f"p50 {baseline.burst.p50_ms:.0f} ms, p99 {baseline.burst.p99_ms:.0f} ms)")  # fmt: skip
    print(f"  ratio         : {ratio:8.3f} of the bare pipe")
    print(f"  latency at {run.paced_rate:.0f} orders/s: p50 {run.paced.p50_ms:.0f} ms, p95 {run.paced.p95_ms:.0f} ms, "
          f"p99 {run.paced.p99_ms:.0f} ms ({run.paced_orders} orders)")  # fmt: skip
    print(f"  outcomes      : {run.outcomes}")
    for label, cpu in (("CPU per order ", run.cpu_ms_per_order), ("  at 60%      ", run.paced_cpu_ms_per_order)):
        print(f"  {label}: " + ", ".join(f"{k} {v:.2f} ms" for k, v in cpu.items()) + f" (all {sum(cpu.values()):.1f})")
    hops = (f"{stage} p50 {hop.p50_ms:.0f} / p99 {hop.p99_ms:.0f} ms" for stage, hop in run.hops.items())
    print("  each stage    : " + ", ".join(hops) + " (latency phase)")
    print("  batch records : " + ", ".join(f"{k} {v:.1f}" for k, v in run.batch_records.items()))
    calls = sum(run.qbo_requests.values())
    orders = run.orders + run.paced_orders
    print(
        f"  QuickBooks    : {calls} requests, {calls / max(1, orders):.2f} per order ("
        + ", ".join(f"{k} {v}" for k, v in run.qbo_requests.items())
        + ")"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=3000, help="orders published at once (throughput)")
    parser.add_argument("--tenants", default="20", help="tenants, or a comma-separated list to compare")
    parser.add_argument("--replicas", default="1", help="processes per service, or a comma-separated list")
    parser.add_argument("--partitions", type=int, default=6, help="partitions per topic")
    parser.add_argument("--rate", type=float, default=None, help="orders/s for the latency phase (default 60%%)")
    parser.add_argument("--paced-seconds", type=float, default=20.0, help="length of the latency phase")
    parser.add_argument("--profile", action="store_true", help="sample each service with py-spy (throughput phase)")
    args = parser.parse_args()
    tenant_counts = [int(t) for t in args.tenants.split(",")]
    replica_counts = [int(r) for r in args.replicas.split(",")]

    stack = Stack(HOME, ROOT / ".ledgerflow" / "cache")
    state = stack.up(fresh=True, partitions=args.partitions)
    try:
        runs = [measure_pipeline(state, r, t, args) for r in replica_counts for t in tenant_counts]
        baseline = measure_baseline(state, args.orders)
    finally:
        stack.down()

    RESULTS.mkdir(parents=True, exist_ok=True)
    for run in runs:
        print_run(run, baseline)
    (RESULTS / "latest.json").write_text(json.dumps(summary(runs[0], baseline), indent=2) + "\n")
    plot(runs[0], RESULTS / "latest.png")
    if len(runs) > 1:
        table = [summary(run, baseline) for run in runs]
        (RESULTS / "scaling.json").write_text(json.dumps(table, indent=2) + "\n")
    if args.profile:
        for path in sorted((RESULTS / "profile").glob("*.txt")):
            shares = ", ".join(f"{name} {share}%" for name, share in profile_summary(path).items())
            print(f"  profile {path.stem}: {shares}")
    print(f"\nwrote {RESULTS / 'latest.json'} and {RESULTS / 'latest.png'}")


if __name__ == "__main__":
    main()
