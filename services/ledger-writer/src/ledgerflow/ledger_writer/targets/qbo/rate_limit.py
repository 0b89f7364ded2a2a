"""Each company's share of QuickBooks Online: requests a minute and requests in flight, per realm.

A token bucket per realm keeps a steady rate under the limit (500 a minute), a semaphore caps the
requests in flight (10), and a 429 pauses that realm alone for the time QuickBooks asks (or a minute):
the other companies' requests go on.

QuickBooks counts a company's requests over a sliding minute. A bucket lets through its burst plus
what it refills in any stretch of time, so it refills at what is left of the limit after the burst,
spread over a minute and a little more, since our send times and QuickBooks' arrival times differ by
the network and the event loop. Refilling at the full limit instead, every busy company went over
the limit as its first minute slid past, met a 429 and lost a minute.

Batch requests count once among the requests and have a limit of their own (120 a minute): a second bucket,
asked without waiting, since a batch that may not go now is sent as single requests instead.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

WINDOW_SECONDS = 60.0
ARRIVAL_SPREAD_SECONDS = 1.0
# A refill that rounding leaves a hair short of a token must not send a request to sleep on the hair for ever.
TOKEN_ROUNDING = 1e-9


@dataclass
class _Realm:
    tokens: float
    updated: float
    in_flight: asyncio.Semaphore
    paused_until: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    sent: deque[float] = field(default_factory=deque)  # when each request of the last minute went
    throttled: int = 0
    batch_tokens: float = 0.0
    batch_updated: float = 0.0


class CompanyLimiter:
    def __init__(
        self,
        requests_per_minute: int = 500,
        concurrent: int = 10,
        *,
        batches_per_minute: int = 120,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_wait: Callable[[str, float], None] | None = None,
    ) -> None:
        if requests_per_minute < 2:
            raise ValueError("requests_per_minute must leave room for a burst and a rate: 2 or more")
        self._sleep = sleep
        self.burst = max(1.0, min(float(concurrent), requests_per_minute / 2))
        # Any window of the limit's length then holds at most the limit, even seen a little late or early.
        self.rate = (requests_per_minute - self.burst) / (WINDOW_SECONDS + ARRIVAL_SPREAD_SECONDS)
        self.concurrent = concurrent
        self.requests_per_minute = requests_per_minute
        self.batch_burst = max(1.0, min(float(concurrent), batches_per_minute / 2))
        self.batch_rate = max(0.0, batches_per_minute - self.batch_burst) / (WINDOW_SECONDS + ARRIVAL_SPREAD_SECONDS)
        self._clock = clock
        self._on_wait = on_wait
        self._realms: dict[str, _Realm] = {}

    def _realm(self, realm: str) -> _Realm:
        if realm not in self._realms:
            now = self._clock()
            self._realms[realm] = _Realm(
                self.burst, now, asyncio.Semaphore(self.concurrent), batch_tokens=self.batch_burst, batch_updated=now
            )
        return self._realms[realm]

    def take_batch(self, realm: str) -> bool:
        """Whether a batch request may go to the company now (it then still takes a request's slot and token)."""
        state = self._realm(realm)
        now = self._clock()
        state.batch_tokens = min(self.batch_burst, state.batch_tokens + (now - state.batch_updated) * self.batch_rate)
        state.batch_updated = now
        if state.batch_tokens >= 1 - TOKEN_ROUNDING:
            state.batch_tokens -= 1
            return True
        return False

    @asynccontextmanager
    async def slot(self, realm: str) -> AsyncIterator[None]:
        state = self._realm(realm)
        started = self._clock()
        async with state.in_flight:
            await self._take_token(state)
            waited = self._clock() - started
            if waited > 0 and self._on_wait is not None:
                self._on_wait(realm, waited)
            yield

    async def _take_token(self, state: _Realm) -> None:
        async with state.lock:  # callers of one realm queue in order
            while True:
                now = self._clock()
                if now < state.paused_until:
                    await self._sleep(state.paused_until - now)
                    continue
                state.tokens = min(self.burst, state.tokens + (now - state.updated) * self.rate)
                state.updated = now
                if state.tokens >= 1 - TOKEN_ROUNDING:
                    state.tokens -= 1
                    state.sent.append(now)
                    self._forget_old(state, now)
                    return
                await self._sleep((1 - state.tokens) / self.rate)

    def used_last_minute(self, realm: str) -> int:
        """Requests sent to the company in the last minute, against ``requests_per_minute``."""
        state = self._realms.get(realm)
        if state is None:
            return 0
        self._forget_old(state, self._clock())
        return len(state.sent)

    def tokens(self, realm: str) -> tuple[float, float]:
        """What the company may still send at once, and for how long it is paused: to hand it to another writer."""
        state = self._realm(realm)
        now = self._clock()
        tokens = min(self.burst, state.tokens + (now - state.updated) * self.rate)
        return tokens, max(0.0, state.paused_until - now)

    def restore(self, realm: str, tokens: float, paused_for: float, rested_for: float = 0.0) -> None:
        """Continue from what another writer left ``rested_for`` seconds ago: a company that changes hands gets no
        fresh burst, and one that rested gets what the rest refilled."""
        state = self._realm(realm)
        now = self._clock()
        state.tokens = max(0.0, min(self.burst, tokens + rested_for * self.rate))
        state.updated = now
        state.paused_until = max(state.paused_until, now + paused_for)

    def _forget_old(self, state: _Realm, now: float) -> None:
        while state.sent and state.sent[0] <= now - WINDOW_SECONDS:
            state.sent.popleft()

    def pause(self, realm: str, seconds: float) -> None:
        """QuickBooks throttled this company: nothing more goes to it for ``seconds``."""
        state = self._realm(realm)
        state.paused_until = max(state.paused_until, self._clock() + seconds)
        state.tokens = 0.0
        state.throttled += 1

    def throttled(self, realm: str) -> int:
        """Times QuickBooks throttled the company since this process first called it."""
        state = self._realms.get(realm)
        return 0 if state is None else state.throttled
