"""Fairness: does one tenant's backlog hold up the other tenants' orders?

    make bench-fairness   (or: .venv/bin/python bench/fairness_bench.py --small-tenants 12 --backlog 600)

The real stack (Kafka in KRaft mode, PostgreSQL), the QuickBooks Online simulator and the four services as
processes, all on this machine, with QuickBooks' limits on as in production: the simulator at its defaults
(500 requests a minute and 10 in flight per company) and the writer at its own defaults. Every order is a copy
of the paid Shopify sample (an invoice and its payment, ``invoices_with_payments``) with an id and a number of
its own; every run has fresh tenants, and so fresh companies in the books.

One busy tenant and N small ones. Messages are keyed by tenant and Kafka's default partitioner places a key
by murmur2(key) % partitions, so the small tenants' names are chosen until some share the busy tenant's
partition and the others do not (``--same-partition``).

1. Warm-up: one order per tenant (each company's customer and items get created).
2. Baseline: each small tenant publishes ``--small-orders`` orders with no backlog anywhere.
3. Backlog: the busy tenant publishes ``--backlog`` orders at once; ``--delay`` seconds later each small tenant
   publishes ``--small-orders`` orders. Latency is from an order's publish to its first ``ledger.events``
   record (posted), as a reader of that topic sees it; the run waits until the backlog is posted too.

Reports the small tenants' p50 and max latency on the busy tenant's partition and on the others (beside the
idle baseline), and the busy tenant's drain: time from its first publish to its last posted order, orders/s,
the requests its company took from the simulator (``/admin/realms/{realm}/traffic``, read before and after)
and so its request rate as a share of the 500 a minute it is allowed. Targets: every small order posted within
5 s; the busy tenant at 90% or more of its allowed rate. Writes bench/results/fairness.json and a plot of each
small order's latency over the run beside the busy tenant's posted count (bench/results/fairness.png). Exits
0 whatever the figures, unless ``--check`` is given: then 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer

from ledgerflow.cli.arrivals import Arrivals
from ledgerflow.cli.configuration import apply_settings
from ledgerflow.cli.local_services import SERVICE_MODULES, SIM_ADMIN_TOKEN, LocalServices
from ledgerflow.cli.order_copies import SampleIdentity, renumbered
from ledgerflow.cli.publishing import OrderToPublish, partition_of
from ledgerflow.cli.samples import sample_named
from ledgerflow.cli.timed_publishing import Prepared, prepare, publish_timed
from ledgerflow.cli.watching import wait_until_idle
from ledgerflow.contracts import Channel, Topic, TransactionMode
from ledgerflow.devstack.stack import Stack, StackState, topic_partitions
from ledgerflow.planner.connections import ConnectionSettings

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / ".ledgerflow" / "fairness-stack"
RESULTS = Path(__file__).parent / "results"
SAMPLE = "acme-1001-paid-tax-shipping-discount"
SAME, OTHER = "busy tenant's partition", "other partitions"
WARM_UP_TIMEOUT = 300.0
TRAFFIC_EVERY = 1.0  # seconds between reads of the busy company's request counters during the drain


@dataclass(frozen=True)
class Tenant:
    name: str
    partition: int
    group: str  # SAME or OTHER; the busy tenant's own is SAME


@dataclass
class SmallOrder:
    tenant: str
    group: str
    partition: int
    phase: str  # "baseline" or "backlog"
    sent_s: float  # since the backlog's first publish (negative: before it)
    latency_s: float | None  # None: no posted event in time
    outcome: str  # "posted", "failed", "dead_letter" or "missing"


@dataclass
class Latency:
    orders: int
    posted: int
    p50_s: float | None
    max_s: float | None

    @classmethod
    def of(cls, orders: Sequence[SmallOrder]) -> Latency:
        seconds = [o.latency_s for o in orders if o.latency_s is not None]
        if not seconds:
            return cls(len(orders), 0, None, None)
        return cls(len(orders), len(seconds), round(statistics.median(seconds), 3), round(max(seconds), 3))


@dataclass
class Traffic:
    admitted: int
    throttled: int

    def minus(self, before: Traffic) -> Traffic:
        return Traffic(self.admitted - before.admitted, self.throttled - before.throttled)


@dataclass
class Drain:
    orders: int
    posted: int
    outcomes: dict[str, int]
    seconds: float | None  # first publish -> last posted event; None when some never came
    orders_per_s: float | None
    requests: Traffic
    requests_per_minute: float | None
    share_of_allowed_pct: float | None
    busiest_minute_requests: int  # the most in any 60 s of the drain: what QuickBooks' window counts


@dataclass
class Target:
    name: str
    goal: str
    measured: str
    passed: bool


@dataclass
class FairnessRun:
    partitions: int
    busy: Tenant
    small: list[Tenant]
    limits: dict[str, Any]
    baseline: dict[str, Latency]
    backlog: dict[str, Latency]
    drain: Drain
    targets: list[Target] = field(default_factory=list)
    orders: list[SmallOrder] = field(default_factory=list)
    busy_posted: list[float] = field(default_factory=list)  # each backlog order's posted time, sorted
    traffic_samples: list[tuple[float, int, int]] = field(default_factory=list)  # (t, admitted, throttled)
    placement_checked: int = 0  # records of ledger.commands and ledger.events read back
    placement_mismatches: list[str] = field(default_factory=list)


def choose_tenants(partitions: int, small: int, same: int) -> tuple[Tenant, list[Tenant]]:
    """A busy tenant, and small tenants named until ``same`` of them share its partition and the rest do not."""
    run = uuid.uuid4().hex[:4]  # fresh companies in the simulator for every run
    busy_name = f"f{run}-busy"
    busy = Tenant(busy_name, partition_of(busy_name, partitions), SAME)
    chosen: list[Tenant] = []
    wanted = {SAME: same, OTHER: small - same}
    for n in itertools.count():
        if len(chosen) == small:
            break
        name = f"f{run}-s{n:03d}"
        partition = partition_of(name, partitions)
        group = SAME if partition == busy.partition else OTHER
        if sum(1 for t in chosen if t.group == group) < wanted[group]:
            chosen.append(Tenant(name, partition, group))
    return busy, chosen


def paid_order(tenant: str, serial: int) -> OrderToPublish:
    sample = sample_named(SAMPLE)
    if sample is None:
        raise SystemExit(f"the sample {SAMPLE} is missing from ledgerflow.cli.samples")
    identity = SampleIdentity.of(sample)
    return OrderToPublish(tenant, sample.connection, Channel(sample.channel), renumbered(identity, serial))


def connection_settings(tenants: Iterable[str]) -> list[ConnectionSettings]:
    sample = sample_named(SAMPLE)
    assert sample is not None
    return [
        ConnectionSettings(tenant=t, connection=sample.connection, channel=Channel(sample.channel),
                           mode=TransactionMode.INVOICES_WITH_PAYMENTS)
        for t in tenants
    ]  # fmt: skip


async def read_traffic(client: httpx.AsyncClient, sim_url: str, realm: str) -> Traffic:
    response = await client.get(f"{sim_url}/admin/realms/{realm}/traffic", timeout=5)
    response.raise_for_status()
    body = response.json()
    return Traffic(int(body["admitted"]), int(body["throttled"]))


async def sample_traffic(client: httpx.AsyncClient, sim_url: str, realm: str,
                         samples: list[tuple[float, int, int]]) -> None:  # fmt: skip
    while True:
        now = time.time()
        traffic = await read_traffic(client, sim_url, realm)
        samples.append((now, traffic.admitted, traffic.throttled))
        await asyncio.sleep(TRAFFIC_EVERY)


def busiest_minute(samples: Sequence[tuple[float, int, int]]) -> int:
    """The most requests admitted in any 60 s between two samples (QuickBooks counts a sliding minute)."""
    most = 0
    for start, admitted, _ in samples:
        later = [a for t, a, _ in samples if start < t <= start + 60.0]
        if later:
            most = max(most, later[-1] - admitted)
    return most


async def publish_and_wait(arrivals: Arrivals, bootstrap: str, orders: list[Prepared], timeout: float,
                           phase: str) -> dict[uuid.UUID, float]:  # fmt: skip
    sent = await publish_timed(bootstrap, orders)
    missing = await arrivals.wait_for(sent, timeout)
    if missing:
        raise SystemExit(f"{phase}: {len(missing)} of {len(orders)} orders without an outcome after "
                         f"{timeout:.0f}s; see the service logs under {HOME / 'run'}")  # fmt: skip
    refused = [c for c in sent if arrivals.first[c].outcome != "posted"]
    if refused:
        raise SystemExit(f"{phase}: {len(refused)} of {len(orders)} orders were not posted; see the service logs "
                         f"under {HOME / 'run'}")  # fmt: skip
    return sent


async def verify_placement(bootstrap: str, expected: dict[str, int]) -> tuple[int, list[str]]:
    """Each tenant's commands and events read back from the partition its name was chosen for: how many
    records were read, and the tenants found elsewhere."""
    topics = [Topic.COMMANDS.value, Topic.EVENTS.value]
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    seen: set[tuple[str, str, int]] = set()
    read = 0
    try:
        ends: dict[Any, int] | None = None
        deadline = time.monotonic() + 60.0
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                read += len(records)
                for record in records:
                    tenant = str(json.loads(record.value or b"{}")["meta"]["tenant_id"])
                    seen.add((record.topic, tenant, record.partition))
            if ends is None and consumer.assignment():
                ends = await consumer.end_offsets(list(consumer.assignment()))
            if ends is not None and all([await consumer.position(tp) >= end for tp, end in ends.items()]):
                break
    finally:
        await consumer.stop()
    return read, sorted(f"{tenant} on {topic}[{partition}], expected [{expected[tenant]}]"
                        for topic, tenant, partition in seen
                        if tenant in expected and partition != expected[tenant])  # fmt: skip


async def drive(bootstrap: str, sim_url: str, busy: Tenant, small: list[Tenant], args: argparse.Namespace,
                run: FairnessRun) -> None:  # fmt: skip
    serials = itertools.count(1)

    def small_orders() -> list[tuple[Tenant, Prepared]]:
        tenants = [t for t in small for _ in range(args.small_orders)]
        prepared = prepare([paid_order(t.name, next(serials)) for t in tenants])
        return list(zip(tenants, prepared, strict=True))

    arrivals = Arrivals(bootstrap)
    await arrivals.start()
    try:
        print("warm-up: one order per tenant", flush=True)
        warm = prepare([paid_order(t.name, next(serials)) for t in (busy, *small)])
        await publish_and_wait(arrivals, bootstrap, warm, WARM_UP_TIMEOUT, "warm-up")
        await wait_until_idle(bootstrap)

        print(f"baseline: {args.small_orders} orders per small tenant, no backlog", flush=True)
        baseline = small_orders()
        baseline_sent = await publish_and_wait(arrivals, bootstrap, [p for _, p in baseline], WARM_UP_TIMEOUT,
                                               "baseline")  # fmt: skip
        await wait_until_idle(bootstrap)

        backlog = prepare([paid_order(busy.name, next(serials)) for _ in range(args.backlog)])
        later = small_orders()
        async with httpx.AsyncClient(headers={"X-Ledgerflow-Admin": SIM_ADMIN_TOKEN}) as client:
            before = await read_traffic(client, sim_url, busy.name)
            sampler = asyncio.create_task(sample_traffic(client, sim_url, busy.name, run.traffic_samples))
            try:
                print(f"backlog: {args.backlog} orders for {busy.name}; the small tenants' {len(later)} "
                      f"{args.delay:.1f}s later", flush=True)  # fmt: skip
                backlog_sent = await publish_timed(bootstrap, backlog)
                origin = min(backlog_sent.values())
                await asyncio.sleep(max(0.0, origin + args.delay - time.time()))
                later_sent = await publish_timed(bootstrap, [p for _, p in later])
                everything = {*backlog_sent, *later_sent}
                missing = await arrivals.wait_for(everything, max(0.0, origin + args.timeout - time.time()))
                after = await read_traffic(client, sim_url, busy.name)
            finally:
                sampler.cancel()
                await asyncio.gather(sampler, return_exceptions=True)
        if missing:
            print(f"  {len(missing)} orders without an outcome after {args.timeout:.0f}s", flush=True)
    finally:
        await arrivals.stop()

    run.traffic_samples[:] = [(round(t - origin, 3), a, r) for t, a, r in run.traffic_samples]

    def small_order(tenant: Tenant, correlation: uuid.UUID, sent_at: float, phase: str) -> SmallOrder:
        arrival = arrivals.first.get(correlation)
        outcome = arrival.outcome if arrival is not None else "missing"
        latency = arrival.at - sent_at if arrival is not None and outcome == "posted" else None
        return SmallOrder(tenant.name, tenant.group, tenant.partition, phase, round(sent_at - origin, 3),
                          None if latency is None else round(latency, 3), outcome)  # fmt: skip

    run.orders = [small_order(t, p.correlation_id, baseline_sent[p.correlation_id], "baseline") for t, p in baseline]
    run.orders += [small_order(t, p.correlation_id, later_sent[p.correlation_id], "backlog") for t, p in later]
    for phase, figures in (("baseline", run.baseline), ("backlog", run.backlog)):
        for group in (SAME, OTHER):
            figures[group] = Latency.of([o for o in run.orders if o.phase == phase and o.group == group])

    outcomes: dict[str, int] = {}
    for correlation in backlog_sent:
        arrival = arrivals.first.get(correlation)
        outcome = arrival.outcome if arrival is not None else "missing"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    run.busy_posted = sorted(
        round(arrivals.first[c].at - origin, 3)
        for c in backlog_sent
        if c in arrivals.first and arrivals.first[c].outcome == "posted"
    )
    requests = after.minus(before)
    complete = len(run.busy_posted) == args.backlog
    seconds = run.busy_posted[-1] if complete else None
    per_minute = requests.admitted * 60 / seconds if seconds else None
    allowed = int(run.limits["requests_per_minute"])
    run.drain = Drain(
        orders=args.backlog, posted=len(run.busy_posted), outcomes=outcomes,
        seconds=None if seconds is None else round(seconds, 2),
        orders_per_s=round(args.backlog / seconds, 2) if seconds else None,
        requests=requests,
        requests_per_minute=None if per_minute is None else round(per_minute, 1),
        share_of_allowed_pct=None if per_minute is None else round(100 * per_minute / allowed, 1),
        busiest_minute_requests=busiest_minute(run.traffic_samples),
    )  # fmt: skip
    expected = {t.name: t.partition for t in (busy, *small)}
    run.placement_checked, run.placement_mismatches = await verify_placement(bootstrap, expected)


def measure(state: StackState, args: argparse.Namespace) -> FairnessRun:
    counts = asyncio.run(topic_partitions(state.bootstrap_servers))
    if len(set(counts.values())) != 1:
        # A tenant would then sit on different partition numbers from one topic to the next.
        raise SystemExit(f"the pipeline's topics differ in partitions: {counts}")
    partitions = counts[Topic.COMMANDS.value]
    if partitions < 2 and args.same_partition < args.small_tenants:
        raise SystemExit("with one partition every small tenant shares the busy tenant's")
    busy, small = choose_tenants(partitions, args.small_tenants, args.same_partition)
    services = LocalServices(home=HOME, stack=state)
    try:
        services.start_simulator()
        limits = (
            httpx.get(f"{services.sim_url}/admin/limits", headers=services.admin_headers, timeout=5)
            .raise_for_status()
            .json()
        )
        if not limits["enabled"]:
            raise SystemExit("the simulator's limits are off; this benchmark measures with QuickBooks' limits on")
        for name in SERVICE_MODULES:
            services.start_service(name)
        services.wait_ready(120)
        asyncio.run(apply_settings(connection_settings(t.name for t in (busy, *small)), state.database_url))
        empty = Drain(0, 0, {}, None, None, Traffic(0, 0), None, None, 0)
        run = FairnessRun(partitions, busy, small, limits, {}, {}, empty)
        asyncio.run(drive(state.bootstrap_servers, services.sim_url, busy, small, args, run))
    finally:
        services.stop()
    return run


def judge(run: FairnessRun, args: argparse.Namespace) -> None:
    backlog = [o for o in run.orders if o.phase == "backlog"]
    late = [o.latency_s for o in backlog]
    worst = max((s for s in late if s is not None), default=None)
    all_posted = all(s is not None for s in late)
    measured = "not all posted" if not all_posted else f"max {worst:.1f} s"
    run.targets.append(Target("small tenants' orders posted, max on any partition",
                              f"<= {args.target_seconds:g} s", measured,
                              all_posted and worst is not None and worst <= args.target_seconds))  # fmt: skip
    share = run.drain.share_of_allowed_pct
    run.targets.append(Target("busy tenant's request rate, share of its allowed rate",
                              f">= {args.target_share:g}%", "drain incomplete" if share is None else f"{share:.0f}%",
                              share is not None and share >= args.target_share))  # fmt: skip


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s" if value >= 10 else f"{value:.2f} s"


def print_run(run: FairnessRun, args: argparse.Namespace) -> None:
    limits = run.limits
    print(f"\nfairness: 1 busy tenant ({args.backlog} orders at once), {len(run.small)} small tenants x "
          f"{args.small_orders} orders {args.delay:g} s later; {run.partitions} partitions; QuickBooks limits on "
          f"({limits['requests_per_minute']}/min, {limits['concurrent']} in flight per company)")  # fmt: skip
    same = sum(1 for t in run.small if t.group == SAME)
    print(f"  busy tenant {run.busy.name} on partition {run.busy.partition}; {same} small tenants there, "
          f"{len(run.small) - same} on other partitions")  # fmt: skip
    heading = "small tenants' orders"
    print(f"\n  {heading:<46}{'orders':>7}{'posted':>8}{'p50':>10}{'max':>10}")
    for phase, figures in (("idle (baseline)", run.baseline), ("behind the backlog", run.backlog)):
        for group in (SAME, OTHER):
            f = figures[group]
            print(f"  {phase + ', ' + group:<46}{f.orders:>7}{f.posted:>8}{seconds(f.p50_s):>10}"
                  f"{seconds(f.max_s):>10}")  # fmt: skip
    d = run.drain
    drained = (f"drained in {seconds(d.seconds)} ({d.orders_per_s:.2f} orders/s)" if d.seconds is not None
               else f"not drained: {d.posted} of {d.orders} posted")  # fmt: skip
    print(f"\n  busy tenant: {d.orders} orders {drained}; outcomes {d.outcomes}")
    rate = "-" if d.requests_per_minute is None else f"{d.requests_per_minute:.0f}/min"
    share = "-" if d.share_of_allowed_pct is None else f"{d.share_of_allowed_pct:.0f}%"
    print(f"  its company: {d.requests.admitted} requests, {d.requests.throttled} throttled (429); {rate} = "
          f"{share} of its allowed {limits['requests_per_minute']}/min; busiest 60 s: "
          f"{d.busiest_minute_requests} requests")  # fmt: skip
    if run.placement_mismatches:
        print(f"  placement differs from the partitioner's: {', '.join(run.placement_mismatches[:5])}")
    else:
        print(f"  placement: each tenant on its chosen partition ({run.placement_checked} commands and events read)")
    print("\n  targets")
    for target in run.targets:
        verdict = "PASS" if target.passed else "FAIL"
        print(f"  {target.name:<56}{target.goal:>9}  {target.measured:>16}  {verdict}")


def plot(run: FairnessRun, args: argparse.Namespace, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(10, 5.5))
    # The small orders of a phase are published within milliseconds of each other: marked at their publish
    # alone they would stack in one column, so each is drawn from its publish to its posted event.
    # Squares drawn larger and first, so that a red one still shows where a blue triangle lands on it.
    for group, colour, marker, size in ((SAME, "tab:red", "s", 60), (OTHER, "tab:blue", "^", 24)):
        for phase in ("baseline", "backlog"):
            points = [(o.sent_s, o.latency_s) for o in run.orders
                      if o.group == group and o.phase == phase and o.latency_s is not None]  # fmt: skip
            for sent, latency in points:
                axes.plot([sent, sent + latency], [latency, latency], color=colour, linewidth=0.6, alpha=0.3)
            label = f"{'idle' if phase == 'baseline' else 'behind the backlog'}, {group}"
            axes.scatter([sent + latency for sent, latency in points], [latency for _, latency in points], s=size,
                         marker=marker, facecolors=colour if phase == "backlog" else "none", edgecolors=colour,
                         label=label, zorder=3)  # fmt: skip
    axes.axhline(args.target_seconds, color="tab:green", linestyle="--", linewidth=1,
                 label=f"target {args.target_seconds:g} s")  # fmt: skip
    axes.axvline(0, color="grey", linewidth=0.8)
    axes.set_yscale("log")
    axes.set_xlabel(f"s since the busy tenant's {args.backlog} orders were published "
                    "(a small order: a line from its publish to its posted event)")  # fmt: skip
    axes.set_ylabel("small tenant's order: publish -> posted event (s)")
    axes.grid(True, which="both", alpha=0.3)

    drained = axes.twinx()
    counts = list(range(1, len(run.busy_posted) + 1))
    drained.step([0.0, *run.busy_posted], [0, *counts], where="post", color="dimgrey", linewidth=1.2,
                 label="busy tenant: orders posted (right axis)")  # fmt: skip
    drained.set_ylabel("busy tenant's orders posted")
    drained.set_ylim(0, max(args.backlog, 1) * 1.05)

    handles, labels = axes.get_legend_handles_labels()
    more_handles, more_labels = drained.get_legend_handles_labels()
    drained.legend(handles + more_handles, labels + more_labels, loc="lower right", fontsize=8, framealpha=0.9)
    d = run.drain
    share = "-" if d.share_of_allowed_pct is None else f"{d.share_of_allowed_pct:.0f}%"
    axes.set_title(f"ledgerflow fairness: {len(run.small)} small tenants beside a {args.backlog}-order backlog, "
                   f"QuickBooks limits on; busy tenant at {share} of its allowed rate", fontsize=10)  # fmt: skip
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def summary(run: FairnessRun, args: argparse.Namespace) -> dict[str, object]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "options": vars(args),
        "partitions": run.partitions, "limits": run.limits,
        "busy_tenant": asdict(run.busy), "small_tenants": [asdict(t) for t in run.small],
        "baseline": {group: asdict(figures) for group, figures in run.baseline.items()},
        "backlog": {group: asdict(figures) for group, figures in run.backlog.items()},
        "drain": asdict(run.drain),
        "targets": [asdict(t) for t in run.targets],
        "passed": all(t.passed for t in run.targets),
        "placement_checked": run.placement_checked, "placement_mismatches": run.placement_mismatches,
        "small_orders": [asdict(o) for o in run.orders],
        "busy_posted_s": run.busy_posted,
        "busy_traffic_samples": [{"t_s": t, "admitted": a, "throttled": r} for t, a, r in run.traffic_samples],
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small-tenants", type=int, default=12, help="tenants with a few orders each")
    parser.add_argument("--same-partition", type=int, default=4,
                        help="how many of them share the busy tenant's partition (the rest do not)")  # fmt: skip
    parser.add_argument("--backlog", type=int, default=600, help="orders the busy tenant publishes at once")
    parser.add_argument("--small-orders", type=int, default=3, help="orders each small tenant publishes")
    parser.add_argument("--delay", type=float, default=3.0, help="seconds between the backlog and the small orders")
    parser.add_argument("--partitions", type=int, default=6, help="partitions per topic")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds for the backlog phase to finish")
    parser.add_argument("--target-seconds", type=float, default=5.0, help="a small order's latency at most")
    parser.add_argument("--target-share", type=float, default=90.0, help="the busy tenant's share of its rate, %%")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    if not 0 <= args.same_partition <= args.small_tenants or args.small_tenants < 1:
        parser.error("--same-partition must be between 0 and --small-tenants, and --small-tenants at least 1")

    stack = Stack(HOME, ROOT / ".ledgerflow" / "cache")
    state = stack.up(fresh=True, partitions=args.partitions)
    try:
        run = measure(state, args)
    finally:
        stack.down()

    judge(run, args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    print_run(run, args)
    (RESULTS / "fairness.json").write_text(json.dumps(summary(run, args), indent=2) + "\n")
    plot(run, args, RESULTS / "fairness.png")
    print(f"\nwrote {RESULTS / 'fairness.json'} and {RESULTS / 'fairness.png'}")
    if args.check and not all(t.passed for t in run.targets):
        sys.exit(1)


if __name__ == "__main__":
    main()
