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


class Throttle:
    """Admits or refuses each request; a refused request is answered 429 and does not count."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._realms: dict[str, RealmWindow] = {}

    def admit(self, realm: str, *, batch: bool = False) -> bool:
        if not self.limits.enabled:
            return True
        window = self._realms.setdefault(realm, RealmWindow())
        now = self._clock()
        for queue in (window.requests, window.batches):
            while queue and now - queue[0] >= 60.0:
                queue.popleft()
        if window.in_flight >= self.limits.concurrent:
            return False
        if len(window.requests) >= self.limits.requests_per_minute:
            return False
        if batch and len(window.batches) >= self.limits.batch_per_minute:
            return False
        window.requests.append(now)
        if batch:
            window.batches.append(now)
        window.in_flight += 1
        return True

    def release(self, realm: str) -> None:
        if self.limits.enabled and realm in self._realms:
            self._realms[realm].in_flight -= 1

    def reset(self, limits: Limits | None = None) -> None:
        if limits is not None:
            self.limits = limits
        self._realms.clear()
