"""Each company's share of the accounting API: a token bucket, requests in flight, and 429 pauses per company."""

from __future__ import annotations

import asyncio
import bisect
import random

import httpx
import pytest

from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient
from ledgerflow.ledger_writer.targets.qbo.rate_limit import ARRIVAL_SPREAD_SECONDS, WINDOW_SECONDS, CompanyLimiter
from ledgerflow.qbo_sim.app import Simulator, create_app
from ledgerflow.qbo_sim.chaos import FaultPlan
from ledgerflow.qbo_sim.limits import Limits, Throttle
from ledgerflow.runtime.metrics import Metrics


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_the_bucket_keeps_each_company_under_its_rate() -> None:
    time = FakeTime()
    limiter = CompanyLimiter(requests_per_minute=60, concurrent=2, clock=time.clock, sleep=time.sleep)
    for _ in range(6):
        async with limiter.slot("acme"):
            pass
    # A burst of 2, then the rest of the minute's 60 spread over a minute and its allowance for arrival spread.
    assert sum(time.slept) == pytest.approx(4 * (WINDOW_SECONDS + ARRIVAL_SPREAD_SECONDS) / 58)
    async with limiter.slot("globex"):
        pass  # another company has its own bucket
    assert sum(time.slept) == pytest.approx(4 * (WINDOW_SECONDS + ARRIVAL_SPREAD_SECONDS) / 58)


async def granted_times(limiter: CompanyLimiter, time: FakeTime, realm: str, count: int) -> list[float]:
    """When each of ``count`` back-to-back requests of one busy company was let through."""
    times = []
    for _ in range(count):
        async with limiter.slot(realm):
            times.append(time.now)
    return times


async def test_no_stretch_of_a_minute_and_its_spread_holds_more_than_the_limit() -> None:
    time = FakeTime()
    limiter = CompanyLimiter(requests_per_minute=500, concurrent=10, clock=time.clock, sleep=time.sleep)
    times = await granted_times(limiter, time, "acme", 2000)
    stretch = WINDOW_SECONDS + ARRIVAL_SPREAD_SECONDS
    assert max(bisect.bisect_left(times, t + stretch) - i for i, t in enumerate(times)) <= 500
    per_minute = (len(times) - 1) / (times[-1] - times[0]) * 60
    assert 0.95 * 500 <= per_minute <= 500  # a busy company still uses nearly all of its rate


async def test_a_busy_company_is_never_throttled_by_a_sliding_minute() -> None:
    """QuickBooks' sliding minute, as the simulator keeps it, sees every request arrive up to a second late.

    A bucket refilling at the full 500 a minute let 509 through in the first minute: the 501st met a 429.
    """
    time = FakeTime()
    limiter = CompanyLimiter(requests_per_minute=500, concurrent=10, clock=time.clock, sleep=time.sleep)
    granted = await granted_times(limiter, time, "acme", 1600)
    delays = random.Random(7)
    arrivals = sorted(t + delays.uniform(0, ARRIVAL_SPREAD_SECONDS) for t in granted)
    quickbooks_time = FakeTime()
    quickbooks = Throttle(Limits(), clock=quickbooks_time.clock)
    refused = 0
    for arrival in arrivals:
        quickbooks_time.now = arrival
        if quickbooks.admit("acme"):
            quickbooks.release("acme")
        else:
            refused += 1
    assert refused == 0


def test_a_limit_too_small_for_a_burst_and_a_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="2 or more"):
        CompanyLimiter(requests_per_minute=1)


async def test_a_pause_holds_that_company_only() -> None:
    time = FakeTime()
    limiter = CompanyLimiter(requests_per_minute=600, concurrent=10, clock=time.clock, sleep=time.sleep)
    limiter.pause("acme", 60)
    async with limiter.slot("globex"):
        assert time.now == 0.0
    async with limiter.slot("acme"):
        assert time.now >= 60.0


async def test_requests_in_flight_are_capped_per_company() -> None:
    limiter = CompanyLimiter(requests_per_minute=6000, concurrent=3)
    inside = peak = 0

    async def call() -> None:
        nonlocal inside, peak
        async with limiter.slot("acme"):
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(call() for _ in range(12)))
    assert peak == 3


async def test_a_429_pauses_the_throttled_company_and_its_calls_still_go_through() -> None:
    simulator = Simulator(token="t", limits=Limits(concurrent=1), faults=FaultPlan(latency_ms=50))
    app = create_app(simulator, retry_after=1)
    metrics = Metrics()
    limiter = CompanyLimiter(requests_per_minute=6000, concurrent=10)
    client = QuickBooksClient("http://sim", "t", transport=httpx.ASGITransport(app=app), metrics=metrics,
                              limiter=limiter, attempts=10)  # fmt: skip
    try:
        answers = await asyncio.gather(*(client.query("acme", "Customer", "Id > '0'") for _ in range(4)))
        assert answers == [[]] * 4
        assert limiter._realm("acme").paused_until > 0
        assert limiter._realm("globex").paused_until == 0
        assert await client.query("globex", "Customer", "Id > '0'") == []
    finally:
        await client.aclose()
    throttled = metrics.qbo_requests.labels("acme", "query", "429")._value.get()
    assert throttled >= 1


async def test_a_company_handed_to_another_writer_keeps_its_budget_and_what_its_rest_refilled() -> None:
    before, after = FakeTime(), FakeTime()
    first = CompanyLimiter(requests_per_minute=60, concurrent=10, clock=before.clock, sleep=before.sleep)
    await granted_times(first, before, "acme", 10)  # its burst spent
    tokens, paused_for = first.tokens("acme")
    assert tokens == pytest.approx(0.0) and paused_for == 0.0

    second = CompanyLimiter(requests_per_minute=60, concurrent=10, clock=after.clock, sleep=after.sleep)
    second.restore("acme", tokens, paused_for)
    await granted_times(second, after, "acme", 1)
    assert after.slept, "taken over at once, the company gets no fresh burst"

    rested = CompanyLimiter(requests_per_minute=60, concurrent=10, clock=after.clock, sleep=after.sleep)
    rested.restore("acme", tokens, paused_for, rested_for=60.0)
    after.slept.clear()
    await granted_times(rested, after, "acme", 10)
    assert after.slept == [], "a minute's rest refilled its burst"


async def test_a_pause_the_last_writer_met_holds_at_the_next() -> None:
    time = FakeTime()
    limiter = CompanyLimiter(requests_per_minute=500, concurrent=10, clock=time.clock, sleep=time.sleep)
    limiter.restore("acme", tokens=10.0, paused_for=30.0)
    await granted_times(limiter, time, "acme", 1)
    assert sum(time.slept) == pytest.approx(30.0)


def test_batches_have_a_bucket_of_their_own() -> None:
    time = FakeTime()
    limiter = CompanyLimiter(requests_per_minute=500, concurrent=10, batches_per_minute=20, clock=time.clock,
                             sleep=time.sleep)  # fmt: skip
    # A burst of 10 batches, then what is left of the 20 a minute, spread over the minute and its spread.
    assert [limiter.take_batch("acme") for _ in range(11)] == [True] * 10 + [False]
    time.now += (WINDOW_SECONDS + ARRIVAL_SPREAD_SECONDS) / 10 * 0.99
    assert not limiter.take_batch("acme")
    time.now += (WINDOW_SECONDS + ARRIVAL_SPREAD_SECONDS) / 10 * 0.02
    assert limiter.take_batch("acme")
    assert limiter.take_batch("globex")  # another company has its own
    assert time.slept == []  # never waits: a batch that may not go is sent as single requests
