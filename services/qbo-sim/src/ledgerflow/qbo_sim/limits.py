"""QuickBooks Online's throttling, per company (realm): requests a minute, requests in flight, batches a minute."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    requests_per_minute: int = 500
    concurrent: int = 10
    batch_per_minute: int = 120
    enabled: bool = True

    @classmethod
    def named(cls, name: str) -> Limits:
        if name == "qbo":
            return cls()
        if name == "off":
            return cls(enabled=False)
        raise ValueError(f"unknown limits {name!r}: use 'qbo' or 'off'")


@dataclass
class RealmWindow:
    requests: deque[float] = field(default_factory=deque)
    batches: deque[float] = field(default_factory=deque)
    in_flight: int = 0
    # What a test or a benchmark reads back: how the company was used, limits on or off.
    admitted: int = 0
    refused: int = 0
    peak_in_flight: int = 0


class Throttle:
    """Admits or refuses each request; a refused request is answered 429 and does not count."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._realms: dict[str, RealmWindow] = {}

    def admit(self, realm: str, *, batch: bool = False) -> bool:
        window = self._realms.setdefault(realm, RealmWindow())
        if not self.limits.enabled:
            self._enter(window)
            return True
        now = self._clock()
        for queue in (window.requests, window.batches):
            while queue and now - queue[0] >= 60.0:
                queue.popleft()
        if (
            window.in_flight >= self.limits.concurrent
            or len(window.requests) >= self.limits.requests_per_minute
            or (batch and len(window.batches) >= self.limits.batch_per_minute)
        ):
            window.refused += 1
            return False
        window.requests.append(now)
        if batch:
            window.batches.append(now)
        self._enter(window)
        return True

    @staticmethod
    def _enter(window: RealmWindow) -> None:
        window.admitted += 1
        window.in_flight += 1
        window.peak_in_flight = max(window.peak_in_flight, window.in_flight)

    def release(self, realm: str) -> None:
        if realm in self._realms:
            window = self._realms[realm]
            window.in_flight = max(0, window.in_flight - 1)  # a reset may have come in between

    def traffic(self, realm: str) -> dict[str, int]:
        window = self._realms.get(realm, RealmWindow())
        return {"admitted": window.admitted, "throttled": window.refused, "in_flight": window.in_flight,
                "peak_in_flight": window.peak_in_flight}  # fmt: skip

    def reset(self, limits: Limits | None = None) -> None:
        if limits is not None:
            self.limits = limits
        self._realms.clear()
