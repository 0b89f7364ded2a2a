"""How fast a poller may call a system, for the systems that meter by a bucket or a quota rather than a rate."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping

import httpx


class LeakyBucket:
    """Lightspeed R-Series' meter: each answer says how full the bucket is (``X-LS-Api-Bucket-Level: used/size``),
    how fast it drains (``X-LS-Api-Drip-Rate`` per second) and what the call cost (``X-LS-Api-Request-Cost``;
    relations cost more). A call waits until the bucket, drained since, has room for what a call like it cost."""

    def __init__(self) -> None:
        self._level = 0.0
        self._size: float | None = None  # unknown until the first answer: the first call goes at once
        self._drip = 1.0
        self._at = time.monotonic()
        self._costs: dict[str, float] = {}

    async def wait(self, kind: str) -> None:
        if self._size is None:
            return
        level = max(0.0, self._level - (time.monotonic() - self._at) * self._drip)
        over = level + self._costs.get(kind, 1.0) - self._size
        if over > 0:
            await asyncio.sleep(over / self._drip)

    def update(self, kind: str, headers: Mapping[str, str]) -> None:
        level = headers.get("X-LS-Api-Bucket-Level")
        if level and "/" in level:
            used, size = level.split("/", 1)
            self._level, self._size, self._at = float(used), float(size), time.monotonic()
        if headers.get("X-LS-Api-Drip-Rate"):
            self._drip = max(float(headers["X-LS-Api-Drip-Rate"]), 0.01)
        if headers.get("X-LS-Api-Request-Cost"):
            self._costs[kind] = float(headers["X-LS-Api-Request-Cost"])


class WindowQuota:
    """At most ``limit`` calls in any ``seconds``: Erply's hourly quota per account, its 150 calls per 30 seconds per
    address, X-Series' requests per five minutes. A call that would exceed it waits for the oldest to leave."""

    def __init__(self, limit: int, seconds: float) -> None:
        self._limit = limit
        self._seconds = seconds
        self._calls: deque[float] = deque()

    async def wait(self) -> None:
        while True:
            now = time.monotonic()
            while self._calls and now - self._calls[0] >= self._seconds:
                self._calls.popleft()
            if len(self._calls) < self._limit:
                self._calls.append(now)
                return
            await asyncio.sleep(self._seconds - (now - self._calls[0]))


def retry_after(response: httpx.Response, default: float) -> float:
    """Seconds a 429 asks to wait (``Retry-After`` in seconds), else ``default``."""
    value = response.headers.get("Retry-After", "")
    return float(value) if value.replace(".", "", 1).isdigit() else default


async def unthrottled(
    send: Callable[[], Awaitable[httpx.Response]], system: str, default_wait: float, attempts: int = 5
) -> httpx.Response:
    """``send`` (which paces itself) until the system stops answering 429, each time waiting what it asks; any other
    error status raises. The meter may be shared with the merchant's other apps, so pacing alone cannot rule it out."""
    for _ in range(attempts):
        response = await send()
        if response.status_code != 429:
            response.raise_for_status()
            return response
        await asyncio.sleep(retry_after(response, default_wait))
    raise httpx.HTTPStatusError(f"{system} kept throttling the poller", request=response.request, response=response)
