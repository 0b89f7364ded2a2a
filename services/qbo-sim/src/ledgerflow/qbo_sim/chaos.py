"""Injected faults: latency, 5xx answers, timeouts, and commit-then-drop.

Commit-then-drop is the case that makes duplicates in the field: the write happens, the response never
arrives, and a client that simply retries posts the document twice.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal


@dataclass
class FaultPlan:
    latency_ms: float = 0.0
    error_rate: float = 0.0  # answered 503 before anything is written
    timeout_rate: float = 0.0  # held for hang_seconds, nothing written, then answered 504
    drop_rate: float = 0.0  # writes committed, then the connection is dropped without a response
    hang_seconds: float = 30.0
    requestid: Literal["honoured", "ignored"] = "honoured"
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("error_rate", "timeout_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.requestid not in ("honoured", "ignored"):
            raise ValueError("requestid must be 'honoured' or 'ignored'")
        self._random = random.Random(self.seed)  # noqa: S311 (fault injection, not security)

    @classmethod
    def parse(cls, spec: str | None) -> FaultPlan:
        """``latency=20ms,error_rate=0.05,timeout_rate=0.01,drop_rate=0.1,hang=30s,requestid=ignored,seed=7``."""
        if not spec:
            return cls()
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for part in spec.split(","):
            key, _, raw = part.strip().partition("=")
            key = {"latency": "latency_ms", "hang": "hang_seconds"}.get(key, key)
            if key not in known or not raw:
                raise ValueError(f"unknown fault setting {part!r}; known: {', '.join(sorted(known))}")
            values[key] = _value(key, raw)
        return cls(**values)

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> FaultPlan:
        known = {f.name for f in fields(cls)}
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        return cls(**body)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def roll(self, rate: float) -> bool:
        return rate > 0 and self._random.random() < rate


def _value(key: str, raw: str) -> Any:
    if key == "requestid":
        return raw
    if key == "seed":
        return int(raw)
    if key == "latency_ms":
        return float(raw.removesuffix("ms"))
    if key == "hang_seconds":
        return float(raw.removesuffix("s"))
    return float(raw)
