"""Each company's share of the accounting API: a token bucket, requests in flight, and 429 pauses per company."""

from __future__ import annotations

import asyncio

import httpx

from ledgerflow.ledger_writer.qbo.client import QuickBooksClient
from ledgerflow.ledger_writer.qbo.rate_limit import CompanyLimiter
from ledgerflow.qbo_sim.app import Simulator, create_app
from ledgerflow.qbo_sim.chaos import FaultPlan
from ledgerflow.qbo_sim.limits import Limits
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
    assert sum(time.slept) == 4.0  # a burst of 2, then one a second at 60 a minute
    async with limiter.slot("globex"):
        pass  # another company has its own bucket
    assert sum(time.slept) == 4.0


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
